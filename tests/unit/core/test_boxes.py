"""core.boxes: vectorised NMS keeps exactly what greedy NMS keeps, class-aware; candidates map back,
broken boxes are dropped and counted; re-filtering with other thresholds needs no model."""

from __future__ import annotations

import numpy as np
import pytest

from livepredict.core.boxes import iou_matrix, make_detections, nms, refilter, to_xyxy, weighted_nms
from livepredict.core.geometry import placement


def greedy(boxes, scores, thr, classes=None):
    """The textbook loop, one box at a time (the reference)."""
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if (classes is not None and classes[j] != classes[i])
                 or iou_matrix(boxes[i:i + 1], boxes[j:j + 1])[0, 0] <= thr]
    return keep


@pytest.mark.parametrize("seed", range(5))
def test_nms_equals_greedy_nms(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 80, (150, 2))
    wh = rng.uniform(5, 40, (150, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1)
    scores = rng.uniform(0, 1, 150)
    classes = rng.integers(0, 3, 150)
    assert list(nms(boxes, scores, 0.45)) == greedy(boxes, scores, 0.45)
    assert list(nms(boxes, scores, 0.3, classes)) == greedy(boxes, scores, 0.3, classes)


def test_formats_and_weighted_nms():
    np.testing.assert_allclose(to_xyxy([[5, 6, 4, 2]], "cxcywh"), [[3, 5, 7, 7]])
    np.testing.assert_allclose(to_xyxy([[1, 2, 3, 4]], "yxyx"), [[2, 1, 4, 3]])
    b, s, _ = weighted_nms(np.array([[0, 0, 10, 10], [2, 0, 12, 10], [50, 50, 60, 60.0]]), np.array([0.9, 0.3, 0.5]))
    np.testing.assert_allclose(b[0], [0.5, 0, 10.5, 10])  # (0.9 * 0 + 0.3 * 2) / 1.2
    assert list(s) == [0.9, 0.5]


def test_make_detections_maps_drops_counts_and_refilters():
    where = placement((100, 200), (50, 50), "squash")  # 4 px per model px across, 2 down
    boxes = np.array([[10, 10, 20, 20], [11, 10, 21, 20], [np.nan, 0, 5, 5], [30, 30, 20, 40],
                      [40, 40, 60, 60], [0, 0, 5, 5]], np.float64)
    scores = np.array([0.9, 0.8, 0.9, 0.9, 0.3, 0.1])
    det = make_detections(boxes, scores, np.array([0, 0, 0, 0, 1, 1]), ("a", "b"), where, 0.25, 0.45)
    assert [(d.label, d.score) for d in det.items] == [("a", 0.9), ("b", 0.3)]
    assert det.items[0].box == (40.0, 20.0, 80.0, 40.0)
    assert det.items[1].box == (160.0, 80.0, 200.0, 100.0)  # clipped to the picture
    assert det.dropped == 2 and len(det.boxes) == 4  # NaN and inverted dropped; 0.1 kept as a candidate
    low = refilter(det, score_threshold=0.05, iou_threshold=0.9)
    assert [round(d.score, 4) for d in low.items] == [0.9, 0.8, 0.3, 0.1]
    assert [round(d.score, 4) for d in refilter(det, 0.5).items] == [0.9]
