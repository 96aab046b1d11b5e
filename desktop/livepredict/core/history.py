"""Preallocated numpy ring buffers: ingest apart from paint (DESIGN §1)."""

from __future__ import annotations

import threading

import numpy as np


class History:
    """A fixed-capacity ring of rows of ``width`` float values plus a timestamp column.

    ``append`` is O(width) with no allocation; ``view`` returns the rows in time order as new
    arrays (a copy, safe to hand to a plot). Thread-safe: producers and painters may differ.
    """

    def __init__(self, capacity: int, width: int = 1, dtype: type = np.float32) -> None:
        if capacity <= 0 or width <= 0:
            raise ValueError("capacity and width must be positive")
        self.capacity = int(capacity)
        self.width = int(width)
        self._t = np.zeros(self.capacity, dtype=np.float64)
        self._v: np.ndarray = np.full((self.capacity, self.width), np.nan, dtype=dtype)
        self._n = 0  # total rows ever appended
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return min(self._n, self.capacity)

    @property
    def total(self) -> int:
        return self._n

    def append(self, t: float, values) -> None:
        with self._lock:
            i = self._n % self.capacity
            self._t[i] = t
            self._v[i, :] = values
            self._n += 1

    def clear(self) -> None:
        with self._lock:
            self._n = 0

    def view(self, last: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (times, values) for the last ``last`` rows (all by default), oldest first."""
        with self._lock:
            n = min(self._n, self.capacity)
            if last is not None:
                n = min(n, int(last))
            if n == 0:
                return np.empty(0), np.empty((0, self.width), dtype=self._v.dtype)
            end = self._n % self.capacity
            idx = (np.arange(end - n, end)) % self.capacity
            return self._t[idx].copy(), self._v[idx].copy()

    def last(self) -> tuple[float, np.ndarray] | None:
        with self._lock:
            if self._n == 0:
                return None
            i = (self._n - 1) % self.capacity
            return float(self._t[i]), self._v[i].copy()
