"""The Generate tab's forecast page: a pyqtgraph plot of the series known so far (solid), the rest of
the series (faint) and the forecast from the current step (dashed, with markers); horizon, speed,
play/pause/step, and the one-step error so far next to the naive last-value forecast's."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from livepredict.ui import theme
from livepredict.ui.plots import keep_menus_with
from livepredict.ui.widgets import SteadyText

FOCUS_BEHIND = 60  # values of history kept in view behind the newest one (the forecast follows)


def x_axis_name(path: str | Path) -> str:
    """The x column's title in the file's header ("YEAR" -> "year"), or "step" without one."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            first = next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError):
        return "step"
    try:
        float(first[0]) if first else None
    except ValueError:
        return first[0].strip().lower() if len(first) >= 2 and first[0].strip() else "step"
    return "step"


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


class ForecastPage(QWidget):
    """A forecaster rolled forward along a series (``controller``: the ``InferenceController``)."""

    def __init__(self, controller: Any, show_message: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.show_message = show_message
        self.ready: Any = None  # GeneratorReady of a forecaster, else None
        self.run_id = 0
        self.series_x = np.zeros(0)
        self.series_y = np.zeros(0, np.float32)
        self.series_name = ""
        self.index = 0
        self.last_step: Any = None
        self.playing = False
        self.one_step: dict[int, float] = {}  # index -> the one-step forecast made for series[index]
        self._build()
        controller.forecast_step.connect(self.on_forecast_step)

    def _build(self) -> None:
        col = QVBoxLayout(self)
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
        self.horizon.valueChanged.connect(self.refresh_forecast)
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
        col.addLayout(bar)
        # a line of its own (the error sentence is long) that changes on every step: no relayout
        self.fc_stats = SteadyText(lines=2)
        self.fc_stats.setText("–")
        col.addWidget(self.fc_stats)
        c = theme.current()
        self.plot = pg.PlotWidget()
        keep_menus_with(self.plot, self.plot.getPlotItem())
        self.plot.setBackground(c.base)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.addLegend(offset=(10, 10))
        self.plot.setLabel("left", "value")
        self.plot.setLabel("bottom", "step")
        self.future_curve = self.plot.plot([], [], pen=pg.mkPen(c.muted, width=1, style=Qt.PenStyle.DotLine),
                                           name="actual (not yet seen)")
        self.hist_curve = self.plot.plot([], [], pen=pg.mkPen(c.text, width=1), name="history")
        self.fc_curve = self.plot.plot([], [], pen=pg.mkPen(c.accent, width=1, style=Qt.PenStyle.DashLine),
                                       symbol="o", symbolSize=5, symbolBrush=c.accent, symbolPen=None,
                                       name="forecast")
        self.past_curve = self.plot.plot([], [], pen=None, symbol="x", symbolSize=6, symbolPen=pg.mkPen(c.accent),
                                         name="past one-step forecasts")
        self.now_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(c.muted, width=1))
        self.plot.addItem(self.now_line)
        col.addWidget(self.plot, 1)
        self.series_label = QLabel("")
        self.series_label.setObjectName("Muted")
        col.addWidget(self.series_label)
        self.apply_theme()

    def apply_theme(self) -> None:
        """Colours from the current theme (again when light/dark is switched while the app runs)."""
        c = theme.current()
        self.plot.setBackground(c.base)
        pi = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            pi.getAxis(name).setPen(pg.mkPen(c.muted, width=1))
            pi.getAxis(name).setTextPen(pg.mkPen(c.text, width=1))
        self.future_curve.setPen(pg.mkPen(c.muted, width=1, style=Qt.PenStyle.DotLine))
        self.hist_curve.setPen(pg.mkPen(c.text, width=1))
        self.fc_curve.setPen(pg.mkPen(c.accent, width=1, style=Qt.PenStyle.DashLine))
        self.fc_curve.setSymbolBrush(c.accent)
        self.past_curve.setSymbolPen(pg.mkPen(c.accent))
        self.now_line.setPen(pg.mkPen(c.muted, width=1))
        legend = pi.legend
        if legend is not None:
            legend.setLabelTextColor(c.text)
            for _sample, label in legend.items:
                label.setText(label.text, color=c.text)  # a label keeps its colour until set again

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "past_curve"):
            self.apply_theme()
        super().changeEvent(event)

    def set_ready(self, ready: Any) -> None:
        """A forecaster is ready (None: the open model is not one)."""
        self.ready = ready
        if ready is not None:
            self.index = max(self.index, ready.window or 1)
            self._draw_series()
            self.refresh_forecast()

    # ------------------------------------------------------------------ the series
    def pick_series(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Series", "", "Series (*.csv *.txt);;All files (*)")
        if path:
            self.load_series(path)

    def load_series(self, path: str | Path) -> None:
        try:
            x, y, name = read_series(path)
        except (OSError, ValueError, UnicodeDecodeError) as e:
            self.show_message(f"Cannot read the series {Path(path).name} ({e}); give a CSV or text file of numbers.")
            return
        self.stop()
        self.series_x, self.series_y, self.series_name = x, y, name
        self.one_step = {}
        self.series_label.setText(f"Series: {Path(path).name} ({len(y)} values of {name})")
        self.plot.setLabel("left", name)
        self.plot.setLabel("bottom", x_axis_name(path))
        self.index = min(len(y), max(1, self.ready.window if self.ready else 1))
        self._draw_series()
        if self.ready is not None:
            self.refresh_forecast()

    def _draw_series(self) -> None:
        i = min(self.index, len(self.series_y))
        x, y = self.series_x, self.series_y
        self.hist_curve.setData(x[:i], y[:i], skipFiniteCheck=True)
        self.future_curve.setData(x[max(0, i - 1):], y[max(0, i - 1):], skipFiniteCheck=True)
        if i > 0:
            self.now_line.setValue(float(x[i - 1]))
        seen = sorted(k for k in self.one_step if k < i)  # what was forecast one step ahead, against what happened
        self.past_curve.setData(x[seen] if seen else [], [self.one_step[k] for k in seen])
        if i > 0 and len(x):
            ahead = self.horizon.value() + 2
            lo, hi = x[max(0, i - FOCUS_BEHIND)], x[min(len(x) - 1, i - 1)]
            step = float(x[1] - x[0]) if len(x) > 1 else 1.0
            self.plot.setXRange(float(lo), float(hi) + step * ahead, padding=0.02)

    def _x_after(self, i: int, n: int) -> np.ndarray:
        x = self.series_x
        step = float(x[1] - x[0]) if len(x) > 1 else 1.0
        last = float(x[i - 1]) if i > 0 else -step
        return last + step * np.arange(0, n + 1)

    # ------------------------------------------------------------------ runs
    def stop(self) -> None:
        if self.playing:
            self.controller.stop_generation()
        self.playing = False
        self.play_button.setText("Play")

    def toggle_play(self) -> None:
        if self.playing:
            self.stop()
            return
        if self.ready is None or not len(self.series_y):
            return
        if self.index >= len(self.series_y):
            self.index = self.ready.window or 1
        self.playing = True
        self.play_button.setText("Pause")
        self.run_id = self.controller.start_forecast(self.series_y, self.index, self.horizon.value(),
                                                     self.step_rate.value())

    def step_once(self) -> None:
        if self.ready is None or self.playing:
            return
        if self.index < len(self.series_y):
            self.index += 1
        self._draw_series()
        self.refresh_forecast()

    def restart_forecast(self) -> None:
        self.stop()
        self.index = (self.ready.window if self.ready else 1) or 1
        self.refresh_forecast()

    @Slot()
    def refresh_forecast(self) -> None:
        """One forecast from the current index (while paused, or when the horizon changes)."""
        if self.ready is None or not len(self.series_y):
            return
        rate = self.step_rate.value() if self.playing else 0.0  # playing: restart the run from here
        self.run_id = self.controller.start_forecast(self.series_y, self.index, self.horizon.value(), rate)

    @Slot(object)
    def on_forecast_step(self, step: Any) -> None:
        if step.run_id != self.run_id:
            return
        if step.reason not in ("", "done", "stopped", "paused"):
            self.show_message(step.reason)
        if step.forecast.size:
            self._show_step(step)
        if step.finished and self.playing and step.reason != "paused":
            self.playing = False
            self.play_button.setText("Play")

    def _show_step(self, step: Any) -> None:
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
            err = (f" · mean absolute error of the one-step forecasts so far {mae:.2f} (repeating the last "
                   f"value instead: {naive:.2f})")
        x_txt = f"{year:g}" if math.isfinite(float(year)) else str(step.index)
        self.fc_stats.setText(f"at {x_txt}: next {step.one_step:.1f}{err}")

    def errors_so_far(self) -> tuple[float | None, float | None]:
        """Mean absolute one-step error over the values seen so far, and the naive last-value one's."""
        seen = [i for i in self.one_step if 0 < i < self.index]
        if not seen:
            return None, None
        y = self.series_y
        err = float(np.mean([abs(self.one_step[i] - float(y[i])) for i in seen]))
        naive = float(np.mean([abs(float(y[i - 1]) - float(y[i])) for i in seen]))
        return err, naive
