"""Pictures decoded and preprocessed in a pool of threads while the model runs the previous batch.

Pillow's decoders and resizers and NumPy's array arithmetic release the GIL, so a pool of one
thread per core keeps every core busy: while the inference thread (or the CLI's main thread) runs
chunk N, the pool prepares chunks N+1 and N+2. Results come back in input order, one chunk at a
time. Only pure-Python/NumPy/Pillow work runs in the pool: the model is called by the consumer.

``reduce_for(model)`` is the reduced-size decoding a classifier allows: its input size and resize
mode, so ``sources.images.read_image`` decodes a much larger picture at a fraction of its size.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from livepredict.core.types import Task

AHEAD = 2  # chunks prepared ahead of the one being inferred


@dataclass
class Prepared:
    """One item, ready for the model (``tensor``) or failed (``error``, one sentence)."""

    item: Any
    tensor: np.ndarray | None = None
    image: np.ndarray | None = None  # the decoded RGB picture (kept when the caller wants it)
    extra: Any = None  # what the caller's ``prepare`` added (e.g. a thumbnail)
    error: str | None = None
    read_ms: float = 0.0  # decode + preprocess time of this item
    placement: Any = None  # where the picture sits in the model input (core.geometry), for boxes and masks


def reduce_for(model: Any) -> tuple[tuple[int, int], str] | None:
    """((height, width), resize mode) of an image classifier's input, for reduced-size decoding."""
    spec = getattr(model, "spec", None)
    if spec is None or not spec.size or model.info.task != Task.IMAGE_CLASSIFIER:
        return None
    return (int(spec.size[0]), int(spec.size[1])), str(spec.resize)


def workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


class Prefetch:
    """Iterate over ``items`` chunk by chunk (lists of :class:`Prepared`), preparing ahead in threads.

    ``prepare(item) -> Prepared`` runs in the pool and must not raise for a bad item (it returns a
    Prepared with ``error``). ``close()`` (or leaving a ``with`` block) drops what is still queued.
    """

    def __init__(self, items: Sequence[Any], chunk: int, prepare: Callable[[Any], Prepared],
                 threads: int | None = None, ahead: int = AHEAD) -> None:
        self.items = list(items)
        self.chunk = max(1, int(chunk))
        self.prepare = prepare
        self.ahead = max(1, int(ahead))
        self._pool = ThreadPoolExecutor(max_workers=threads or workers(), thread_name_prefix="decode")
        self._queued: deque[list[Future[Prepared]]] = deque()
        self._next = 0

    def _fill(self) -> None:
        while len(self._queued) < self.ahead + 1 and self._next < len(self.items):
            part = self.items[self._next:self._next + self.chunk]
            self._next += len(part)
            self._queued.append([self._pool.submit(_timed, self.prepare, x) for x in part])

    def __iter__(self) -> Iterator[list[Prepared]]:
        try:
            self._fill()
            while self._queued:
                futures = self._queued.popleft()
                self._fill()  # keep the pool busy while this chunk is waited for and inferred
                yield [f.result() for f in futures]
        finally:
            self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._queued.clear()

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _timed(prepare: Callable[[Any], Prepared], item: Any) -> Prepared:
    t0 = time.perf_counter()
    out = prepare(item)
    out.read_ms = (time.perf_counter() - t0) * 1000.0
    return out


def picture_preparer(model: Any, *, keep_image: bool = False,
                     extra: Callable[[np.ndarray], Any] | None = None) -> Callable[[Any], Prepared]:
    """``prepare`` for picture paths (or ready RGB arrays): decode (reduced where the model allows),
    preprocess for ``model``, optionally keep the picture and compute ``extra(picture)``."""
    from livepredict.core.errors import LivePredictError
    from livepredict.inference.predict import image_placement
    from livepredict.sources.images import read_image

    reduce = reduce_for(model)

    def prepare(item: Any) -> Prepared:
        try:
            image = item if isinstance(item, np.ndarray) else read_image(item, reduce_for=reduce)
        except LivePredictError as e:
            return Prepared(item, error=e.message)
        try:
            tensor = model.preprocess(image)
        except (ValueError, TypeError) as e:
            return Prepared(item, image=image if keep_image else None,
                            error=f"This image cannot be prepared for the model ({e}).")
        return Prepared(item, tensor, image if keep_image else None, extra(image) if extra else None,
                        placement=image_placement(model, image))

    return prepare
