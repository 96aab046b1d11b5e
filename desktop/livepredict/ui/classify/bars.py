"""One row of a card's top-k: the label, its score bar and the percentage (the main model's column and
each compared model's column paint the same rows)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter

from livepredict.ui import theme

ROW_H = 20


def paint_score_row(p: QPainter, font: QFont, y: float, x: float, label_w: float, bar_x: float, bar_w: float,
                    pct_w: float, label: str, score: float, first: bool, label_colour: str | None = None,
                    decimals: int = 1, bar_colour: QColor | None = None, pct_colour: str | None = None) -> None:
    c = theme.current()
    p.setFont(font)
    p.setPen(QColor(label_colour or (c.text if first else c.muted)))
    p.drawText(QRectF(x, y, label_w, ROW_H - 4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               QFontMetrics(font).elidedText(label, Qt.TextElideMode.ElideRight, int(label_w)))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(c.bar_bg))
    br = QRectF(bar_x, y + 4, bar_w, ROW_H - 12)
    p.drawRoundedRect(br, 4, 4)
    s = min(1.0, max(0.0, float(score)))
    if s > 0:
        p.setBrush(bar_colour or QColor(c.accent if first else c.bar_other))
        p.drawRoundedRect(QRectF(br.left(), br.top(), max(4.0, bar_w * s), br.height()), 4, 4)
    p.setPen(QColor(pct_colour or (c.text if first else c.muted)))
    p.drawText(QRectF(bar_x + bar_w + 4, y, pct_w, ROW_H - 4), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
               f"{100.0 * s:.{decimals}f}%")
