"""pyqtgraph's context menus die with the app's plot widgets, on the GUI thread.

pyqtgraph keeps a PlotItem's "Plot Options" menu, the ViewBox menu and a WidgetGroup as
parentless, Python-owned objects inside reference cycles. Left so, they outlived the deleted
widget until the cyclic garbage collector ran on whatever thread was allocating (the inference
thread, a feed thread, busy with TensorFlow); destroying the menu there restyled a list view
from that thread: "QBasicTimer::start: Timers cannot be started from another thread", which
failed feed tests now and then (pytest-qt fails a test on a Qt warning: qt_log_level_fail).
"""

from __future__ import annotations

import gc
import threading

import pytest
import shiboken6

from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.ui.generate.panel import GeneratePanel
from livepredict.ui.panel import AppContext
from livepredict.ui.plots import ConfidencePlot


def _collect_on_another_thread() -> int:
    found: list[int] = []
    t = threading.Thread(target=lambda: found.append(gc.collect()), name="not-the-gui-thread")
    t.start()
    t.join()
    return found[0]


def _menus(plot_item) -> list:
    return [m for m in (plot_item.ctrlMenu, plot_item.getViewBox().menu, plot_item.stateGroup) if m is not None]


@pytest.mark.parametrize("make", ["confidence", "generate"])
def test_plot_menus_are_deleted_with_the_widget_not_by_the_garbage_collector(qtbot, isolated_settings, make):
    gc.collect()
    controller = None
    if make == "confidence":
        widget = ConfidencePlot()
        plot = widget
    else:
        controller = InferenceController()
        widget = GeneratePanel(AppContext(controller, Settings()))
        plot = widget.forecast.plot
    menus = _menus(plot.getPlotItem())
    assert menus and all(m.parent() is plot for m in menus)
    del plot
    shiboken6.delete(widget)  # as when its window is deleted (GUI thread)
    assert not any(shiboken6.isValid(m) for m in menus)
    del widget, menus
    _collect_on_another_thread()  # pyqtgraph's cycles: only dead wrappers left, nothing Qt to destroy
    if controller is not None:
        assert controller.shutdown(5000)
