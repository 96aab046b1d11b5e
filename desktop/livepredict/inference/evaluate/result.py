"""One model's evaluation: its score rows for the matched pictures, and every figure made from them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from livepredict.inference.evaluate import metrics
from livepredict.inference.evaluate.compare import Comparison, mcnemar


def clean(value: Any) -> Any:
    """``value`` made JSON-safe: arrays to lists, NaN and infinities to None, floats rounded to 6 places."""
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return round(f, 6) if math.isfinite(f) else None
    return value


@dataclass(frozen=True)
class Figures:
    accuracy: float
    top_k: int
    top_k_accuracy: float
    confusion: np.ndarray
    per_class: metrics.PerClass
    calibration: metrics.Calibration
    roc: metrics.Roc | None  # binary models only (positive = the second label)

    @property
    def macro_f1(self) -> float:
        present = self.per_class.support > 0
        return float(np.mean(self.per_class.f1[present])) if present.any() else float("nan")


@dataclass(frozen=True, eq=False)
class Evaluation:
    """``scores[i]`` is the model's score row (one per label) for ``paths[i]``, whose true class is
    ``y_true[i]``; ``failed`` lists (path, sentence) of pictures that could not be classified (not in
    the figures); ``unmatched`` the class names left out; ``total`` the matched pictures asked for."""

    model: str
    labels: tuple[str, ...]
    paths: tuple[str, ...]
    y_true: np.ndarray
    scores: np.ndarray
    failed: tuple[tuple[str, str], ...] = ()
    unmatched: tuple[str, ...] = ()
    total: int = 0
    top_k: int = 5
    bins: int = 10
    notes: tuple[str, ...] = field(default=())

    @property
    def count(self) -> int:
        return len(self.paths)

    @property
    def complete(self) -> bool:
        return self.count + len(self.failed) >= self.total

    @property
    def binary(self) -> bool:
        return len(self.labels) == 2

    @cached_property
    def y_pred(self) -> np.ndarray:
        if not self.count:
            return np.zeros(0, np.int64)
        return np.argmax(self.scores, axis=1).astype(np.int64)

    @cached_property
    def confidence(self) -> np.ndarray:
        return self.scores.max(axis=1).astype(np.float64) if self.count else np.zeros(0)

    @cached_property
    def correct(self) -> np.ndarray:
        return self.y_pred == self.y_true

    def pictures(self, true: int, predicted: int) -> list[str]:
        """Paths of the pictures of class ``true`` the model called ``predicted`` (a confusion cell)."""
        hit = (self.y_true == true) & (self.y_pred == predicted)
        return [self.paths[i] for i in np.flatnonzero(hit)]

    @cached_property
    def figures(self) -> Figures:
        n = len(self.labels)
        cm = metrics.confusion(self.y_true, self.y_pred, n)
        k = max(1, min(self.top_k, n))
        roc = None
        if self.binary:
            roc = metrics.roc(self.y_true == 1, self.scores[:, 1] if self.count else np.zeros(0))
        return Figures(
            accuracy=float(np.mean(self.correct)) if self.count else float("nan"),
            top_k=k, top_k_accuracy=metrics.top_k_accuracy(self.y_true, self.scores, k),
            confusion=cm, per_class=metrics.per_class(cm),
            calibration=metrics.calibration(self.correct, self.confidence, self.bins), roc=roc)

    def at_threshold(self, threshold: float) -> dict[str, float]:
        """A binary model's counts when scores of the second label >= ``threshold`` are called positive."""
        return metrics.at_threshold(self.y_true == 1, self.scores[:, 1], threshold)

    def summary(self) -> str:
        f = self.figures
        parts = [f"{self.model}: accuracy {f.accuracy:.1%} on {self.count} pictures",
                 f"top-{f.top_k} {f.top_k_accuracy:.1%}", f"macro F1 {f.macro_f1:.3f}",
                 f"ECE {f.calibration.ece:.3f}"]
        if f.roc is not None:
            parts.append(f"AUC {f.roc.auc:.3f}")
        if self.failed:
            parts.append(f"{len(self.failed)} could not be classified")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        f = self.figures
        pc, cal = f.per_class, f.calibration
        out: dict[str, Any] = {
            "model": self.model, "labels": list(self.labels), "pictures": self.count, "asked": self.total,
            "complete": self.complete, "accuracy": f.accuracy, "top_k": f.top_k,
            "top_k_accuracy": f.top_k_accuracy, "macro_f1": f.macro_f1,
            "per_class": [{"label": lbl, "precision": pc.precision[i], "recall": pc.recall[i], "f1": pc.f1[i],
                           "support": pc.support[i]} for i, lbl in enumerate(self.labels)],
            "confusion": f.confusion,
            "calibration": {"edges": cal.edges, "count": cal.counts, "confidence": cal.confidence,
                            "accuracy": cal.accuracy, "ece": cal.ece},
            "unmatched_classes": list(self.unmatched),
            "failed": [{"path": p, "error": e} for p, e in self.failed],
            "predictions": self.prediction_rows(),
        }
        if f.roc is not None:
            out["roc"] = {"positive": self.labels[1], "fpr": f.roc.fpr, "tpr": f.roc.tpr,
                          "thresholds": f.roc.thresholds, "auc": f.roc.auc, "at_0.5": self.at_threshold(0.5)}
        return clean(out)

    def prediction_rows(self) -> list[dict[str, Any]]:
        """One row per picture: path, true and predicted label, confidence, correct, every score."""
        rows = []
        for i, path in enumerate(self.paths):
            rows.append({"path": path, "true": self.labels[self.y_true[i]], "predicted": self.labels[self.y_pred[i]],
                         "confidence": float(self.confidence[i]), "correct": bool(self.correct[i]),
                         "scores": {lbl: float(self.scores[i, j]) for j, lbl in enumerate(self.labels)}})
        return rows


def compare(a: Evaluation, b: Evaluation) -> Comparison:
    """McNemar and the disagreement lists of two evaluations, on the pictures both classified (by path,
    comparing true and predicted labels by name, so models with different label orders compare)."""
    where_b = {p: i for i, p in enumerate(b.paths)}
    pairs = [(i, where_b[p]) for i, p in enumerate(a.paths) if p in where_b]
    ia = np.array([i for i, _ in pairs], np.int64)
    ib = np.array([j for _, j in pairs], np.int64)
    ra = a.correct[ia] if pairs else np.zeros(0, bool)
    rb = b.correct[ib] if pairs else np.zeros(0, bool)
    pred_a = [a.labels[a.y_pred[i]].casefold() for i in ia]
    pred_b = [b.labels[b.y_pred[j]].casefold() for j in ib]
    paths = [a.paths[i] for i in ia]
    return Comparison(
        names=(a.model, b.model), pictures=len(pairs),
        accuracy=(float(ra.mean()) if pairs else float("nan"), float(rb.mean()) if pairs else float("nan")),
        test=mcnemar(ra, rb),
        only_a=tuple(p for p, x, y in zip(paths, ra, rb, strict=True) if x and not y),
        only_b=tuple(p for p, x, y in zip(paths, ra, rb, strict=True) if y and not x),
        disagree=tuple(p for p, x, y in zip(paths, pred_a, pred_b, strict=True) if x != y))
