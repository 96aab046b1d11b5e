"""The one place the engine asks a loaded model for its results: through the model's output head.

``classify_images`` runs pictures end to end (folders, feed requests); ``decode_frame`` turns one
live frame's raw outputs into the head's typed result. A new kind of head needs no change here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from livepredict.core.types import Prediction
from livepredict.inference.predict import decode_outputs, image_placement, predict_images


def classify_images(model: Any, images: Sequence[np.ndarray], top_k: int,
                    paths: Sequence[str] | None = None) -> list[Prediction]:
    """Preprocess, infer and decode ``images`` (RGB uint8) in one batch: one Prediction each."""
    return predict_images(model, list(images), top_k=top_k, paths=None if paths is None else list(paths))


def decode_frame(model: Any, outputs: Sequence[np.ndarray], top_k: int, image: np.ndarray | None = None) -> Any:
    """The head's result for one frame: ``outputs`` holds one array per model output (batch axis removed);
    ``image`` is the frame (boxes and masks come back in its pixels).

    InferenceError (one sentence) when the model produced NaN or infinite scores."""
    where = image_placement(model, image) if image is not None else None
    return decode_outputs(model, list(outputs), top_k, what="frame", placement=where)
