"""Metadata embedded in a model file: a ``.tflite`` that is also a zip archive.

A popular YOLO exporter appends a zip archive to the flatbuffer whose (first) entry holds the
class ``names``, ``imgsz`` and ``task`` as JSON or a Python literal. :func:`read_metadata` turns it
into what the profile uses: ``labels``, ``size``, ``task`` (a Live Predict task), the
``decoder`` options and the ``preprocess`` keys its exports follow and a ``source`` phrase naming where it was found; None
when the file carries none. The entry is read only when it is small (a zip bomb is refused).
"""

from __future__ import annotations

import ast
import json
import zipfile
from pathlib import Path
from typing import Any

from livepredict.core.types import Task

MAX_ENTRY = 1 << 20  # bytes of metadata read at most
# the exporter's task names → (Live Predict task, decoder options of its TFLite exports)
PREPROCESS = {"resize": "letterbox", "scale": "0..1", "color": "rgb"}  # how its exports take pictures
TASKS: dict[str, tuple[Task, dict[str, Any]]] = {
    "detect": (Task.OBJECT_DETECTOR, {"type": "yolo", "box_format": "cxcywh", "normalized": True}),
    "classify": (Task.IMAGE_CLASSIFIER, {}),
}


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return ast.literal_eval(text)  # literals only: never code


def _names(names: Any) -> tuple[str, ...]:
    if isinstance(names, dict):
        try:
            pairs = sorted((int(k), str(v)) for k, v in names.items())
        except (TypeError, ValueError):
            return ()
        return tuple(v for _, v in pairs) if [k for k, _ in pairs] == list(range(len(pairs))) else ()
    if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
        return tuple(names)
    return ()


def read_metadata(path: Path) -> dict[str, Any] | None:
    """What the zip archive appended to ``path`` says, or None (no archive, or nothing usable)."""
    try:
        if not zipfile.is_zipfile(path):
            return None
        with zipfile.ZipFile(path) as zf:
            entries = [i for i in zf.infolist() if not i.is_dir()]
            if not entries or entries[0].file_size > MAX_ENTRY:
                return None
            entry = entries[0]
            raw = _parse(zf.read(entry).decode("utf-8"))
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, ValueError, SyntaxError, RecursionError,
            MemoryError, NotImplementedError, RuntimeError):
        return None
    if not isinstance(raw, dict):
        return None
    out: dict[str, Any] = {"source": f"the metadata embedded in {path.name} ({entry.filename})"}
    labels = _names(raw.get("names"))
    if labels:
        out["labels"] = labels
    size = raw.get("imgsz")
    if isinstance(size, list | tuple) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size):
        out["size"] = (int(size[0]), int(size[1]))
    task = TASKS.get(str(raw.get("task", "")))
    if task is not None:
        out["task"] = task[0]
        out["preprocess"] = dict(PREPROCESS)
        if task[1]:
            out["decoder"] = dict(task[1])
    return out if len(out) > 1 else None
