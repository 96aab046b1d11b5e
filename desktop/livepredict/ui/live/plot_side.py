"""The Live tab's right side: the confidence plot and its controls (how many classes, which ones,
smoothing, threshold)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from livepredict.ui.plots import ConfidencePlot

MAX_LISTED = 200


def score_labels(labels: tuple[str, ...], n: int, output_kind: str) -> tuple[str, ...]:
    """Names for the ``n`` display scores of a prediction (mirrors the engine's decoding)."""
    if n == 2 and (output_kind in ("sigmoid-binary", "logits") and len(labels) < 2):
        return (f"not {labels[0]}", labels[0]) if labels else ("class 0", "class 1")
    return tuple(labels[:n]) + tuple(f"class {i}" for i in range(len(labels), n))


class ClassesMenu(QMenu):
    """Signals: pinned_changed(object) — a list of class indices, or None for "most confident"."""

    pinned_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def rebuild(self, labels: Sequence[str], pinned: Sequence[int] | None) -> None:
        self.clear()
        auto = QAction("Most confident (automatic)", self)
        auto.setCheckable(True)
        auto.setChecked(pinned is None)
        auto.triggered.connect(self._pin_auto)
        self.addAction(auto)
        self.addSeparator()
        for i, name in enumerate(labels[:MAX_LISTED]):
            act = QAction(name, self)
            act.setCheckable(True)
            act.setChecked(pinned is not None and i in pinned)
            act.setData(i)
            act.triggered.connect(self._pin_changed)
            self.addAction(act)

    @Slot()
    def _pin_auto(self) -> None:
        self.pinned_changed.emit(None)

    @Slot()
    def _pin_changed(self) -> None:
        chosen = [int(a.data()) for a in self.actions() if a.isCheckable() and a.data() is not None
                  and a.isChecked()]
        self.pinned_changed.emit(chosen or None)


class PlotSide(QFrame):
    """The confidence plot with its controls.

    Signals:
        top_k_changed(int): the user asked for another number of classes.
        redraw_needed(): the classes drawn changed; repaint the plot at the next tick.
    """

    top_k_changed = Signal(int)
    redraw_needed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: tuple[str, ...] = ()
        self.setObjectName("SidePanel")
        rv = QVBoxLayout(self)
        rv.setContentsMargins(10, 8, 10, 8)
        rv.setSpacing(6)
        title = QLabel("Confidence over time")
        title.setObjectName("Title")
        rv.addWidget(title)
        self.plot = ConfidencePlot(top_k=5)
        rv.addWidget(self.plot, 1)
        ctl = QHBoxLayout()
        ctl.setSpacing(6)
        ctl.addWidget(QLabel("Top"))
        self.top_spin = QSpinBox()
        self.top_spin.setRange(1, 10)
        self.top_spin.setValue(5)
        self.top_spin.setToolTip("How many of the most confident classes to draw")
        self.top_spin.valueChanged.connect(self._on_top)
        ctl.addWidget(self.top_spin)
        self.classes_button = QToolButton()
        self.classes_button.setText("Classes…")
        self.classes_button.setToolTip("Choose which classes to draw")
        self.classes_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.classes_menu = ClassesMenu(self.classes_button)
        self.classes_menu.pinned_changed.connect(self.pin_classes)
        self.classes_button.setMenu(self.classes_menu)
        ctl.addWidget(self.classes_button)
        ctl.addSpacing(8)
        ctl.addWidget(QLabel("Smooth"))
        self.smooth_spin = QSpinBox()
        self.smooth_spin.setRange(1, 60)
        self.smooth_spin.setSuffix(" frames")
        self.smooth_spin.setToolTip("Moving average over this many results (1 = off)")
        self.smooth_spin.valueChanged.connect(self.plot.set_smoothing)
        self.smooth_spin.valueChanged.connect(self._on_smooth)
        self._on_smooth(self.smooth_spin.value())
        ctl.addWidget(self.smooth_spin)
        ctl.addSpacing(8)
        self.threshold_box = QCheckBox("Threshold")
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setValue(0.5)
        self.threshold_box.toggled.connect(self._on_threshold)
        self.threshold_spin.valueChanged.connect(self._on_threshold)
        ctl.addWidget(self.threshold_box)
        ctl.addWidget(self.threshold_spin)
        ctl.addStretch(1)
        rv.addLayout(ctl)

    def set_labels(self, labels: tuple[str, ...]) -> None:
        self.labels = labels
        self.plot.set_labels(labels)
        self.classes_menu.rebuild(labels, self.plot.pinned)

    @Slot(int)
    def _on_smooth(self, n: int) -> None:
        self.smooth_spin.setSuffix(" frame (off)" if n == 1 else " frames")

    @Slot(int)
    def _on_top(self, k: int) -> None:
        self.plot.set_top_k(k)
        self.top_k_changed.emit(k)
        self.redraw_needed.emit()

    @Slot()
    def _on_threshold(self, *_: Any) -> None:
        self.plot.set_threshold(self.threshold_spin.value() if self.threshold_box.isChecked() else None)

    @Slot(object)
    def pin_classes(self, indices: list[int] | None) -> None:
        """Draw exactly these classes (None: the most confident ones)."""
        self.plot.set_pinned(indices)
        self.redraw_needed.emit()
        self.classes_menu.rebuild(self.labels, self.plot.pinned)
