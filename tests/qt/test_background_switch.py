"""The app with a model it has not seen: results from Keras at once, then LiteRT once the helper's
conversion passed its check; the status bar and the Model tab say which runtime runs."""

from __future__ import annotations

from helpers.models import LABELS, build_color_classifier, save_formats, solid
from PIL import Image

from livepredict.threads.engine.payloads import BatchFinished, ModelLoaded


def _classify(qtbot, controller, paths):
    got = []
    controller.classification_ready.connect(got.append)
    with qtbot.waitSignal(controller.batch_finished, timeout=60_000) as blocker:
        controller.classify(paths, 3)
    controller.classification_ready.disconnect(got.append)
    assert isinstance(blocker.args[0], BatchFinished)
    return [r.prediction.label for r in sorted(got, key=lambda r: r.index)]


def test_window_switches_to_litert_when_the_check_passes(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LIVEPREDICT_CONVERT", "background")
    model = save_formats(build_color_classifier(gain=8.0, name="fresh"), tmp_path / "m", formats=("keras",),
                         sidecar={"labels": LABELS})["keras"]
    pics = []
    for name, rgb in zip(LABELS, ((230, 20, 10), (10, 220, 30), (20, 10, 240)), strict=True):
        pics.append(str(tmp_path / f"{name}.png"))
        Image.fromarray(solid(rgb)).save(pics[-1])
    c = window.controller
    with qtbot.waitSignal(c.model_loaded, timeout=120_000) as loaded_blocker:
        c.open_model(model)
    loaded: ModelLoaded = loaded_blocker.args[0]
    assert loaded.info.runtime == "keras" and loaded.info.extras.get("converting")
    assert "converted and checked in the background" in loaded.ready_text
    switches = []
    c.runtime_switched.connect(switches.append)
    assert _classify(qtbot, c, pics) == LABELS  # on Keras: the helper is still importing TensorFlow
    qtbot.waitUntil(lambda: bool(switches), timeout=120_000)
    switched = switches[0]
    assert switched.switched and switched.loaded.info.runtime == "litert", switched.message
    assert window.status_text.text().startswith("Switched from keras to LiteRT")
    assert "litert" in window.model_label.text()
    window.show_panel("Model")
    panel = window.panels["Model"]
    assert panel.fields["runtime"].text().startswith("litert")
    assert panel.fields["check"].text().lower().startswith("passed")
    assert _classify(qtbot, c, pics) == LABELS  # now on LiteRT
    window.grab().save(str(tmp_path.parent / "background-switch.png"))
