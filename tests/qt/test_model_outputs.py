"""Model tab: the shown output of a multi-output model is picked there; quantisation is shown."""

from __future__ import annotations

from helpers.real_models import build_two_output_model, write_quantised_classifier


def _open(qtbot, window, path):
    with qtbot.waitSignal(window.controller.model_loaded, timeout=120_000) as sig:
        window.controller.open_model(str(path))
    return sig.args[0]


def test_the_shown_output_is_picked_in_the_model_tab(qtbot, window, tmp_path):
    path = tmp_path / "two.keras"
    build_two_output_model().save(path)
    loaded = _open(qtbot, window, path)
    panel = window.panel("Model")
    window.show_panel("Model")
    box = panel.output_choice
    assert loaded.info.output_index == 0 and box.isVisible() and box.count() == 2
    assert "← shown" in panel.fields["outputs"].text().splitlines()[0]
    with qtbot.waitSignal(window.controller.model_loaded, timeout=120_000) as sig:
        box.setCurrentIndex(1)
        box.activated.emit(1)  # what a user's pick emits
    info = sig.args[0].info
    assert info.output_index == 1 and info.output_kind == "softmax" and len(info.labels) == 4
    qtbot.waitUntil(lambda: panel.output_choice.currentIndex() == 1)
    assert "← shown" in panel.fields["outputs"].text().splitlines()[1]


def test_a_single_output_model_has_no_output_choice_and_quantisation_is_shown(qtbot, window, tmp_path,
                                                                              model_files):
    panel = window.panel("Model")
    window.show_panel("Model")
    _open(qtbot, window, model_files["keras"])
    qtbot.waitUntil(lambda: panel.fields["name"].text().endswith(".keras"))
    assert not panel.output_choice.isVisible() and not panel.fields["quantization"].isVisible()
    loaded = _open(qtbot, window, write_quantised_classifier(tmp_path / "q.tflite"))
    q = loaded.info.quantization["inputs"][0]
    qtbot.waitUntil(lambda: panel.fields["quantization"].isVisible())
    text = panel.fields["quantization"].text()
    assert f"uint8, scale {q['scale']:.6g}, zero point {q['zero_point']}" in text
