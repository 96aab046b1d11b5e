"""Explanations on the inference thread: pictures as a task, live frames paced beside live inference.

- :class:`ExplainTask` (a runner task, lane ``explain:<slot>``): builds the slot's explainer (the
  Keras model is loaded on demand after a warm start, with status lines), then explains one
  picture per step and yields an :class:`ExplainResult` each, and an :class:`ExplainFinished`.
- :class:`LiveExplainer`: after a live frame was inferred, explains it too when the last
  explanation is old enough that explanations take at most ``LIVE_SHARE`` of the thread's time, and
  emits a :class:`LiveHeatmap` (the live fps stays at >= 1 - LIVE_SHARE of the fps without); the map
  covers the whole frame at most LIVE_MAP_SIDE pixels across (views scale it up).
- :class:`Explainers`: the explainers built so far, per slot and model load (one compiled Grad-CAM
  per model and request).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from livepredict.core.geometry import placement
from livepredict.core.heatmap import Heatmap, resample
from livepredict.threads.engine.batch import JobFlags, collect, shrink
from livepredict.threads.engine.guard import engine_call, error_parts
from livepredict.threads.engine.payloads import MAIN, NamedImage
from livepredict.threads.engine.runner import Task
from livepredict.threads.engine.slots import ModelSlots

log = logging.getLogger(__name__)

LIVE_SHARE = 0.15  # at most this share of the inference thread's time goes to live explanations
LIVE_MIN_INTERVAL_S = 0.2  # and never more than 5 live heatmaps a second
LIVE_MAP_SIDE = 320  # live maps are made at most this many pixels across (the views scale them up)


@dataclass(frozen=True)
class ExplainRequest:
    """What to explain: ``label`` None = each picture's top-1 class; ``method`` auto/gradcam/occlusion;
    ``layer`` the Grad-CAM layer (None: the sidecar's, else the last spatial one); occlusion's
    ``window``/``stride`` in model-input pixels (None: a sixth of the input, half overlap)."""

    method: str = "auto"
    label: str | None = None
    layer: str | None = None
    window: int | None = None
    stride: int | None = None

    def key(self) -> tuple[Any, ...]:
        return self.method, self.layer, self.window, self.stride


VIEW_SIDE = 240  # pictures explained for the app come back at most this large (the map resampled to it)


@dataclass(frozen=True)
class ExplainResult:
    """One picture explained, or ``error`` (one sentence). ``thumbnail`` is the picture shrunk to a
    longest side of at most VIEW_SIDE and ``heatmap.values`` the map at the thumbnail's size (the
    original-size map resampled: pictures can be 50 megapixels)."""

    job_id: int
    load_id: int
    index: int
    path: str
    heatmap: Heatmap | None
    error: str | None
    thumbnail: np.ndarray | None = None
    slot: str = MAIN


@dataclass(frozen=True)
class ExplainFinished:
    job_id: int
    load_id: int
    done: int
    total: int
    cancelled: bool
    message: str = ""  # why nothing (more) could be explained: one sentence
    method: str = ""
    layer: str = ""
    layers: tuple[str, ...] = ()  # the layers Grad-CAM can explain at (for a layer picker)
    slot: str = MAIN


@dataclass(frozen=True)
class LiveHeatmap:
    """A live frame explained: ``made_ts`` on the monotonic clock, like the frames' ``capture_ts``;
    ``heatmap.values`` covers the whole frame, at most LIVE_MAP_SIDE pixels across."""

    load_id: int
    frame_index: int
    capture_ts: float
    made_ts: float
    heatmap: Heatmap | None
    error: str = ""
    slot: str = MAIN
    frame_shape: tuple[int, int] = (0, 0)  # (height, width) of the frame explained


class Explainers:
    """The explainers built so far; one per (slot, model load, request key). Inference thread only."""

    def __init__(self, models: ModelSlots, status: Callable[[str], None] | None = None) -> None:
        self.models = models
        self.status = status
        self._built: dict[tuple[Any, ...], Any] = {}

    def has(self, slot: str, request: ExplainRequest) -> bool:
        """Whether the explainer for ``slot``'s open model and ``request`` is built already."""
        return (slot, self.models.active(slot)[1], *request.key()) in self._built

    def get(self, slot: str, request: ExplainRequest) -> tuple[Any, int]:
        """(Explainer, load id) for the model open in ``slot``; raises one sentence if it cannot be made."""
        from livepredict.core.errors import LivePredictError
        from livepredict.inference.explain import Explainer

        model, load_id = self.models.active(slot)
        if model is None:
            raise LivePredictError("No model is open; open an image classifier first.")
        key = (slot, load_id, *request.key())
        ex = self._built.get(key)
        if ex is None:
            for k in [k for k in self._built if k[0] == slot and k[1] != load_id]:
                del self._built[k]  # that slot's older model is gone
            with engine_call("explainer"):
                ex = Explainer(model, request.method, request.layer, window=request.window, stride=request.stride,
                               status=self.status)
            self._built[key] = ex
            slot_state = self.models.get(slot)
            if self.status is not None and slot_state is not None:
                self.status(slot_state.loaded.ready_text)  # after "Loading the Keras model…"
        return ex, load_id


class ExplainTask(Task):
    """Explain ``raw`` (paths, folders, NamedImages) with the model of ``load_id`` in ``slot``."""

    def __init__(self, job_id: int, slot: str, load_id: int, raw: Sequence[Any], request: ExplainRequest,
                 explainers: Explainers, flags: JobFlags) -> None:
        self.lane = f"explain:{slot}"
        self.job_id, self.slot, self.load_id = job_id, slot, load_id
        self.raw, self.request = list(raw), request
        self.explainers, self.flags = explainers, flags
        self.done = 0
        self.total = 0
        self.explainer: Any = None

    def is_cancelled(self) -> bool:
        return self.flags.cancelled(self.job_id, self.slot)

    def finished(self, cancelled: bool = False, message: str = "") -> ExplainFinished:
        ex = self.explainer
        return ExplainFinished(self.job_id, self.load_id, self.done, self.total, cancelled, message,
                               ex.method if ex else "", ex.layer if ex else "", ex.layers if ex else (), self.slot)

    def on_cancel(self) -> Sequence[Any]:
        return [self.finished(cancelled=True)]

    def on_error(self, message: str, details: str) -> Sequence[Any]:
        return [self.finished(message=message)]

    def steps(self) -> Iterator[Sequence[Any]]:
        if self.explainers.models.active(self.slot)[1] != self.load_id:
            yield [self.finished(cancelled=True, message="A different model was opened; explain the pictures again.")]
            return
        self.explainer, _ = self.explainers.get(self.slot, self.request)  # raises: on_error says why
        slot = self.explainers.models.get(self.slot)
        pasted = slot.images if slot is not None else {}  # pictures pasted for classification, by name
        items = collect([NamedImage(x, pasted[x]) if isinstance(x, str) and x in pasted else x for x in self.raw])
        self.total = len(items)
        yield []
        for i, item in enumerate(items):
            if self.explainers.models.active(self.slot)[1] != self.load_id:
                yield [self.finished(cancelled=True, message="A different model was opened; explain the pictures "
                                                             "again.")]
                return
            yield [self._one(i, item)]
            self.done += 1
        yield [self.finished()]

    def _one(self, index: int, item: Any) -> ExplainResult:
        from livepredict.sources.images import read_image

        key = getattr(item, "name", None) or str(item)
        try:
            if hasattr(item, "message"):  # a path that could not be listed
                raise ValueError(item.message)
            img = item.image if isinstance(item, NamedImage) else read_image(item)
            with engine_call("explain"):
                heat = self.explainer.explain([img], self.request.label)[0]
        except Exception as e:  # noqa: BLE001 - one picture that cannot be explained is one error
            return ExplainResult(self.job_id, self.load_id, index, key, None, error_parts(e)[0], slot=self.slot)
        view = shrink(img, VIEW_SIDE)
        heat = replace(heat, values=np.ascontiguousarray(resample(heat.values, view.shape[:2])))
        return ExplainResult(self.job_id, self.load_id, index, key, heat, None, view, self.slot)


def _map_size(hw: tuple[int, ...]) -> tuple[int, int]:
    """The size a live frame's map is made at: the frame's, shrunk to at most LIVE_MAP_SIDE across."""
    h, w = int(hw[0]), int(hw[1])
    scale = min(1.0, LIVE_MAP_SIDE / max(h, w))
    return (max(1, round(h * scale)), max(1, round(w * scale))) if scale < 1 else (h, w)


class LiveExplainer:
    """Explains live frames now and then (see the module docstring); ``emit(LiveHeatmap)``."""

    def __init__(self, explainers: Explainers, emit: Callable[[LiveHeatmap], None]) -> None:
        self.explainers = explainers
        self.emit = emit
        self.requests: dict[str, ExplainRequest] = {}
        self._next: dict[str, float] = {}
        self._failed: dict[str, str] = {}
        self.made = 0

    def set(self, slot: str, request: ExplainRequest | None) -> None:
        if request is None:
            self.requests.pop(slot, None)
        else:
            self.requests[slot] = request
        self._next.pop(slot, None)
        self._failed.pop(slot, None)

    def after_frame(self, slot: str, load_id: int, frame: Any, x: np.ndarray) -> None:
        """Called by live inference after ``frame`` (preprocessed ``x``) was inferred in ``slot``."""
        request = self.requests.get(slot)
        now = time.monotonic()
        if request is None or now < self._next.get(slot, 0.0) or self._failed.get(slot):
            return
        try:
            fresh = not self.explainers.has(slot, request)
            ex, _ = self.explainers.get(slot, request)  # the first time: built (Keras loaded, compiled)
            if fresh:
                return  # that took a while: explain a newer frame, not this one
            spec = ex.spec
            where = placement(_map_size(frame.image.shape[:2]), spec.size or frame.image.shape[:2], spec.resize)
            t0 = time.monotonic()  # the pace follows the explanation's own cost, not the build's
            with engine_call("live explain"):
                heat = ex.explain_tensors(x[None], [where], request.label)[0]
        except Exception as e:  # noqa: BLE001 - said once; live inference goes on
            message = error_parts(e)[0]
            self._failed[slot] = message
            log.warning("live explanations in slot %s stopped: %s", slot, message)
            self.emit(LiveHeatmap(load_id, frame.index, frame.capture_ts, time.monotonic(), None, message, slot,
                                  frame.image.shape[:2]))
            return
        t1 = time.monotonic()
        cost = t1 - t0
        self._next[slot] = t1 + max(LIVE_MIN_INTERVAL_S, cost * (1.0 / LIVE_SHARE - 1.0))
        self.made += 1
        self.emit(LiveHeatmap(load_id, frame.index, frame.capture_ts, t1, heat, "", slot, frame.image.shape[:2]))
