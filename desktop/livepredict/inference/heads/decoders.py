"""Detector decoders: one input's raw outputs → candidate boxes in model-input pixels (numpy only).

Each decoder returns :class:`Candidates` (x0, y0, x1, y1 boxes in model-input pixels, scores,
0-based class ids). What the layout could not tell from shapes is read off the values here:
boxes normalised 0..1 or in pixels (when the sidecar's ``normalized`` is absent), class scores
that are logits (a sigmoid is applied), and which of the post-process op's two (N) outputs holds
the scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from livepredict.core.boxes import FLOOR, to_xyxy
from livepredict.inference.heads import anchors as ssd_anchors
from livepredict.inference.heads.layouts import Layout


@dataclass
class Candidates:
    boxes: np.ndarray  # (K, 4) x0, y0, x1, y1, model-input pixels
    scores: np.ndarray  # (K,)
    class_ids: np.ndarray  # (K,) 0-based model class ids
    weighted: bool = False  # weighted NMS (MediaPipe) instead of plain


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -100.0, 100.0)))


def _to_pixels(xyxy: np.ndarray, normalized: bool | None, hw: tuple[int, int]) -> np.ndarray:
    """Normalised boxes scaled to the model input; ``normalized`` None: guessed from the values."""
    if normalized is None:
        finite = xyxy[np.isfinite(xyxy)]
        normalized = bool(finite.size == 0 or float(np.max(np.abs(finite))) <= 1.5)
    if normalized:
        return xyxy * np.array([hw[1], hw[0], hw[1], hw[0]], np.float64)
    return xyxy


def _probabilities(x: np.ndarray) -> np.ndarray:
    """Scores as they are when they lie in 0..1, else through a sigmoid (logits)."""
    if x.size and (float(np.max(x)) > 1.0 + 1e-6 or float(np.min(x)) < -1e-6):
        return sigmoid(x)
    return x


def _floor(layout: Layout) -> float:
    return min(FLOOR, float(layout.options.get("score_threshold", FLOOR)))


def yolo(outs: Sequence[np.ndarray], layout: Layout, hw: tuple[int, int]) -> Candidates:
    """``[4 + nc, N]`` or ``[N, 4 + nc]`` (with objectness: ``5 + nc``): boxes then class scores."""
    a = np.asarray(outs[layout.roles.get("boxes", 0)])
    pred = a if layout.options.get("transposed") else a.T  # (channels, N)
    first = 5 if layout.decoder == "yolo-objectness" else 4
    cls = pred[first:]
    if layout.decoder == "yolo-objectness":
        obj = _probabilities(pred[4].astype(np.float64))
        pick = np.flatnonzero(obj >= _floor(layout))
        cls_p = _probabilities(cls[:, pick].astype(np.float64)) * obj[pick]
    else:
        best = cls.max(axis=0)
        if best.size and (float(best.max()) > 1.0 + 1e-6 or float(best.min()) < -1e-6):
            best = sigmoid(best.astype(np.float64))  # logits: the sigmoid keeps the order
            cls = sigmoid(cls.astype(np.float64))
        pick = np.flatnonzero(best >= _floor(layout))
        cls_p = cls[:, pick]
    if cls_p.shape[0] == 0:
        return Candidates(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))
    ids = np.argmax(cls_p, axis=0)
    scores = cls_p[ids, np.arange(cls_p.shape[1])]
    boxes = to_xyxy(pred[:4, pick].T, layout.options.get("box_format", "cxcywh"))
    return Candidates(_to_pixels(boxes, layout.options.get("normalized"), hw), scores, ids)


def end_to_end(outs: Sequence[np.ndarray], layout: Layout, hw: tuple[int, int]) -> Candidates:
    """``[K, 6]``: x0, y0, x1, y1, score, class (already suppressed by the model)."""
    a = np.asarray(outs[layout.roles.get("boxes", 0)], np.float64)
    keep = a[:, 4] >= _floor(layout)
    a = a[keep]
    boxes = to_xyxy(a[:, :4], layout.options.get("box_format", "xyxy"))
    return Candidates(_to_pixels(boxes, layout.options.get("normalized"), hw), a[:, 4], np.rint(a[:, 5]).astype(np.int64))


def _count(outs: Sequence[np.ndarray], layout: Layout, n: int) -> int:
    if "count" not in layout.roles:
        return n
    c = np.asarray(outs[layout.roles["count"]]).ravel()
    return int(min(n, max(0, int(c[0])))) if c.size and np.isfinite(c[0]) else n


def _listed(outs: Sequence[np.ndarray], layout: Layout, hw: tuple[int, int], fmt: str, normalized: bool | None,
            scores: np.ndarray, classes: np.ndarray, class_offset: int) -> Candidates:
    """Boxes already listed by the model (post-process op, OD API, dict), padded after ``count``."""
    boxes = np.asarray(outs[layout.roles["boxes"]], np.float64).reshape(-1, 4)
    n = _count(outs, layout, len(boxes))
    boxes, scores, classes = boxes[:n], np.asarray(scores, np.float64).ravel()[:n], np.asarray(classes).ravel()[:n]
    with np.errstate(invalid="ignore"):
        ok = (classes >= 0) & (scores >= _floor(layout))  # padding: class -1, score -1
    xyxy = to_xyxy(boxes[ok], layout.options.get("box_format", fmt))
    ids = np.rint(classes[ok]).astype(np.int64) + class_offset
    return Candidates(_to_pixels(xyxy, layout.options.get("normalized", normalized), hw), scores[ok], ids)


def od_api(outs: Sequence[np.ndarray], layout: Layout, hw: tuple[int, int]) -> Candidates:
    """TF Object Detection API: ymin, xmin, ymax, xmax normalised; 1-based class ids."""
    r = layout.roles
    return _listed(outs, layout, hw, "yxyx", True, outs[r["scores"]], outs[r["classes"]], -1)


def _integral(a: np.ndarray) -> bool:
    finite = a[np.isfinite(a)]
    return bool(np.all(finite == np.rint(finite)))


def ssd_postprocess(outs: Sequence[np.ndarray], layout: Layout, hw: tuple[int, int]) -> Candidates:
    """The TFLite detection post-process op (TF1 or TF2 output order); 0-based class ids. When the
    values contradict the order (class ids above 1 or fractions where the scores should be), the
    two (N) outputs are swapped."""
    r = layout.roles
    scores, classes = np.asarray(outs[r["scores"]], np.float64), np.asarray(outs[r["classes"]], np.float64)
    n = _count(outs, layout, scores.size)
    s, c = scores.ravel()[:n], classes.ravel()[:n]
    if s.size and (float(np.max(s)) > 1.0 + 1e-6 or (_integral(s) and not _integral(c))):
        scores, classes = classes, scores
    return _listed(outs, layout, hw, "yxyx", True, scores, classes, 0)


def dict_outputs(outs: Sequence[np.ndarray], layout: Layout, hw: tuple[int, int]) -> Candidates:
    """Keras dict outputs ``boxes``, ``confidence``, ``classes`` (, ``num_detections``), padded with -1."""
    r = layout.roles
    return _listed(outs, layout, hw, "xyxy", None, outs[r["scores"]], outs[r["classes"]], 0)


_ANCHORS: dict[tuple[Any, ...], np.ndarray] = {}


def raw_anchors(outs: Sequence[np.ndarray], layout: Layout, hw: tuple[int, int]) -> Candidates:
    """Raw SSD regressors against generated anchors, sigmoid scores, weighted (or plain) NMS."""
    opts = layout.options["anchors"]
    key = (repr(sorted(opts.items())), hw)
    anchors = _ANCHORS.get(key)
    if anchors is None:
        anchors = _ANCHORS[key] = ssd_anchors.generate(opts, hw)
    raw = np.asarray(outs[layout.roles["boxes"]], np.float64)
    logits = np.asarray(outs[layout.roles["scores"]], np.float64)
    best = logits.max(axis=1)
    pick = np.flatnonzero(sigmoid(best) >= _floor(layout))
    ids = np.argmax(logits[pick], axis=1)
    scores = sigmoid(best[pick])
    cxcywh = ssd_anchors.decode_boxes(raw[pick], anchors[pick], opts, hw)
    boxes = to_xyxy(cxcywh, "cxcywh") * np.array([hw[1], hw[0], hw[1], hw[0]], np.float64)
    return Candidates(boxes, scores, ids, weighted=opts.get("nms", "weighted") == "weighted")


DECODE: dict[str, Callable[[Sequence[np.ndarray], Layout, tuple[int, int]], Candidates]] = {
    "yolo": yolo, "yolo-objectness": yolo, "end-to-end": end_to_end, "ssd-postprocess": ssd_postprocess,
    "anchors": raw_anchors, "od-api": od_api, "dict": dict_outputs,
}
