"""What a new user trips over on the Live tab (issue: the plot that coarsens, a model that cannot take frames)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.video import write_color_video

from livepredict.core.history import History
from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.ui.live.panel import HISTORY_ROWS, LivePanel
from livepredict.ui.panel import AppContext

FORECASTER = Path(__file__).resolve().parents[2] / "models" / "forecaster.keras"
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def bare_panel(qtbot, isolated_settings):
    """A Live panel whose inference thread never loads a model (its ring buffers are filled by hand)."""
    controller = InferenceController()
    p = LivePanel(AppContext(controller, Settings()))
    qtbot.addWidget(p)
    yield p
    p.shutdown()
    assert controller.shutdown(5000)


def test_a_long_run_keeps_every_frame_of_the_window_and_its_spikes(bare_panel):
    h = History(HISTORY_ROWS, 2)
    spike = HISTORY_ROWS - 121  # 3 s before the end at 40 fps
    for i in range(HISTORY_ROWS):
        h.append(i / 40.0, (0.95, 0.05) if i == spike else (0.1, 0.9))
    bare_panel.scores = h
    bare_panel.plot.set_pinned([0])
    bare_panel.paint(force=True)
    x, y = bare_panel.plot.lines[0].getData()
    # 10 s at 40 fps: all 401 frames of the window are drawn (the run's length does not coarsen them)
    assert len(x) == 401 and x[0] == pytest.approx(-10.0) and x[-1] == 0.0
    assert y.max() == pytest.approx(0.95)  # the one-frame spike is still there


def test_a_window_of_more_frames_than_points_is_thinned_keeping_spikes(bare_panel):
    h = History(HISTORY_ROWS, 2)
    for i in range(HISTORY_ROWS):  # 200 fps: 2,001 frames in the 10 s window
        h.append(i / 200.0, (0.9, 0.1) if i == HISTORY_ROWS - 700 else (0.2, 0.8))
    bare_panel.scores = h
    bare_panel.plot.set_pinned([0])
    bare_panel.paint(force=True)
    x, y = bare_panel.plot.lines[0].getData()
    assert len(x) <= 610 and np.all(np.diff(x) > 0) and x[-1] == 0.0
    assert y.max() == pytest.approx(0.9) and y.min() == pytest.approx(0.2)


def test_smoothing_averages_exactly_the_frames_it_says(bare_panel):
    h = History(HISTORY_ROWS, 2)
    for i in range(HISTORY_ROWS):  # steps from 0 to 1 ten frames before the end
        h.append(i / 40.0, (1.0, 0.0) if i >= HISTORY_ROWS - 10 else (0.0, 1.0))
    bare_panel.scores = h
    bare_panel.plot.set_pinned([0])
    bare_panel.side.smooth_spin.setValue(5)
    bare_panel.paint(force=True)
    _, y = bare_panel.plot.lines[0].getData()
    # a 5-frame average: 1/5, 2/5, ... and full height on the 5th frame after the step
    np.testing.assert_allclose(y[-10:-5], [0.2, 0.4, 0.6, 0.8, 1.0], atol=1e-6)
    np.testing.assert_allclose(y[-5:], 1.0)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_color_video(tmp_path_factory.mktemp("switch") / "colors.avi", frames=60, fps=30.0, size=(160, 120))


def test_switching_to_a_model_that_cannot_take_frames_says_so_in_the_video_pane(qtbot, bare_panel, model_files,
                                                                                  video):
    panel, controller = bare_panel, bare_panel.controller
    with qtbot.waitSignal(controller.model_loaded, timeout=120_000):
        controller.open_model(model_files["tflite"])
    assert panel.start(str(video))
    qtbot.waitUntil(lambda: panel.view.label.isVisible() and panel.pipeline.frames_inferred >= 3, timeout=20_000)
    with qtbot.waitSignal(panel.pipeline.inference_failed, timeout=120_000):
        controller.open_model(FORECASTER)
    qtbot.waitUntil(lambda: not panel.view.label.isVisible(), timeout=5_000)  # the old answer is gone
    assert panel.view.message.isVisible()
    assert "forecaster" in panel.view.message.toPlainText()  # what is wrong, where the answer was
    assert not any(line.isVisible() for line in panel.plot.lines)  # the old model's lines too
    frames = panel.pipeline.frames_read
    qtbot.waitUntil(lambda: panel.pipeline.frames_read >= frames + 10, timeout=10_000)
    panel.update_strip()
    assert panel.strip.text_of("dropped") == "–" and panel.strip.text_of("inference_fps") == "–"


def test_legend_sits_above_the_data_and_is_recoloured_with_the_theme(qtbot):
    from PySide6.QtWidgets import QApplication

    from livepredict.ui import theme
    from livepredict.ui.plots import ConfidencePlot

    before = theme.current().name
    plot = ConfidencePlot(top_k=3)
    qtbot.addWidget(plot)
    plot.resize(520, 300)
    plot.set_labels(["circle", "square", "triangle", "star"])
    plot.show()
    h = History(600, 4)
    for i in range(300):
        h.append(i / 30.0, (0.97, 0.01, 0.01, 0.01))  # a line along the top, where a legend used to sit
    plot.refresh(*h.view())
    view = plot.getPlotItem().getViewBox()
    # above the data, not over it (once the plot's layout has run)
    qtbot.waitUntil(lambda: 0 < plot.legend.sceneBoundingRect().bottom() <= view.sceneBoundingRect().top() + 1,
                    timeout=2_000)
    try:
        for mode in ("dark", "light"):
            colours = theme.apply(QApplication.instance(), mode)
            qtbot.waitUntil(lambda c=colours: all(c.text.lower() in label.item.toHtml().lower()
                                                  for _s, label in plot.legend.items), timeout=2_000)
    finally:
        theme.apply(QApplication.instance(), before)


def test_controls_offer_only_what_applies(qtbot, bare_panel, video):
    panel = bare_panel
    panel.resize(1024, 640)
    panel.show()
    assert not panel.snapshot_button.isEnabled() and not panel.record_button.isEnabled()  # nothing to keep yet
    assert panel.side.smooth_spin.text().endswith("1 frame (off)")
    panel.side.smooth_spin.setValue(5)
    assert panel.side.smooth_spin.text().endswith("5 frames")
    assert "Sample video" in panel.source_box.currentText() and not panel.resolution.isVisible()
    panel.source_box.setEditText("0")
    assert panel.resolution.isVisible()  # a camera: its resolution can be asked for
    panel.source_box.setEditText(str(video))
    assert not panel.resolution.isVisible()
    assert panel.start(str(video))
    qtbot.waitUntil(lambda: panel.snapshot_button.isEnabled() and panel.record_button.isEnabled(), timeout=20_000)
    panel.stop()


def test_an_unchecked_box_is_visible_in_the_dark_theme(qtbot):
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QApplication, QCheckBox

    from livepredict.ui import theme

    before = theme.current().name
    try:
        colours = theme.apply(QApplication.instance(), "dark")
        box = QCheckBox("Mirror")
        qtbot.addWidget(box)
        box.show()
        img = box.grab().toImage()
        bg = QColor(colours.window).lightness()
        edge = [img.pixelColor(x, y).lightness() for x in range(0, 18) for y in range(img.height())]
        assert sum(1 for v in edge if abs(v - bg) > 60) >= 30  # the square's outline stands out
    finally:
        theme.apply(QApplication.instance(), before)
