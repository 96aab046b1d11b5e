"""What a new user trips over on the Classify tab: Top-k, images before a model, the tab opened."""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "models" / "shapes.keras"
SAMPLES = ROOT / "resources" / "samples" / "images"
PICK = [SAMPLES / "circle_01.png", SAMPLES / "star_02.png"]


def load(qtbot, window, path, timeout=120_000):
    with qtbot.waitSignal(window.controller.model_loaded, timeout=timeout) as blocker:
        window.open_model(path)
    return blocker.args[0]


def classified(qtbot, panel, n, timeout=60_000):
    qtbot.waitUntil(lambda: not panel._jobs and len(panel.model.cards) == n, timeout=timeout)


def test_raising_top_k_re_ranks_the_stored_scores_without_a_model_run(qtbot, window, tmp_path):
    load(qtbot, window, DEMO)
    panel = window.classify_panel
    panel.top_spin.setValue(3)
    panel.classify([str(p) for p in PICK])
    classified(qtbot, panel, 2)
    cards = list(panel.model.cards)
    assert all(len(c.top) == 3 for c in cards)
    asked = []
    window.controller.classification_ready.connect(asked.append)
    panel.top_spin.setValue(5)
    assert not panel._jobs and asked == []  # nothing sent to the model again
    assert panel.model.cards == cards
    for row in panel.results_json():
        assert len(row["top"]) == 5
        scores = [t["score"] for t in row["top"]]
        assert scores == sorted(scores, reverse=True) and len({t["label"] for t in row["top"]}) == 5
    out = panel.export(tmp_path / "top5.csv")
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2 and all(r["label_5"] and r["score_5"] for r in rows)
    assert rows[0]["label_1"] == cards[0].top[0][0]


def test_images_opened_before_any_model_are_kept_and_classified_once_one_is_ready(qtbot, window):
    panel = window.classify_panel
    assert panel.classify([str(p) for p in PICK]) is None  # nothing to classify them with yet
    assert panel.stack.currentWidget() is panel.hint
    assert panel.hint.title == "2 images waiting for a model"
    assert "kept" in window.status_text.text()
    load(qtbot, window, DEMO)
    classified(qtbot, panel, 2)
    assert sorted(c.name for c in panel.model.cards) == ["circle_01.png", "star_02.png"]
    assert not any(c.error for c in panel.model.cards)
    assert panel.hint.title == "Drop images or folders here"
