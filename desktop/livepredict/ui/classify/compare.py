"""Classify cards for compared models: every compared model's top-k beside the main model's, the
cards where the models' best labels differ marked, and a filter that shows only those.

``CompareCards`` sends every picture the Classify tab classifies to each compared model's slot as
well (``controller.classify(items, top_k, slot)``), keeps their answers by picture, and paints them
as extra columns of the card (``CardDelegate.extra_w`` / ``extra_paint``). Labels are matched by
name (case-insensitive) across models.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QRectF, Qt, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter

from livepredict.threads.engine.payloads import ImageResult
from livepredict.ui import theme
from livepredict.ui.classify.bars import ROW_H, paint_score_row

COLUMN_W = 190


def _best(prediction: Any) -> str:
    return prediction.top[0][0].casefold() if prediction is not None and prediction.top else ""


class CompareCards(QObject):
    """The compared models' answers on the Classify tab's cards (``panel``: the ClassifyPanel)."""

    def __init__(self, panel: Any, compare: Any) -> None:
        super().__init__(panel)
        self.panel = panel
        self.compare = compare  # ui.compare_models.CompareModels, or None (no comparing)
        self.controller = panel.controller
        self.jobs: dict[int, tuple[str, int]] = {}  # job id -> (slot, load id)
        self.answers: dict[str, dict[str, ImageResult]] = {}  # picture key -> slot -> result
        self.rows: dict[str, int] = {}  # picture key -> card row
        self.shown_slots: tuple[str, ...] = ()
        self.box = panel.disagree_box
        self.box.toggled.connect(self.apply_filter)
        self.controller.classification_ready.connect(self.on_result)
        model = panel.model
        model.rowsInserted.connect(self.on_rows)
        model.modelReset.connect(self.on_reset)
        model.layoutChanged.connect(self.on_layout)  # the cards were sorted: rows moved
        panel.delegate.extra_paint = self.paint
        if compare is not None:
            compare.changed.connect(self.on_compare_changed)

    def names(self) -> dict[str, str]:
        return self.compare.names() if self.compare is not None else {}

    # -- requests
    def classify(self, items: list[Any], top_k: int, slots: Any = None) -> list[int]:
        """Send ``items`` to every compared model (or to ``slots``); returns the job ids."""
        jobs = []
        for slot in (slots if slots is not None else self.names()):
            job = self.controller.classify(items, top_k, slot)
            self.jobs[job] = (slot, self.controller.load_id_of(slot))
            jobs.append(job)
        return jobs

    @Slot()
    def on_compare_changed(self) -> None:
        slots = tuple(self.names())
        new = [s for s in slots if s not in self.shown_slots]
        self.shown_slots = slots
        for answers in self.answers.values():  # answers of models no longer compared are dropped
            for s in [s for s in answers if s not in slots]:
                answers.pop(s)
        self.panel.delegate.extra_w = COLUMN_W * len(slots)
        self.box.setVisible(bool(slots))
        self.panel.view.doItemsLayout()
        items = [c.source for c in self.panel.model.cards if c.source is not None]
        if new and items:
            self.classify(items, self.panel.top_k(), new)
        self.apply_filter()

    # -- results
    @Slot(object)
    def on_result(self, r: ImageResult) -> None:
        job = self.jobs.get(r.job_id)
        if job is None or r.slot != job[0] or r.load_id != job[1]:
            return
        self.answers.setdefault(r.path, {})[r.slot] = r
        row = self.rows.get(r.path)
        if row is not None:
            index = self.panel.model.index(row)
            self.panel.model.dataChanged.emit(index, index)
            self._filter_row(row)

    @Slot(QModelIndex, int, int)
    def on_rows(self, parent: QModelIndex, first: int, last: int) -> None:
        cards = self.panel.model.cards
        for row in range(first, last + 1):
            self.rows[cards[row].key] = row
            self._filter_row(row)

    @Slot()
    def on_layout(self) -> None:
        self.rows = {card.key: row for row, card in enumerate(self.panel.model.cards)}

    @Slot()
    def on_reset(self) -> None:
        self.rows.clear()
        if not self.panel.model.cards:
            self.answers.clear()

    def disagrees(self, card: Any) -> bool:
        """True when a compared model's best label differs from the main model's (by name)."""
        mine = _best(card.prediction)
        others = self.answers.get(card.key, {})
        return any(_best(r.prediction) != mine for s, r in others.items() if s in self.shown_slots)

    def _filter_row(self, row: int) -> None:
        card = self.panel.model.cards[row]
        self.panel.view.setRowHidden(row, not self.panel.card_visible(card))  # with the panel's own filter

    @Slot()
    def apply_filter(self) -> None:
        for row in range(len(self.panel.model.cards)):
            self._filter_row(row)

    # -- painting (called by CardDelegate.paint for each card)
    def paint(self, p: QPainter, rect: QRectF, card: Any, top_k: int, font: QFont) -> None:
        c = theme.current()
        names = self.names()
        answers = self.answers.get(card.key, {})
        mine = _best(card.prediction)
        bold = QFont(font)
        bold.setBold(True)
        for i, (slot, name) in enumerate(names.items()):
            x = rect.left() + i * COLUMN_W
            w = COLUMN_W - 12
            p.setPen(QColor(c.card_border))
            p.drawLine(int(x), int(rect.top() + 8), int(x), int(rect.bottom() - 8))
            r = answers.get(slot)
            differs = r is not None and _best(r.prediction) != mine
            p.setFont(bold)
            p.setPen(QColor(c.error if differs else c.muted))
            head = ("≠ " if differs else "") + name
            p.drawText(QRectF(x + 8, rect.top() + 10, w, ROW_H), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       QFontMetrics(bold).elidedText(head, Qt.TextElideMode.ElideMiddle, int(w)))
            y = rect.top() + 10 + ROW_H + 8
            p.setFont(font)
            if r is None:
                p.setPen(QColor(c.muted))
                p.drawText(QRectF(x + 8, y, w, ROW_H), Qt.AlignmentFlag.AlignLeft, "…")
                continue
            if r.error or r.prediction is None:
                p.setPen(QColor(c.error))
                p.drawText(QRectF(x + 8, y, w, rect.bottom() - y - 8),
                           int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap), r.error or "no answer")
                continue
            self._bars(p, QRectF(x + 8, y, w, ROW_H * top_k), r.prediction.top[:top_k], font, bold, mine)

    @staticmethod
    def _bars(p: QPainter, area: QRectF, top: Any, font: QFont, bold: QFont, mine: str) -> None:
        c = theme.current()
        fm = QFontMetrics(font)
        label_w = area.width() * 0.42
        pct_w = float(fm.horizontalAdvance("100%") + 4)
        bar_x = area.left() + label_w + 4
        bar_w = max(10.0, area.width() - label_w - pct_w - 8)
        for i, (label, score) in enumerate(top):
            first = i == 0
            paint_score_row(p, bold if first else font, area.top() + i * ROW_H, area.left(), label_w, bar_x, bar_w,
                            pct_w, label, score, first, c.error if first and label.casefold() != mine else None, 0)
