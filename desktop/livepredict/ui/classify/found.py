"""What Classify shows of a detector or segmenter: the Score and IoU threshold controls (they
re-filter every card's candidates at once, without running the model again), the card's rows
(detections per class, or the share of the picture per class) and the boxes or masks over the
thumbnail and the tensor preview (``ui.overlays``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from livepredict.core.boxes import refilter
from livepredict.core.geometry import placement
from livepredict.core.types import Detections, PreprocessSpec, Segmentation
from livepredict.ui import overlays

DEFAULT_SCORE, DEFAULT_IOU = 0.25, 0.45


class Thresholds(QWidget):
    """Score and IoU spin boxes; ``shown(result)`` is the result at the thresholds set.

    Signals:
        changed(): a threshold moved (repaint the cards).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.score_spin = self._spin(DEFAULT_SCORE, "Boxes scored below this are not drawn")
        self.iou_spin = self._spin(DEFAULT_IOU, "Boxes of one class overlapping a better one by more than "
                                                "this (intersection over union) are not drawn")
        for text, spin in (("Score", self.score_spin), ("IoU", self.iou_spin)):
            lay.addWidget(QLabel(text))
            lay.addWidget(spin)
        self._cache: dict[int, tuple[Detections, tuple[float, float], Detections]] = {}

    def _spin(self, value: float, tip: str) -> QDoubleSpinBox:
        s = QDoubleSpinBox()
        s.setRange(0.0, 1.0)
        s.setSingleStep(0.05)
        s.setDecimals(2)
        s.setValue(value)
        s.setToolTip(tip)
        s.valueChanged.connect(self._on_changed)
        return s

    @property
    def values(self) -> tuple[float, float]:
        return float(self.score_spin.value()), float(self.iou_spin.value())

    def set_values(self, score: float, iou: float) -> None:
        self.score_spin.setValue(score)
        self.iou_spin.setValue(iou)

    @Slot()
    def _on_changed(self, *_: Any) -> None:
        self._cache.clear()
        self.changed.emit()

    def shown(self, result: Any) -> Any:
        """Detections re-filtered at the current thresholds (cached per result); others unchanged."""
        if not isinstance(result, Detections):
            return result
        key = id(result)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is result and hit[1] == self.values:
            return hit[2]
        out = refilter(result, *self.values)
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[key] = (result, self.values, out)
        return out


def card_rows(result: Any, top: tuple[tuple[str, float], ...]) -> list[tuple[str, float, QColor | None]]:
    """(row label, bar value 0..1, bar colour) for a card: "3 circle" with its best score per class
    for detections, the share of the picture per class for masks (both in the class's colour: the
    card's legend), the top-k scores otherwise (the theme's colours)."""
    if isinstance(result, Detections):
        counts = result.counts()
        best = dict(result.top)
        ids = {d.label: d.class_id for d in result.items}
        return [(f"{n} {lbl}", best.get(lbl, 0.0), overlays.class_colour(ids[lbl]))
                for lbl, n in sorted(counts.items(), key=lambda kv: (-kv[1], -best.get(kv[0], 0.0)))]
    if isinstance(result, Segmentation):
        return [(lbl, f, colour) for lbl, colour, f in overlays.legend_entries(result)]
    return [(lbl, s, None) for lbl, s in top]


def paint_on_thumb(p: QPainter, result: Any, target: QRectF) -> None:
    """Boxes or masks over a thumbnail drawn at ``target`` (the whole picture, aspect kept)."""
    size = overlays.result_size(result)
    if size is not None:
        overlays.paint(p, result, overlays.Mapping.fit(size, target), clip=target, labels=False)


def preview_pixmap(tensor_rgb: Any, result: Any, spec: PreprocessSpec | None, side: int) -> QPixmap:
    """The tensor preview scaled to ``side`` px (nearest: each tensor pixel stays visible) with the
    result's boxes or masks drawn where they fall in the model input (through the resize's
    placement, e.g. inside the letterbox)."""
    from livepredict.ui.widgets import pixmap_from_rgb

    pm = pixmap_from_rgb(tensor_rgb).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation)
    size = overlays.result_size(result)
    if size is None or spec is None:
        return pm
    th, tw = int(tensor_rgb.shape[0]), int(tensor_rgb.shape[1])
    where = placement(size, spec.size or (th, tw), spec.resize)
    target = QRectF(0, 0, pm.width(), pm.height())
    p = QPainter(pm)
    overlays.paint(p, result, overlays.Mapping.to_model(where, target), clip=target, font_px=11)
    p.end()
    return pm
