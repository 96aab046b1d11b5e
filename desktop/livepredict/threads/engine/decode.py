"""The one place the engine asks a loaded model to decode its outputs (classifier decoding today).

When decoding moves into output heads, these two functions are the only call sites to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from livepredict.core.types import Prediction


def classify_images(model: Any, images: Sequence[np.ndarray], top_k: int,
                    paths: Sequence[str] | None = None) -> list[Prediction]:
    """Preprocess, infer and decode ``images`` (RGB uint8) in one batch: one Prediction each."""
    return model.classify_arrays(list(images), top_k=top_k, paths=None if paths is None else list(paths))


def top_scores(model: Any, row: np.ndarray, top_k: int) -> tuple[np.ndarray, tuple[tuple[str, float], ...]]:
    """(all scores, the ``top_k`` (label, score) pairs) for one raw output row."""
    scores, labels = model.scores(row)  # what decode() ranks, computed once
    order = np.argsort(-scores, kind="stable")[:top_k]
    return scores, tuple((labels[i], float(scores[i])) for i in order)
