"""Two models on the same pictures: McNemar's test on their paired errors, and where they differ.

McNemar looks only at the discordant pairs: ``b`` pictures the first model gets right and the
second wrong, ``c`` the other way round. With fewer than ``EXACT_BELOW`` discordant pairs the
p-value is the exact two-sided binomial test of b against Binomial(b + c, 1/2); otherwise the
chi-square statistic with Edwards' continuity correction, (|b - c| - 1)^2 / (b + c), on 1 degree
of freedom. A small p-value says the difference in accuracy is unlikely to be chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EXACT_BELOW = 25


@dataclass(frozen=True)
class McNemar:
    b: int  # first right, second wrong
    c: int  # first wrong, second right
    statistic: float  # chi-square (with continuity correction), or b for the exact test
    p_value: float
    method: str  # "exact binomial" | "chi-square, continuity corrected" | "no discordant pairs"

    def to_json(self) -> dict[str, object]:
        return {"b": self.b, "c": self.c, "statistic": self.statistic, "p_value": self.p_value,
                "method": self.method}


def _binom_two_sided(k: int, n: int) -> float:
    """P(X <= min(k, n-k)) * 2 for X ~ Binomial(n, 1/2), capped at 1 (exact, in integers)."""
    low = min(k, n - k)
    tail = sum(math.comb(n, i) for i in range(low + 1))
    return min(1.0, 2.0 * tail / 2.0 ** n)


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> McNemar:
    a = np.asarray(correct_a, bool)
    bb = np.asarray(correct_b, bool)
    b = int(np.sum(a & ~bb))
    c = int(np.sum(~a & bb))
    n = b + c
    if n == 0:
        return McNemar(b, c, 0.0, 1.0, "no discordant pairs")
    if n < EXACT_BELOW:
        return McNemar(b, c, float(b), _binom_two_sided(b, n), "exact binomial")
    stat = (abs(b - c) - 1.0) ** 2 / n
    return McNemar(b, c, stat, math.erfc(math.sqrt(stat / 2.0)), "chi-square, continuity corrected")


@dataclass(frozen=True)
class Comparison:
    """Two models' figures on the pictures both evaluated: ``only_a`` the paths the first gets right and
    the second wrong, ``only_b`` the reverse; ``disagree`` where their top-1 labels differ."""

    names: tuple[str, str]
    pictures: int
    accuracy: tuple[float, float]
    test: McNemar
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    disagree: tuple[str, ...]

    def sentence(self) -> str:
        (na, nb), t = self.names, self.test
        verdict = ("the difference is unlikely to be chance" if t.p_value < 0.05
                   else "the difference could be chance")
        return (f"{na} {self.accuracy[0]:.1%} vs {nb} {self.accuracy[1]:.1%} on {self.pictures} pictures: "
                f"{t.b} right only by {na}, {t.c} only by {nb}; McNemar p = {t.p_value:.3g} ({t.method}), "
                f"{verdict}.")

    def to_json(self) -> dict[str, object]:
        return {"models": list(self.names), "pictures": self.pictures, "accuracy": list(self.accuracy),
                "mcnemar": self.test.to_json(), "right_only_by_first": list(self.only_a),
                "right_only_by_second": list(self.only_b), "disagree": list(self.disagree)}
