"""Sorting, filtering and counting the cards, and what "uncertain" means: a row under the Classify
toolbar (Sort, Show, the confidence below which a card is marked uncertain, a count per label)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QWidget

from livepredict.ui.widgets import SteadyText

SORTS = (("Order added", "added"), ("Label", "label"), ("Least confident first", "low"),
         ("Most confident first", "high"), ("Name", "name"))
ALL, UNCERTAIN, ERRORS = "", "\x00uncertain", "\x00errors"


def is_uncertain(card: Any, threshold: float) -> bool:
    return not card.error and bool(card.top) and card.top[0][1] < threshold


def sort_key(mode: str) -> Callable[[Any], Any] | None:
    """The key that orders cards for ``mode`` (None: the order they were added)."""
    def score(c: Any) -> float:
        return c.top[0][1] if c.top and not c.error else -1.0

    return {"label": lambda c: (c.top[0][0] if c.top and not c.error else "\uffff", -score(c), c.name),
            "low": lambda c: (score(c) < 0, score(c), c.name),
            "high": lambda c: (-score(c), c.name),
            "name": lambda c: c.name.lower()}.get(mode)


def shown(card: Any, what: str, threshold: float) -> bool:
    """Does the "Show" choice ``what`` (ALL, UNCERTAIN, ERRORS or a label) keep ``card``?"""
    if what == ALL:
        return True
    if what == UNCERTAIN:
        return is_uncertain(card, threshold)
    if what == ERRORS:
        return bool(card.error)
    return not card.error and bool(card.top) and card.top[0][0] == what


def label_counts(cards: list[Any], threshold: float, most: int = 6) -> str:
    """"circle 3 · star 2 · … · 1 uncertain" over the cards' top labels."""
    counts = Counter(c.top[0][0] for c in cards if not c.error and c.top)
    parts = [f"{label} {n}" for label, n in counts.most_common(most)]
    if len(counts) > most:
        parts.append(f"{len(counts) - most} more labels")
    unsure = sum(1 for c in cards if is_uncertain(c, threshold))
    if unsure:
        parts.append(f"{unsure} uncertain")
    return " · ".join(parts)


def summary_text(cards: list[Any], finished: Any = None) -> str:
    """"600 images · 7.2 ms avg · 2 errors" (and where a cancelled job stopped)."""
    from livepredict.ui.widgets import format_ms

    if not cards:
        return ""
    ok = [c for c in cards if not c.error]
    errs = len(cards) - len(ok)
    text = f"{len(cards)} image{'s' if len(cards) != 1 else ''}"
    if ok:
        text += f" · {format_ms(sum(c.total_ms for c in ok) / len(ok))} avg"
    if errs:
        text += f" · {errs} error{'s' if errs != 1 else ''}"
    if finished is not None and finished.cancelled and finished.total:
        text += f" · cancelled at {finished.done}/{finished.total}"
    return text


class ArrangeBar(QWidget):
    """Signals: changed() — the sort, the filter or the threshold changed."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(QLabel("Sort"))
        self.sort = QComboBox()
        for text, data in SORTS:
            self.sort.addItem(text, data)
        row.addWidget(self.sort)
        row.addSpacing(8)
        row.addWidget(QLabel("Show"))
        self.show_box = QComboBox()
        self.show_box.setMinimumContentsLength(12)
        row.addWidget(self.show_box)
        row.addSpacing(8)
        row.addWidget(QLabel("Uncertain below"))
        self.threshold = QSpinBox()
        self.threshold.setRange(1, 99)
        self.threshold.setValue(80)
        self.threshold.setSuffix("%")
        self.threshold.setToolTip("Cards whose best score is below this are marked uncertain")
        row.addWidget(self.threshold)
        row.addSpacing(8)
        self.counts = SteadyText()  # cut at the row's end, whole on hover; changes as cards arrive
        self.counts.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        row.addWidget(self.counts, 1)
        self.set_labels([])
        for signal in (self.sort.currentIndexChanged, self.show_box.currentIndexChanged, self.threshold.valueChanged):
            signal.connect(self._changed)

    @Slot()
    def _changed(self, *_: Any) -> None:
        self.changed.emit()

    def set_counts(self, text: str) -> None:
        self.counts.setText(text)

    def threshold_value(self) -> float:
        return self.threshold.value() / 100.0

    def sort_mode(self) -> str:
        return str(self.sort.currentData())

    def show_what(self) -> str:
        return str(self.show_box.currentData() or ALL)

    def set_labels(self, labels: list[str]) -> None:
        """The "Show" choices: everything, the uncertain ones, the errors, each label seen."""
        keep = self.show_what() if self.show_box.count() else ALL
        self.show_box.blockSignals(True)
        self.show_box.clear()
        for text, data in (("All", ALL), ("Uncertain", UNCERTAIN), ("Errors", ERRORS)):
            self.show_box.addItem(text, data)
        for label in labels:
            self.show_box.addItem(label, label)
        i = self.show_box.findData(keep)
        self.show_box.setCurrentIndex(max(0, i))
        self.show_box.blockSignals(False)
