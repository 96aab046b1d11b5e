"""Classification figures from true class indices and score rows (numpy only).

Definitions follow scikit-learn's (the tests check every figure against it): ties in the top-k
ranking count against the true class only when it is strictly outranked; precision, recall and F1
of a class that is never predicted (or never present) are 0; the reliability diagram bins the
top-1 confidence into equal-width bins of [0, 1] (scikit-learn's ``calibration_curve`` binning)
and the expected calibration error weighs each bin's |accuracy - confidence| by its share of
pictures; the ROC curve keeps every distinct threshold (``drop_intermediate=False``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    """n x n counts: row = true class, column = predicted class."""
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)), 1)
    return cm


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(num.shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


@dataclass(frozen=True)
class PerClass:
    """Per-class precision, recall, F1 (0 where undefined) and support (true pictures of the class)."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray


def per_class(cm: np.ndarray) -> PerClass:
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    support = cm.sum(axis=1)
    precision = _ratio(tp, predicted)
    recall = _ratio(tp, support.astype(np.float64))
    f1 = _ratio(2.0 * tp, predicted + support)
    return PerClass(precision, recall, f1, support.astype(np.int64))


def top_k_accuracy(y_true: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Share of pictures whose true class is among the ``k`` best scores (fewer than k strictly better)."""
    if len(y_true) == 0:
        return float("nan")
    rows = np.arange(len(y_true))
    true_score = scores[rows, y_true]
    better = (scores > true_score[:, None]).sum(axis=1)
    return float(np.mean(better < k))


@dataclass(frozen=True)
class Calibration:
    """Reliability diagram: per bin of top-1 confidence, its pictures, mean confidence and accuracy
    (NaN for an empty bin); ``ece`` the expected calibration error."""

    edges: np.ndarray
    counts: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    ece: float


def calibration(correct: np.ndarray, confidence: np.ndarray, bins: int = 10) -> Calibration:
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], np.clip(confidence, 0.0, 1.0))
    counts = np.bincount(ids, minlength=bins)
    conf_sum = np.bincount(ids, weights=confidence, minlength=bins)
    hit_sum = np.bincount(ids, weights=correct.astype(np.float64), minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.where(counts > 0, conf_sum / np.maximum(counts, 1), np.nan)
        acc = np.where(counts > 0, hit_sum / np.maximum(counts, 1), np.nan)
    total = counts.sum()
    ece = float(np.nansum(counts / total * np.abs(acc - conf))) if total else float("nan")
    return Calibration(edges, counts.astype(np.int64), conf, acc, ece)


@dataclass(frozen=True)
class Roc:
    """ROC of a binary model: false and true positive rates per threshold (scores >= threshold are
    positive; the first threshold is +inf, nothing positive) and the area under the curve."""

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float


def roc(positive: np.ndarray, score: np.ndarray) -> Roc:
    """``positive``: bool per picture (true class is the positive one); ``score``: its positive score."""
    positive = np.asarray(positive, bool)
    order = np.argsort(-np.asarray(score, np.float64), kind="mergesort")
    s = np.asarray(score, np.float64)[order]
    y = positive[order]
    last = np.r_[np.flatnonzero(np.diff(s)), y.size - 1] if y.size else np.array([], np.int64)
    tps = np.cumsum(y)[last] if y.size else np.array([], np.int64)
    fps = (last + 1) - tps
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, s[last]] if y.size else np.array([np.inf])
    p, n = int(positive.sum()), int((~positive).sum())
    tpr = tps / p if p else np.full(tps.shape, np.nan)
    fpr = fps / n if n else np.full(fps.shape, np.nan)
    auc = float(np.trapezoid(tpr, fpr)) if p and n else float("nan")
    return Roc(fpr.astype(np.float64), tpr.astype(np.float64), thresholds, auc)


def at_threshold(positive: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    """Counts and rates when pictures scoring >= ``threshold`` are called positive."""
    positive = np.asarray(positive, bool)
    called = np.asarray(score) >= threshold
    tp = int(np.sum(called & positive))
    fp = int(np.sum(called & ~positive))
    fn = int(np.sum(~called & positive))
    tn = int(np.sum(~called & ~positive))
    n = tp + fp + fn + tn
    return {"threshold": float(threshold), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "accuracy": (tp + tn) / n if n else float("nan"),
            "tpr": tp / (tp + fn) if tp + fn else float("nan"),
            "fpr": fp / (fp + tn) if fp + tn else float("nan"),
            "precision": tp / (tp + fp) if tp + fp else 0.0}
