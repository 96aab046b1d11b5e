"""The Generate tab: live text from a recurrent model (``generate.text_view``), or a rolling forecast
along a series (``generate.forecast_view``).

This panel opens the model's step-by-step generator and shows the page that fits it. It talks to the
engine only through ``InferenceController`` (generation section).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

import livepredict
from livepredict.core.types import Task
from livepredict.core.wording import a
from livepredict.ui.generate.forecast_view import ForecastPage
from livepredict.ui.generate.text_view import TextPage
from livepredict.ui.panel import AppContext

GENERATOR_TASKS = (Task.TEXT_GENERATOR, Task.SEQUENCE_FORECASTER)


def bundled(name: str) -> Path | None:
    p = livepredict.data_dir() / name
    return p if p.exists() else None


class GeneratePanel(QWidget):
    """The Generate tab (built from the application context; messages go to its status line)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.controller = controller = context.controller
        controller.attach_generation()
        self.kind: str | None = None
        self.ready: Any = None
        self.vocab_path = ""
        self.text = TextPage(controller, context.show_message)
        self.forecast = ForecastPage(controller, context.show_message)
        self._build()
        controller.model_loaded.connect(self.on_model_loaded)
        controller.generator_ready.connect(self.on_generator_ready)
        controller.generator_failed.connect(self.on_generator_failed)
        series = bundled("resources/data/sunspots_yearly.csv")
        if series is not None:
            self.forecast.load_series(series)
        loaded = context.current_model()
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
        self.stack.addWidget(self.text)
        self.stack.addWidget(self.forecast)
        outer.addWidget(self.stack, 1)

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
        self.text.ready = None
        self.forecast.set_ready(None)
        info = loaded.info
        self.vocab_button.hide()
        if info.task in GENERATOR_TASKS:
            self.use_button.hide()
            self.model_label.setText(f"{Path(info.path).name}: building the step-by-step generator…")
            self.prepare()
        else:
            self.use_button.show()
            self.model_label.setText(f"{Path(info.path).name} looks like {a(info.task)}, not a generator; open a "
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
        self.context.show_message(failed.message)

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
            self.text.ready = ready
            self.stack.setCurrentWidget(self.text)
        else:
            ms = (info.get("timings_ms") or {}).get(info["runtime"])
            per = f", {ms:.2f} ms/step" if ms else ""
            win = f"window {info['window']}" if info.get("window") else "stateful"
            self.model_label.setText(f"{info['name']}: forecaster, {win}, {info['runtime']}{per}{checked}")
            self.stack.setCurrentWidget(self.forecast)
            self.forecast.set_ready(ready)

    # ------------------------------------------------------------------ lifetime
    def stop(self) -> None:
        self.text.stop()
        self.forecast.stop()

    @Slot()
    def shutdown(self) -> None:
        self.forecast.stop()
        self.text.shutdown()
