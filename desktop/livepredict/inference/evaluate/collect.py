"""``Evaluator``: gathers one model's predictions on labelled pictures into an :class:`Evaluation`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.errors import UnsupportedModelError
from livepredict.core.types import Prediction
from livepredict.inference.evaluate.matching import LabelMatch, match_labels
from livepredict.inference.evaluate.result import Evaluation


def model_labels(model: Any) -> tuple[str, ...]:
    """The labels of an open classifier's score rows, in order (as its head names them)."""
    from livepredict.inference.predict import check_image_classifier

    check_image_classifier(model)
    head = model.head
    info = model.info
    if not hasattr(head, "scores"):
        raise UnsupportedModelError(f"{Path(info.path).name} is not a classifier; evaluate needs a model that "
                                    "gives one score per class.")
    shape = info.outputs[info.output_index].shape
    width = int(shape[-1]) if shape and shape[-1] else len(info.labels)
    return tuple(head.scores(np.zeros(max(1, width)))[1])


class Evaluator:
    """One model's side of an evaluation. ``wanted`` are the (path, true index) pairs to classify (the
    pictures whose class matched one of ``labels``); ``add`` each prediction; ``result()`` at any time."""

    def __init__(self, name: str, labels: Sequence[str], items: Sequence[tuple[str, str]], top_k: int = 5,
                 bins: int = 10) -> None:
        self.name = name
        self.labels = tuple(labels)
        classes = tuple(dict.fromkeys(label for _, label in items))
        self.match: LabelMatch = match_labels(classes, self.labels)
        self.wanted: dict[str, int] = {p: self.match.index[c] for p, c in items if c in self.match.index}
        self.top_k, self.bins = top_k, bins
        self._paths: list[str] = []
        self._true: list[int] = []
        self._rows: list[np.ndarray] = []
        self._failed: list[tuple[str, str]] = []

    def add(self, path: str, prediction: Prediction | None, error: str | None = None) -> None:
        """Record ``path``'s prediction (or the sentence saying why it could not be classified)."""
        true = self.wanted.get(path)
        if true is None:
            return
        scores = None if prediction is None else prediction.scores
        message = error or (prediction.error if prediction is not None else None)
        if message or scores is None or len(scores) != len(self.labels):
            self._failed.append((path, message or "the model gave no score per label for this picture"))
            return
        self._paths.append(path)
        self._true.append(true)
        self._rows.append(np.asarray(scores, np.float64))

    def result(self) -> Evaluation:
        n = len(self.labels)
        scores = np.stack(self._rows) if self._rows else np.zeros((0, n))
        return Evaluation(self.name, self.labels, tuple(self._paths), np.array(self._true, np.int64), scores,
                          tuple(self._failed), self.match.unmatched, len(self.wanted), self.top_k, self.bins)
