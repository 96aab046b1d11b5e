"""Boxes and masks drawn by ``ui.overlays`` on real widgets: Classify cards and their threshold
controls, the live video view, the snapshot PNG and the CSV recording."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from livepredict.core.types import Detection, Detections, Prediction, Segmentation
from livepredict.ui import overlays
from livepredict.ui.classify.cards import THUMB, Card, CardDelegate, CardModel, CardView
from livepredict.ui.classify.found import Thresholds
from livepredict.ui.live.recording import RECORD_COLUMNS, PredictionRecorder, annotated
from livepredict.ui.plots import VideoView
from livepredict.ui.widgets import pixmap_from_rgb

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

LABELS = ("circle", "square", "triangle")
H, W = 120, 200  # a landscape picture: the thumbnail is letterboxed inside the card's square


def _detections() -> Detections:
    """Two candidates: a strong circle on the left, a weaker square on the right."""
    boxes = np.array([[20, 30, 80, 90], [120, 20, 180, 100]], np.float32)
    scores = np.array([0.9, 0.4], np.float32)
    ids = np.array([0, 1], np.int32)
    items = tuple(Detection(LABELS[i], float(s), tuple(float(v) for v in b), int(i))
                  for b, s, i in zip(boxes, scores, ids, strict=True))
    return Detections(items=items, labels=LABELS, image_size=(H, W), boxes=boxes, box_scores=scores, class_ids=ids)


def _grey(h: int = H, w: int = W) -> np.ndarray:
    return np.full((h, w, 3), 128, np.uint8)


def _near(img: QImage, x: float, y: float, colour: QColor, r: int = 2, tol: int = 40) -> bool:
    """Some pixel within ``r`` of (x, y) is ``colour`` (within ``tol`` per channel)."""
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            c = img.pixelColor(int(round(x)) + dx, int(round(y)) + dy)
            if max(abs(c.red() - colour.red()), abs(c.green() - colour.green()), abs(c.blue() - colour.blue())) <= tol:
                return True
    return False


@pytest.fixture
def cards(qtbot):
    model = CardModel()
    delegate = CardDelegate()
    thresholds = Thresholds()
    delegate.shown = thresholds.shown
    view = CardView(delegate)
    view.setModel(model)
    view.setItemDelegate(delegate)
    view.resize(400, 200)
    qtbot.addWidget(view)
    qtbot.addWidget(thresholds)
    view.show()
    qtbot.waitExposed(view)
    pred = Prediction(top=_detections().top, result=_detections())
    model.add(Card(key="scene.png", name="scene.png", load_id=1, job_id=1, prediction=pred, error=None,
                   total_ms=1.0, thumb=pixmap_from_rgb(_grey())))
    return view, delegate, thresholds


def _thumb_point(view: CardView, x: float, y: float) -> tuple[float, float]:
    """Where original pixel (x, y) lands in the first card's thumbnail (cards.py's layout)."""
    r = QRectF(view.visualRect(view.model().index(0))).adjusted(5, 5, -5, -5)
    k = THUMB / W  # landscape: the width fills the thumbnail square
    left, top = r.left() + 10, r.top() + (r.height() - THUMB) / 2 + (THUMB - H * k) / 2
    return left + x * k, top + y * k


def test_a_card_draws_its_boxes_where_they_are_and_the_score_threshold_refilters_them(qtbot, cards):
    view, _, thresholds = cards
    circle, square = overlays.class_colour(0), overlays.class_colour(1)
    img = view.viewport().grab().toImage()
    # the circle's left edge (x0 = 20) halfway down, the square's right edge (x1 = 180)
    assert _near(img, *_thumb_point(view, 20, 60), circle)
    assert _near(img, *_thumb_point(view, 180, 60), square)
    assert not _near(img, *_thumb_point(view, 100, 60), circle)  # between the boxes: grey picture
    # 0.4 < 0.5 < 0.9: the square goes, the circle stays; no model involved, only the candidates kept
    thresholds.score_spin.setValue(0.5)
    view.viewport().repaint()
    img = view.viewport().grab().toImage()
    assert _near(img, *_thumb_point(view, 20, 60), circle)
    assert not _near(img, *_thumb_point(view, 180, 60), square)
    # the card's rows follow: one circle, no square
    assert [d.label for d in thresholds.shown(_detections()).items] == ["circle"]


def test_the_iou_threshold_merges_overlapping_boxes_of_one_class():
    boxes = np.array([[0, 0, 100, 100], [10, 0, 110, 100], [0, 0, 100, 100]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)
    ids = np.array([0, 0, 1], np.int32)
    det = Detections(items=(), labels=LABELS, image_size=(200, 200), boxes=boxes, box_scores=scores, class_ids=ids)
    t = Thresholds()
    t.set_values(0.1, 0.45)  # the two circles overlap by IoU 0.82: one is kept; the square is another class
    assert [(d.label, d.score) for d in t.shown(det).items] == [("circle", pytest.approx(0.9)),
                                                                  ("square", pytest.approx(0.7))]
    t.set_values(0.1, 0.9)
    assert len(t.shown(det).items) == 3


def _seg() -> Segmentation:
    mask = np.zeros((H, W), np.uint8)
    mask[20:60, 30:90] = 1  # circle
    mask[70:110, 120:190] = 2  # square
    n = mask.size
    fr = tuple(float((mask == k).sum()) / n for k in range(3))
    return Segmentation(mask=mask, labels=("background", "circle", "square"), fractions=fr)


def test_a_mask_is_drawn_translucent_in_its_class_colour_and_the_background_is_left_alone():
    img = QImage(W, H, QImage.Format.Format_RGB32)
    img.fill(QColor(128, 128, 128))
    p = QPainter(img)
    overlays.paint(p, _seg(), overlays.Mapping())
    p.end()
    grey = QColor(128, 128, 128)
    inside = img.pixelColor(60, 40)
    assert inside != grey and img.pixelColor(5, 5) == grey
    # translucent: between the grey picture and the class colour, nearer the picture
    c = overlays.class_colour(0)  # the segmenter's class 1 shares the detector's class 0 colour
    for got, want in ((inside.red(), c.red()), (inside.green(), c.green()), (inside.blue(), c.blue())):
        assert min(128, want) - 2 <= got <= max(128, want) + 2
    assert img.pixelColor(150, 90) != grey and img.pixelColor(150, 90) != inside
    assert overlays.summary(_seg()).startswith("square")  # the bigger share first


def test_the_live_view_paints_the_boxes_over_the_frame(qtbot):
    from livepredict.ui.live.found import LiveFound

    class _Ctx:  # no model opened: LiveFound only listens to the controller
        class controller:  # noqa: N801
            class model_loaded:  # noqa: N801
                connect = staticmethod(lambda f: None)
            profile_applied = model_loaded

        current_model = staticmethod(lambda: None)

    view = VideoView()
    view.resize(W * 2 + 20, H * 2 + 20)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    from livepredict.ui.plots import ConfidencePlot

    plot = ConfidencePlot()
    qtbot.addWidget(plot)
    found = LiveFound(view, plot, _Ctx)
    view.show_frame(_grey())
    found.show(Prediction(top=_detections().top, result=_detections()))
    assert view.label.textItem.toPlainText().strip() == "1 circle, 1 square"
    qtbot.waitUntil(lambda: view.view.viewRect().width() > 0)
    img = view.grab().toImage()
    circle = overlays.class_colour(0)
    vb = view.view
    at = view.mapFromScene(vb.mapViewToScene(QPointF(20, 60)))  # frame pixel -> widget pixel
    assert _near(img, at.x(), at.y(), circle, r=3)
    # a classifier's result afterwards: no boxes left
    found.show(Prediction(top=(("cat", 0.9),), scores=np.array([0.9, 0.1], np.float32)))
    assert found.layer.result is None


def test_the_snapshot_has_the_boxes_and_the_recording_one_row_per_detection(tmp_path):
    det = _detections()
    pred = Prediction(top=det.top, result=det, frame_index=7, capture_ts=1.0)
    img = annotated(_grey(), pred)
    assert _near(img, 20, 60, overlays.class_colour(0), r=1)
    assert _near(img, 180, 60, overlays.class_colour(1), r=1)
    rec = PredictionRecorder(tmp_path / "rec.csv")
    rec.write(pred)
    rec.write(Prediction(top=(), result=Detections(items=(), labels=LABELS, image_size=(H, W)), frame_index=8))
    assert rec.close() == ""
    rows = list(csv.reader((tmp_path / "rec.csv").open()))
    assert tuple(rows[0]) == RECORD_COLUMNS
    col = {name: i for i, name in enumerate(RECORD_COLUMNS)}
    body = rows[1:]
    assert [(r[col["frame"]], r[col["label"]]) for r in body] == [("7", "circle"), ("7", "square"), ("8", "")]
    assert [float(v) for v in body[0][col["x0"]:col["y1"] + 1]] == [20.0, 30.0, 80.0, 90.0]
