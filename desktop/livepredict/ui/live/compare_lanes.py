"""Live comparison: one lane per model (the main one and each compared one) under the video.

The live pipeline hands the same newest frame to every slot (``live_slots``: all of them in the
window, so a model added to compare starts at once); each slot drops its own stale frames. Each lane
shows the model's current best label and score, a strip of its top-1 confidence over the last
frames (coloured where it agrees with the main model), its time per frame, the frames it had no
time for, and its agreement with the main model over the last ``WINDOW`` frames both inferred
(matched by frame index, labels by name). Results are only stored when they arrive; the lanes are
repainted by the panel's display timer (a few times a second).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Slot
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QVBoxLayout, QWidget

from livepredict.threads.engine.compare import ALL_SLOTS
from livepredict.threads.engine.payloads import MAIN
from livepredict.ui import theme

WINDOW = 100  # frames over which the agreement rate is measured
STRIP = 120  # frames in a lane's confidence strip
EVERY = 6  # display ticks between repaints (~10 Hz)
NAME_W, BEST_W, TAIL_W = 130, 110, 190  # lane columns (px): model, best label, timing and agreement


def live_slots(context: Any) -> tuple[str, ...]:
    """The slots the live pipeline feeds: every slot in the window (models can be added to compare)."""
    return ALL_SLOTS if getattr(context, "compare", None) is not None else (MAIN,)


class Lane(QWidget):
    """One model's lane (painted from the owner's buffers)."""

    def __init__(self, owner: CompareLanes, slot: str) -> None:
        super().__init__()
        self.owner, self.slot = owner, slot
        self.setFixedHeight(26)

    def tail_text(self) -> str:
        """The lane's figures: time per frame, agreement with the main model, frames skipped."""
        o = self.owner
        ms = o.ms.get(self.slot)
        tail = f"{ms:.1f} ms" if ms is not None else ""
        if self.slot != MAIN:
            agree = o.agreement(self.slot)
            tail += f" · agrees {agree:.0%}" if agree is not None else " · agrees –"
        dropped = o.dropped(self.slot)
        if dropped:
            tail += f" · {dropped:,} skipped"
        return tail

    def columns(self, fm: QFontMetrics, tail: str) -> tuple[QRectF, QRectF]:
        """(confidence strip, figures) rectangles: the figures take the width their text needs (at
        least TAIL_W, at most half the lane) and the strip gives way, so no figure is cut off."""
        r = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        tail_w = float(max(TAIL_W, min(fm.horizontalAdvance(tail) + 8, int(r.width() / 2))))
        left = r.left() + NAME_W + BEST_W
        strip = QRectF(left, r.top() + 4, max(20.0, r.width() - NAME_W - BEST_W - tail_w - 8), r.height() - 8)
        return strip, QRectF(r.right() - tail_w, r.top(), tail_w, r.height())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        o = self.owner
        c = theme.current()
        p = QPainter(self)
        r = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        p.setPen(QColor(c.text))
        name = o.name(self.slot)
        recent = o.recent[self.slot]
        best = f"{recent[-1][1]} {recent[-1][2]:.0%}" if recent else "–"
        p.drawText(QRectF(r.left(), r.top(), NAME_W, r.height()), Qt.AlignmentFlag.AlignVCenter,
                   p.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, NAME_W - 4))
        p.drawText(QRectF(r.left() + NAME_W, r.top(), BEST_W, r.height()), Qt.AlignmentFlag.AlignVCenter,
                   p.fontMetrics().elidedText(best, Qt.TextElideMode.ElideRight, BEST_W - 4))
        tail = self.tail_text()
        p.setPen(QColor(c.muted))
        strip, tail_rect = self.columns(p.fontMetrics(), tail)
        p.drawText(tail_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                   p.fontMetrics().elidedText(tail, Qt.TextElideMode.ElideLeft, int(tail_rect.width())))
        p.fillRect(strip, QColor(c.bar_bg))
        pts = list(recent)[-STRIP:]
        if len(pts) > 1:
            main_of = o.main_labels()
            step = strip.width() / (STRIP - 1)
            poly = QPolygonF([QPointF(strip.left() + i * step, strip.bottom() - s * strip.height())
                              for i, (_, _, s) in enumerate(pts)])
            p.setPen(QPen(QColor(c.accent), 1))
            p.drawPolyline(poly)
            if self.slot != MAIN:  # mark the frames where this model's best label differs from the main one's
                p.setPen(QPen(QColor(c.error), 2))
                for i, (frame, label, _) in enumerate(pts):
                    other = main_of.get(frame)
                    if other is not None and other != label.casefold():
                        x = strip.left() + i * step
                        p.drawLine(QPointF(x, strip.bottom()), QPointF(x, strip.bottom() - 4))
        p.end()


class CompareLanes(QWidget):
    """The lanes (hidden until a model is compared); fed by ``pipeline.slot_prediction_ready``."""

    def __init__(self, pipeline: Any, context: Any, row: Any = None, display: Any = None) -> None:
        super().__init__()
        self.pipeline, self.compare = pipeline, getattr(context, "compare", None)
        self.recent: dict[str, deque[tuple[int, str, float]]] = {s: deque(maxlen=max(WINDOW, STRIP) * 2)
                                                                 for s in pipeline.slots}
        self.ms: dict[str, float] = {}
        self.lanes: dict[str, Lane] = {}
        self._ticks = 0
        QVBoxLayout(self).setContentsMargins(0, 0, 0, 0)
        self.setVisible(False)
        if row is not None:
            row.addWidget(self)
        pipeline.slot_prediction_ready.connect(self.on_prediction)
        if display is not None:
            display.timeout.connect(self.tick)
        if self.compare is not None:
            self.compare.changed.connect(self.rebuild)
            self.rebuild()  # models may have been added before the Live tab was first shown

    def name(self, slot: str) -> str:
        if slot == MAIN:
            path = self.pipeline.controller.model_path
            return path.rsplit("/", 1)[-1] if path else "main model"
        return self.compare.names().get(slot, slot) if self.compare is not None else slot

    def dropped(self, slot: str) -> int:
        return self.pipeline.dropped(slot) if slot in self.pipeline.mailboxes else 0

    @Slot()
    def rebuild(self) -> None:
        shown = [MAIN, *self.compare.names()] if self.compare is not None else [MAIN]
        shown = [s for s in shown if s in self.recent]
        for slot in list(self.lanes):
            if slot not in shown:
                self.lanes.pop(slot).deleteLater()
                self.recent[slot].clear()
        for slot in shown:
            if slot not in self.lanes:
                self.lanes[slot] = Lane(self, slot)
                self.layout().addWidget(self.lanes[slot])
        self.setVisible(len(shown) > 1)

    @Slot(str, object)
    def on_prediction(self, slot: str, pred: Any) -> None:
        """Store only (the display timer repaints)."""
        if slot not in self.recent or not pred.top:
            return
        self.recent[slot].append((int(pred.frame_index), pred.top[0][0], float(pred.top[0][1])))
        ms = pred.preprocess_ms + pred.infer_ms
        old = self.ms.get(slot)
        self.ms[slot] = ms if old is None else 0.9 * old + 0.1 * ms

    def main_labels(self) -> dict[int, str]:
        return {f: label.casefold() for f, label, _ in self.recent.get(MAIN, ())}

    def agreement(self, slot: str) -> float | None:
        """Share of the last ``WINDOW`` frames both this slot and the main one inferred where their best
        labels are the same (None before any such frame)."""
        main_of = self.main_labels()
        both = [label.casefold() == main_of[f] for f, label, _ in self.recent.get(slot, ()) if f in main_of]
        both = both[-WINDOW:]
        return sum(both) / len(both) if both else None

    @Slot()
    def tick(self) -> None:
        self._ticks += 1
        if not self.isHidden() and self._ticks % EVERY == 0:
            for lane in self.lanes.values():
                lane.update()
