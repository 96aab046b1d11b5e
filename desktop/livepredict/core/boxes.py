"""Boxes: format conversion, class-aware non-maximum suppression and re-filtering, numpy only.

A detector head decodes its model's outputs into candidate boxes in model-input pixels, then
:func:`make_detections` maps them to the original picture (``core.geometry``), drops the ones
that are NaN, inverted or empty (counted), keeps every candidate above a low floor and runs
class-aware NMS at the head's thresholds. :func:`refilter` runs the last step again on those
candidates with other thresholds (the UI's score and IoU controls), without the model.

NMS is vectorised (Cluster-NMS: the exact result of greedy NMS from a few vector passes over the
pairs of same-class candidates that overlap), never a Python loop per box.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from livepredict.core.geometry import Placement, boxes_to_original
from livepredict.core.types import Detection, Detections

BOX_FORMATS = ("xyxy", "yxyx", "cxcywh")
SCORE_THRESHOLD = 0.25
IOU_THRESHOLD = 0.45
FLOOR = 0.05  # candidates kept for re-filtering score at least min(this, the score threshold)
MAX_CANDIDATES = 1000  # the best candidates kept for re-filtering (by score)
MAX_DETECTIONS = 300


def to_xyxy(boxes: np.ndarray, fmt: str = "xyxy") -> np.ndarray:
    """(N, 4) boxes in ``fmt`` (``xyxy``, ``yxyx`` or ``cxcywh``) as x0, y0, x1, y1 (float64)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    if fmt == "xyxy":
        return b
    if fmt == "yxyx":
        return b[:, [1, 0, 3, 2]]
    if fmt == "cxcywh":
        half_w, half_h = b[:, 2] * 0.5, b[:, 3] * 0.5
        return np.stack([b[:, 0] - half_w, b[:, 1] - half_h, b[:, 0] + half_w, b[:, 1] + half_h], axis=1)
    raise ValueError(f"box_format must be one of {', '.join(BOX_FORMATS)}, not {fmt!r}")


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection over union of xyxy boxes."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    ix0 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy0 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix1 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def _same_class_pairs(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j), i < j, of positions in the same run of ``counts`` consecutive boxes."""
    n = int(counts.sum())
    ends = np.cumsum(counts)
    after = np.repeat(ends, counts) - np.arange(1, n + 1)  # boxes after position i in its run
    total = int(after.sum())
    i = np.repeat(np.arange(n, dtype=np.int32), after)
    j = np.arange(1, total + 1, dtype=np.int32) - np.repeat((np.cumsum(after) - after).astype(np.int32), after)
    j += i
    return i, j


def _overlapping(b: np.ndarray, i: np.ndarray, j: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Pair (i[k], j[k]) of (N, 4) float32 xyxy boxes overlaps more than the threshold
    (IoU > t written as inter · (1 + t) > t · (area i + area j), no division)."""
    x0, y0, x1, y1 = (np.ascontiguousarray(b[:, k]) for k in range(4))
    iw = np.minimum(x1[i], x1[j])
    iw -= np.maximum(x0[i], x0[j])
    ih = np.minimum(y1[i], y1[j])
    ih -= np.maximum(y0[i], y0[j])
    np.maximum(iw, 0, out=iw)
    np.maximum(ih, 0, out=ih)
    iw *= ih
    t = np.float32(iou_threshold)
    area = (x1 - x0) * (y1 - y0) * t
    iw *= 1 + t
    return iw > area[i] + area[j]


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = IOU_THRESHOLD,
        class_ids: np.ndarray | None = None, max_iter: int = 200) -> np.ndarray:
    """Indices of the boxes kept by greedy NMS (class-aware when ``class_ids`` is given), best first.

    Boxes are sorted by class, then by score within each class; the overlap test runs once, as
    vectors, over every pair of boxes of the same class (boxes of different classes are never
    compared), and Cluster-NMS finds what greedy NMS keeps: the fixed point of "kept = no kept better
    box overlaps it", a few vector passes over the overlapping pairs."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    n = len(b)
    if n == 0:
        return np.zeros((0,), np.int64)
    s = np.asarray(scores, np.float64)
    if class_ids is None:
        idx = np.argsort(-s, kind="stable")
        counts = np.array([n])
    else:
        c = np.asarray(class_ids, np.int64)
        idx = np.lexsort((-s, c))  # by class, best first within each class (ties: input order)
        cs = c[idx]
        counts = np.diff(np.concatenate(([0], np.flatnonzero(cs[1:] != cs[:-1]) + 1, [n])))
    i, j = _same_class_pairs(counts)
    hit = _overlapping(b[idx], i, j, iou_threshold)
    better, worse = i[hit], j[hit]  # box `better` (earlier: higher score) would suppress `worse`
    keep = np.ones(n, bool)
    for _ in range(max_iter):
        new = np.ones(n, bool)
        new[worse[keep[better]]] = False
        if np.array_equal(new, keep):
            break
        keep = new
    kept = idx[keep]
    return kept[np.argsort(-s[kept], kind="stable")]


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.3
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MediaPipe's weighted NMS: each kept box is the score-weighted mean of the boxes it suppresses.
    Returns (boxes, scores, index of the best box of each cluster); one step per kept box."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    s = np.asarray(scores, np.float64)
    order = np.argsort(-s, kind="stable")
    iou = iou_matrix(b[order], b[order])
    left = np.ones(len(order), bool)
    out_b, out_s, out_i = [], [], []
    while left.any():
        first = int(np.argmax(left))
        members = left & (iou[first] > iou_threshold)
        members[first] = True
        w = s[order][members]
        out_b.append((b[order][members] * w[:, None]).sum(axis=0) / max(float(w.sum()), 1e-12))
        out_s.append(s[order][first])
        out_i.append(order[first])
        left &= ~members
    if not out_b:
        return np.zeros((0, 4)), np.zeros((0,)), np.zeros((0,), np.int64)
    return np.array(out_b), np.array(out_s), np.array(out_i, np.int64)


def _items(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, labels: tuple[str, ...]
           ) -> tuple[Detection, ...]:
    n = len(labels)
    return tuple(Detection(labels[c] if 0 <= c < n else f"class {c}", s, (b[0], b[1], b[2], b[3]), c)
                 for b, s, c in zip(np.asarray(boxes, np.float64).tolist(), np.asarray(scores, np.float64).tolist(),
                                    np.asarray(class_ids, np.int64).tolist(), strict=True))


def select(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, labels: tuple[str, ...],
           score_threshold: float, iou_threshold: float, max_detections: int = MAX_DETECTIONS,
           weighted: bool = False) -> tuple[Detection, ...]:
    """The detections among candidates (original pixels) at these thresholds, best first."""
    above = np.flatnonzero(np.asarray(scores) >= score_threshold)
    if above.size == 0:
        return ()
    b, s, c = boxes[above], scores[above], class_ids[above]
    if weighted:
        rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for cls in np.unique(c):
            pick = c == cls
            wb, ws, _ = weighted_nms(b[pick], s[pick], iou_threshold)
            rows.append((wb, ws, np.full(len(ws), cls)))
        b = np.concatenate([r[0] for r in rows])
        s = np.concatenate([r[1] for r in rows])
        c = np.concatenate([r[2] for r in rows])
        keep = np.argsort(-s, kind="stable")
    else:
        keep = nms(b, s, iou_threshold, c)
    keep = keep[:max_detections]
    return _items(b[keep], s[keep], c[keep], labels)


def make_detections(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, labels: tuple[str, ...],
                    where: Placement, score_threshold: float = SCORE_THRESHOLD,
                    iou_threshold: float = IOU_THRESHOLD, weighted: bool = False) -> Detections:
    """:class:`Detections` from candidate xyxy ``boxes`` in model-input pixels (``where.model``)."""
    s = np.asarray(scores, np.float64).ravel()
    c = np.asarray(class_ids).astype(np.int64).ravel()
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    floor = min(FLOOR, score_threshold)
    ok_score = np.isfinite(s) & (s >= floor)
    b, s, c = b[ok_score], s[ok_score], c[ok_score]
    orig, keep = boxes_to_original(b, where)
    dropped = int(np.count_nonzero(~keep))
    orig, s, c = orig[keep].astype(np.float64), s[keep], c[keep]
    if len(s) > MAX_CANDIDATES:
        best = np.argpartition(-s, MAX_CANDIDATES)[:MAX_CANDIDATES]
        orig, s, c = orig[best], s[best], c[best]
    items = select(orig, s, c, labels, score_threshold, iou_threshold, weighted=weighted)
    return Detections(items=items, labels=labels, image_size=where.original, boxes=orig.astype(np.float32),
                      box_scores=s.astype(np.float32), class_ids=c.astype(np.int32), dropped=dropped)


def refilter(detections: Detections, score_threshold: float = SCORE_THRESHOLD,
             iou_threshold: float = IOU_THRESHOLD) -> Detections:
    """``detections`` filtered again from its candidates with other thresholds (no model run)."""
    d = detections
    items = select(np.asarray(d.boxes, np.float64), np.asarray(d.box_scores, np.float64),
                   np.asarray(d.class_ids, np.int64), d.labels, score_threshold, iou_threshold)
    return dataclasses.replace(d, items=items)
