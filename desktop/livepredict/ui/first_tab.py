"""`livepredict MODEL` opens the tab that fits what the model does, once the model says what it is."""

from __future__ import annotations

from typing import Any

from livepredict.core.types import Task

TAB_FOR_TASK = {Task.TEXT_GENERATOR: "Generate", Task.SEQUENCE_FORECASTER: "Generate"}


def follow_first_model(window: Any, controller: Any) -> None:
    """When the first model is open, show its tab (a generator or forecaster: Generate); once only."""
    def first(loaded: Any) -> None:
        controller.model_loaded.disconnect(first)
        tab = TAB_FOR_TASK.get(loaded.info.task)
        if tab is not None and tab in window.panels:
            window.show_panel(tab)

    controller.model_loaded.connect(first)
