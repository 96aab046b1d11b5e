"""The bundled detector and segmenter in the real Classify and Live panels (real models, real
pictures and video, a real inference thread): boxes and masks drawn where the shapes are, the
thresholds re-filter without a model run, the live view, plot, snapshot and recording follow."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage

from livepredict.core.types import Detections, Segmentation
from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.ui import overlays
from livepredict.ui.classify.cards import THUMB
from livepredict.ui.classify.found import card_rows
from livepredict.ui.classify.panel import ClassifyPanel
from livepredict.ui.live.found import MEAN_SCORE
from livepredict.ui.live.panel import LivePanel
from livepredict.ui.live.recording import RECORD_COLUMNS
from livepredict.ui.panel import AppContext

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

ROOT = Path(__file__).resolve().parents[2]
DETECTOR = ROOT / "models" / "detector.keras"
SEGMENTER = ROOT / "models" / "segmenter.keras"
SCENES = ROOT / "resources" / "samples" / "scenes"
VIDEO = ROOT / "resources" / "samples" / "scenes.avi"


def _count_colour(img: QImage, rect: QRectF, colour: QColor, tol: int = 30) -> int:
    """Pixels of ``colour`` (within ``tol`` per channel) inside ``rect`` of ``img``."""
    a = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = a.width(), a.height(), a.bytesPerLine()
    px = np.frombuffer(a.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)[:, :w * 3].reshape(h, w, 3)
    x0, y0 = max(0, int(rect.left())), max(0, int(rect.top()))
    x1, y1 = min(w, int(rect.right()) + 1), min(h, int(rect.bottom()) + 1)
    part = px[y0:y1, x0:x1].astype(int)
    want = np.array([colour.red(), colour.green(), colour.blue()])
    return int((np.abs(part - want).max(axis=2) <= tol).sum())


@pytest.fixture
def classify(qtbot, isolated_settings):
    controller = InferenceController()
    panel = ClassifyPanel(AppContext(controller, Settings()))
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    qtbot.waitExposed(panel)
    yield panel, controller
    assert controller.shutdown(5000)


def _open(qtbot, controller, path: Path):
    with qtbot.waitSignal(controller.model_loaded, timeout=120_000) as sig:
        controller.open_model(str(path))
    return sig.args[0]


def _card_rect(panel: ClassifyPanel) -> QRectF:
    return QRectF(panel.view.visualRect(panel.model.index(0))).adjusted(5, 5, -5, -5)


def _thumb_rect(panel: ClassifyPanel, size: tuple[int, int]) -> QRectF:
    """Where the picture of (h, w) lies in the first card (cards.py's layout)."""
    r = _card_rect(panel)
    h, w = size
    k = THUMB / max(h, w)
    left = r.left() + 10 + (THUMB - w * k) / 2
    top = r.top() + (r.height() - THUMB) / 2 + (THUMB - h * k) / 2
    return QRectF(left, top, w * k, h * k)


def test_classify_draws_the_detectors_boxes_the_thresholds_refilter_without_a_model_run_and_the_preview_has_them(qtbot, classify,
                                                                                                              tmp_path):
    panel, controller = classify
    loaded = _open(qtbot, controller, DETECTOR)
    assert loaded.info.task == "object-detector" and panel.thresholds.isVisible()
    picture = SCENES / "scene_01.jpg"
    with qtbot.waitSignal(controller.classification_ready, timeout=60_000):
        panel.classify([str(picture)])
    card = panel.model.cards[0]
    det = card.prediction.result
    assert isinstance(det, Detections) and det.items, card.prediction
    truth = json.loads((SCENES / "truth.json").read_text())[picture.name]
    assert len(det.items) >= len(truth["labels"]) - 1
    results = []
    controller.classification_ready.connect(results.append)
    panel.view.viewport().repaint()
    thumb = _thumb_rect(panel, det.image_size)
    k = thumb.width() / det.image_size[1]
    weak = min(det.items, key=lambda d: d.score)  # the box the new threshold takes away
    colour = overlays.class_colour(weak.class_id)
    x0, y0, x1, y1 = weak.box
    edge = QRectF(thumb.left() + x0 * k - 2, thumb.top() + y0 * k - 2, (x1 - x0) * k + 4, 5)  # the top edge
    before = _count_colour(panel.view.viewport().grab().toImage(), edge, colour)
    assert before >= (x1 - x0) * k * 0.5
    rows = card_rows(panel.thresholds.shown(det), ())
    assert sum(int(text.split()[0]) for text, _, _ in rows) == len(det.items)  # "2 star", "1 cross", …
    threshold = min(1.0, math.floor(weak.score * 100) / 100 + 0.01)
    assert weak.score < threshold
    panel.thresholds.score_spin.setValue(threshold)
    panel.view.viewport().repaint()
    shown = panel.thresholds.shown(det)
    assert weak not in shown.items and len(shown.items) < len(det.items)
    assert all(d.score >= threshold for d in shown.items)
    after = _count_colour(panel.view.viewport().grab().toImage(), edge, colour)
    assert after < before * 0.3
    # the export holds what the tab shows: a row per detection kept at these thresholds, as classify --csv
    with open(panel.export(tmp_path / "shown.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["path", "label", "score", "x0", "y0", "x1", "y1", "error"]
    assert [(r["label"], round(float(r["score"]), 4)) for r in rows] == [(d.label, round(d.score, 4)) for d in shown.items]
    assert all(r["path"] == str(picture) for r in rows)
    exported = json.loads(panel.export(tmp_path / "shown.json").read_text())
    assert [d["label"] for d in exported[0]["detections"]] == [d.label for d in shown.items]
    panel.thresholds.score_spin.setValue(0.25)
    assert len(panel.thresholds.shown(det).items) == len(det.items)
    assert results == []  # no model run: only the kept candidates were filtered again

    # the preview of the tensor fed to the model: letterboxed, with the boxes where the model saw them
    panel.clear()
    picture = SCENES / "scene_04.jpg"  # 480x270: bars above and below
    with qtbot.waitSignal(controller.tensor_previewed, timeout=60_000):
        with qtbot.waitSignal(controller.classification_ready, timeout=60_000):
            panel.classify([str(picture)])
    qtbot.waitUntil(lambda: panel.tensor.preview is not None and panel.tensor.preview.key.endswith(picture.name))
    det = panel.model.cards[0].prediction.result
    pm = panel.tensor.image.pixmap().toImage()
    assert pm.width() == pm.height() == 240
    bar = 240 * (1 - 270 / 480) / 2
    assert pm.pixelColor(120, int(bar / 2)) == QColor(0, 0, 0)  # the letterbox bar, black
    best = det.items[0]
    x0, y0, x1, _ = best.box
    k = 240 / 480
    top = QRectF(x0 * k, bar + y0 * k - 3, (x1 - x0) * k, 6)
    assert _count_colour(pm, top, overlays.class_colour(best.class_id)) >= (x1 - x0) * k * 0.4


def test_classify_draws_the_segmenters_mask_and_lists_the_share_per_class(qtbot, classify):
    panel, controller = classify
    loaded = _open(qtbot, controller, SEGMENTER)
    assert loaded.info.task == "segmenter" and not panel.thresholds.isVisible()
    with qtbot.waitSignal(controller.classification_ready, timeout=60_000):
        panel.classify([str(SCENES / "scene_03.jpg")])
    seg = panel.model.cards[0].prediction.result
    assert isinstance(seg, Segmentation) and seg.mask.shape == (300, 300)
    truth = json.loads((SCENES / "truth.json").read_text())["scene_03.jpg"]
    assert {lbl for lbl, _ in seg.top} & set(truth["labels"])
    panel.view.viewport().repaint()
    img = panel.view.viewport().grab().toImage()
    thumb = _thumb_rect(panel, seg.mask.shape)
    k = thumb.width() / 300
    # a pixel in the middle of the biggest shape is tinted, a background corner is not
    ys, xs = np.nonzero(seg.mask == int(np.argmax(seg.fractions[1:]) + 1))
    cy, cx = int(np.median(ys)), int(np.median(xs))
    from PIL import Image

    raw = np.asarray(Image.open(SCENES / "scene_03.jpg").convert("RGB").resize((int(round(300 * k)),) * 2))
    got = img.pixelColor(int(thumb.left() + cx * k), int(thumb.top() + cy * k))
    plain = raw[int(cy * k), int(cx * k)]
    assert max(abs(got.red() - int(plain[0])), abs(got.green() - int(plain[1])), abs(got.blue() - int(plain[2]))) > 15


@pytest.fixture
def live(qtbot, isolated_settings):
    controller = InferenceController()
    panel = LivePanel(AppContext(controller, Settings()))
    qtbot.addWidget(panel)
    panel.resize(1100, 650)
    panel.show()
    qtbot.waitExposed(panel)
    yield panel, controller
    panel.shutdown()
    assert controller.shutdown(5000)


def test_live_draws_the_detectors_boxes_over_the_video_counts_them_and_records_them(qtbot, live, tmp_path):
    panel, controller = live
    _open(qtbot, controller, DETECTOR)
    panel.loop_box.setChecked(False)
    panel.start_recording(tmp_path / "rec.csv")
    assert panel.start(str(VIDEO))
    qtbot.waitUntil(lambda: panel.pipeline.frames_inferred >= 15 and isinstance(panel.found.layer.result, Detections)
                    and bool(panel.found.layer.result.items), timeout=60_000)
    panel.set_paused(True)
    panel.paint(force=True)
    det = panel.found.layer.result
    label = panel.view.label.textItem.toPlainText().strip()
    assert label and label[0].isdigit()  # "2 star, 1 cross, …"
    img = panel.view.grab().toImage()
    vb = panel.view.view
    best = det.items[0]
    a = panel.view.mapFromScene(vb.mapViewToScene(QPointF(best.box[0], best.box[1])))
    b = panel.view.mapFromScene(vb.mapViewToScene(QPointF(best.box[2], best.box[1])))
    edge = QRectF(a.x(), a.y() - 3, b.x() - a.x(), 6)
    assert _count_colour(img, edge, overlays.class_colour(best.class_id)) >= (b.x() - a.x()) * 0.5
    # the plot: one row per class and the mean score
    assert panel.labels[-1] == MEAN_SCORE and panel.scores is not None
    from PySide6.QtWidgets import QLabel

    assert panel.side.findChild(QLabel, "Title").text() == "Boxes per class over time"
    _, rows = panel.scores.view()
    assert rows[-1, :-1].sum() >= 1 and 0 < rows[-1, -1] <= 1
    shot = panel.snapshot_image()
    x0, y0, x1, _ = (int(v) for v in best.box)
    assert _count_colour(shot, QRectF(x0, y0 - 2, x1 - x0, 4), overlays.class_colour(best.class_id)) >= (x1 - x0) * 0.5
    panel.stop_recording()
    body = list(csv.reader((tmp_path / "rec.csv").open()))
    assert tuple(body[0]) == RECORD_COLUMNS
    col = {n: i for i, n in enumerate(RECORD_COLUMNS)}
    frames = [r[col["frame"]] for r in body[1:]]
    assert len(body) - 1 > len(set(frames))  # several rows (detections) per frame
    assert all(r[col["x1"]] for r in body[1:] if r[col["label"]])
