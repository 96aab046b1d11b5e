"""The Live panel driven on a real video file with a real tiny model (offscreen)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from helpers.dnd import drop
from helpers.video import COLORS, color_of, write_color_video
from PySide6.QtGui import QImage

from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.ui.live.panel import LivePanel
from livepredict.ui.live.plot_side import score_labels
from livepredict.ui.live.recording import RECORD_COLUMNS
from livepredict.ui.panel import AppContext

# The offscreen platform plugin warns about this when a pyqtgraph view is shown; harmless.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_color_video(tmp_path_factory.mktemp("panel") / "colors.avi", frames=90, fps=30.0,
                             size=(160, 120))


@pytest.fixture
def panel(qtbot, isolated_settings, model_files):
    controller = InferenceController()
    p = LivePanel(AppContext(controller, Settings()))
    qtbot.addWidget(p)
    p.resize(1100, 650)
    p.show()
    with qtbot.waitSignal(controller.model_loaded, timeout=120_000):
        controller.open_model(model_files["tflite"])
    yield p
    p.shutdown()
    assert controller.shutdown(5000)


def test_plays_a_video_with_overlay_plot_strip_and_recording(qtbot, panel, video, tmp_path):
    panel.loop_box.setChecked(False)
    record = tmp_path / "rec" / "predictions.csv"
    panel.start_recording(record)
    assert panel.start(str(video))
    assert panel.display.isActive() and panel.live
    qtbot.waitUntil(lambda: panel.pipeline.frames_inferred >= 15 and panel.last_latency_ms is not None,
                    timeout=20_000)
    # Painted by the display timer, from the ring buffers.
    assert panel.view.image.image is not None and panel.view.image.image.shape == (120, 160, 3)
    label = panel.view.label.textItem.toPlainText().strip()
    assert label.split()[0] in COLORS and label.endswith("%")
    qtbot.waitUntil(lambda: len(panel.plot.shown) == 3, timeout=5_000)
    assert sorted(panel.plot.legend.items[i][1].text for i in range(len(panel.plot.legend.items))) <= sorted(COLORS)
    x, y = panel.plot.lines[0].getData()
    assert len(x) >= 5 and np.all((y >= 0) & (y <= 1))
    qtbot.waitUntil(lambda: panel.strip.text_of("latency_ms") != "–", timeout=5_000)
    assert panel.strip.text_of("capture_fps").endswith("fps")
    assert panel.strip.text_of("infer_ms").endswith("ms")
    assert 0 < panel.last_latency_ms < 5_000

    # Snapshot: the frame at full resolution with the overlay box drawn over its corner.
    shot = panel.snapshot(tmp_path / "shot.png")
    img = QImage(str(shot))
    assert (img.width(), img.height()) == (160, 120)
    corner, middle = img.pixelColor(6, 6), img.pixelColor(80, 100)
    assert corner.lightness() < middle.lightness()  # dark label box over the frame

    with qtbot.waitSignal(panel.pipeline.source_ended, timeout=20_000):
        pass
    qtbot.waitUntil(lambda: not panel.display.isActive(), timeout=5_000)  # last results collected first
    assert panel.start_button.text() == "Start"
    assert panel.status.text() == "End of video colors.avi (90 frames)."
    panel.stop_recording()
    rows = list(csv.reader(record.open()))
    assert tuple(rows[0]) == RECORD_COLUMNS
    assert len(rows) - 1 == panel.recorded >= 15
    assert all(r[6] == color_of(int(r[0])) for r in rows[1:])


def test_pause_resume_and_bad_sources(qtbot, panel, video):
    assert panel.start(str(video))
    qtbot.waitUntil(lambda: panel.pipeline.frames_read >= 3, timeout=10_000)
    panel.pause_button.click()
    assert panel.pipeline.capture.paused and panel.pause_button.text() == "Resume"
    panel.pause_button.click()
    assert not panel.pipeline.capture.paused
    panel.stop()
    assert not panel.display.isActive() and not panel.live

    panel.source_box.setEditText("  ")
    assert not panel.start()  # picker empty: one sentence in the status line
    assert panel.status.text().startswith("No source given")
    assert not panel.start("ftp://example.org/x.avi")
    assert panel.status.text() == "Unsupported address scheme ftp://; use rtsp://, http:// or https://."
    assert panel.status.objectName() == "Warning"
    with qtbot.waitSignal(panel.pipeline.source_failed, timeout=10_000):
        panel.start("987")  # no such camera
    assert panel.status.text().startswith(("No camera found at index 987", "Camera 987 is busy"))
    qtbot.waitUntil(lambda: not panel.display.isActive(), timeout=5_000)


def test_score_labels_for_binary_and_short_label_lists():
    assert score_labels(("cat",), 2, "sigmoid-binary") == ("not cat", "cat")
    assert score_labels((), 2, "sigmoid-binary") == ("class 0", "class 1")
    assert score_labels(("a", "b"), 4, "softmax") == ("a", "b", "class 2", "class 3")


def test_main_window_has_a_live_tab_that_stops_on_close(qtbot, isolated_settings, model_files, video):
    from livepredict.settings import Settings
    from livepredict.ui.main_window import MainWindow

    controller = InferenceController()
    w = MainWindow(controller, Settings())
    qtbot.addWidget(w)
    w.show()
    assert w.built_panel("Live") is None  # built when the tab is first shown (fast start-up)
    w.show_panel("Live")
    panel = w.panel("Live")
    assert isinstance(panel, LivePanel) and w.tabs.tabText(w.tabs.currentIndex()) == "Live"
    with qtbot.waitSignal(controller.model_loaded, timeout=120_000):
        w.open_model(model_files["tflite"])
    panel.start(str(video))
    qtbot.waitUntil(lambda: panel.pipeline.frames_inferred >= 3, timeout=20_000)
    w.close()  # closing mid-stream stops capture, display timer and the inference thread
    assert not panel.display.isActive() and panel.pipeline.capture is None
    assert not controller.thread.isRunning()


def test_dropped_video_plays_in_the_live_tab(qtbot, isolated_settings, model_files, video):
    """A video among dropped paths goes to the Live tab (not to Classify as a broken image)."""
    from livepredict.settings import Settings
    from livepredict.ui.main_window import MainWindow

    controller = InferenceController()
    w = MainWindow(controller, Settings())
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(controller.model_loaded, timeout=120_000):
        w.open_model(model_files["tflite"])
    drop(w, [video])
    assert w.tabs.tabText(w.tabs.currentIndex()) == "Live"
    panel = w.panel("Live")
    qtbot.waitUntil(lambda: panel.pipeline.frames_inferred >= 3, timeout=20_000)
    assert len(w.classify_panel.model.cards) == 0  # nothing was sent to Classify
    w.close()
    assert not controller.thread.isRunning()
