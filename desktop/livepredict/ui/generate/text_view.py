"""The Generate tab's text page: sampling settings, Start / Stop / Reset state, the text as it is
made and the top-10 next-token chart.

Tokens are made in the inference thread and arrive as chunks (one per worker slice); the page only
queues them and a display timer paints the text view and the chart at screen pace (ingest apart
from paint). The text view is a QPlainTextEdit with a maximum block count and appends at its end,
so it stays responsive past 100,000 characters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Slot
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from livepredict.ui.widgets import BarChart, SteadyText

MAX_BLOCKS = 20_000  # lines kept in the text view (older lines scroll out)
PAINT_MS = 33
SPEEDS = (("As fast as possible", 0.0), ("2,000 tokens/s", 2000.0), ("300 tokens/s", 300.0),
          ("60 tokens/s", 60.0), ("15 tokens/s", 15.0))
WATCHABLE = 60.0  # the starting speed: a line or so a second, readable as it streams


def token_label(tok: str) -> str:
    """A visible label for a token in the bar chart."""
    names = {" ": "␣ space", "\n": "⏎ newline", "\t": "⇥ tab", "": "∅"}
    if tok in names:
        return names[tok]
    return tok if tok.isprintable() else repr(tok)


class TextPage(QWidget):
    """Text generation with a recurrent model (``controller``: the ``InferenceController``)."""

    def __init__(self, controller: Any, show_message: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.show_message = show_message
        self.ready: Any = None  # GeneratorReady of a text model, else None
        self.run_id = 0
        self.running = False
        self._pending: list[str] = []
        self._dist: tuple[tuple[str, ...], tuple[float, ...]] | None = None
        self._stats = ""
        self.chars_shown = 0
        self.chunks = 0
        self._build()
        self.paint_timer = QTimer(self)
        self.paint_timer.setInterval(PAINT_MS)
        self.paint_timer.timeout.connect(self.paint)
        controller.text_chunk.connect(self.on_text_chunk)

    def _build(self) -> None:
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 6, 0, 0)
        side = QVBoxLayout()
        box = QGroupBox("Sampling")
        form = QFormLayout(box)
        self.seed_text = QLineEdit("The ")
        self.seed_text.setPlaceholderText("text that primes the model")
        form.addRow("Seed text", self.seed_text)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 3.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setValue(0.5)
        self.temperature.setToolTip("0 = greedy (always the most probable token)")
        form.addRow("Temperature", self.temperature)
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 100_000)
        self.top_k.setSpecialValueText("off")
        form.addRow("Top-k", self.top_k)
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.01, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(1.0)
        form.addRow("Top-p", self.top_p)
        self.seed = QSpinBox()
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setValue(-1)
        self.seed.setSpecialValueText("random")
        self.seed.setToolTip("A fixed seed makes the text reproducible")
        form.addRow("Seed", self.seed)
        self.length = QSpinBox()
        self.length.setRange(0, 10_000_000)
        self.length.setValue(2000)
        self.length.setSingleStep(500)
        self.length.setSpecialValueText("until stopped")
        form.addRow("Tokens", self.length)
        self.speed = QComboBox()
        for label, rate in SPEEDS:
            self.speed.addItem(label, rate)
        self.speed.setCurrentIndex(self.speed.findData(WATCHABLE))
        form.addRow("Speed", self.speed)
        side.addWidget(box)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.setToolTip("Start afresh from the seed text (clears the text and the model's state)")
        self.start_button.clicked.connect(self.start_text)
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Carry on from where the text stopped")
        self.continue_button.clicked.connect(self.continue_text)
        self.continue_button.setEnabled(False)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        self.reset_button = QPushButton("Reset state")
        self.reset_button.setToolTip("Zero the recurrent state and clear the text")
        self.reset_button.clicked.connect(self.reset_text)
        for b in (self.start_button, self.continue_button, self.stop_button, self.reset_button):
            buttons.addWidget(b)
        side.addLayout(buttons)
        # changes on every display tick while a text streams: a QLabel would relayout the window each time
        self.text_stats = SteadyText(lines=2)
        self.text_stats.setText("–")
        side.addWidget(self.text_stats)
        dist_box = QGroupBox("Next token (top 10)")
        dl = QVBoxLayout(dist_box)
        self.dist_chart = BarChart(unit="%", row_h=22)  # ten rows fit beside the sampling settings
        dl.addWidget(self.dist_chart)
        dl.addStretch(1)
        side.addWidget(dist_box, 1)
        side_w = QWidget()
        side_w.setLayout(side)
        side_w.setMinimumWidth(300)
        side_w.setMaximumWidth(380)
        self.text_view = QPlainTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setMaximumBlockCount(MAX_BLOCKS)
        self.text_view.setUndoRedoEnabled(False)
        self.text_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text_view.setFont(mono)
        self.text_view.setPlaceholderText("Generated text appears here as it is made.")
        split = QSplitter()
        split.addWidget(self.text_view)
        split.addWidget(side_w)
        split.setStretchFactor(0, 1)
        row.addWidget(split)

    # ------------------------------------------------------------------ runs
    def _seed(self) -> int | None:
        v = self.seed.value()
        return None if v < 0 else v

    def start_text(self) -> None:
        """Afresh from the seed text: the text and the recurrent state are cleared first."""
        if self.ready is None:
            return
        if self.text_view.toPlainText() or self.chars_shown:
            self.reset_text()
        self.continue_text()

    def continue_text(self) -> None:
        """Carry on from the current state (after the text shown so far)."""
        if self.ready is None:
            return
        if not self.text_view.toPlainText() and self.seed_text.text():
            self._pending.append(self.seed_text.text())
        self.run_id = self.controller.start_text(
            self.seed_text.text(), self.length.value(), self.temperature.value(), self.top_k.value(),
            self.top_p.value(), self._seed(), float(self.speed.currentData() or 0.0))
        self._set_running(True)

    @Slot()
    def stop(self) -> None:
        if self.running:
            self.controller.stop_generation()

    def reset_text(self) -> None:
        self.controller.reset_generator()
        self._pending.clear()
        self.text_view.clear()
        self.chars_shown = 0
        self._dist = None
        self.dist_chart.set_items([])
        self.text_stats.setText("State reset.")
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.start_button.setEnabled(not running)
        self.continue_button.setEnabled(not running and self.chars_shown > 0)
        self.stop_button.setEnabled(running)
        if running and not self.paint_timer.isActive():
            self.paint_timer.start()

    @Slot(object)
    def on_text_chunk(self, chunk: Any) -> None:
        """Queue the chunk; the display timer paints it (never paint per token)."""
        if chunk.run_id != self.run_id:
            return
        self.chunks += 1
        if chunk.text:
            self._pending.append(chunk.text)
        if chunk.top_labels:
            self._dist = (chunk.top_labels, chunk.top_probs)
        first = f", first token {chunk.first_token_ms:.1f} ms" if chunk.first_token_ms is not None else ""
        runtime = self.ready.info["runtime"] if self.ready else ""
        self._stats = f"{chunk.total:,} tokens, {chunk.tokens_per_s:,.0f} tokens/s{first} ({runtime})"
        if chunk.finished:
            self._set_running(False)
            if chunk.reason not in ("done", "stopped"):
                self.show_message(chunk.reason)
                self._stats += f" — {chunk.reason}"
            else:
                self._stats += " — stopped" if chunk.reason == "stopped" else " — done"
            self.paint()

    @Slot()
    def paint(self) -> None:
        """Display tick: append the queued text at the end, update the distribution and stats."""
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            bar = self.text_view.verticalScrollBar()
            at_end = bar.value() >= bar.maximum() - 4
            cursor = QTextCursor(self.text_view.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(text)
            self.chars_shown += len(text)
            if at_end:
                bar.setValue(bar.maximum())
        if self._dist is not None:
            labels, probs = self._dist
            self._dist = None
            items = [(token_label(t), round(100.0 * p, 1)) for t, p in zip(labels, probs, strict=True)]
            self.dist_chart.set_items(items, highlight=items[0][0] if items else None)
        if self._stats:
            self.text_stats.setText(self._stats)
        if not self.running and not self._pending:
            self.paint_timer.stop()
            self.continue_button.setEnabled(self.chars_shown > 0)

    def shutdown(self) -> None:
        self.stop()
        self.paint_timer.stop()
