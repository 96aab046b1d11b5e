"""Watching a background LiteRT conversion from the inference thread (``inference.handover``).

A model opened for the first time runs on Keras while a helper process converts and checks it.
``ConversionWatch`` is a task on the slot's own lane: every ``PACE_S`` it asks whether the helper is
done; when it is, it moves the model onto LiteRT (here, on the inference thread, which then owns the
new interpreter), times it and yields one ``RuntimeSwitched``. It ends silently when the slot gets
another model or the app stops.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from livepredict.threads.engine.guard import engine_call
from livepredict.threads.engine.payloads import MAIN, ModelLoaded
from livepredict.threads.engine.runner import Task
from livepredict.threads.engine.slots import ModelSlots, warm_up

PACE_S = 0.25


@dataclass(frozen=True)
class RuntimeSwitched:
    """A background conversion ended: ``loaded`` is the slot's model with its new runtime (``switched``)
    or with the reason it stays on Keras (``message``, one sentence for the status bar)."""

    load_id: int
    loaded: ModelLoaded
    switched: bool
    message: str
    slot: str = MAIN


class ConversionWatch(Task):
    def __init__(self, models: ModelSlots, slot: str, load_id: int, stopping: Any) -> None:
        self.lane = f"convert:{slot}"
        self.models, self.slot, self.load_id = models, slot, load_id
        self._stopping = stopping

    def _current(self) -> Any:
        s = self.models.get(self.slot)
        return s if s is not None and s.load_id == self.load_id else None

    def is_cancelled(self) -> bool:
        return bool(self._stopping()) or self._current() is None

    def pace_s(self) -> float:
        return PACE_S

    def steps(self) -> Iterator[Sequence[Any]]:
        from livepredict.inference.handover import poll

        while True:
            s = self._current()
            if s is None:
                return
            with engine_call("runtime handover"):
                done = poll(s.model)
            if done is None:
                yield []
                continue
            with engine_call("warm-up"):
                ms = warm_up(s.model)
            s.loaded = dataclasses.replace(s.loaded, info=done.info, ms_per_image=ms or s.loaded.ms_per_image)
            yield [RuntimeSwitched(self.load_id, s.loaded, done.switched, done.message, self.slot)]
            return


def watch_if_converting(models: ModelSlots, slot: str, load_id: int, stopping: Any) -> ConversionWatch | None:
    """The watch task for ``slot``'s model when a background conversion runs for it."""
    from livepredict.inference.handover import converting

    s = models.get(slot)
    if s is None or s.load_id != load_id or not converting(s.model):
        return None
    return ConversionWatch(models, slot, load_id, stopping)
