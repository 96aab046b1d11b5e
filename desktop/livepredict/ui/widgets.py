"""Small shared widgets and helpers (no engine imports)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from livepredict.ui import theme


def qimage_from_rgb(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of an RGB (or gray) uint8 array."""
    a = np.ascontiguousarray(rgb)
    if a.ndim == 2:
        a = np.ascontiguousarray(np.repeat(a[:, :, None], 3, axis=2))
    if a.shape[2] == 1:
        a = np.ascontiguousarray(np.repeat(a, 3, axis=2))
    if a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    h, w = a.shape[:2]
    return QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def pixmap_from_rgb(rgb: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(qimage_from_rgb(rgb))


def rgb_from_qimage(img: QImage) -> np.ndarray:
    """RGB uint8 HxWx3 copy of a QImage (e.g. pasted from the clipboard)."""
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : w * 3].reshape(h, w, 3).copy()


def format_ms(ms: float | None) -> str:
    if ms is None:
        return "–"
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 100:
        return f"{ms:.1f} ms"
    return f"{ms:.0f} ms"


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    m, s = divmod(int(seconds), 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


class SteadyText(QWidget):
    """A line (or a few) of muted text that changes often (progress, counts, stats) and never asks the
    window for a new layout: a QLabel's ``setText`` does, and the relayout repaints every widget of
    the window (during a folder, ten times a second). The text is cut at the right with "…" when
    the row is narrow, whole in the tooltip; ``template`` sets the width the row plans for it;
    ``right`` aligns it to the right of that width (beside the buttons that follow it). With
    ``lines`` > 1 the text wraps at word boundaries within that many lines (the height stays put)."""

    def __init__(self, template: str = "", parent: QWidget | None = None, *, right: bool = False,
                 lines: int = 1) -> None:
        super().__init__(parent)
        self._text = ""
        self._template = template
        self._lines = max(1, int(lines))
        self._align = Qt.AlignmentFlag.AlignVCenter | (Qt.AlignmentFlag.AlignRight if right
                                                       else Qt.AlignmentFlag.AlignLeft)
        if self._lines > 1:
            self._align = (self._align & ~Qt.AlignmentFlag.AlignVCenter) | Qt.AlignmentFlag.AlignTop
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 - the QLabel spelling its callers use
        if text != self._text:
            self._text = text
            self.setToolTip(text)
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(self.fontMetrics().horizontalAdvance(self._template) + 4, self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(0, self._height())

    def _height(self) -> int:
        fm = self.fontMetrics()
        return fm.height() + (self._lines - 1) * fm.lineSpacing() + 4

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        if not self._text:
            return
        p = QPainter(self)
        p.setPen(QColor(theme.current().muted))
        r = self.rect().adjusted(2, 0, -2, 0)
        if self._lines > 1:  # wrapped; what does not fit in the lines is clipped (whole in the tooltip)
            p.drawText(r.adjusted(0, 2, 0, 0), int(self._align | Qt.TextFlag.TextWordWrap), self._text)
        else:
            p.drawText(r, int(self._align),
                       self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, r.width()))
        p.end()


class BarChart(QWidget):
    """Horizontal bars with a value label, painted with QPainter (cheap, themable)."""

    def __init__(self, parent: QWidget | None = None, unit: str = "ms", row_h: int = 30) -> None:
        super().__init__(parent)
        self.row_h = int(row_h)
        self._items: list[tuple[str, float]] = []
        self._highlight: str | None = None
        self.unit = unit
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_items(self, items: Sequence[tuple[str, float]], highlight: str | None = None) -> None:
        self._items = [(str(k), float(v)) for k, v in items]
        self._highlight = highlight
        self.setFixedHeight(max(40, self.row_h * len(self._items) + 12))
        self.update()

    def items(self) -> list[tuple[str, float]]:
        return list(self._items)

    def sizeHint(self) -> QSize:
        return QSize(360, max(40, self.row_h * len(self._items) + 12))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        c = theme.current()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self._items:
            p.setPen(QColor(c.muted))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No figures yet")
            p.end()
            return
        fm = p.fontMetrics()
        label_w = max(fm.horizontalAdvance(k) for k, _ in self._items) + 12
        value_w = max(fm.horizontalAdvance(self._fmt(v)) for _, v in self._items) + 12
        vmax = max(v for _, v in self._items) or 1.0
        bar_w = max(10.0, self.width() - label_w - value_w - 8)
        y = 6.0
        for k, v in self._items:
            p.setPen(QColor(c.text))
            text_h, bar_h = self.row_h - 6, min(14, self.row_h - 10)
            bar_y = y + (text_h - bar_h) / 2
            p.drawText(QRectF(0, y, label_w - 8, text_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, k)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(c.bar_bg))
            p.drawRoundedRect(QRectF(label_w, bar_y, bar_w, bar_h), 4, 4)
            p.setBrush(QColor(c.accent if k == self._highlight else c.bar_other))
            p.drawRoundedRect(QRectF(label_w, bar_y, max(3.0, bar_w * v / vmax), bar_h), 4, 4)
            p.setPen(QColor(c.text))
            f = QFont(p.font())
            f.setBold(k == self._highlight)
            p.setFont(f)
            p.drawText(QRectF(label_w + bar_w + 8, y, value_w, text_h), Qt.AlignmentFlag.AlignVCenter, self._fmt(v))
            p.setFont(self.font())
            y += self.row_h
        p.end()

    def _fmt(self, v: float) -> str:
        if self.unit == "ms":
            return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms"
        if self.unit == "%":
            return f"{v:.1f}%"  # as the cards write a score
        return f"{v:g} {self.unit}"


class DropZone(QWidget):
    """The empty state of a panel: a dashed, rounded drop target with a title and a hint."""

    def __init__(self, title: str, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.hint = hint
        self.active = False
        self.setObjectName("DropZone")
        self.setMinimumHeight(160)

    def set_active(self, on: bool) -> None:
        if on != self.active:
            self.active = on
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        from PySide6.QtGui import QPen

        c = theme.current()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        pen = QPen(QColor(c.accent if self.active else c.card_border), 2, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(QColor(c.accent_soft) if self.active else Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(r, 14, 14)
        # a simple "image" glyph: a framed picture with a mountain and a sun
        cx, cy = r.center().x(), r.center().y() - 46
        g = QRectF(cx - 34, cy - 26, 68, 52)
        p.setPen(QPen(QColor(c.accent if self.active else c.muted), 3))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(g, 8, 8)
        from PySide6.QtCore import QPointF
        from PySide6.QtGui import QPolygonF

        p.drawPolyline(QPolygonF([QPointF(g.left() + 8, g.bottom() - 9), QPointF(g.left() + 26, g.top() + 24),
                                  QPointF(g.left() + 40, g.bottom() - 16), QPointF(g.left() + 48, g.top() + 30),
                                  QPointF(g.right() - 8, g.bottom() - 9)]))
        p.drawEllipse(QPointF(g.right() - 16, g.top() + 14), 5, 5)
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() * 1.45)
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor(c.text))
        p.drawText(QRectF(r.left(), cy + 40, r.width(), 34), Qt.AlignmentFlag.AlignCenter, self.title)
        p.setFont(self.font())
        p.setPen(QColor(c.muted))
        p.drawText(QRectF(r.left() + 20, cy + 78, r.width() - 40, 60),
                   int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop) | int(Qt.TextFlag.TextWordWrap),
                   self.hint)
        p.end()
