"""The fields a detector's or segmenter's result adds to ``prediction`` and ``result`` messages.

``detections``: label, score and box (x0, y0, x1, y1 in the original picture's pixels) per box,
best first, and ``dropped`` (boxes the model gave that were NaN, inverted or empty). A
segmentation: ``segmentation`` with the labels, the background class, the fraction of pixels
per label, the mask's size and the mask itself as a PNG (pixel value = class id) in base64.
Built on the feed's loop thread, once per message (``records.PredictionRecord``).
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from livepredict.core.results import mask_png, result_json
from livepredict.core.types import Prediction, Segmentation


def vision_fields(pred: Prediction) -> dict[str, Any]:
    out = result_json(pred.result)
    if isinstance(pred.result, Segmentation):
        out["segmentation"]["mask_png"] = base64.b64encode(mask_png(pred.result)).decode("ascii")
    return out


def vision_tensor(pred: Prediction) -> tuple[np.ndarray, str] | None:
    """A segmentation's mask (uint8 class ids when they fit) for the binary frame, named ``mask``."""
    if not isinstance(pred.result, Segmentation):
        return None
    mask = pred.result.mask
    return (mask.astype(np.uint8) if mask.size == 0 or int(mask.max()) < 256 else mask), "mask"


def tensor_name(pred: Prediction) -> str:
    """The name of a prediction's binary frame: ``mask`` for a segmentation, else ``output``."""
    return "mask" if isinstance(pred.result, Segmentation) else "output"
