"""Model slots: the models open on the inference thread, by name (DESIGN §9, "Slots").

Slots are data, not threads: one inference thread holds up to ``MAX_SLOTS`` loaded models. Loading
into one slot replaces that slot's model only; a failed load leaves every slot as it was.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from livepredict.core.errors import LivePredictError
from livepredict.core.types import IMAGE_TASKS
from livepredict.threads.engine.guard import engine_call
from livepredict.threads.engine.payloads import MAX_SLOTS, ModelLoaded

log = logging.getLogger(__name__)

RECENT = 200  # picture paths each slot remembers (what Fast (int8) calibrates on)
ENGINES = (("tensorflow", "TensorFlow"), ("ai_edge_litert.interpreter", "LiteRT"))


def _engines_loaded() -> tuple[str, ...]:
    import sys

    return tuple(name for module, name in ENGINES if module in sys.modules)


@dataclass
class ModelSlot:
    """One open model: ``model`` is an ``inference.loader.LoadedModel``."""

    name: str
    model: Any
    load_id: int
    path: str
    loaded: ModelLoaded
    images: dict[str, np.ndarray] = field(default_factory=dict)  # pasted images, for previews
    trust: bool = False  # opened as trusted (a Keras reload for int8 keeps the same choice)
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT))  # pictures classified, newest last
    int8: Any = None  # the Fast (int8) trial (inference.int8.Int8Trial) once made


class ModelSlots:
    """The open models by slot name. Call ``load``/``close``/``get`` on the inference thread only;
    ``note_request``/``superseded`` are thread-safe (the controller calls ``note_request``)."""

    def __init__(self, limit: int = MAX_SLOTS) -> None:
        self.limit = limit
        self._slots: dict[str, ModelSlot] = {}
        self._lock = threading.Lock()
        self._newest: dict[str, int] = {}  # newest requested load id per slot

    # -- thread-safe
    def note_request(self, slot: str, load_id: int) -> None:
        with self._lock:
            self._newest[slot] = max(self._newest.get(slot, 0), load_id)

    def superseded(self, slot: str, load_id: int) -> bool:
        with self._lock:
            return load_id < self._newest.get(slot, 0)

    # -- inference thread
    def get(self, slot: str) -> ModelSlot | None:
        return self._slots.get(slot)

    def active(self, slot: str) -> tuple[Any, int]:
        """(LoadedModel or None, its load id or -1)."""
        s = self._slots.get(slot)
        return (s.model, s.load_id) if s is not None else (None, -1)

    def names(self) -> tuple[str, ...]:
        return tuple(self._slots)

    def load(self, slot: str, path: str, trust: bool, load_id: int, status: Callable[[str], None],
             output: int | str | None = None) -> ModelLoaded:
        """Open ``path`` into ``slot`` (replacing its model once the new one is warm); raises on failure."""
        if slot not in self._slots and len(self._slots) >= self.limit:
            raise LivePredictError(f"At most {self.limit} models can be open at once; close one first.")
        t0 = time.perf_counter()
        from livepredict.core.memory import resident_bytes
        from livepredict.inference.background import default_mode
        from livepredict.inference.loader import open_model

        rss0, libs0 = resident_bytes(), _engines_loaded()

        with engine_call("open_model"):
            model = open_model(path, trust=trust, status=status, output=output, convert=default_mode())
        try:
            with engine_call("warm-up"):
                ms = warm_up(model)
        except BaseException:
            with contextlib.suppress(Exception):
                model.close()
            raise
        info = model.info
        rss1 = resident_bytes()
        loaded = ModelLoaded(load_id=load_id, info=info, load_s=time.perf_counter() - t0,
                             warm=bool(info.extras.get("cached")), ms_per_image=ms, slot=slot,
                             memory_bytes=rss1 - rss0 if rss0 is not None and rss1 is not None else None,
                             libraries_loaded=tuple(n for n in _engines_loaded() if n not in libs0))
        self.close(slot)
        self._slots[slot] = ModelSlot(slot, model, load_id, path, loaded, trust=trust)
        log.info("model %s open in slot %s (load %d, runtime %s, %.2f s, warm=%s)", path, slot, load_id,
                 info.runtime, loaded.load_s, loaded.warm)
        return loaded

    def close(self, slot: str | None = None) -> None:
        """Close ``slot``'s model (None: every slot)."""
        for name in (list(self._slots) if slot is None else [slot]):
            s = self._slots.pop(name, None)
            if s is not None:
                with contextlib.suppress(Exception):
                    s.model.close()


def warm_up(model: Any) -> float | None:
    """Run the chosen runtime a few times at batch 1; the median time in ms (None if not images)."""
    info = model.info
    spec = info.preprocess
    if spec is None or info.task not in IMAGE_TASKS:
        return None
    h, w = spec.size or (64, 64)
    x = model.preprocess(np.zeros((h, w, 3), np.uint8))[None]
    times = []
    for _ in range(8):
        t = time.perf_counter()
        model.infer(x)
        times.append((time.perf_counter() - t) * 1000.0)
    batch = int(getattr(model.runtime, "batch", 1) or 1)
    # The folder batch size too, so the first folder chunk does not pay for it (not while a model
    # runs on Keras only until its LiteRT conversion is ready: its first result comes first).
    if batch > 1 and getattr(model, "pending", None) is None:
        model.infer(np.repeat(x, batch, axis=0))
    return float(np.median(times[3:]))  # steady state: after allocation and first packing
