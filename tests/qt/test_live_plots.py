"""Live plot widgets: what they draw from ring-buffer data."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.video import make_frame

from livepredict.core.history import History
from livepredict.ui.plots import PALETTE, ConfidencePlot, TimingStrip, VideoView


@pytest.fixture
def history():
    h = History(600, 4)
    for i in range(300):  # class 2 dominates, then class 0, class 3 near zero throughout
        v = np.array([0.3, 0.05, 0.6, 0.05]) if i < 200 else np.array([0.7, 0.1, 0.15, 0.05])
        h.append(i / 30.0, v)
    return h


def test_confidence_plot_draws_top_k_with_fixed_axis(qtbot, history):
    plot = ConfidencePlot(top_k=2)
    qtbot.addWidget(plot)
    plot.set_labels(["circle", "square", "triangle", "star"])
    plot.show()
    assert not plot.legend.isVisible()  # no data yet: no empty legend box
    t, v = history.view()
    plot.refresh(t, v)
    assert sorted(plot.shown) == [0, 2] and plot.legend.isVisible()
    assert [it.isVisible() for it in plot.lines[:3]] == [True, True, False]
    x, y = plot.lines[plot.shown.index(2)].getData()
    assert x[-1] == 0.0 and x[0] >= -plot.span
    assert int(plot.span * 30) <= len(x) <= int(plot.span * 30) + 1  # only the last `span` seconds
    np.testing.assert_allclose(y[-1], 0.15, rtol=1e-5)
    (ymin, ymax) = plot.getPlotItem().viewRange()[1]
    assert ymin <= 0.0 and 1.0 <= ymax < 1.1  # fixed 0..1 axis, not autoscaled to the data
    assert plot.getPlotItem().viewRange()[0] == [-plot.span, 0.0]  # fixed time window
    legend = [item[1].text for item in plot.legend.items]
    assert sorted(legend) == ["circle", "triangle"]
    pen = plot.lines[plot.shown.index(0)].opts["pen"]
    assert pen.width() <= 1 and pen.color().name() == PALETTE[0]


def test_auto_classes_follow_the_recent_past(qtbot):
    plot = ConfidencePlot(top_k=1)
    qtbot.addWidget(plot)
    h = History(600, 3)
    for i in range(300):  # class 1 ruled 9 s of the 10 s window, class 2 the last second
        h.append(i / 30.0, [0.0, 1.0, 0.0] if i < 270 else [0.0, 0.0, 1.0])
    plot.refresh(*h.view())
    assert plot.shown == [2]


def test_a_class_that_stays_keeps_its_slot_and_legend_row(qtbot):
    plot = ConfidencePlot(top_k=3)
    qtbot.addWidget(plot)
    plot.set_labels([f"c{i}" for i in range(6)])
    h = History(600, 6)
    for i in range(60):  # classes 0, 1, 2 on top
        h.append(i / 30.0, [0.3, 0.25, 0.2, 0.1, 0.1, 0.05])
    plot.refresh(*h.view())
    before = list(plot.shown)
    rows = [label for _, label in plot.legend.items]
    pens = [line.opts["pen"] for line in plot.lines[:3]]
    for i in range(60, 200):  # class 1 leaves the top 3, class 4 comes in
        h.append(i / 30.0, [0.3, 0.0, 0.2, 0.1, 0.25, 0.05])
    plot.refresh(*h.view())
    out = before.index(1)
    assert plot.shown == [4 if c == 1 else c for c in before]  # the newcomer takes the leaver's slot
    assert [label for _, label in plot.legend.items] == rows  # rows updated in place, not rebuilt
    assert [label.text for _, label in plot.legend.items] == [f"c{c}" for c in plot.shown]
    for slot in range(3):  # only the changed slot got a new pen; the others kept theirs
        assert (plot.lines[slot].opts["pen"] is pens[slot]) == (slot != out)
    assert plot.lines[out].opts["pen"].color().name() == PALETTE[4]


def test_pinned_classes_smoothing_and_threshold(qtbot, history):
    plot = ConfidencePlot()
    qtbot.addWidget(plot)
    plot.set_labels(["circle", "square", "triangle", "star"])
    plot.set_pinned([3, 1])
    plot.set_smoothing(50)
    plot.set_threshold(0.8)
    t, v = history.view()
    plot.refresh(t, v)
    assert plot.shown == [3, 1]
    _, y1 = plot.lines[1].getData()  # class 1 steps from 0.05 to 0.1 at 200: smoothed into a ramp
    step = np.flatnonzero(np.diff(y1) > 1e-6)
    assert len(step) >= 40
    assert plot.threshold_line.isVisible() and plot.threshold_line.value() == pytest.approx(0.8)
    plot.set_threshold(None)
    assert not plot.threshold_line.isVisible()


def test_timing_strip_formats_and_skips_unchanged(qtbot):
    strip = TimingStrip()
    qtbot.addWidget(strip)
    strip.update_values(capture_fps=29.97, inference_fps=12.0, preprocess_ms=1.234, infer_ms=7.5,
                        latency_ms=41.6, dropped=1234)
    assert strip.text_of("capture_fps") == "30.0 fps"
    assert strip.text_of("infer_ms") == "7.5 ms"
    assert strip.text_of("latency_ms") == "42 ms"
    assert strip.text_of("dropped") == "1,234"
    strip.update_values(latency_ms=None)
    assert strip.text_of("latency_ms") == "–"


def test_video_view_shows_frame_and_overlay(qtbot):
    view = VideoView()
    qtbot.addWidget(view)
    frame = make_frame(5, (320, 240))
    view.show_frame(frame)
    assert view.image.image.base is frame  # handed over as-is: no copy of ours
    assert view.image.levels is None  # uint8 RGB shown as it is: no per-frame rescaling pass
    view.image.render()
    shown = view.image.qimage
    for x, y in ((0, 0), (160, 120), (319, 239)):
        c = shown.pixelColor(x, y)
        assert (c.red(), c.green(), c.blue()) == tuple(int(v) for v in frame[y, x])
    view.set_overlay("triangle", 0.934)
    assert view.label.textItem.toPlainText().strip() == "triangle  93%"
    view.set_overlay("", None)
    assert not view.label.isVisible()


def test_plot_follows_a_palette_change(qtbot):
    from livepredict.ui import theme

    plot = ConfidencePlot()
    qtbot.addWidget(plot)
    plot.setPalette(theme.palette_for(theme.DARK))  # what switching to the dark look does
    assert plot.backgroundBrush().color().name() == theme.DARK.base
    plot.setPalette(theme.palette_for(theme.LIGHT))
    assert plot.backgroundBrush().color().name() == theme.LIGHT.base


@pytest.mark.qt_log_ignore("This plugin does not support")  # a top-level test window's size hints
def test_timing_strip_readings_never_ask_the_window_for_a_new_layout(qtbot):
    from helpers.layout_watch import LayoutRequests
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    window = QWidget()
    qtbot.addWidget(window)
    strip = TimingStrip()
    QVBoxLayout(window).addWidget(strip)
    window.show()
    qtbot.waitExposed(window)
    with LayoutRequests(window) as asked:
        for v in (1.0, 9.5, 123.4, 2.0, 88.8):  # readings of different widths, as live figures are
            strip.update_values(capture_fps=v, inference_fps=v * 3, preprocess_ms=v / 7, infer_ms=v,
                                latency_ms=v * 10, dropped=int(v * 1000))
    assert strip.text_of("dropped") == "88,800"
    assert asked == []  # a relayout would repaint every widget of the window ten times a second
    strip.update_values(inference_fps=123456.7)  # wider than planned: the box grows to show it all
    label = strip.values["inference_fps"]
    assert label.width() >= label.fontMetrics().horizontalAdvance("123456.7 fps")
