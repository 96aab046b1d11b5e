"""Drawing a detector's boxes and a segmenter's masks over a picture (cards, tensor preview, live
video, snapshots).

One layer of its own, drawn on top of the picture: a heatmap layer can sit beside it. Results are
in the original picture's pixels (``core.geometry`` mapped them back); a :class:`Mapping` takes
original pixels to the pixels painted on (a thumbnail, a widget, the model input). Class colours
come from the Okabe-Ito palette (told apart with the common colour-vision deficiencies); a class
keeps its colour in the detector and the segmenter (the segmenter's background is not drawn).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject

from livepredict.core.geometry import Placement
from livepredict.core.types import Detections, Segmentation

# Okabe & Ito (2008), black left out (boxes on dark video), then two greys for more classes.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999",
           "#DDDDDD")
MASK_ALPHA = 110  # of 255: the picture stays visible under the mask


def class_colour(i: int) -> QColor:
    return QColor(PALETTE[int(i) % len(PALETTE)])


def _seg_colour_index(seg: Segmentation, k: int) -> int:
    return k - 1 if seg.background == 0 else k


def is_overlay(result: object) -> bool:
    """True for results this layer draws (boxes or masks)."""
    return isinstance(result, Detections | Segmentation)


@dataclass(frozen=True)
class Mapping:
    """target = offset + scale * original, per axis (x, y)."""

    sx: float = 1.0
    sy: float = 1.0
    ox: float = 0.0
    oy: float = 0.0

    @classmethod
    def fit(cls, image_size: tuple[int, int], target: QRectF) -> Mapping:
        """The whole original picture (h, w) stretched onto ``target``."""
        h, w = image_size
        return cls(target.width() / max(w, 1), target.height() / max(h, 1), target.left(), target.top())

    @classmethod
    def to_model(cls, where: Placement, target: QRectF) -> Mapping:
        """Original pixels onto the model input drawn at ``target`` (the tensor preview)."""
        mh, mw = where.model
        kx, ky = target.width() / max(mw, 1), target.height() / max(mh, 1)
        sx, sy = where.scale
        return cls(kx / sx, ky / sy, target.left() + kx * (where.pad[0] - where.crop[0] / sx),
                   target.top() + ky * (where.pad[1] - where.crop[1] / sy))

    def rect(self, box) -> QRectF:
        x0, y0, x1, y1 = (float(v) for v in box)
        return QRectF(self.ox + self.sx * x0, self.oy + self.sy * y0, self.sx * (x1 - x0), self.sy * (y1 - y0))


def summary(result: object) -> str:
    """One line naming what was found: "3 circle, 1 square" or "circle 12%, square 3%"."""
    if isinstance(result, Detections):
        counts = result.counts()
        if not counts:
            return "nothing found"
        return ", ".join(f"{n} {lbl}" for lbl, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    if isinstance(result, Segmentation):
        top = result.top
        return ", ".join(f"{lbl} {f * 100:.0f}%" for lbl, f in top[:4]) if top else "only background"
    return ""


def paint(p: QPainter, result: object, where: Mapping, clip: QRectF | None = None, labels: bool = True,
          font_px: float = 12.0) -> None:
    """Draw ``result`` (Detections or Segmentation; anything else is ignored) with ``where``."""
    if not is_overlay(result):
        return
    p.save()
    if clip is not None:
        p.setClipRect(clip)
    if isinstance(result, Segmentation):
        paint_mask(p, result, where)
    elif isinstance(result, Detections):
        paint_boxes(p, result, where, labels, font_px)
    p.restore()


def paint_boxes(p: QPainter, det: Detections, where: Mapping, labels: bool = True, font_px: float = 12.0,
                line: float = 2.0) -> None:
    """A rectangle per item in its class colour, with "label 97%" on a tab above it."""
    font = QFont()
    font.setPixelSize(max(7, int(round(font_px))))
    font.setBold(True)
    fm = QFontMetricsF(font)
    p.setFont(font)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    for d in det.items:
        colour = class_colour(d.class_id)
        r = where.rect(d.box)
        pen = QPen(colour, line)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(r)
        if not labels:
            continue
        text = f"{d.label} {d.score * 100:.0f}%"
        tw, th = fm.horizontalAdvance(text) + 6, fm.height() + 2
        top = r.top() - th if r.top() - th >= 0 else r.top()  # inside the box at the picture's top edge
        tab = QRectF(r.left() - line / 2, top, tw, th)
        p.fillRect(tab, colour)
        p.setPen(QColor("#000000") if colour.lightness() > 110 else QColor("#ffffff"))
        p.drawText(tab, Qt.AlignmentFlag.AlignCenter, text)


_mask_cache: dict[int, tuple[Segmentation, QImage]] = {}


def mask_image(seg: Segmentation) -> QImage:
    """The class map as a translucent ARGB picture in the original's pixels (background clear);
    the last few are cached, so a display timer repainting one result converts it once."""
    hit = _mask_cache.get(id(seg))
    if hit is not None and hit[0] is seg:
        return hit[1]
    n = max(len(seg.labels), int(seg.mask.max(initial=0)) + 1)
    lut = np.zeros((n, 4), np.uint8)  # BGRA, as Format_ARGB32 lays it out in memory
    for k in range(n):
        if k == seg.background:
            continue
        c = class_colour(_seg_colour_index(seg, k))
        lut[k] = (c.blue(), c.green(), c.red(), MASK_ALPHA)
    argb = np.ascontiguousarray(lut[np.asarray(seg.mask, np.int64).clip(0, n - 1)])
    h, w = argb.shape[:2]
    img = QImage(argb.data, w, h, 4 * w, QImage.Format.Format_ARGB32).copy()  # own the pixels
    if len(_mask_cache) >= 8:
        _mask_cache.pop(next(iter(_mask_cache)))
    _mask_cache[id(seg)] = (seg, img)
    return img


def paint_mask(p: QPainter, seg: Segmentation, where: Mapping) -> None:
    h, w = seg.mask.shape[:2]
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    p.drawImage(where.rect((0, 0, w, h)), mask_image(seg))


def legend_entries(seg: Segmentation) -> list[tuple[str, QColor, float]]:
    """(label, colour, fraction) of every class present, background left out, biggest first."""
    out = [(lbl, class_colour(_seg_colour_index(seg, k)), float(f))
           for k, (lbl, f) in enumerate(zip(seg.labels, seg.fractions, strict=False))
           if k != seg.background and f > 0]
    return sorted(out, key=lambda e: -e[2])


def paint_legend(p: QPainter, seg: Segmentation, at: QPointF, font_px: float = 12.0, limit: int = 6) -> None:
    """Swatch, label and share of the picture per class present, stacked down from ``at``."""
    entries = legend_entries(seg)[:limit]
    if not entries:
        return
    font = QFont()
    font.setPixelSize(max(7, int(round(font_px))))
    fm = QFontMetricsF(font)
    rows = [f"{lbl} {f * 100:.0f}%" for lbl, _, f in entries]
    sw = fm.height() * 0.8
    width = max(fm.horizontalAdvance(t) for t in rows) + sw + 14
    height = len(rows) * (fm.height() + 2) + 6
    p.save()
    p.setFont(font)
    p.fillRect(QRectF(at.x(), at.y(), width, height), QColor(0, 0, 0, 150))
    y = at.y() + 3
    for (_, colour, _), text in zip(entries, rows, strict=True):
        p.fillRect(QRectF(at.x() + 4, y + (fm.height() - sw) / 2, sw, sw), colour)
        p.setPen(QColor("#ffffff"))
        p.drawText(QRectF(at.x() + sw + 9, y, width, fm.height()),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        y += fm.height() + 2
    p.restore()


class OverlayItem(QGraphicsObject):
    """The layer over a video frame in a graphics view whose scene units are the frame's pixels
    (``plots.VideoView``): boxes or masks of the result set last, lines and text at a constant
    size on screen. Repaints only when ``set_result`` gets another result or the frame size changes."""

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.result: object = None
        self._size = (0, 0)  # (h, w) of the frame
        self.setZValue(5)  # over the frame, under the label text

    def set_result(self, result: object, frame_size: tuple[int, int]) -> None:
        result = result if is_overlay(result) else None
        if result is self.result and frame_size == self._size:
            return
        if frame_size != self._size:
            self.prepareGeometryChange()
            self._size = frame_size
        self.result = result
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(0, 0, self._size[1], self._size[0])

    def paint(self, p: QPainter, option: Any, widget: Any = None) -> None:
        if self.result is None:
            return
        k = max(abs(p.transform().m11()), 1e-6)  # screen pixels per frame pixel
        size = result_size(self.result)
        where = Mapping.fit(size, QRectF(0, 0, self._size[1], self._size[0])) if size else Mapping()
        if isinstance(self.result, Detections):
            p.save()
            paint_boxes(p, self.result, where, font_px=13 / k, line=2 / k)
            p.restore()
        elif isinstance(self.result, Segmentation):
            paint(p, self.result, where)
            paint_legend(p, self.result, QPointF(6 / k, 44 / k), font_px=12 / k)


def result_size(result: object) -> tuple[int, int] | None:
    """(height, width) of the picture a result's boxes or mask are in."""
    if isinstance(result, Detections):
        return result.image_size
    if isinstance(result, Segmentation):
        return int(result.mask.shape[0]), int(result.mask.shape[1])
    return None
