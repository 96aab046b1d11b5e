"""What a new user trips over on the Classify tab: Top-k, images before a model, the tab opened."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtGui import QColor

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


def test_the_empty_tab_offers_first_steps(qtbot, window):
    panel = window.classify_panel
    texts = [b.text() for b in panel.first_steps]
    assert texts == ["Try the Sample Images", "Open Images…", "Open Folder…", "Open Model…"]
    assert all(b.isVisible() for b in panel.first_steps)
    assert any(a.text() == "Open &Folder…" for a in window.menuBar().actions()[0].menu().actions())
    load(qtbot, window, DEMO)
    panel.first_steps[0].click()
    n = len([p for p in SAMPLES.iterdir() if p.suffix in (".png", ".jpg")])
    classified(qtbot, panel, n)
    assert not any(c.error for c in panel.model.cards)


def test_uncertain_cards_are_marked_sorted_filtered_and_counted(qtbot, window):
    from livepredict.ui.classify.arrange import UNCERTAIN

    load(qtbot, window, DEMO)
    panel = window.classify_panel
    panel.classify([str(SAMPLES)])
    n = len([p for p in SAMPLES.iterdir() if p.suffix in (".png", ".jpg")])
    classified(qtbot, panel, n)
    bar = panel.arrange
    assert bar.isVisible()
    tops = [c.top[0][1] for c in panel.model.cards]
    bar.threshold.setValue(99)
    unsure = sum(1 for s in tops if s < 0.99)
    assert 0 < unsure < n, "the sample images should hold sure and unsure answers"
    assert f"{unsure} uncertain" in bar.counts.text()
    labels = {c.top[0][0] for c in panel.model.cards}
    assert all(f"{lbl} " in bar.counts.text() for lbl in labels)  # a count per label
    bar.sort.setCurrentIndex(bar.sort.findData("low"))
    scores = [c.top[0][1] for c in panel.model.cards]
    assert scores == sorted(scores)  # least confident first
    bar.show_box.setCurrentIndex(bar.show_box.findData(UNCERTAIN))
    visible = [c for row, c in enumerate(panel.model.cards) if not panel.view.isRowHidden(row)]
    assert len(visible) == unsure and all(c.top[0][1] < 0.99 for c in visible)
    shots = ROOT / "tests" / "artifacts" / "qt"
    shots.mkdir(parents=True, exist_ok=True)
    panel.grab().save(str(shots / "classify-uncertain.png"))  # looked at: the badge and the red score
    from livepredict.ui import theme

    def marks() -> int:  # pixels in the error colour on the cards (the badge, the score)
        img = panel.view.viewport().grab().toImage()
        err = QColor(theme.current().error)
        return sum(1 for x in range(0, img.width(), 2) for y in range(0, img.height(), 2)
                   if max(abs(img.pixelColor(x, y).red() - err.red()), abs(img.pixelColor(x, y).green() - err.green()),
                          abs(img.pixelColor(x, y).blue() - err.blue())) <= 24)

    bar.show_box.setCurrentIndex(0)  # all cards, at 99 % and at 1 %: only the marks differ
    marked = marks()
    bar.threshold.setValue(1)  # nothing is uncertain below 1 %: the same cards, unmarked
    assert marked > marks() + 30
    bar.threshold.setValue(99)
    bar.show_box.setCurrentIndex(bar.show_box.findData("star"))
    visible = [c for row, c in enumerate(panel.model.cards) if not panel.view.isRowHidden(row)]
    assert visible and all(c.top[0][0] == "star" for c in visible)
    bar.sort.setCurrentIndex(bar.sort.findData("added"))
    assert [c.seq for c in panel.model.cards] == list(range(n))
