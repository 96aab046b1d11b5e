"""What ``classify`` writes for segmenters besides its CSV (``core.results.table_rows``): mask PNGs.

``--masks DIR`` writes each segmentation as ``DIR/<picture name>.mask.png`` (pixel value = class
id) through the safe output writer (``core.outfile``): a mask is replaced whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

from livepredict.core.errors import LivePredictError
from livepredict.core.outfile import replace_with
from livepredict.core.results import mask_png
from livepredict.core.types import Prediction, Segmentation, Task


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
