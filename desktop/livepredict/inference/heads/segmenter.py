"""``SegmenterHead``: a class id per pixel of the original picture, and the fraction of each class.

Three layouts (``heads/layouts.py``): ``[1, H, W, C]`` softmax or logits (the argmax class),
``[1, H, W, 1]`` a sigmoid mask (or logits: above 0.5 after a sigmoid is the class), ``[1, H, W]``
an integer class map. The map is taken back to the picture through ``core.geometry.map_to_original``
(the exact inverse of the resize); what the resize cut off gets the background class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from livepredict.core.errors import UnsupportedModelError
from livepredict.core.geometry import Placement, map_to_original
from livepredict.core.labels import default_labels
from livepredict.core.types import ModelInfo, Segmentation, Task
from livepredict.inference.heads.base import register
from livepredict.inference.heads.decoders import sigmoid
from livepredict.inference.heads.detector import layout_of
from livepredict.inference.heads.layouts import unfit_sentence


def class_map(raw: np.ndarray, how: str) -> tuple[np.ndarray, int]:
    """(h, w) class ids and the number of classes the output holds."""
    a = np.asarray(raw)
    if how == "classes" or a.ndim == 2:
        ids = np.rint(a.reshape(a.shape[0], a.shape[1])).astype(np.int32)
        return ids, int(ids.max()) + 1 if ids.size else 1
    if a.shape[-1] == 1:
        p = a[..., 0].astype(np.float64)
        if p.size and (float(p.max()) > 1.0 + 1e-6 or float(p.min()) < -1e-6):
            p = sigmoid(p)
        return (p > 0.5).astype(np.int32), 2
    return np.argmax(a, axis=-1).astype(np.int32), int(a.shape[-1])


@register
class SegmenterHead:
    """Decodes a segmenter's output into a :class:`Segmentation` (see the module docstring)."""

    name: ClassVar[str] = "segmenter"
    tasks: ClassVar[tuple[Task, ...]] = (Task.SEGMENTER,)

    def __init__(self, info: ModelInfo) -> None:
        layout = layout_of(info)
        if layout is None or layout.task != Task.SEGMENTER:
            raise UnsupportedModelError(unfit_sentence(info.outputs, "<model>.livepredict.json",
                                                       "This model is a segmenter"))
        self.layout = layout
        self.labels = tuple(info.labels)
        bg = layout.options.get("background", 0)
        self.background = None if bg is None else int(bg)

    @classmethod
    def detect(cls, info: ModelInfo) -> bool:
        layout = layout_of(info)
        return layout is not None and layout.task == Task.SEGMENTER

    def _labels(self, n: int) -> tuple[str, ...]:
        labels = self.labels
        if n == 2 and len(labels) == 1:  # a single-mask model named by its one class
            labels = ("background", labels[0])
        if len(labels) < n:
            labels = labels + tuple(default_labels(n)[len(labels):])
        return labels

    def decode(self, outputs: Sequence[np.ndarray], top_k: int,
               placement: Placement | None = None) -> Segmentation:
        raw = outputs[self.layout.roles.get("mask", 0)]
        ids, n = class_map(raw, str(self.layout.options.get("map", "scores")))
        fill = self.background if self.background is not None else 0
        mask = ids if placement is None else map_to_original(ids, placement, fill=fill)
        labels = self._labels(max(n, int(mask.max()) + 1 if mask.size else 1))
        counts = np.bincount(mask.ravel().clip(0), minlength=len(labels))[:len(labels)]
        fractions = tuple(float(c) / max(1, mask.size) for c in counts)
        return Segmentation(mask=mask.astype(np.int32), labels=labels, fractions=fractions,
                            background=self.background)
