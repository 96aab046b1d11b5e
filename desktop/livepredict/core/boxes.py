"""Box arithmetic on (N, 4) x0, y0, x1, y1 arrays: IoU, class-aware NMS, re-filtering a detector's
answer at new thresholds without running the model again (vectorised numpy, no loop per box)."""

from __future__ import annotations

import dataclasses

import numpy as np

from .types import Detection, Detections


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection over union of two box arrays."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
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


def nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray | None = None,
        iou: float = 0.45, max_boxes: int = 300) -> np.ndarray:
    """Indices of the boxes kept by greedy NMS, best score first. With ``class_ids`` a box only
    suppresses boxes of its own class (boxes are offset per class, one pass for all classes)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    s = np.asarray(scores, np.float64).reshape(-1)
    if len(b) == 0:
        return np.zeros((0,), np.int64)
    if class_ids is not None:  # classes far apart: one IoU matrix, no box overlaps another class's
        span = float(np.abs(b).max()) + 1.0
        b = b + (np.asarray(class_ids, np.float64).reshape(-1, 1) * span * 2)
    order = np.argsort(-s, kind="stable")
    keep: list[int] = []
    while len(order) and len(keep) < max_boxes:  # one step per kept box, its row against the rest
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        order = rest[iou_matrix(b[i:i + 1], b[rest])[0] <= iou]
    return np.asarray(keep, np.int64)

def refilter(det: Detections, score: float, iou: float) -> Detections:
    """``det`` with its items recomputed from all its candidates at a new score and IoU threshold."""
    keep_score = np.flatnonzero(np.asarray(det.box_scores) >= score)
    boxes = np.asarray(det.boxes)[keep_score]
    scores = np.asarray(det.box_scores)[keep_score]
    ids = np.asarray(det.class_ids)[keep_score]
    kept = nms(boxes, scores, ids, iou)
    items = tuple(Detection(label=det.labels[int(ids[i])] if 0 <= int(ids[i]) < len(det.labels)
                            else f"class {int(ids[i])}",
                            score=float(scores[i]),
                            box=tuple(float(v) for v in boxes[i]),  # type: ignore[arg-type]
                            class_id=int(ids[i])) for i in kept)
    return dataclasses.replace(det, items=items)
