"""The status bar's model figure kept equal to what the tabs show: after a benchmark, the benchmark's
ms/image for the runtime in use (as the Model tab); with a generator, the runtime of its step (as the
Generate tab)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QLabel

from livepredict.ui.model_panel import bench_bars
from livepredict.ui.widgets import format_ms


class ModelStatus(QObject):
    """Updates ``label`` from the controller's benchmark and generator results."""

    def __init__(self, controller: Any, label: QLabel, current_model: Callable[[], Any]) -> None:
        super().__init__(label)
        self.controller = controller
        self.label = label
        self.current_model = current_model
        controller.bench_finished.connect(self.on_bench_finished)
        controller.generator_ready.connect(self.on_generator_ready)

    @Slot(object)
    def on_bench_finished(self, res: Any) -> None:
        loaded = self.current_model()
        if loaded is None or res.error:
            return
        runtime = res.result.get("chosen") or loaded.info.runtime
        ms = dict(bench_bars(res.result)).get(runtime)
        if ms is not None:
            self.label.setText(f"{Path(loaded.info.path).name} · {runtime} · {format_ms(ms)}/image")

    @Slot(object)
    def on_generator_ready(self, ready: Any) -> None:
        loaded = self.current_model()
        if loaded is not None and ready.load_id == self.controller.active_load_id:
            self.label.setText(f"{Path(loaded.info.path).name} · {ready.info.get('runtime', '?')} step")
