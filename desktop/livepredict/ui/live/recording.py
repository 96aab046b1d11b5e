"""Keeping what the Live tab shows: a snapshot PNG with the prediction drawn on it, and a CSV
recording of every prediction."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QStandardPaths, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QWidget

import livepredict
from livepredict.core.errors import LivePredictError
from livepredict.core.outfile import CsvRows, replace_with
from livepredict.core.types import Prediction, Segmentation
from livepredict.ui import overlays
from livepredict.ui.live.found import record_rows

RECORD_COLUMNS = ("frame", "capture_ts", "infer_start_ts", "infer_end_ts", "preprocess_ms", "infer_ms",
                  "label", "score", "top", "x0", "y0", "x1", "y1")  # a box per row for a detector


def default_folder() -> Path:
    pics = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pics or Path.home()) / livepredict.APP_NAME


def timestamped(prefix: str, suffix: str, stamp: str = "%Y%m%d-%H%M%S") -> Path:
    """A new file name in the default folder: ``prefix-<now formatted by stamp><suffix>``."""
    return default_folder() / f"{prefix}-{_dt.datetime.now():{stamp}}{suffix}"


def ask_record_path(parent: QWidget) -> str:
    """The "Record predictions to" save dialog ('' when cancelled); a name without extension gets .csv."""
    default = str(timestamped("predictions", ".csv"))
    path, _ = QFileDialog.getSaveFileName(parent, "Record predictions to", default, "CSV (*.csv)")
    if path and not Path(path).suffix:
        path += ".csv"
    return path


def annotated(image: np.ndarray, pred: Prediction | None) -> QImage:
    """The RGB frame at full resolution with the label and score drawn on it."""
    rgb = np.ascontiguousarray(image)
    h, w = rgb.shape[:2]
    img = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).convertToFormat(QImage.Format.Format_RGB32)
    drawn = pred is not None and overlays.is_overlay(pred.result)
    if drawn:  # the boxes or masks, as the video shows them
        painter = QPainter(img)
        overlays.paint(painter, pred.result, overlays.Mapping(), font_px=max(12, h // 30))
        painter.end()
    if pred is not None and (pred.top or drawn):
        text = f" {overlays.summary(pred.result) if drawn else f'{pred.label}  {pred.score * 100:.0f}%'} "
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
        if drawn and isinstance(pred.result, Segmentation):  # the mask's legend under the label
            overlays.paint_legend(painter, pred.result, QPointF(box.left(), box.bottom() + 4), max(12, h // 30))
        painter.end()
    return img


def save_png(img: QImage, path: str | Path | None = None) -> Path:
    """Save ``img`` to ``path`` (default: a new snapshot file in the default folder)."""
    if path is None:
        path = timestamped("snapshot", ".png", "%Y%m%d-%H%M%S-%f")
        path.parent.mkdir(parents=True, exist_ok=True)
    path = Path(path)

    def write(tmp: Path) -> None:
        if not img.save(str(tmp), "PNG"):
            raise OSError(f"Qt could not write {tmp.name}")

    try:
        return replace_with(path, write)  # a temporary file renamed into place: never half a PNG
    except LivePredictError as e:
        raise LivePredictError(f"Could not save the snapshot to {path}; check that the folder is writable.",
                               e.details) from None


class PredictionRecorder:
    """Appends every prediction to a CSV file (``RECORD_COLUMNS``) until ``close()``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LivePredictError(f"Cannot write {self.path} ({e.strerror}); pick another file.") from None
        # every row reaches a temporary file at once; it becomes the recording when recording stops
        self._writer = CsvRows(self.path)
        self._writer.row(RECORD_COLUMNS)
        self.rows = 0

    def write(self, p: Prediction) -> None:
        top = ";".join(f"{lbl}:{s:.4f}" for lbl, s in p.top)
        head = (p.frame_index, f"{p.capture_ts:.6f}", f"{p.infer_start_ts:.6f}", f"{p.infer_end_ts:.6f}",
                f"{p.preprocess_ms:.3f}", f"{p.infer_ms:.3f}")
        found = record_rows(p.result)
        if found is None:
            self._writer.row((*head, p.label, f"{p.score:.6f}", top, "", "", "", ""))
        for label, score, box in found or ():  # one row per detection (or per class of a mask)
            corners = [f"{v:.1f}" for v in box] if box is not None else ["", "", "", ""]
            self._writer.row((*head, label, f"{score:.6f}", top, *corners))
        self.rows += 1

    def close(self) -> str:
        """Put the recording in place; '' or the sentence saying why it could not be (rows are kept)."""
        try:
            self._writer.close()
        except LivePredictError as e:
            return str(e)
        return ""
