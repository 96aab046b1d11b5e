"""Text and forecast generation on the inference thread: the generator and its two run tasks.

``GeneratorHost`` holds the step generator (text) or forecaster built for one slot's model (it owns
a LiteRT interpreter, so it lives on the inference thread). ``TextTask`` makes tokens for at most
one display tick per step and yields them as one ``TextChunk``; ``ForecastTask`` yields one
``ForecastStep`` per step, paced at the requested rate. ``stop`` (thread-safe) is checked before
every token; a generator whose model was replaced ends the run with "The model changed".
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from livepredict.threads.engine.guard import engine_call, error_parts
from livepredict.threads.engine.payloads import MAIN, ForecastStep, GeneratorFailed, GeneratorReady, TextChunk
from livepredict.threads.engine.runner import Task
from livepredict.threads.engine.slots import ModelSlot, ModelSlots

GEN_SLICE_S = 0.03  # tokens per step: at most one display tick's worth
CHANGED = "The model changed; start the {} again."


class GeneratorHost:
    """The generator of one slot's model, and the thread-safe stop flag of the runs."""

    def __init__(self, models: ModelSlots, shutting_down: Callable[[], bool] = lambda: False) -> None:
        self.models = models
        self.shutting_down = shutting_down
        self.gen: Any = None  # inference.generation.TextGenerator | Forecaster
        self.slot = MAIN
        self.load_id = -1
        self.stop_upto = 0  # runs with id <= this are stopped (set from any thread)

    def stop(self, upto_run: int) -> None:
        self.stop_upto = max(self.stop_upto, int(upto_run))

    def stopped(self, run_id: int) -> bool:
        return run_id <= self.stop_upto or self.shutting_down()

    def current(self, kind: str) -> Any:
        """The generator if it is of ``kind`` and its model is still the one open in its slot."""
        gen = self.gen
        if gen is None or gen.kind != kind or self.models.active(self.slot)[1] != self.load_id:
            return None
        return gen

    def close(self) -> None:
        gen, self.gen = self.gen, None
        if gen is not None:
            with contextlib.suppress(Exception):
                gen.close()

    def reset(self) -> None:
        if self.gen is not None:
            with engine_call("reset generator"):
                self.gen.reset()

    def prepare(self, s: ModelSlot, vocab_path: str, status: Callable[[str], None]) -> GeneratorReady | GeneratorFailed:
        """Build the generator for the model open in ``s`` (replacing the previous generator)."""
        self.close()
        t0 = time.perf_counter()
        try:
            from livepredict.inference.generation import TextGenerator, open_generator

            status("Building the step-by-step generator…")
            with engine_call("open_generator"):
                gen = open_generator(s.path, trust=bool(s.model.info.extras.get("trusted")), status=status,
                                     keras_model=getattr(s.model, "keras_model", None), vocab=vocab_path or None)
            info = gen.describe()
        except Exception as e:  # noqa: BLE001 - reported as a GeneratorFailed
            from livepredict.core.errors import SidecarError

            message, details = error_parts(e)
            return GeneratorFailed(s.load_id, message, details,
                                   isinstance(e, SidecarError) and "vocabulary" in message, slot=s.name)
        self.gen, self.slot, self.load_id = gen, s.name, s.load_id
        return GeneratorReady(s.load_id, gen.kind, info,
                              tuple(gen.vocab.tokens) if isinstance(gen, TextGenerator) else (),
                              int(getattr(gen, "window", 0) or 0), time.perf_counter() - t0, s.name)


class TextTask(Task):
    """Generate ``length`` tokens (0: until stopped) at most ``rate`` tokens/s (0: as fast as possible),
    continuing from the current state; a fresh state is primed with ``seed_text`` first."""

    lane = "generation"

    def __init__(self, host: GeneratorHost, run_id: int, seed_text: str, length: int, sampler: Any,
                 rate: float) -> None:
        self.host, self.run_id, self.seed_text, self.sampler = host, run_id, seed_text, sampler
        self.left = int(length) or -1
        self.rate = float(rate)
        self.t0 = self.last = time.perf_counter()
        self.total = 0
        self.first_ms: float | None = None
        self.budget = 0.0
        self.parts: list[str] = []  # tokens of the step under way (kept if the step fails)

    def is_cancelled(self) -> bool:
        return self.host.stopped(self.run_id)

    def pace_s(self) -> float:
        return 0.016 if self.rate > 0 else 0.0

    def on_cancel(self) -> Sequence[Any]:
        return [self.chunk("stopped")]

    def on_error(self, message: str, details: str) -> Sequence[Any]:
        return [self.chunk(message)]  # with the tokens made before the fault

    def chunk(self, reason: str) -> TextChunk:
        """The tokens made since the last chunk, and the distribution after the last one."""
        from livepredict.core.sampling import top_n

        parts, self.parts = self.parts, []
        gen = self.host.current("text")
        labels: tuple[str, ...] = ()
        probs: tuple[float, ...] = ()
        if gen is not None and gen.probs is not None:
            ids, vals = top_n(gen.probs, 10)
            labels = tuple(gen.vocab.tokens[i] for i in ids)
            probs = tuple(float(v) for v in vals)
        elapsed = time.perf_counter() - self.t0
        return TextChunk(self.run_id, "".join(parts), len(parts), self.total,
                         self.total / elapsed if elapsed > 0 else 0.0, self.first_ms, labels, probs, bool(reason),
                         reason)

    def steps(self) -> Iterator[Sequence[Any]]:
        gen = self.host.current("text")
        if gen is None:
            yield [self.chunk("Open a text model and wait for the generator to be ready.")]
            return
        with engine_call("prime"):
            if gen.probs is None:
                gen.prime(self.seed_text)
        while True:
            gen = self.host.current("text")
            if gen is None:
                yield [self.chunk(CHANGED.format("generation"))]
                return
            reason = self._slice(gen)
            yield [self.chunk(reason)]
            if reason:
                return

    def _slice(self, gen: Any) -> str:
        """Tokens for one display tick (or as many as the pacing allows) into ``parts``; the end
        reason, if any."""
        now = time.perf_counter()
        if self.rate > 0:  # paced: tokens owed since the last slice
            self.budget = min(self.budget + (now - self.last) * self.rate, self.rate * 0.25 + 1)
        self.last = now
        end = now + GEN_SLICE_S
        parts = self.parts
        with engine_call("generate"):
            while True:
                if self.host.stopped(self.run_id):
                    return "stopped"
                if self.left == 0:
                    return "done"
                if self.rate > 0 and self.budget < 1:
                    return ""
                parts.append(gen.next_token(self.sampler).text)
                self.total += 1
                if self.left > 0:
                    self.left -= 1
                if self.rate > 0:
                    self.budget -= 1
                if self.first_ms is None:
                    self.first_ms = (time.perf_counter() - self.t0) * 1000.0
                if (len(parts) & 63) == 0 and time.perf_counter() >= end:
                    return ""


class ForecastTask(Task):
    """Step through ``series`` from ``start`` at ``rate`` steps/s, forecasting ``horizon`` values at
    each step (0 steps/s: one step only, e.g. to show a forecast while paused)."""

    lane = "generation"

    def __init__(self, host: GeneratorHost, run_id: int, series: Any, start: int, horizon: int, rate: float) -> None:
        self.host, self.run_id = host, run_id
        self.values = np.asarray(series, np.float32).ravel()
        self.index = int(start)
        self.horizon = max(1, int(horizon))
        self.rate = float(rate)
        self.t0 = time.perf_counter()
        self.steps_done = 0
        self.err: list[float] = []
        self.naive: list[float] = []

    def is_cancelled(self) -> bool:
        return self.host.stopped(self.run_id)

    def pace_s(self) -> float:
        return 1.0 / self.rate if self.rate > 0 else 0.0

    def on_cancel(self) -> Sequence[Any]:
        return [self.step_result(np.zeros(0, np.float32), "stopped")]

    def on_error(self, message: str, details: str) -> Sequence[Any]:
        return [self.step_result(np.zeros(0, np.float32), message)]

    def step_result(self, fc: np.ndarray, reason: str) -> ForecastStep:
        elapsed = time.perf_counter() - self.t0
        return ForecastStep(self.run_id, self.index, fc, float(fc[0]) if fc.size else float("nan"),
                            float(np.mean(self.err)) if self.err else None,
                            float(np.mean(self.naive)) if self.naive else None,
                            self.steps_done / elapsed if elapsed > 0 else 0.0, bool(reason), reason)

    def steps(self) -> Iterator[Sequence[Any]]:
        gen = self.host.current("forecast")
        if gen is None:
            yield [self.step_result(np.zeros(0, np.float32), "Open a forecaster and wait for it to be ready.")]
            return
        self.index = max(self.index, gen.min_history())
        values = self.values
        while True:
            gen = self.host.current("forecast")
            if gen is None:
                yield [self.step_result(np.zeros(0, np.float32), CHANGED.format("forecast"))]
                return
            i = self.index
            with engine_call("forecast"):
                fc = np.asarray(gen.forecast(values[:i], self.horizon), np.float32).ravel().copy()
            if i < len(values):
                self.err.append(abs(float(fc[0]) - float(values[i])))
                self.naive.append(abs(float(values[i - 1]) - float(values[i])))
            self.steps_done += 1
            reason = "done" if i >= len(values) else "paused" if self.rate <= 0 else ""
            yield [self.step_result(fc, reason)]
            if reason:
                return
            self.index = i + 1
