"""The Model tab's opt-in Fast (int8) runtime in the real window: calibrated on the pictures the user
classified, checked against float, offered only then, never on until the user ticks it, and the
status bar and Runtime field say which runtime runs (real Keras model, real pictures, real thread)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.models import LABELS, build_color_classifier, save_formats, solid
from PIL import Image
from PySide6.QtCore import Qt

from livepredict.core.types import INT8_RUNTIME
from livepredict.ui.int8_box import Int8Box
from livepredict.ui.model_panel import ModelPanel

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture(scope="module")
def colour_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("int8-ui")
    return save_formats(build_color_classifier(gain=6.0, name="int8ui"), folder, formats=("keras", "tflite"),
                        sidecar={"labels": LABELS})


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("int8-ui-pics")
    rng = np.random.default_rng(1)
    paths = []
    for i in range(30):
        base = np.zeros(3)
        base[i % 3] = 200
        rgb = tuple(int(v) for v in np.clip(base + rng.integers(0, 50, 3), 0, 255))
        paths.append(folder / f"{LABELS[i % 3]}_{i:02d}.png")
        Image.fromarray(solid(rgb)).save(paths[-1])
    return paths


def _open(qtbot, window, path):
    with qtbot.waitSignal(window.controller.model_loaded, timeout=120_000) as sig:
        window.controller.open_model(str(path))
    return sig.args[0]


def _classify(qtbot, window, paths):
    with qtbot.waitSignal(window.controller.batch_finished, timeout=60_000):
        window.controller.classify([str(p) for p in paths])


def test_int8_is_calibrated_on_the_classified_pictures_offered_and_used_only_when_ticked(qtbot, window, pictures,
                                                                                       colour_model):
    c = window.controller
    loaded = _open(qtbot, window, colour_model["keras"])
    float_runtime = loaded.info.runtime
    box = window.findChild(ModelPanel).findChild(Int8Box)
    assert box.try_button.isEnabled() and not box.use.isEnabled() and not box.use.isChecked()
    qtbot.mouseClick(box.use, Qt.MouseButton.LeftButton)
    assert not box.use.isChecked()  # not offered yet: the box cannot be ticked
    _classify(qtbot, window, pictures)

    with qtbot.waitSignal(c.int8_ready, timeout=120_000) as sig:
        box.start("recent")
        assert not box.try_button.isEnabled()
    ready = sig.args[0]
    assert not ready.error, ready.error
    assert ready.offered and ready.agreement >= 0.99 and 0 <= ready.max_abs_diff < 0.1
    assert ready.float_runtime == float_runtime and ready.float_ms > 0 and ready.int8_ms > 0
    assert "of 15 of your pictures" in ready.summary and "calibrated on 15 of your pictures" in ready.summary
    assert "Offered" in box.result.text() and "max |Δscore|" in box.result.text() and " ms " in box.result.text()
    assert box.use.isEnabled() and not box.use.isChecked()
    assert c.worker.models.get("main").model.info.runtime == float_runtime  # never chosen silently

    with qtbot.waitSignal(c.runtime_switched, timeout=30_000) as sw:
        box.use.setChecked(True)
    assert sw.args[0].loaded.info.runtime == INT8_RUNTIME
    assert "Fast (int8)" in window.status_text.text() and INT8_RUNTIME in window.model_label.text()
    assert box.result.text().startswith("In use.")
    model_panel = window.findChild(ModelPanel)
    assert model_panel.fields["runtime"].text().startswith(INT8_RUNTIME)
    with qtbot.waitSignal(c.int8_ready, timeout=120_000) as again:  # tried again while it runs
        box.start("recent")
    assert again.args[0].float_runtime == float_runtime and again.args[0].offered
    assert c.worker.models.get("main").model.info.runtime == INT8_RUNTIME and box.use.isChecked()
    results = []
    c.classification_ready.connect(results.append)
    _classify(qtbot, window, pictures[:6])
    assert [r.prediction.top[0][0] for r in results] == [p.name.split("_")[0] for p in pictures[:6]]

    with qtbot.waitSignal(c.runtime_switched, timeout=30_000) as sw:
        box.use.setChecked(False)
    assert sw.args[0].loaded.info.runtime == float_runtime
    assert c.worker.models.get("main").model.info.runtime == float_runtime

    # another model: the trial is forgotten, nothing is on
    _open(qtbot, window, colour_model["keras"])
    assert not box.use.isEnabled() and "Not tried" in box.result.text()


def test_int8_says_why_it_cannot_be_tried_or_used(qtbot, window, colour_model, tmp_path):
    c = window.controller
    _open(qtbot, window, colour_model["tflite"])
    box = window.findChild(ModelPanel).findChild(Int8Box)
    assert not box.try_button.isEnabled() and "Keras file" in box.result.text()
    with qtbot.waitSignal(c.int8_ready, timeout=30_000) as sig:
        c.try_int8("recent")  # asked anyway (e.g. by a script): one sentence, nothing changes
    assert "quantises a Keras model" in sig.args[0].error and not sig.args[0].offered
    with qtbot.waitSignal(c.error_occurred, timeout=30_000) as err:
        c.use_int8(True)
    assert "not offered" in err.args[0].message
    assert c.worker.models.get("main").model.info.runtime != INT8_RUNTIME

    # a folder with nothing readable in it: synthetic pictures stand in, and the summary says so
    _open(qtbot, window, colour_model["keras"])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.png").write_bytes(b"not a picture")
    with qtbot.waitSignal(c.int8_ready, timeout=120_000) as sig:
        box.start(str(tmp_path / "empty"))
    ready = sig.args[0]
    assert not ready.error and "synthetic" in ready.summary, ready
