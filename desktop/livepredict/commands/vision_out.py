"""What ``classify`` writes for detectors and segmenters: CSV rows per detection, mask PNGs.

A classifier's CSV has a row per picture with its top labels; a detector's has one row per
detection (``path, label, score, x0, y0, x1, y1, error``; a picture without one gets a row with
empty cells), a segmenter's one row per class present (``path, label, fraction, error``).
``--masks DIR`` writes each segmentation as ``DIR/<picture name>.mask.png`` (pixel value = class
id) through the safe output writer (``core.outfile``): a mask is replaced whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

from livepredict.core.errors import LivePredictError
from livepredict.core.outfile import replace_with
from livepredict.core.results import BOX_COLUMNS, mask_png
from livepredict.core.types import Prediction, Segmentation, Task


def csv_header(task: str, top: int) -> list[str] | None:
    """The CSV header of a detector or segmenter (None for a classifier: its own header is used)."""
    if task == Task.OBJECT_DETECTOR:
        return ["path", "label", "score", *BOX_COLUMNS, "error"]
    if task == Task.SEGMENTER:
        return ["path", "label", "fraction", "error"]
    return None


class MaskWriter:
    """Writes segmentation masks as PNGs into a folder (made when missing)."""

    def __init__(self, folder: str | Path, task: str) -> None:
        self.folder = Path(folder)
        if task != Task.SEGMENTER:
            raise LivePredictError(f"--masks writes a segmenter's masks, but this model is a {task}; leave "
                                   "--masks out.")
        if self.folder.exists() and not self.folder.is_dir():
            raise LivePredictError(f"--masks {folder} is a file, not a folder; give a folder for the mask PNGs.")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LivePredictError(f"Cannot make the folder {folder} ({e.strerror or type(e).__name__}); give "
                                   "another --masks folder.") from e
        self.written = 0
        self._names: set[str] = set()

    def write(self, pred: Prediction) -> Path | None:
        if not isinstance(pred.result, Segmentation):
            return None
        stem = Path(pred.path).name or "picture"
        name = f"{stem}.mask.png"
        n = 2
        while name in self._names:  # two pictures of one name in different folders
            name = f"{stem}.{n}.mask.png"
            n += 1
        self._names.add(name)
        data = mask_png(pred.result)
        out = replace_with(self.folder / name, lambda tmp: tmp.write_bytes(data))
        self.written += 1
        return out
