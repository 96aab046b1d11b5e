"""What a panel is and what it receives: the ``Panel`` protocol, the ``AppContext`` and ``PanelSpec``.

A panel is a ``QWidget`` class built as ``PanelClass(context)``. The context is everything of the
application a panel may use (the inference controller, the settings, the prediction feed, the status
line, the open model); a panel never reaches into the main window. The window builds the panels listed
in ``ui.panels.PANELS`` (one line per tab) and calls ``shutdown()`` on each one it built when it closes.
A lazy panel's module is imported only when its tab is first shown (start-up speed: the plotting
panels pull in pyqtgraph and the capture code).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from PySide6.QtWidgets import QVBoxLayout, QWidget

from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.payloads import ModelLoaded

if TYPE_CHECKING:
    from livepredict.ui.compare_models import CompareModels
    from livepredict.ui.feed_panel import PredictionFeed

log = logging.getLogger(__name__)


def _log_message(text: str) -> None:
    log.info("%s", text)


def _no_model() -> ModelLoaded | None:
    return None


@dataclass(frozen=True)
class AppContext:
    """What the application gives every panel.

    ``show_message`` puts one sentence in the status line; ``current_model`` is the model open now
    (None before the first one is loaded: panels built later catch up with it); ``feed`` is the
    window's prediction feed (None for a panel shown on its own, e.g. in a test); ``compare`` the models
    opened beside the main one to compare with it.
    """

    controller: InferenceController
    settings: Settings
    feed: PredictionFeed | None = None
    show_message: Callable[[str], None] = _log_message
    current_model: Callable[[], ModelLoaded | None] = _no_model
    compare: CompareModels | None = None  # the models opened to compare with the main one (None: none)


@runtime_checkable
class Panel(Protocol):
    """A tab's widget (a ``QWidget`` subclass), built as ``PanelClass(context)``."""

    context: AppContext

    def shutdown(self) -> None:
        """The window is closing: stop timers, sources and runs this panel started; never block for long."""
        ...


@dataclass(frozen=True)
class PanelSpec:
    """One tab: its title and its panel class (``"module:Class"``, imported when the panel is built).

    ``lazy``: the tab is a placeholder until it is first shown; otherwise the panel is built with the window.
    """

    title: str
    target: str | type
    lazy: bool = False

    def panel_class(self) -> Callable[[AppContext], QWidget]:
        if not isinstance(self.target, str):
            return self.target
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)

    def build(self, context: AppContext) -> QWidget:
        panel = self.panel_class()(context)
        if not isinstance(panel, Panel):
            raise TypeError(f"{self.target} is not a Panel (it needs a context and shutdown())")
        return panel


class LazyTab(QWidget):
    """The tab of a lazy panel: empty until ``build()`` (its tab is first shown) makes the panel."""

    def __init__(self, spec: PanelSpec, context: AppContext) -> None:
        super().__init__()
        self.spec = spec
        self.context = context
        self.inner: QWidget | None = None
        QVBoxLayout(self).setContentsMargins(0, 0, 0, 0)

    def build(self) -> QWidget:
        if self.inner is None:
            self.inner = self.spec.build(self.context)
            self.layout().addWidget(self.inner)
        return self.inner


def shutdown_all(panels: Iterable[QWidget]) -> None:
    """``shutdown()`` on every built panel among ``panels`` (widgets or lazy tabs)."""
    for w in panels:
        panel = w.inner if isinstance(w, LazyTab) else w
        if panel is not None:
            panel.shutdown()
