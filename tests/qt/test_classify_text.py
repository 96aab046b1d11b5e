"""Classify tab: a text classifier gets a text box; typed texts are classified as Keras scores them."""

from __future__ import annotations

import numpy as np
from helpers.real_models import TEXT_LABELS, write_text_classifier


def test_texts_typed_in_the_classify_tab_are_classified(qtbot, window, tmp_path, model_files):
    panel = window.panel("Classify")
    with qtbot.waitSignal(window.controller.model_loaded, timeout=120_000):
        window.controller.open_model(str(model_files["keras"]))
    assert not panel.text_box.isVisible() and panel.stack.isVisible()  # an image classifier: no text box
    path, texts, ref = write_text_classifier(tmp_path)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=120_000):
        window.controller.open_model(str(path))
    box = panel.text_box
    qtbot.waitUntil(box.isVisible)
    assert not panel.stack.isVisible() and not panel.open_button.isEnabled()  # no pictures for it
    box.editor.setPlainText("\n".join(texts) + "\n\n")  # blank lines are not texts
    with qtbot.waitSignal(window.controller.texts_classified, timeout=60_000) as sig:
        box.button.click()
    assert not sig.args[0].error
    assert box.table.rowCount() == 3
    for i, r in enumerate(ref):
        best = int(np.argmax(r))
        assert box.table.item(i, 0).text() == texts[i]
        assert box.table.item(i, 1).text() == TEXT_LABELS[best]
        assert abs(float(box.table.item(i, 2).text()) - float(r[best])) < 1e-3


def test_classify_text_without_text_says_so(qtbot, window, tmp_path):
    path, _, _ = write_text_classifier(tmp_path)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=120_000):
        window.controller.open_model(str(path))
    box = window.panel("Classify").text_box
    box.editor.setPlainText("   \n")
    box.button.click()
    assert box.status.text() == "Type a text first (one per line)." and box.table.rowCount() == 0
