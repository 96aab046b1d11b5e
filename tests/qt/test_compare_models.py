"""Comparing models in the real main window: File › Add Model to Compare opens a second real model in
its own slot; Classify cards carry every model's top-k, disagreements are marked and can be shown
alone; a compared model that fails is reported for its slot while the main model keeps working; the
Live tab feeds the same frames to both models, one lane each, with their agreement rate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.labelled import SHAPES_MODEL, second_shapes_model, shapes_folder
from PySide6.QtWidgets import QApplication

from livepredict.app import parse_args

WAIT = 120_000
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SAMPLE_VIDEO = Path(__file__).resolve().parents[2] / "resources" / "samples" / "shapes.avi"
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")  # offscreen plugin, harmless


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    return shapes_folder(root / "shapes", rendered_per_class=2), second_shapes_model(root / "crop")


def _open_both(qtbot, window, crop):
    c = window.controller
    with qtbot.waitSignal(c.model_loaded, timeout=WAIT, check_params_cb=lambda m: m.slot == "main"):
        window.open_model(SHAPES_MODEL)
    with qtbot.waitSignal(c.model_loaded, timeout=WAIT, check_params_cb=lambda m: m.slot == "compare1"):
        assert window.compare.add(crop) == "compare1"


def _classify_all(qtbot, window, items):
    panel = window.classify_panel
    finished: list = []
    window.controller.batch_finished.connect(finished.append)
    panel.classify(items)
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=WAIT)  # the main job and the compared model's
    return panel


def test_cards_show_both_models_and_filter_disagreements(qtbot, window, data):
    folder, crop = data
    _open_both(qtbot, window, crop)
    assert window.compare.names() == {"compare1": "shapes_crop.keras"}
    qtbot.waitUntil(lambda: "shapes_crop.keras open to compare" in window.status_text.text())
    # memory per slot: how much the process grew while the compared model opened, measured, not its file size
    loaded = window.compare.open["compare1"]
    assert loaded.memory_bytes is not None and loaded.memory_text in window.status_text.text()
    assert re.search(r"\+\d+(\.\d)? [KM]B in memory", window.status_text.text())
    panel = _classify_all(qtbot, window, [str(folder)])
    cc = panel.compare_cards
    cards = panel.model.cards
    assert len(cards) == 37 + 6 * 2
    assert all(cc.answers[c.key]["compare1"].prediction is not None for c in cards)
    assert panel.delegate.extra_w > 0 and panel.disagree_box.isVisible()
    differ = {c.key for c in cards
              if c.top[0][0] != cc.answers[c.key]["compare1"].prediction.top[0][0]}
    assert differ, "the centre crop changes some answers"
    assert {c.key for c in cards if cc.disagrees(c)} == differ
    panel.disagree_box.setChecked(True)
    shown = {c.key for i, c in enumerate(cards) if not panel.view.isRowHidden(i)}
    assert shown == differ
    QApplication.processEvents()
    window.grab().save(str(ARTIFACTS / "compare_cards.png"))
    panel.disagree_box.setChecked(False)
    assert not any(panel.view.isRowHidden(i) for i in range(len(cards)))


def test_a_compared_model_that_fails_is_reported_for_its_slot(qtbot, window, data, tmp_path):
    folder, crop = data
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"PK\x03\x04 not a model")
    c = window.controller
    with qtbot.waitSignal(c.model_loaded, timeout=WAIT, check_params_cb=lambda m: m.slot == "main"):
        window.open_model(SHAPES_MODEL)
    with qtbot.waitSignal(c.load_failed, timeout=WAIT):
        window.compare.add(broken)
    qtbot.waitUntil(lambda: window.status_text.text().startswith("broken.keras could not be opened to compare:"))
    assert window.compare.names() == {} and window.last_error is None  # not the main model's error
    assert window.model_label.text().startswith("shapes.keras")
    with qtbot.waitSignal(c.batch_finished, timeout=WAIT):
        window.classify_panel.classify([str(folder / "star")])
    assert all(card.error is None for card in window.classify_panel.model.cards)
    with qtbot.waitSignal(c.model_loaded, timeout=WAIT, check_params_cb=lambda m: m.slot == "compare1"):
        window.compare.add(crop)  # the slot is free again
    window.compare.close_all()
    assert window.compare.names() == {} and not window.classify_panel.disagree_box.isVisible()


def test_labels_the_main_model_lacks_are_named(qtbot, window, model_files):
    c = window.controller
    with qtbot.waitSignal(c.model_loaded, timeout=WAIT, check_params_cb=lambda m: m.slot == "main"):
        window.open_model(SHAPES_MODEL)
    with qtbot.waitSignal(c.model_loaded, timeout=WAIT, check_params_cb=lambda m: m.slot == "compare1"):
        window.compare.add(model_files["keras"])  # the colour classifier: red, green, blue
    qtbot.waitUntil(lambda: ("Its labels red, green, blue are not labels of shapes.keras: the models are compared "
                             "by name on the labels they share.") in window.status_text.text())


def test_command_line_compare_models():
    args = parse_args(["a.keras", "--compare", "b.keras", "c.tflite"])
    assert args.model == "a.keras" and args.compare == ["b.keras", "c.tflite"]


def test_live_gives_every_model_its_lane_and_the_agreement_rate(qtbot, window, data):
    _, crop = data
    _open_both(qtbot, window, crop)
    window.show_panel("Live")
    panel = window.panel("Live")
    lanes = panel.lanes
    assert not lanes.isHidden() and set(lanes.lanes) == {"main", "compare1"}
    panel.start(str(SAMPLE_VIDEO))
    qtbot.waitUntil(lambda: len(lanes.recent["main"]) >= 20 and len(lanes.recent["compare1"]) >= 20,
                    timeout=WAIT)
    panel.stop()
    main = {f: label for f, label, _ in lanes.recent["main"]}
    both = [label == main[f] for f, label, _ in lanes.recent["compare1"] if f in main][-100:]
    assert both and lanes.agreement("compare1") == pytest.approx(sum(both) / len(both))
    assert lanes.ms["main"] > 0 and lanes.ms["compare1"] > 0
    # the empty compare slots are fed too (a model may be added any time): their frames are not the main's loss
    assert window.controller.worker.live.skipped > 0
    assert panel.pipeline.frames_dropped == panel.pipeline.mailbox.dropped_count
    lane = lanes.lanes["compare1"]
    tail = lane.tail_text()
    assert tail.startswith(f"{lanes.ms['compare1']:.1f} ms · agrees ")
    wide = tail + " · 123,456 skipped"  # a long run's figures still fit, beside the strip
    strip, figures = lane.columns(lane.fontMetrics(), wide)
    assert lane.fontMetrics().horizontalAdvance(wide) <= figures.width() and strip.right() < figures.left()
    QApplication.processEvents()
    window.grab().save(str(ARTIFACTS / "compare_live.png"))
