"""Folder classification as a task: files, folders (recursive) and pasted images, chunk by chunk.

``BatchTask.steps`` lists the inputs, then classifies one chunk per step (the runtime's fixed
batch size, or ``CHUNK``) and yields that chunk's ``ImageResult``s and a ``BatchProgress``; the last
step yields the ``BatchFinished``. ``JobFlags`` holds the thread-safe cancel flags.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from livepredict.core.errors import LivePredictError
from livepredict.core.types import Prediction
from livepredict.inference.predict import predict_tensors
from livepredict.threads.engine.guard import engine_call, error_parts
from livepredict.threads.engine.payloads import (
    THUMB_SIDE,
    BatchFinished,
    BatchProgress,
    ImageResult,
    NamedImage,
)
from livepredict.threads.engine.runner import Task
from livepredict.threads.engine.slots import ModelSlots
from livepredict.threads.prefetch import Prefetch, Prepared, picture_preparer

CHUNK = 8  # images per batch step when the runtime has no fixed batch size
NO_IMAGES = ("No images were found there; drop PNG, JPEG, BMP, GIF, WebP or TIFF files or folders that "
             "contain them.")


class JobFlags:
    """Which jobs are cancelled (thread-safe: the controller sets these from the GUI thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = 0  # newest job id handed out
        self._below = 0  # jobs with id < this are cancelled
        self._slot_below: dict[str, int] = {}  # per slot (a new model in that slot)
        self.stop = threading.Event()

    def next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def cancel(self, slot: str | None = None) -> None:
        """Cancel every job handed out so far (in ``slot`` only, if given)."""
        with self._lock:
            if slot is None:
                self._below = max(self._below, self._ids + 1)
            else:
                self._slot_below[slot] = max(self._slot_below.get(slot, 0), self._ids + 1)

    def cancel_upto(self, job_id: int) -> None:
        with self._lock:
            self._below = max(self._below, job_id + 1)

    def cancelled(self, job_id: int, slot: str) -> bool:
        with self._lock:
            return self.stop.is_set() or job_id < max(self._below, self._slot_below.get(slot, 0))


def shrink(rgb: np.ndarray, side: int) -> np.ndarray:
    """A copy of ``rgb`` whose longest side is at most ``side`` (Pillow, no cv2)."""
    from PIL import Image

    h, w = rgb.shape[:2]
    if max(h, w) <= side:
        return np.ascontiguousarray(rgb).copy()
    im = Image.fromarray(np.ascontiguousarray(rgb))
    factor = max(h, w) // side
    if factor >= 2:  # a box average by a whole factor first: a third of the time of one bilinear pass
        im = im.reduce(factor)
    im.thumbnail((side, side), Image.Resampling.BILINEAR)
    return np.array(im.convert("RGB"))


@dataclass(frozen=True)
class _Unlisted:
    """A dropped path that could not be listed (missing, unreadable): shown as an error card."""

    name: str
    message: str


def collect(raw: Sequence[Any]) -> list[Any]:
    """Paths of the images in ``raw`` (files, folders, NamedImages), in input order."""
    from livepredict.sources.images import collect_image_paths

    items: list[Any] = []
    for x in raw:  # a path that cannot be listed becomes an error card
        if isinstance(x, NamedImage):
            items.append(x)
            continue
        try:
            items += [str(p) for p in collect_image_paths([x])]
        except LivePredictError as e:
            items.append(_Unlisted(str(x), e.message))
    return items


def _key(item: Any) -> str:
    return item.name if isinstance(item, NamedImage | _Unlisted) else str(item)


def _preparer(model: Any) -> Callable[[Any], Prepared]:
    """Decode (reduced where the model allows), preprocess and thumbnail one item, in a pool thread."""
    pictures = picture_preparer(model, extra=lambda image: shrink(image, THUMB_SIDE))

    def prepare(item: Any) -> Prepared:
        if isinstance(item, _Unlisted):
            return Prepared(item, error=item.message)
        out = pictures(item.image if isinstance(item, NamedImage) else item)
        out.item = item
        return out

    return prepare


class BatchTask(Task):
    """Classify ``raw`` with the model of ``load_id`` in ``slot``."""

    def __init__(self, job_id: int, slot: str, load_id: int, raw: Sequence[Any], top_k: int,
                 models: ModelSlots, flags: JobFlags) -> None:
        self.lane = f"batch:{slot}"
        self.job_id, self.slot, self.load_id = job_id, slot, load_id
        self.raw = list(raw)
        self.top_k = max(1, int(top_k))
        self.models, self.flags = models, flags
        self.items: list[Any] = []
        self.started = time.perf_counter()
        self.done = 0
        self.errors = 0

    def is_cancelled(self) -> bool:
        return self.flags.cancelled(self.job_id, self.slot)

    def on_cancel(self) -> Sequence[Any]:
        return [self.finished(cancelled=True)]

    def on_error(self, message: str, details: str) -> Sequence[Any]:
        return [self.finished(cancelled=False, message=message)]

    def finished(self, *, cancelled: bool, message: str = "") -> BatchFinished:
        return BatchFinished(self.job_id, self.load_id, self.done, len(self.items), self.errors, cancelled,
                             time.perf_counter() - self.started, message, self.slot)

    def progress(self) -> BatchProgress:
        return BatchProgress(self.job_id, self.load_id, self.done, len(self.items),
                             time.perf_counter() - self.started, self.slot)

    def _model(self) -> tuple[Any, str]:
        model, load_id = self.models.active(self.slot)
        if model is None:
            return None, "No model is open; open a model first."
        if load_id != self.load_id:
            return None, "A different model was opened; drop the images again."
        return model, ""

    def steps(self) -> Iterator[Sequence[Any]]:
        model, why = self._model()
        if model is None:
            yield [self.finished(cancelled=True, message=why)]
            return
        self.items = collect(self.raw)
        if not self.items:
            yield [self.finished(cancelled=False, message=NO_IMAGES)]
            return
        yield [self.progress()]
        # The runtime's fixed batch size (a shorter chunk would be padded up to it anyway); pictures
        # are decoded and preprocessed in a thread per core, two chunks ahead of the model.
        size = max(1, min(64, int(getattr(model.runtime, "batch", CHUNK) or CHUNK)))
        with Prefetch(self.items, size, _preparer(model)) as ahead:
            for prepared in ahead:
                model, why = self._model()
                if model is None:
                    yield [self.finished(cancelled=True, message=why)]
                    return
                results = self._chunk(model, prepared)
                for r in results:
                    self.errors += bool(r.error)
                    self.done += 1
                last = [self.finished(cancelled=False)] if self.done >= len(self.items) else []
                yield [*results, self.progress(), *last]

    def _chunk(self, model: Any, chunk: list[Prepared]) -> list[ImageResult]:
        """The chunk's results in order."""
        slot = self.models.get(self.slot)
        results: dict[int, ImageResult] = {}
        good: list[tuple[int, str, Prepared]] = []
        start = self.done
        for i, x in enumerate(chunk):
            key = _key(x.item)
            if isinstance(x.item, NamedImage) and slot is not None:
                slot.images[key] = x.item.image
            if x.error is not None:
                results[i] = self._result(start + i, key, None, x.error)
            else:
                good.append((i, key, x))
                if slot is not None and isinstance(x.item, str):
                    slot.recent.append(x.item)
        if good:
            keys = [k for _, k, _ in good]
            try:
                with engine_call("classify_arrays"):
                    preds = predict_tensors(model, [x.tensor for _, _, x in good], self.top_k, keys,
                                            [x.read_ms for _, _, x in good], [x.placement for _, _, x in good])
            except Exception as e:  # noqa: BLE001 - the chunk's cards show the error
                message = error_parts(e)[0]
                preds = [Prediction(top=(), path=k, error=message) for k in keys]
            for (i, key, x), pred in zip(good, preds, strict=True):
                total = x.read_ms + pred.infer_ms
                results[i] = self._result(start + i, key, pred, pred.error, x.extra, total)
        return [results[i] for i in range(len(chunk))]

    def _result(self, index: int, key: str, pred: Prediction | None, error: str | None,
                thumb: np.ndarray | None = None, total_ms: float = 0.0) -> ImageResult:
        return ImageResult(self.job_id, self.load_id, index, key, pred, error, thumb, total_ms, self.slot)
