"""The Model tab's "Fast (int8)" runtime, on the inference thread (``inference.int8``).

``Int8Task`` quantises the model open in a slot, calibrated on pictures — the ones classified with
it since it was opened (``ModelSlot.recent``, pasted ones included), or a folder the user picked, or
synthetic pictures drawn through the preprocessing when there are none — checks it against the float
runtime on other pictures and times both; it yields ``Int8Progress`` lines and one ``Int8Ready``.
The int8 runtime is kept in the slot's model (``runtimes["litert-int8"]``) but never used until the
user turns it on (``use_int8``), and only when it was offered (top-1 agreement high enough).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from livepredict.core.types import INT8_RUNTIME
from livepredict.threads.engine.guard import engine_call
from livepredict.threads.engine.payloads import MAIN
from livepredict.threads.engine.runner import Task
from livepredict.threads.engine.slots import ModelSlot, ModelSlots
from livepredict.threads.engine.switching import RuntimeSwitched

RECENT = "recent"  # calibrate on the pictures classified since the model was opened (else a folder path)


@dataclass(frozen=True)
class Int8Progress:
    load_id: int
    text: str
    slot: str = MAIN


@dataclass(frozen=True)
class Int8Ready:
    """The trial ended: ``offered`` (may be turned on), ``summary`` (agreement, |Δscore|, both speeds,
    calibration) or ``error`` (one sentence: it could not be tried)."""

    load_id: int
    offered: bool = False
    summary: str = ""
    float_runtime: str = ""
    float_ms: float = 0.0
    int8_ms: float = 0.0
    agreement: float = 0.0
    max_abs_diff: float = float("nan")
    error: str = ""
    details: str = ""
    slot: str = MAIN


def calibration_pictures(s: ModelSlot, source: str, limit: int) -> list[np.ndarray]:
    """RGB pictures to calibrate and probe with: the slot's pasted and recently classified ones
    (newest first), or those of the folder ``source``; unreadable files are skipped."""
    from livepredict.sources.images import collect_image_paths, read_pictures
    from livepredict.threads.prefetch import reduce_for

    if source == RECENT:
        pasted = list(s.images.values())[:limit]
        paths: list[Any] = list(dict.fromkeys(reversed(s.recent)))  # newest first, each once
        return pasted + read_pictures(paths, limit - len(pasted), reduce_for(s.model))
    return read_pictures(collect_image_paths([source]), limit, reduce_for(s.model))


class Int8Task(Task):
    """Try the int8 runtime for the model of ``load_id`` in ``slot``."""

    def __init__(self, load_id: int, source: str, models: ModelSlots, slot: str = MAIN) -> None:
        self.lane = f"int8:{slot}"
        self.load_id, self.source, self.slot = load_id, source, slot
        self.models = models

    def on_error(self, message: str, details: str) -> Sequence[Any]:
        return [Int8Ready(self.load_id, error=message, details=details, slot=self.slot)]

    def on_cancel(self) -> Sequence[Any]:
        return [Int8Ready(self.load_id, error="Trying Fast (int8) was cancelled.", slot=self.slot)]

    def steps(self) -> Iterator[Sequence[Any]]:
        from livepredict.inference import int8

        s = self.models.get(self.slot)
        if s is None or s.load_id != self.load_id:
            yield [Int8Ready(self.load_id, error="Open a model before trying Fast (int8).", slot=self.slot)]
            return
        why = int8.int8_refusal(s.model)
        if why:
            yield [Int8Ready(self.load_id, error=why, slot=self.slot)]
            return
        where = "the pictures classified with it" if self.source == RECENT else self.source
        yield [Int8Progress(self.load_id, f"Reading calibration pictures from {where}…", self.slot)]
        pictures = calibration_pictures(s, self.source, int8.N_CALIBRATION + int8.N_PROBES)
        yield [Int8Progress(self.load_id, f"Quantising to int8 on {len(pictures) or 'synthetic'} pictures and "
                                          "checking it against float (the model is busy meanwhile)…", self.slot)]
        with engine_call("int8"):
            lite, trial = int8.try_int8(s.model, pictures, trust=s.trust)
        old = s.model.runtimes.pop(INT8_RUNTIME, None)
        if old is not None and s.model.runtime is not old:
            old.close()
        if lite is not None:
            s.model.runtimes[INT8_RUNTIME] = lite
        s.int8 = trial
        c = trial.check
        yield [Int8Ready(self.load_id, offered=bool(lite is not None and c.offered), summary=trial.summary(),
                         float_runtime=trial.float_runtime, float_ms=trial.float_ms, int8_ms=trial.int8_ms,
                         agreement=c.top1_agreement, max_abs_diff=c.max_abs_diff, slot=self.slot)]


def use_int8(s: ModelSlot, on: bool) -> RuntimeSwitched:
    """Turn the slot's Fast (int8) runtime on or off; the payload says which runtime runs now."""
    from livepredict.core.errors import LivePredictError
    from livepredict.inference import int8
    from livepredict.threads.engine.slots import warm_up

    lite = s.model.runtimes.get(INT8_RUNTIME)
    if on and (lite is None or s.int8 is None or not s.int8.check.offered):
        raise LivePredictError("Fast (int8) is not offered for this model: try it first, and it is offered only "
                               f"when its top-1 agrees with float on at least {int8.MIN_AGREEMENT:.0%} of the probes.")
    with engine_call("int8 switch"):
        message = int8.use_runtime(s.model, lite if on else None)
        ms = warm_up(s.model)
    s.loaded = dataclasses.replace(s.loaded, info=s.model.info, ms_per_image=ms or s.loaded.ms_per_image)
    return RuntimeSwitched(s.load_id, s.loaded, True, message, s.name)

