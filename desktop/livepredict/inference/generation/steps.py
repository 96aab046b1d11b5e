"""Step runtimes: the single-step model in Keras (the reference) and LiteRT, checked and timed.

:func:`build_step_engine` builds the Keras step, converts it with the engine's
``convert_keras``, verifies single steps and a chain of steps with the state fed back
(``runtimes.verify``), times both and keeps the fastest that matches; a compiled sequence
function primes the state from a seed text in one pass.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from livepredict.core import gc_defer
from livepredict.core.types import RuntimeCheck
from livepredict.inference.generation.plan import InputKind, Plan, build_step_model
from livepredict.inference.runtimes import DEFAULT_TOLERANCE, Inputs, KerasRuntime, LiteRTRuntime, Runtime
from livepredict.inference.tf_env import Status, _say

RUNTIMES = ("auto", "keras", "litert")
N_PROBE_STEPS = 24
LITERT_SLACK = 1.10


class StepRuntime(Runtime):
    """``infer_all([x, state]) -> [output, state]`` for the step model, plus a tight ``step``."""

    def step(self, x: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out, st = self.infer_all([x, state])
        return out, st


class KerasStep(StepRuntime):
    """The step model through the engine's ``KerasRuntime`` (``tf.function``, fixed signature)."""

    name = "keras"

    def __init__(self, step_model: Any, x_shape: tuple[int, ...], x_dtype: str, state_size: int) -> None:
        self.inner = KerasRuntime(step_model, [x_shape, (state_size,)], [x_dtype, "float32"], batch=1)

    def infer_all(self, batch: Inputs) -> list[np.ndarray]:
        return self.inner.infer_all(list(batch))


class LiteRTStep(StepRuntime):
    """The converted step model; inputs and outputs matched to the Keras step by dtype and a probe."""

    name = "litert"

    def __init__(self, blob: bytes, reference: StepRuntime, probe: list[np.ndarray]) -> None:
        # one thread: a step is microseconds, and waking a thread pool between steps costs more
        self.inner = LiteRTRuntime(blob, num_threads=1, batch=1)
        self.blob = blob
        ins = self.inner.input_details
        # the token input is the integer one (or, for values, the one whose width is not the state's)
        state_w = probe[1].shape[-1]
        if probe[0].dtype.kind == "i":
            x_pos = next(i for i, d in enumerate(ins) if np.dtype(d["dtype"]).kind == "i")
        else:
            x_pos = next((i for i, d in enumerate(ins) if int(d["shape"][-1]) != state_w), 0)
        self._in_order = [x_pos, 1 - x_pos]
        ref = reference.infer_all(probe)
        raw = self._raw(probe)
        # which raw output is the model output: the one that matches the reference best
        d01 = self._diff(raw[0], ref[0]) + self._diff(raw[1], ref[1])
        d10 = self._diff(raw[1], ref[0]) + self._diff(raw[0], ref[1])
        self._out_order = [0, 1] if d01 <= d10 else [1, 0]
        it, in_idx, out_idx, dtypes = self.inner._interp(self.inner._default_shape)
        self._it = it
        self._x_index = in_idx[self._in_order[0]]
        self._s_index = in_idx[self._in_order[1]]
        order = self.inner.output_order  # raw output j is tensor out_idx[order[j]]
        self._o_index = out_idx[order[self._out_order[0]]]
        self._so_index = out_idx[order[self._out_order[1]]]
        self._x_dtype = dtypes[self._in_order[0]]

    @staticmethod
    def _diff(a: np.ndarray, b: np.ndarray) -> float:
        if a.shape != b.shape:
            return float("inf")
        return float(np.max(np.abs(np.asarray(a, np.float64) - b)))

    def _raw(self, xs: Sequence[np.ndarray]) -> list[np.ndarray]:
        feed = [xs[self._in_order.index(pos)] for pos in range(len(xs))]  # xs[k] goes to input _in_order[k]
        return self.inner.infer_all(feed)

    def infer_all(self, batch: Inputs) -> list[np.ndarray]:
        raw = self._raw(list(batch))
        return [raw[self._out_order[0]], raw[self._out_order[1]]]

    def step(self, x: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        it = self._it
        it.set_tensor(self._x_index, x)
        it.set_tensor(self._s_index, state)
        it.invoke()
        return it.get_tensor(self._o_index), it.get_tensor(self._so_index)

    def close(self) -> None:
        self.inner.close()


def _time_steps(rt: StepRuntime, probe: list[np.ndarray], budget_s: float = 0.15) -> float:
    """Median microseconds per chained step (state fed back) over about ``budget_s`` seconds."""
    x, state = probe
    rt.step(x, state)
    times: list[float] = []
    end = time.perf_counter() + budget_s
    while len(times) < 5 or (time.perf_counter() < end and len(times) < 200):
        t0 = time.perf_counter()
        for _ in range(10):
            _, state = rt.step(x, state)
        times.append((time.perf_counter() - t0) * 1e5)
    return float(np.median(times))


def _step_probes(plan: Plan, n: int = 4) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(4321)
    probes = []
    for k in range(n):
        if plan.input_kind == InputKind.VALUES:
            x = rng.standard_normal((1, 1, plan.in_features)).astype(np.float32)
        else:
            x = rng.integers(0, plan.in_features, (1, 1)).astype(np.int32)
        s = (np.zeros if k == 0 else rng.standard_normal)((1, plan.state_size)).astype(np.float32) * 0.5
        probes.append([x, s])
    return probes


def _verify_chain(candidate: StepRuntime, reference: StepRuntime, plan: Plan, tolerance: float) -> RuntimeCheck:
    """``runtimes.verify`` on single steps, then a chain of steps with the state fed back."""
    from livepredict.inference.runtimes import verify

    check = verify(candidate, reference, _step_probes(plan), tolerance)
    if not check.passed:
        return check
    rng = np.random.default_rng(99)
    s_ref = s_got = np.zeros((1, plan.state_size), np.float32)
    worst = check.max_abs_diff or 0.0
    for _ in range(N_PROBE_STEPS):
        if plan.input_kind == InputKind.VALUES:
            x = rng.standard_normal((1, 1, plan.in_features)).astype(np.float32)
        else:
            x = rng.integers(0, plan.in_features, (1, 1)).astype(np.int32)
        o_ref, s_ref = reference.step(x, s_ref)
        o_got, s_got = candidate.step(x, s_got)
        if not (np.all(np.isfinite(o_got)) and np.all(np.isfinite(s_got))):
            return RuntimeCheck(check.compared, None, tolerance, False, f"{candidate.name} produced NaN or "
                                "infinite values over a chain of steps")
        worst = max(worst, float(np.max(np.abs(o_got - o_ref))), float(np.max(np.abs(s_got - s_ref))))
    limit = tolerance * max(1.0, float(np.max(np.abs(s_ref))))
    passed = worst <= limit
    compared = f"{candidate.name} vs {reference.name} step on 4 probes and a {N_PROBE_STEPS}-step chain"
    return RuntimeCheck(compared, worst, limit, passed, "outputs match within tolerance" if passed else
                        f"outputs differ by up to {worst:.3g}, more than the tolerance {limit:.3g}")


@dataclass
class StepEngine:
    """The chosen step runtime with every runtime that was built, the check and the timings."""

    plan: Plan
    runtime: StepRuntime
    runtimes: dict[str, StepRuntime]
    check: RuntimeCheck | None
    timings_us: dict[str, float]
    warnings: list[str]
    prime_fn: Any  # tf.function (x sequence, state) -> (output, state), or None


@gc_defer.deferred()  # like a model load: many objects that live on, no collection scanning them meanwhile
def build_step_engine(model: Any, plan: Plan, *, runtime: str = "auto", status: Status = None,
                      tolerance: float = DEFAULT_TOLERANCE) -> StepEngine:
    """Build the Keras step (reference), convert it to LiteRT, verify, time, choose."""
    from livepredict.inference import runtimes as rts
    from livepredict.inference.tf_env import import_tf

    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}")
    tf = import_tf(status)
    _say(status, "Building the step model…")
    step_model = build_step_model(plan)
    x_shape: tuple[int, ...]
    if plan.input_kind == InputKind.VALUES:
        x_shape, x_dtype = (1, plan.in_features), "float32"
    else:
        x_shape, x_dtype = (1,), "int32"
    keras_rt = KerasStep(step_model, x_shape, x_dtype, plan.state_size)
    probes = _step_probes(plan)
    runtimes: dict[str, StepRuntime] = {"keras": keras_rt}
    timings = {"keras": _time_steps(keras_rt, probes[1])}
    warnings: list[str] = []
    check: RuntimeCheck | None = None
    chosen: StepRuntime = keras_rt
    if runtime != "keras":
        _say(status, "Converting the step to LiteRT…")
        try:
            lite: LiteRTStep | None = LiteRTStep(rts.convert_keras(step_model), keras_rt, probes[1])
        except Exception as e:  # noqa: BLE001 - some ops do not convert: keep Keras
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
            check = RuntimeCheck("litert vs keras step", None, tolerance, False,
                                 f"conversion to LiteRT failed ({first})")
            lite = None
        if lite is not None:
            _say(status, "Checking the LiteRT step against Keras…")
            check = _verify_chain(lite, keras_rt, plan, tolerance)
            runtimes["litert"] = lite
            if check.passed:
                timings["litert"] = _time_steps(lite, probes[1])
                if runtime == "litert" or timings["litert"] <= timings["keras"] * LITERT_SLACK:
                    chosen = lite
            elif runtime == "litert":
                chosen = lite
                warnings.append(f"LiteRT was forced although it does not match Keras: {check.reason}.")
        if check is not None and not check.passed and runtime == "auto":
            warnings.append(f"Using Keras instead of LiteRT for the step: {check.reason}.")
    prime_fn = None
    if plan.input_kind != InputKind.VALUES:
        prime_model = build_step_model(plan, sequence=True)
        prime_fn = tf.function(lambda x, s: prime_model([x, s], training=False),
                               input_signature=[tf.TensorSpec((1, None), tf.int32),
                                                tf.TensorSpec((1, plan.state_size), tf.float32)],
                               reduce_retracing=False)
        _say(status, "Compiling the priming pass…")
        prime_fn(np.zeros((1, 2), np.int32), np.zeros((1, plan.state_size), np.float32))  # trace once now
    return StepEngine(plan, chosen, runtimes, check, timings, warnings, prime_fn)
