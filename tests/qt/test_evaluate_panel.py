"""The Evaluate tab with real models on a real labelled folder: the evaluation runs as a task on the
inference thread, the heatmap's cells open their pictures, two models get McNemar and the lists of
pictures each alone gets right, a binary model gets its ROC and threshold, cancel stops the run."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from helpers.labelled import SHAPES_MODEL, color_folder, second_shapes_model, shapes_folder
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from livepredict.settings import Settings
from livepredict.threads.engine.payloads import MAIN
from livepredict.ui.evaluate.panel import EvaluatePanel
from livepredict.ui.panel import AppContext

WAIT = 120_000
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")  # offscreen plugin, harmless


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval_panel")
    return shapes_folder(root / "shapes"), second_shapes_model(root / "crop")


def _open(qtbot, controller, path, slot=MAIN):
    with qtbot.waitSignal(controller.model_loaded, timeout=WAIT, check_params_cb=lambda m: m.slot == slot):
        controller.open_model(path, slot=slot)


def _panel(qtbot, controller):
    messages: list[str] = []
    panel = EvaluatePanel(AppContext(controller, Settings(), show_message=messages.append))
    qtbot.addWidget(panel)
    panel.resize(1280, 760)
    panel.show()
    return panel, messages


def _finish(qtbot, controller, panel, source):
    with qtbot.waitSignal(controller.evaluation_finished, timeout=WAIT) as blocker:
        panel.start(str(source))
    return blocker.args[0]


def _click_cell(qtbot, heatmap, row, col):
    heatmap.grab()  # painted as the user sees it (the view's transform is brought up to date on paint)
    scene = heatmap.image.mapToScene(QPointF(col + 0.5, row + 0.5))
    qtbot.mouseClick(heatmap.viewport(), Qt.MouseButton.LeftButton, pos=heatmap.mapFromScene(scene))


def test_two_models_on_a_labelled_folder(qtbot, controller, isolated_settings, data, tmp_path):
    folder, crop = data
    threads: set[int] = set()
    _open(qtbot, controller, SHAPES_MODEL)
    _open(qtbot, controller, crop, slot="compare1")
    panel, messages = _panel(qtbot, controller)
    assert panel.run_button.text() == "Evaluate 2 models"
    # a direct connection runs in the emitting thread: the task's own thread
    controller.worker.evaluation_progress.connect(lambda p: threads.add(threading.get_ident()),
                                                  Qt.ConnectionType.DirectConnection)
    done = _finish(qtbot, controller, panel, folder)
    assert threads and threading.main_thread().ident not in threads
    assert not done.cancelled and done.message == ""
    assert done.slots == (MAIN, "compare1") and [e.count for e in done.evaluations] == [60, 60]
    assert any("left out: blob." in m for m in messages)
    a = done.evaluations[0]
    assert panel.summary.text().startswith("shapes.keras: accuracy") and "McNemar p =" in panel.summary.text()
    np.testing.assert_array_equal(panel.heatmap.counts, a.figures.confusion)
    assert panel.table.rowCount() == 6 and panel.table.item(0, 0).text() == "circle"
    assert not panel.roc.isVisible()
    # a click on the diagonal cell of "star" shows the star pictures called star
    _click_cell(qtbot, panel.heatmap, 3, 3)
    qtbot.waitUntil(lambda: panel.pictures.count() > 0)
    assert panel.shown == a.pictures(3, 3) and panel.pictures.count() == a.figures.confusion[3, 3]
    assert panel.heatmap.selected == (3, 3)
    # the lists of pictures each model alone gets right
    cmp = done.comparisons[0]
    assert panel.only_a.isVisible() and f"({len(cmp.only_a)})" in panel.only_a.text()
    panel.show_only(1)
    assert panel.shown == list(cmp.only_b)
    panel.model_box.setCurrentIndex(1)
    np.testing.assert_array_equal(panel.heatmap.counts, done.evaluations[1].figures.confusion)
    panel.model_box.setCurrentIndex(0)
    _click_cell(qtbot, panel.heatmap, 0, 0)
    QApplication.processEvents()  # the pending layout (axis widths) before the picture
    panel.grab().save(str(ARTIFACTS / "evaluate_panel.png"))


def test_a_binary_model_gets_its_roc_and_threshold(qtbot, controller, isolated_settings, binary_model, tmp_path):
    _open(qtbot, controller, binary_model)
    panel, _ = _panel(qtbot, controller)
    done = _finish(qtbot, controller, panel, color_folder(tmp_path / "colors"))
    (e,) = done.evaluations
    assert panel.roc.isVisible() and panel.threshold_row.isVisible()
    x, y = panel.roc.curve.getData()
    np.testing.assert_allclose(x, e.figures.roc.fpr)
    panel.threshold.setValue(80)
    at = e.at_threshold(0.8)
    assert f"accuracy {at['accuracy']:.1%}" in panel.threshold_label.text()
    px, py = panel.roc.point.getData()
    assert (px[0], py[0]) == pytest.approx((at["fpr"], at["tpr"]))


def test_cancel_and_bad_input(qtbot, controller, isolated_settings, data, tmp_path):
    folder, _ = data
    _open(qtbot, controller, SHAPES_MODEL)
    panel, messages = _panel(qtbot, controller)
    with qtbot.waitSignal(controller.evaluation_finished, timeout=WAIT) as blocker:
        panel.start(str(folder))
        panel.cancel()  # before the task's first step: it ends cancelled
    assert blocker.args[0].cancelled
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    done = _finish(qtbot, controller, panel, tmp_path / "nowhere")
    assert "No folder or CSV at" in done.message and messages[-1] == done.message
    done = _finish(qtbot, controller, panel, color_folder(tmp_path / "colors", per_class=1))
    assert "None of the class folders of colors is a label of shapes.keras" in done.message
