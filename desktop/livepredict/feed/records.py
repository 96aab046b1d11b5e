"""What is published, and how it reaches the feed's loop without waiting for the network.

A ``publish_*`` call (any thread, normally the inference thread) builds a frozen record and
:meth:`Handoff.post`s it: an append under a lock, and a wake-up of the loop only when the queue was
empty. JSON is built later, on the loop thread, and only for messages a client actually gets
(a prediction's text once per top-k, its tensor frame once).
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from livepredict.core.types import Prediction
from livepredict.feed import protocol as P
from livepredict.feed.vision import tensor_name

HANDOFF_QUEUE = 4096  # records waiting for the loop; oldest dropped (counted) beyond


class PredictionRecord:
    """A published prediction; its JSON is built lazily in the loop thread, once per top-k."""

    __slots__ = ("seq", "pred", "model", "publish_ts", "wall", "tensor", "_fields", "_json", "_tensor")

    def __init__(self, seq: int, pred: Prediction, model: str, tensor: np.ndarray | None) -> None:
        self.seq = seq
        self.pred = pred
        self.model = model
        self.publish_ts = time.monotonic()
        self.wall = time.time()
        self.tensor = tensor
        self._fields: dict[str, Any] | None = None
        self._json: dict[int, str] = {}
        self._tensor: bytes | None = None

    def encode(self, k: int, missed: int) -> str:
        base = self._json.get(k)
        if base is None:
            if self._fields is None:
                self._fields = P.prediction_fields(self.seq, self.pred, model=self.model,
                                                   publish_ts=self.publish_ts, wall_time=self.wall)
            d = dict(self._fields)
            d["top"] = P.top_list(self.pred, k)
            base = P.dumps(d)[:-1]
            self._json[k] = base
        return f'{base},"missed":{int(missed)}}}'

    def tensor_bytes(self) -> bytes | None:
        if self.tensor is None:
            return None
        if self._tensor is None:
            self._tensor = P.tensor_frame(self.seq, self.tensor, name=tensor_name(self.pred))
        return self._tensor


@dataclass(frozen=True)
class TensorRecord:
    """A binary tensor frame, already packed."""

    seq: int
    data: bytes


@dataclass(frozen=True)
class HeatmapRecord:
    """A binary heatmap frame, already packed (for clients that subscribed with heatmaps: true)."""

    seq: int
    data: bytes


@dataclass(frozen=True)
class TextRecord:
    """An encoded ``status`` message, or a ``generation`` message without its ``missed`` field and
    closing brace (each client adds its own count: see :func:`generation_record`)."""

    kind: str  # "generation" | "status"
    text: str


def generation_record(msg: dict[str, Any]) -> TextRecord:
    """``msg`` (``protocol.generation_message``) with ``missed`` left for the client to fill in."""
    fields = {k: v for k, v in msg.items() if k != "missed"}
    return TextRecord("generation", P.dumps(fields)[:-1])


Record = PredictionRecord | TensorRecord | HeatmapRecord | TextRecord


class Handoff:
    """Records on their way from any thread to the loop thread (bounded; oldest dropped, counted)."""

    def __init__(self, size: int = HANDOFF_QUEUE) -> None:
        self._lock = threading.Lock()
        self._records: collections.deque[Record] = collections.deque()
        self._size = size
        self._dropped = 0
        self._wake_pending = False
        self._closed = True  # until the loop opens it

    def post(self, record: Record) -> bool:
        """Queue ``record``; True when the caller must wake the loop (it was idle)."""
        with self._lock:
            if len(self._records) >= self._size:
                self._records.popleft()
                self._dropped += 1
            self._records.append(record)
            if self._wake_pending or self._closed:
                return False
            self._wake_pending = True
            return True

    def take(self) -> tuple[list[Record], int]:
        """Loop thread: every queued record, and how many were dropped since the last take."""
        with self._lock:
            records = list(self._records)
            self._records.clear()
            self._wake_pending = False
            dropped, self._dropped = self._dropped, 0
        return records, dropped

    def open(self) -> bool:
        """The loop is ready: wake-ups may be asked for. True if records are already waiting."""
        with self._lock:
            self._closed = False
            self._wake_pending = False
            return bool(self._records)

    def close(self) -> None:
        """The loop is closing: no further wake-ups."""
        with self._lock:
            self._closed = True
