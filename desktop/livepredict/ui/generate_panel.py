"""The Generate tab: live text from a recurrent model, or a rolling forecast along a series.

Text mode: seed text, temperature / top-k / top-p / seed / length / speed, Start / Stop / Reset
state. Tokens are made in the inference thread and arrive as chunks (one per worker slice); the
panel only queues them and a display timer paints the text view and the top-10 next-token bar
chart at screen pace (ingest apart from paint). The text view is a QPlainTextEdit with a maximum
block count and appends at its end, so it stays responsive past 100,000 characters.

Forecast mode: a pyqtgraph plot of the series known so far (solid), the rest of the series
(faint), and the forecast from the current step (dashed, with markers); horizon, speed,
play/pause/step, and the one-step error so far next to the naive last-value forecast's.

The panel talks to the engine only through ``InferenceController`` (generation section).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

import livepredict
from livepredict.ui import theme
from livepredict.ui.plots import keep_menus_with
from livepredict.ui.widgets import BarChart

GENERATOR_TASKS = ("text-generator", "sequence-forecaster")
MAX_BLOCKS = 20_000  # lines kept in the text view (older lines scroll out)
PAINT_MS = 33
SPEEDS = (("As fast as possible", 0.0), ("2,000 tokens/s", 2000.0), ("300 tokens/s", 300.0),
          ("60 tokens/s", 60.0), ("15 tokens/s", 15.0))


def token_label(tok: str) -> str:
    """A visible label for a token in the bar chart."""
    names = {" ": "␣ space", "\n": "⏎ newline", "\t": "⇥ tab", "": "∅"}
    if tok in names:
        return names[tok]
    return tok if tok.isprintable() else repr(tok)


def read_series(path: str | Path) -> tuple[np.ndarray, np.ndarray, str]:
    """(x, y, y name) from a CSV or text file: the last numeric column is the series, the first
    numeric column (when there are two or more) its x axis (e.g. years); else x = 0, 1, 2, ..."""
    p = Path(path)
    rows: list[list[float]] = []
    name = p.stem
    with open(p, newline="", encoding="utf-8") as f:
        for k, row in enumerate(csv.reader(f)):
            nums = []
            for cell in row:
                try:
                    nums.append(float(cell))
                except ValueError:
                    pass
            if nums:
                rows.append(nums)
            elif k == 0 and row:
                name = row[-1].strip() or name
    if not rows:
        raise ValueError(f"{p.name} has no numbers")
    y = np.array([r[-1] for r in rows], np.float32)
    x = np.array([r[0] for r in rows], np.float64) if all(len(r) >= 2 for r in rows) else np.arange(len(y), dtype=np.float64)
    return x, y, name


def bundled(name: str) -> Path | None:
    p = livepredict.data_dir() / name
    return p if p.exists() else None


class GeneratePanel(QWidget):
    """Signals: message(str) — a sentence for the status bar."""

    message = Signal(str)

    def __init__(self, controller: Any, loaded: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        controller.attach_generation()
        self.kind: str | None = None
        self.ready: Any = None
        self.run_id = 0
        self.running = False
        self._pending: list[str] = []
        self._pending_chars = 0
        self._dist: tuple[tuple[str, ...], tuple[float, ...]] | None = None
        self._stats = ""
        self.chars_shown = 0
        self.chunks = 0
        self.vocab_path = ""
        # forecast state
        self.series_x = np.zeros(0)
        self.series_y = np.zeros(0, np.float32)
        self.series_name = ""
        self.index = 0
        self.last_step: Any = None
        self.playing = False
        self.one_step: dict[int, float] = {}  # index -> the one-step forecast made for series[index]

        self._build()
        c = controller
        c.model_loaded.connect(self.on_model_loaded)
        c.generator_ready.connect(self.on_generator_ready)
        c.generator_failed.connect(self.on_generator_failed)
        c.text_chunk.connect(self.on_text_chunk)
        c.forecast_step.connect(self.on_forecast_step)
        self.paint_timer = QTimer(self)
        self.paint_timer.setInterval(PAINT_MS)
        self.paint_timer.timeout.connect(self.paint)
        series = bundled("resources/data/sunspots_yearly.csv")
        if series is not None:
            self.load_series(series)
        if loaded is not None:
            self.on_model_loaded(loaded)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 10)
        head = QHBoxLayout()
        self.model_label = QLabel("Open a text or sequence model (File → Open Model…) to generate.")
        self.model_label.setWordWrap(True)
        self.model_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        head.addWidget(self.model_label, 1)
        self.vocab_button = QPushButton("Vocabulary file…")
        self.vocab_button.setToolTip("A text model needs its vocabulary: one token per line, or a JSON list.")
        self.vocab_button.clicked.connect(self.pick_vocab)
        self.vocab_button.hide()
        head.addWidget(self.vocab_button)
        self.use_button = QPushButton("Use this model")
        self.use_button.setToolTip("Build the step-by-step generator for the open model.")
        self.use_button.clicked.connect(lambda: self.prepare())
        self.use_button.hide()
        head.addWidget(self.use_button)
        self.demo_text = QPushButton("Bundled text model")
        self.demo_text.clicked.connect(lambda: self._open_bundled("models/chars.keras"))
        self.demo_fc = QPushButton("Bundled forecaster")
        self.demo_fc.clicked.connect(lambda: self._open_bundled("models/forecaster.keras"))
        for b, name in ((self.demo_text, "models/chars.keras"), (self.demo_fc, "models/forecaster.keras")):
            b.setVisible(bundled(name) is not None)
            head.addWidget(b)
        outer.addLayout(head)
        self.stack = QStackedWidget()
        self.empty = QLabel("Text generators (LSTM, GRU, SimpleRNN over characters or tokens) write here one "
                            "token at a time;\nforecasters roll their predictions forward along a series.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("Muted")
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self._build_text())
        self.stack.addWidget(self._build_forecast())
        outer.addWidget(self.stack, 1)

    def _build_text(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
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
        form.addRow("Speed", self.speed)
        side.addWidget(box)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start_text)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        self.reset_button = QPushButton("Reset state")
        self.reset_button.setToolTip("Zero the recurrent state and clear the text")
        self.reset_button.clicked.connect(self.reset_text)
        for b in (self.start_button, self.stop_button, self.reset_button):
            buttons.addWidget(b)
        side.addLayout(buttons)
        self.text_stats = QLabel("–")
        self.text_stats.setWordWrap(True)
        side.addWidget(self.text_stats)
        dist_box = QGroupBox("Next token (top 10)")
        dl = QVBoxLayout(dist_box)
        self.dist_chart = BarChart(unit="%")
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
        return page

    def _build_forecast(self) -> QWidget:
        page = QWidget()
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 6, 0, 0)
        bar = QHBoxLayout()
        self.series_button = QPushButton("Series…")
        self.series_button.setToolTip("A CSV or text file of numbers (last column = values, first = x axis)")
        self.series_button.clicked.connect(self.pick_series)
        bar.addWidget(self.series_button)
        bar.addWidget(QLabel("Horizon"))
        self.horizon = QSpinBox()
        self.horizon.setRange(1, 500)
        self.horizon.setValue(11)
        self.horizon.valueChanged.connect(self._refresh_forecast)
        bar.addWidget(self.horizon)
        bar.addWidget(QLabel("Steps/s"))
        self.step_rate = QDoubleSpinBox()
        self.step_rate.setRange(0.2, 200.0)
        self.step_rate.setValue(8.0)
        bar.addWidget(self.step_rate)
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.toggle_play)
        bar.addWidget(self.play_button)
        self.step_button = QPushButton("Step")
        self.step_button.clicked.connect(self.step_once)
        bar.addWidget(self.step_button)
        self.restart_button = QPushButton("Restart")
        self.restart_button.clicked.connect(self.restart_forecast)
        bar.addWidget(self.restart_button)
        bar.addStretch(1)
        self.fc_stats = QLabel("–")
        bar.addWidget(self.fc_stats)
        col.addLayout(bar)
        c = theme.current()
        self.plot = pg.PlotWidget()
        keep_menus_with(self.plot, self.plot.getPlotItem())
        self.plot.setBackground(c.base)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.addLegend(offset=(10, 10))
        self.future_curve = self.plot.plot([], [], pen=pg.mkPen(c.muted, width=1, style=Qt.PenStyle.DotLine),
                                           name="actual (not yet seen)")
        self.hist_curve = self.plot.plot([], [], pen=pg.mkPen(c.text, width=1), name="history")
        self.fc_curve = self.plot.plot([], [], pen=pg.mkPen(c.accent, width=1, style=Qt.PenStyle.DashLine),
                                       symbol="o", symbolSize=5, symbolBrush=c.accent, symbolPen=None,
                                       name="forecast")
        self.now_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(c.muted, width=1))
        self.plot.addItem(self.now_line)
        col.addWidget(self.plot, 1)
        self.series_label = QLabel("")
        self.series_label.setObjectName("Muted")
        col.addWidget(self.series_label)
        return page

    # ------------------------------------------------------------------ model and generator
    def _open_bundled(self, name: str) -> None:
        p = bundled(name)
        if p is not None:
            self.controller.open_model(p)

    @Slot(object)
    def on_model_loaded(self, loaded: Any) -> None:
        self.stop()
        self.ready = None
        self.kind = None
        info = loaded.info
        self.vocab_button.hide()
        if info.task in GENERATOR_TASKS:
            self.use_button.hide()
            self.model_label.setText(f"{Path(info.path).name}: building the step-by-step generator…")
            self.prepare()
        else:
            self.use_button.show()
            self.model_label.setText(f"{Path(info.path).name} looks like a {info.task}, not a generator; open a "
                                     "recurrent text model or a forecaster (or try it anyway).")
            self.stack.setCurrentWidget(self.empty)

    def prepare(self, vocab_path: str = "") -> None:
        self.controller.prepare_generator(vocab_path or self.vocab_path)

    def pick_vocab(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Vocabulary file", "", "Vocabulary (*.txt *.json);;All files (*)")
        if path:
            self.vocab_path = path
            self.prepare(path)

    @Slot(object)
    def on_generator_failed(self, failed: Any) -> None:
        if failed.load_id != self.controller.active_load_id:
            return
        self.model_label.setText(failed.message)
        self.vocab_button.setVisible(failed.needs_vocab)
        self.stack.setCurrentWidget(self.empty)
        self.message.emit(failed.message)

    @Slot(object)
    def on_generator_ready(self, ready: Any) -> None:
        if ready.load_id != self.controller.active_load_id:
            return
        self.ready = ready
        self.kind = ready.kind
        self.use_button.hide()
        self.vocab_button.hide()
        info = ready.info
        check = info.get("runtime_check") or {}
        checked = (f", checked against Keras (max diff {check['max_abs_diff']:.1e})"
                   if check.get("passed") and check.get("max_abs_diff") is not None else "")
        if ready.kind == "text":
            us = (info.get("timings_us_per_step") or {}).get(info["runtime"])
            per = f", {us:.0f} µs/step" if us else ""
            self.model_label.setText(f"{info['name']}: text, {' → '.join(info['layers'])}, vocabulary "
                                     f"{info['vocab_size']}, {info['runtime']} step{per}{checked}")
            self.stack.setCurrentIndex(1)
        else:
            ms = (info.get("timings_ms") or {}).get(info["runtime"])
            per = f", {ms:.2f} ms/step" if ms else ""
            win = f"window {info['window']}" if info.get("window") else "stateful"
            self.model_label.setText(f"{info['name']}: forecaster, {win}, {info['runtime']}{per}{checked}")
            self.stack.setCurrentIndex(2)
            self.index = max(self.index, ready.window or 1)
            self._draw_series()
            self._refresh_forecast()

    # ------------------------------------------------------------------ text
    def _seed(self) -> int | None:
        v = self.seed.value()
        return None if v < 0 else v

    def start_text(self) -> None:
        if self.kind != "text":
            return
        if not self.text_view.toPlainText() and self.seed_text.text():
            self._pending.append(self.seed_text.text())
        self.run_id = self.controller.start_text(
            self.seed_text.text(), self.length.value(), self.temperature.value(), self.top_k.value(),
            self.top_p.value(), self._seed(), float(self.speed.currentData() or 0.0))
        self._set_running(True)

    def stop(self) -> None:
        if self.running or self.playing:
            self.controller.stop_generation()
        self.playing = False
        self.play_button.setText("Play")

    def reset_text(self) -> None:
        self.controller.reset_generator()
        self._pending.clear()
        self._pending_chars = 0
        self.text_view.clear()
        self.chars_shown = 0
        self._dist = None
        self.dist_chart.set_items([])
        self.text_stats.setText("State reset.")
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.start_button.setEnabled(not running)
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
            self._pending_chars += len(chunk.text)
        if chunk.top_labels:
            self._dist = (chunk.top_labels, chunk.top_probs)
        first = f", first token {chunk.first_token_ms:.1f} ms" if chunk.first_token_ms is not None else ""
        runtime = self.ready.info["runtime"] if self.ready else ""
        self._stats = f"{chunk.total:,} tokens, {chunk.tokens_per_s:,.0f} tokens/s{first} ({runtime})"
        if chunk.finished:
            self._set_running(False)
            if chunk.reason not in ("done", "stopped"):
                self.message.emit(chunk.reason)
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
            self._pending_chars = 0
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

    # ------------------------------------------------------------------ forecast
    def pick_series(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Series", "", "Series (*.csv *.txt);;All files (*)")
        if path:
            self.load_series(path)

    def load_series(self, path: str | Path) -> None:
        try:
            x, y, name = read_series(path)
        except (OSError, ValueError, UnicodeDecodeError) as e:
            self.message.emit(f"Cannot read the series {Path(path).name} ({e}); give a CSV or text file of numbers.")
            return
        self.stop()
        self.series_x, self.series_y, self.series_name = x, y, name
        self.one_step = {}
        self.series_label.setText(f"Series: {Path(path).name} ({len(y)} values of {name})")
        self.index = min(len(y), max(1, self.ready.window if self.ready and self.kind == "forecast" else 1))
        self._draw_series()
        if self.kind == "forecast":
            self._refresh_forecast()

    def _draw_series(self) -> None:
        i = min(self.index, len(self.series_y))
        x, y = self.series_x, self.series_y
        self.hist_curve.setData(x[:i], y[:i], skipFiniteCheck=True)
        self.future_curve.setData(x[max(0, i - 1):], y[max(0, i - 1):], skipFiniteCheck=True)
        if i > 0:
            self.now_line.setValue(float(x[i - 1]))

    def _x_after(self, i: int, n: int) -> np.ndarray:
        x = self.series_x
        step = float(x[1] - x[0]) if len(x) > 1 else 1.0
        last = float(x[i - 1]) if i > 0 else -step
        return last + step * np.arange(0, n + 1)

    def toggle_play(self) -> None:
        if self.playing:
            self.stop()
            return
        if self.kind != "forecast" or not len(self.series_y):
            return
        if self.index >= len(self.series_y):
            self.index = self.ready.window or 1
        self.playing = True
        self.play_button.setText("Pause")
        self.run_id = self.controller.start_forecast(self.series_y, self.index, self.horizon.value(),
                                                     self.step_rate.value())

    def step_once(self) -> None:
        if self.kind != "forecast" or self.playing:
            return
        if self.index < len(self.series_y):
            self.index += 1
        self._draw_series()
        self._refresh_forecast()

    def restart_forecast(self) -> None:
        self.stop()
        self.index = (self.ready.window if self.ready else 1) or 1
        self._refresh_forecast()

    def _refresh_forecast(self) -> None:
        """One forecast from the current index (while paused, or when the horizon changes)."""
        if self.kind != "forecast" or not len(self.series_y):
            return
        if self.playing:  # restart the run from here with the new settings
            self.run_id = self.controller.start_forecast(self.series_y, self.index, self.horizon.value(),
                                                         self.step_rate.value())
            return
        self.run_id = self.controller.start_forecast(self.series_y, self.index, self.horizon.value(), 0.0)

    @Slot(object)
    def on_forecast_step(self, step: Any) -> None:
        if step.run_id != self.run_id:
            return
        if step.reason not in ("", "done", "stopped", "paused"):
            self.message.emit(step.reason)
        if step.forecast.size:
            self.last_step = step  # the newest step that carried a forecast
            self.index = step.index
            self._draw_series()
            xs = self._x_after(step.index, len(step.forecast))
            last = float(self.series_y[step.index - 1])
            self.fc_curve.setData(xs, np.concatenate([[last], step.forecast]), skipFiniteCheck=True)
            year = self.series_x[step.index - 1] if step.index > 0 else 0
            if step.index < len(self.series_y):
                self.one_step[step.index] = step.one_step
            mae, naive = self.errors_so_far()
            err = ""
            if mae is not None:
                err = f" · one-step error so far {mae:.2f} (naive last value {naive:.2f})"
            x_txt = f"{year:g}" if math.isfinite(float(year)) else str(step.index)
            self.fc_stats.setText(f"at {x_txt}: next {step.one_step:.1f}{err}")
        if step.finished and self.playing and step.reason != "paused":
            self.playing = False
            self.play_button.setText("Play")

    def errors_so_far(self) -> tuple[float | None, float | None]:
        """Mean absolute one-step error over the values seen so far, and the naive last-value one's."""
        seen = [i for i in self.one_step if 0 < i < self.index]
        if not seen:
            return None, None
        y = self.series_y
        err = float(np.mean([abs(self.one_step[i] - float(y[i])) for i in seen]))
        naive = float(np.mean([abs(float(y[i - 1]) - float(y[i])) for i in seen]))
        return err, naive

    # ------------------------------------------------------------------ lifetime
    @Slot()
    def shutdown(self) -> None:
        self.stop()
        self.paint_timer.stop()


def install(window: Any) -> None:
    """Add the Generate tab to the main window (built when first shown); stop generation on close."""

    def factory() -> GeneratePanel:
        panel = GeneratePanel(window.controller, loaded=window.loaded)
        window.closing.connect(panel.shutdown)
        panel.message.connect(window.show_message)
        window.generate_panel = panel
        return panel

    window.generate_panel = None
    window.add_panel("Generate", factory)
