"""Explain in the real window: heatmaps blended on the Classify cards and the large view, and over the
live video (with its age shown, and in the snapshot). Screenshots go to tests/artifacts/explain/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from livepredict.core.heatmap import blend
from livepredict.ui.widgets import rgb_from_qimage

ROOT = Path(__file__).resolve().parents[2]
SHAPES = ROOT / "models" / "shapes.keras"
SAMPLES = ROOT / "resources" / "samples"
SHOTS = ROOT / "tests" / "artifacts" / "explain"
WAIT = 120_000

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_classify_cards_and_large_view_show_heatmaps(qtbot, window):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT):
        window.open_model(SHAPES)
    panel = window.classify_panel
    window.tabs.setCurrentWidget(panel)
    paths = [str(SAMPLES / "images" / n) for n in ("circle_01.png", "cross_02.png", "star_02.png")]
    with qtbot.waitSignal(window.controller.batch_finished, timeout=WAIT):
        panel.classify(paths)
    ex = panel.explain
    assert not ex.controls.label_box.isVisible()
    ex.controls.toggle.setChecked(True)
    qtbot.waitUntil(lambda: all(c.overlay is not None for c in panel.model.cards), timeout=WAIT)
    assert ex.controls.label_box.count() == 7 and ex.controls.legend.isVisible()
    qtbot.waitUntil(lambda: "Grad-CAM at b4_relu" in ex.controls.status.text(), timeout=WAIT)
    panel.view.setCurrentIndex(panel.model.index(1))
    qtbot.waitUntil(lambda: ex.large.pixmap() is not None and not ex.large.pixmap().isNull(), timeout=5_000)
    assert ex.large_caption.text().startswith("Where the model looked for cross (")
    shot = window.grab()
    shot.save(str(SHOTS / "classify.png"))
    card = panel.model.cards[0]
    before = ex.results[card.key].thumbnail
    after = rgb_from_qimage(card.overlay.toImage())
    values = ex.results[card.key].heatmap.values
    diff = np.abs(after.astype(int) - before.astype(int)).sum(axis=2)
    assert before.shape == after.shape and diff[values > 0.7].mean() > diff[values < 0.2].mean() + 20

    ex.controls.colormap_box.setCurrentText("viridis")  # same maps, drawn again: no new request
    viridis = rgb_from_qimage(panel.model.cards[0].overlay.toImage())
    assert np.array_equal(viridis, blend(before, values, 0.6, "viridis")) and not ex._jobs
    ex.controls.label_box.setCurrentText("square")  # another class: new maps
    qtbot.waitUntil(lambda: not ex._jobs and all(r.heatmap.label == "square" for r in ex.results.values())
                    and len(ex.results) == 3, timeout=WAIT)
    ex.controls.toggle.setChecked(False)
    assert all(c.overlay is None for c in panel.model.cards) and not ex.large.isVisible()


def test_live_video_shows_the_heatmap_and_the_snapshot_has_it(qtbot, window, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT):
        window.open_model(SHAPES)
    window.show_panel("Live")
    live = window.panel("Live")
    heat = live.heat
    made: list = []
    window.controller.live_explained.connect(made.append)
    heat.controls.toggle.setChecked(True)
    live.loop_box.setChecked(True)
    assert live.start(str(SAMPLES / "shapes.avi"))
    qtbot.waitUntil(lambda: len(made) >= 3 and heat.item.isVisible() and "s old" in heat.controls.status.text(),
                    timeout=WAIT)
    assert heat.item.image is not None and heat.item.image.max() <= 1.0
    window.grab().save(str(SHOTS / "live.png"))
    with_heat = rgb_from_qimage(live.snapshot_image().convertToFormat(QImage.Format.Format_RGB888))
    heat.controls.toggle.setChecked(False)
    assert not heat.item.isVisible()
    plain = rgb_from_qimage(live.snapshot_image().convertToFormat(QImage.Format.Format_RGB888))
    live.stop()
    assert with_heat.shape == plain.shape
    assert np.mean(np.abs(with_heat.astype(int) - plain.astype(int))) > 1.0  # the frames differ a little anyway


def test_model_tab_picks_the_gradcam_layer_and_saves_it_in_the_sidecar(qtbot, window, tmp_path):
    import json
    import shutil

    from livepredict.ui.explain_layer import AUTO, ExplainLayerBox

    model = tmp_path / "shapes.keras"
    shutil.copy(SHAPES, model)
    shutil.copy(str(SHAPES) + ".livepredict.json", str(model) + ".livepredict.json")
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT):
        window.open_model(model)
    box = window.panel("Model").findChild(ExplainLayerBox)
    names = [box.box.itemText(i) for i in range(box.box.count())]
    assert names[0] == AUTO and "b3_relu" in names and "b4_relu" in names and "gap" not in names and "image" not in names
    panel = window.classify_panel
    with qtbot.waitSignal(window.controller.batch_finished, timeout=WAIT):
        panel.classify([str(SAMPLES / "images" / "star_02.png")])
    ex = panel.explain
    ex.controls.toggle.setChecked(True)
    qtbot.waitUntil(lambda: len(ex.results) == 1 and not ex._jobs, timeout=WAIT)
    assert next(iter(ex.results.values())).heatmap.layer == "b4_relu"
    box.box.setCurrentText("b3_relu")  # the cards are explained again at that layer
    qtbot.waitUntil(lambda: len(ex.results) == 1 and not ex._jobs, timeout=WAIT)
    heat = next(iter(ex.results.values())).heatmap
    assert heat.layer == "b3_relu" and heat.grid.shape == (12, 12)
    box.save()
    window.show_panel("Model")
    window.grab().save(str(SHOTS / "model.png"))
    assert json.loads((tmp_path / "shapes.keras.livepredict.json").read_text())["explain_layer"] == "b3_relu"
    assert box.note.text() == "Saved in shapes.keras.livepredict.json."
