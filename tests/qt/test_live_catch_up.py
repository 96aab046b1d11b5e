"""A Live tab first shown after a model was opened takes that model's labels and state."""

from __future__ import annotations


def test_live_tab_built_after_the_model_opened_has_its_labels(qtbot, window, model_files):
    with qtbot.waitSignal(window.controller.model_loaded, timeout=120_000) as sig:
        window.controller.open_model(str(model_files["keras"]))
    loaded = sig.args[0]
    assert window.built_panel("Live") is None  # lazy: not built yet
    window.show_panel("Live")
    panel = window.panel("Live")
    assert panel.info is loaded.info
    assert panel.labels == tuple(loaded.info.labels) == ("red", "green", "blue")
