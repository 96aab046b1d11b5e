"""Keeping what the Live tab shows: a snapshot PNG with the prediction drawn on it, and a CSV
recording of every prediction."""

from __future__ import annotations

import csv
import datetime as _dt
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, QStandardPaths, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter

import livepredict
from livepredict.core.errors import LivePredictError
from livepredict.core.types import Prediction

RECORD_COLUMNS = ("frame", "capture_ts", "infer_start_ts", "infer_end_ts", "preprocess_ms", "infer_ms",
                  "label", "score", "top")


def default_folder() -> Path:
    pics = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pics or Path.home()) / livepredict.APP_NAME


def timestamped(prefix: str, suffix: str, stamp: str = "%Y%m%d-%H%M%S") -> Path:
    """A new file name in the default folder: ``prefix-<now formatted by stamp><suffix>``."""
    return default_folder() / f"{prefix}-{_dt.datetime.now():{stamp}}{suffix}"


def annotated(image: np.ndarray, pred: Prediction | None) -> QImage:
    """The RGB frame at full resolution with the label and score drawn on it."""
    rgb = np.ascontiguousarray(image)
    h, w = rgb.shape[:2]
    img = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).convertToFormat(QImage.Format.Format_RGB32)
    if pred is not None and pred.top:
        text = f" {pred.label}  {pred.score * 100:.0f}% "
        painter = QPainter(img)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(12, h // 18))
        painter.setFont(font)
        fm = QFontMetrics(font)
        box = QRectF(w * 0.02, h * 0.02, fm.horizontalAdvance(text) + 4, fm.height() + 4)
        painter.fillRect(box, QColor(0, 0, 0, 170))
        painter.setPen(QColor("#ffffff"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
    return img


def save_png(img: QImage, path: str | Path | None = None) -> Path:
    """Save ``img`` to ``path`` (default: a new snapshot file in the default folder)."""
    if path is None:
        path = timestamped("snapshot", ".png", "%Y%m%d-%H%M%S-%f")
        path.parent.mkdir(parents=True, exist_ok=True)
    path = Path(path)
    if not img.save(str(path), "PNG"):
        raise LivePredictError(f"Could not save the snapshot to {path}; check that the folder is writable.")
    return path


class PredictionRecorder:
    """Appends every prediction to a CSV file (``RECORD_COLUMNS``) until ``close()``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: Any = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as e:
            raise LivePredictError(f"Cannot write {self.path} ({e.strerror}); pick another file.") from None
        self._writer = csv.writer(self._file)
        self._writer.writerow(RECORD_COLUMNS)
        self.rows = 0

    def write(self, p: Prediction) -> None:
        top = ";".join(f"{lbl}:{s:.4f}" for lbl, s in p.top)
        self._writer.writerow((p.frame_index, f"{p.capture_ts:.6f}", f"{p.infer_start_ts:.6f}",
                               f"{p.infer_end_ts:.6f}", f"{p.preprocess_ms:.3f}", f"{p.infer_ms:.3f}", p.label,
                               f"{p.score:.6f}", top))
        self.rows += 1

    def close(self) -> None:
        self._file.close()
