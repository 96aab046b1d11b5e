"""Sampling the next token from a probability vector (numpy only, DESIGN §3).

``Sampler(temperature, top_k, top_p, seed)`` draws token ids with its own seeded
``numpy.random.Generator``: the same seed and the same probabilities give the same tokens, and no
TensorFlow seed is ever touched (``tf.random.set_seed`` would force every compiled step to retrace).

Rules, applied in this order to one probability row:

1. ``temperature == 0`` → greedy: the most probable token (the first one on ties).
2. temperature: ``p ** (1 / T)`` renormalised (the same as dividing the logits by ``T``).
3. top-k (``k > 0``): only the ``k`` most probable tokens stay.
4. top-p (``0 < p < 1``): only the smallest set of most probable tokens whose mass reaches ``p``
   stays (the most probable token always stays).

A token outside the allowed set is never drawn: the draw is made over the allowed ids only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SamplingSettings:
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.temperature) or self.temperature < 0:
            raise ValueError(f"temperature must be 0 or more, not {self.temperature}")
        if self.top_k < 0:
            raise ValueError(f"top-k must be 0 (off) or more, not {self.top_k}")
        if not (0.0 < self.top_p <= 1.0):
            raise ValueError(f"top-p must be in (0, 1], not {self.top_p}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


def _clean(probs: np.ndarray) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64).ravel()
    p = np.where(np.isfinite(p) & (p > 0), p, 0.0)
    return p


def allowed_distribution(probs: np.ndarray, settings: SamplingSettings) -> tuple[np.ndarray, np.ndarray]:
    """(allowed token ids, their renormalised probabilities) after temperature, top-k and top-p.

    With greedy settings the single most probable id is returned with probability 1.
    """
    p = _clean(probs)
    if p.size == 0:
        raise ValueError("empty probability vector")
    if settings.greedy or not np.any(p > 0):
        return np.array([int(np.argmax(p))]), np.array([1.0])
    if settings.temperature != 1.0:
        # p ** (1/T) in log space (stable for small T); zero-probability tokens stay at zero.
        with np.errstate(divide="ignore"):
            logp = np.log(p) / settings.temperature
        logp -= np.max(logp)
        p = np.exp(logp)
    ids = np.flatnonzero(p > 0)
    q = p[ids]
    if settings.top_k and settings.top_k < ids.size:
        # stable: among equal probabilities the lower id wins
        keep = np.argsort(-q, kind="stable")[: settings.top_k]
        keep.sort()
        ids, q = ids[keep], q[keep]
    q = q / q.sum()
    if settings.top_p < 1.0:
        order = np.argsort(-q, kind="stable")
        cum = np.cumsum(q[order])
        n = int(np.searchsorted(cum, settings.top_p, side="left")) + 1
        keep = np.sort(order[: max(1, min(n, order.size))])
        ids, q = ids[keep], q[keep]
        q = q / q.sum()
    return ids, q


class Sampler:
    """Draws token ids from probability rows with a seeded generator (``seed=None``: fresh entropy)."""

    UNIFORMS = 4096  # uniform draws made at once (one NumPy call per block, not per token)

    def __init__(self, settings: SamplingSettings | None = None, seed: int | None = None) -> None:
        self.settings = settings or SamplingSettings()
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self._u: list[float] = []

    def uniform(self) -> float:
        """The next draw in [0, 1) of the seeded generator (taken from a block made in one call)."""
        if not self._u:
            self._u = self.rng.random(self.UNIFORMS).tolist()
            self._u.reverse()
        return self._u.pop()

    def __call__(self, probs: np.ndarray) -> int:
        st = self.settings
        if st.greedy:
            return int(np.argmax(_clean(probs)))
        if st.top_k == 0 and st.top_p >= 1.0:
            # fast path (temperature only): one cumulative sum over the whole row. It runs once per
            # generated token, so every NumPy call counts: p ** (1/T) made in float64 in one call,
            # one cumsum, one search, and the uniform draw taken from a block.
            t = st.temperature
            p = np.power(probs, 1.0 / t, dtype=np.float64) if t != 1.0 else np.asarray(probs, np.float64)
            c = p.cumsum()
            total = float(c[-1])
            # (with T != 1 a negative weight became NaN, and so did the total)
            if total > 0 and math.isfinite(total) and (t != 1.0 or p.min() >= 0):
                # c[i-1] <= u*total < c[i] implies p[i] > 0: a zero-probability token is never drawn
                i = int(c.searchsorted(self.uniform() * total, side="right"))
                return i if i < p.size else p.size - 1
        ids, q = allowed_distribution(probs, st)
        if ids.size == 1:
            return int(ids[0])
        # inverse-CDF draw over the allowed ids only: never outside the allowed set
        u = self.uniform()
        i = int(np.searchsorted(np.cumsum(q), u * q.sum(), side="right"))
        return int(ids[min(i, ids.size - 1)])


def top_n(probs: np.ndarray, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(ids, probabilities) of the ``n`` most probable tokens, best first (for the live bar chart)."""
    p = _clean(probs)
    n = max(0, min(int(n), p.size))
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    part = np.argpartition(-p, n - 1)[:n] if n < p.size else np.arange(p.size)
    order = part[np.argsort(-p[part], kind="stable")]
    return order.astype(np.int64), p[order]
