"""Top-k from the scores a prediction already holds: raising k re-ranks them, no model run needed."""

from __future__ import annotations

import numpy as np

from livepredict.core.types import Classification, Prediction


def top_k(pred: Prediction, k: int) -> tuple[tuple[str, float], ...]:
    """The ``k`` best (label, score) pairs of ``pred``, best first.

    ``pred.top`` holds only as many as were asked for when the model ran; a classifier's result
    keeps every score, so a larger ``k`` is ranked again from those (ties keep the label order).
    """
    k = max(0, int(k))
    res = pred.result
    if k <= len(pred.top) or not isinstance(res, Classification) or res.scores is None:
        return pred.top[:k]
    s = np.asarray(res.scores, dtype=np.float64).ravel()
    order = np.argsort(-s, kind="stable")[:k]
    return tuple((res.labels[i] if i < len(res.labels) else f"class {i}", float(s[i])) for i in order)
