"""``DetectorHead``: boxes with labels and scores in the original picture's pixels.

The layout (``heads/layouts.py``) was recognised when the model was opened and is kept in
``info.extras["decoder"]``; a hand-made info without it is recognised here. The decoder
(``heads/decoders.py``) gives candidates in model-input pixels; ``core.boxes.make_detections``
maps them back through the placement, drops and counts the broken ones and runs class-aware NMS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from livepredict.core.boxes import IOU_THRESHOLD, SCORE_THRESHOLD, make_detections
from livepredict.core.errors import UnsupportedModelError
from livepredict.core.geometry import Placement, placement
from livepredict.core.types import Detections, ModelInfo, Task
from livepredict.inference.heads.base import register
from livepredict.inference.heads.decoders import DECODE
from livepredict.inference.heads.layouts import Layout, has_background, recognise, unfit_sentence


def model_size(info: ModelInfo) -> tuple[int, int]:
    """(h, w) of the model input: the preprocessing size, else the input shape, else 224x224."""
    if info.preprocess is not None and info.preprocess.size:
        return info.preprocess.size
    shape = info.inputs[0].shape if info.inputs else ()
    if len(shape) >= 3 and shape[1] and shape[2]:
        return int(shape[1]), int(shape[2])
    return 224, 224


def layout_of(info: ModelInfo) -> Layout | None:
    """The layout chosen when the model was opened, else recognised now from the info alone."""
    d = info.extras.get("decoder") if isinstance(info.extras, dict) else None
    if d:
        return Layout.from_json(d)
    task = info.task if info.task in (Task.OBJECT_DETECTOR, Task.SEGMENTER) else None
    return recognise(info.inputs, info.outputs, info.labels, task=task, kind=str(info.output_kind))


def _labels(info: ModelInfo, layout: Layout) -> tuple[str, ...]:
    """The labels class id 0, 1, … read: without a leading background entry when the model's ids
    skip it (the sidecar's ``background``: 0, or a label map that starts with ``background``/``???``)."""
    labels = tuple(info.labels)
    bg: Any = layout.options.get("background", "guess")
    if bg == "guess":
        skip = layout.decoder in ("od-api", "ssd-postprocess") and has_background(labels)
    else:
        skip = bg == 0
    return labels[1:] if skip and labels else labels


@register
class DetectorHead:
    """Decodes a detector's outputs into :class:`Detections` (see the module docstring)."""

    name: ClassVar[str] = "detector"
    tasks: ClassVar[tuple[Task, ...]] = (Task.OBJECT_DETECTOR,)

    def __init__(self, info: ModelInfo) -> None:
        layout = layout_of(info)
        if layout is None or layout.task != Task.OBJECT_DETECTOR:
            raise UnsupportedModelError(unfit_sentence(info.outputs, "<model>.livepredict.json",
                                                       "This model is an object detector"))
        self.layout = layout
        self.decode_candidates = DECODE[layout.decoder]
        self.labels = _labels(info, layout)
        self.size = model_size(info)
        score, iou = (0.5, 0.3) if layout.decoder == "anchors" else (SCORE_THRESHOLD, IOU_THRESHOLD)  # MediaPipe's
        self.score_threshold = float(layout.options.get("score_threshold", score))
        self.iou_threshold = float(layout.options.get("iou_threshold", iou))

    @classmethod
    def detect(cls, info: ModelInfo) -> bool:
        layout = layout_of(info)
        return layout is not None and layout.task == Task.OBJECT_DETECTOR

    def decode(self, outputs: Sequence[np.ndarray], top_k: int, placement: Placement | None = None) -> Detections:
        """Every detection above the score threshold after NMS (``top_k`` is not used: boxes are not ranked
        against each other), in the original picture's pixels."""
        where = placement if placement is not None else _identity(self.size)
        c = self.decode_candidates(outputs, self.layout, where.model)
        return make_detections(c.boxes, c.scores, c.class_ids, self.labels, where, self.score_threshold,
                               self.iou_threshold, weighted=c.weighted)


def _identity(size: tuple[int, int]) -> Placement:
    return placement(size, size, "squash")
