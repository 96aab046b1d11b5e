"""Labelled pictures for an evaluation: a folder of class folders, or a CSV of ``path,label``.

A folder is read like Keras' ``image_dataset_from_directory``: each sub-folder is a class (its name
is the label) and every picture under it, at any depth, is one example; pictures lying in the folder
itself and hidden entries are ignored. A CSV has one ``path,label`` row per picture (a first row
``path,label`` is a header); relative paths are relative to the CSV's folder. Every refusal is a
:class:`LabelledSetError` with one sentence.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from livepredict.core.errors import LivePredictError
from livepredict.sources import IMAGE_EXTENSIONS
from livepredict.sources.images import collect_image_paths

CSV_SUFFIXES = (".csv", ".tsv", ".txt")


class LabelledSetError(LivePredictError):
    """The labelled folder or CSV cannot be used (missing, empty, malformed)."""


@dataclass(frozen=True)
class LabelledSet:
    """``items``: (picture path, label as written) in a stable order; ``classes``: the labels in order."""

    source: str
    items: tuple[tuple[str, str], ...]

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(label for _, label in self.items))


def read_labelled(path: str | os.PathLike) -> LabelledSet:
    """The labelled pictures at ``path`` (a folder of class folders or a CSV); LabelledSetError if unusable."""
    p = Path(path).expanduser()
    if not p.exists():
        raise LabelledSetError(f"No folder or CSV at {p}; give a folder whose sub-folders are the class "
                               "names, or a CSV of path,label rows.")
    out = _read_folder(p) if p.is_dir() else _read_csv(p)
    if not out.items:
        raise LabelledSetError(f"No labelled pictures were found in {p}; put PNG or JPEG pictures in one "
                               "sub-folder per class, or list them in a CSV of path,label rows.")
    return out


def _read_folder(folder: Path) -> LabelledSet:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except PermissionError:
        raise LabelledSetError(f"Permission denied listing the folder {folder}; check its permissions.") from None
    classes = [Path(e.path) for e in entries if not e.name.startswith(".") and e.is_dir()]
    if not classes:
        raise LabelledSetError(f"{folder} has no class sub-folders; put the pictures of each class in a "
                               "sub-folder named after the class.")
    items: list[tuple[str, str]] = []
    for c in classes:
        try:
            items += [(str(p), c.name) for p in collect_image_paths([c]) if p.is_file()]
        except LivePredictError as e:
            raise LabelledSetError(e.message) from None
    return LabelledSet(str(folder), tuple(items))


def _read_csv(path: Path) -> LabelledSet:
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        raise LabelledSetError(f"{path} is a picture, not a labelled folder or CSV; give the folder that "
                               "holds one sub-folder per class.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise LabelledSetError(f"{path} is not a UTF-8 text CSV; save it as CSV (UTF-8) with path,label "
                               "rows.") from None
    except OSError as e:
        raise LabelledSetError(f"Cannot read {path} ({e.strerror or type(e).__name__}); check the path.") from None
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    base = path.parent
    items: list[tuple[str, str]] = []
    for n, row in enumerate(csv.reader(text.splitlines(), dialect=dialect), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if n == 1 and [c.lower() for c in cells[:2]] == ["path", "label"]:
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise LabelledSetError(f"Line {n} of {path} is not a path,label row; give each picture's path "
                                   "and its label, separated by a comma.")
        p = Path(cells[0]).expanduser()
        items.append((str(p if p.is_absolute() else base / p), cells[1]))
    return LabelledSet(str(path), tuple(items))
