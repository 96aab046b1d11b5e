"""``ClassifierHead``: class scores from a classifier's shown output (``info.output_index``), per its kind.

- ``softmax``: the row is used as it is;
- ``logits``: a softmax for display (a single logit: a sigmoid, read as binary);
- ``sigmoid-binary`` (one unit): two labels with 1 - p and p;
- ``sigmoid-multilabel``: every label scored on its own (the scores do not sum to 1);
- ``values``: the numbers as they are.

Labels come from the model's info; missing ones are numbered (``class 3``). A single label
``cat`` on a binary output gives ``not cat`` / ``cat``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from livepredict.core.geometry import Placement
from livepredict.core.labels import default_labels
from livepredict.core.types import Classification, ModelInfo, OutputKind, Task
from livepredict.inference.heads.base import register


def softmax(x: np.ndarray) -> np.ndarray:
    z = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def binary_labels(labels: Sequence[str]) -> tuple[str, str]:
    """The (negative, positive) labels of a single-unit output."""
    if len(labels) >= 2:
        return labels[0], labels[1]
    if len(labels) == 1:
        return f"not {labels[0]}", labels[0]
    return "class 0", "class 1"


@register
class ClassifierHead:
    """Scores and the top ``k`` labels of one input (the row of its shown output)."""

    name: ClassVar[str] = "classifier"
    tasks: ClassVar[tuple[Task, ...]] = (Task.IMAGE_CLASSIFIER, Task.TEXT_CLASSIFIER)

    def __init__(self, info: ModelInfo) -> None:
        self.kind = OutputKind(info.output_kind)
        self.labels = tuple(info.labels)
        self.output_index = int(getattr(info, "output_index", 0))

    @classmethod
    def detect(cls, info: ModelInfo) -> bool:
        """One (N, classes) output whose values read as class scores."""
        shown = info.outputs[info.output_index] if len(info.outputs) > info.output_index else None
        return shown is not None and len(shown.shape) == 2 and info.output_kind != OutputKind.VALUES

    def scores(self, raw: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
        """(display scores as float64, their labels) for one raw output row."""
        r = np.asarray(raw, dtype=np.float64).ravel()
        kind = self.kind
        if kind == OutputKind.SIGMOID_BINARY or (kind == OutputKind.LOGITS and r.size == 1):
            p = float(sigmoid(r[0])) if kind == OutputKind.LOGITS else float(r[0])
            return np.array([1.0 - p, p]), binary_labels(self.labels)
        if kind == OutputKind.LOGITS:
            r = softmax(r)
        labels = self.labels
        if len(labels) < r.size:
            labels = labels + tuple(default_labels(r.size)[len(labels):])
        return r, labels[: r.size]

    def decode(self, outputs: Sequence[np.ndarray], top_k: int,
               placement: Placement | None = None) -> Classification:
        """The :class:`Classification` of one input; ``top_k`` 0 or None ranks every label."""
        # ``outputs`` holds every output of a multi-output model (or only the shown one)
        s, labels = self.scores(outputs[self.output_index] if len(outputs) > self.output_index else outputs[0])
        k = max(1, int(top_k)) if top_k else s.size
        order = np.argsort(-s, kind="stable")[:k]
        return Classification(top=tuple((labels[i], float(s[i])) for i in order), scores=s.astype(np.float32),
                              labels=labels, output_kind=self.kind)
