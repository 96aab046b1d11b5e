"""The droppable cases of the bad-input corpus, dropped (real QDragEnter/QDrop events) on the real
main window with a real inference thread: every bad model or sidecar is refused with its sentence in
the status bar, every bad image becomes an error card with its sentence, and the window keeps
working (a good model still loads and classifies afterwards)."""

from __future__ import annotations

import make_corpus as mc
from helpers.dnd import drop

from livepredict.ui.main_window import is_model_path

MODEL_CASES = [c for c in mc.CASES if c.drop and c.kind in ("model", "sidecar") and not c.warning]
IMAGE_CASES = [c for c in mc.CASES if c.drop and c.kind == "image"]


def test_bad_models_and_sidecars_dropped_on_the_window(qtbot, window, corpus_inputs, tmp_path):
    checked = 0
    for case in MODEL_CASES:
        path = mc.build(case, tmp_path / case.id, corpus_inputs)
        if not is_model_path(path):  # a plain folder dropped is classified as images, not opened
            continue
        with qtbot.waitSignal(window.controller.load_failed, timeout=60_000):
            drop(window, [path])
        msg = window.status_text.text()
        assert case.expect.lower() in msg.lower(), (case.id, msg)
        assert "\n" not in msg and "Traceback" not in msg
        assert window.isVisible()
        checked += 1
    assert checked >= len(MODEL_CASES) - 2
    # still working: the good model loads after all that
    with qtbot.waitSignal(window.controller.model_loaded, timeout=60_000):
        drop(window, [corpus_inputs["good"]])


def test_bad_images_dropped_on_the_window_become_error_cards(qtbot, window, corpus_inputs, tmp_path):
    with qtbot.waitSignal(window.controller.model_loaded, timeout=60_000):
        window.open_model(corpus_inputs["good"])
    built = [(c, mc.build(c, tmp_path / c.id, corpus_inputs)) for c in IMAGE_CASES]
    built = [(c, p) for c, p in built if p.is_file()]  # a folder without images gives no card
    assert len(built) >= 6
    drop(window, [*(p for _, p in built), corpus_inputs["image"]])
    panel = window.classify_panel
    good_name = corpus_inputs["image"].name

    def done() -> bool:
        return not panel._jobs and any(c.key.endswith(good_name) and (c.prediction or c.error)
                                       for c in panel.model.cards)

    qtbot.waitUntil(done, timeout=60_000)
    cards = {c.key: c for c in panel.model.cards}
    for case, path in built:
        card = next((c for k, c in cards.items() if k.endswith(path.name)), None)
        assert card is not None, (case.id, list(cards))
        assert card.error and case.expect.lower() in card.error.lower(), (case.id, card.error)
    good = next(c for k, c in cards.items() if k.endswith(corpus_inputs["image"].name))
    assert good.error is None and good.prediction.label == "red"
