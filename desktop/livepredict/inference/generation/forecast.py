"""Forecasters: numeric sequence models rolled forward (``Forecaster.forecast(history, horizon)``).

A model with a fixed window (from its input shape or the sidecar's ``window``) is run on the last
``window`` values and its prediction is fed back to roll the forecast forward; a recurrent model
without a fixed window is stepped with explicit state like a text model. Values are normalised
with the sidecar's ``mean`` and ``std``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.errors import SidecarError, UnsupportedModelError
from livepredict.core.types import RuntimeCheck
from livepredict.inference.generation.plan import RECURRENT, InputKind, Plan, _flat, _kind
from livepredict.inference.generation.steps import LITERT_SLACK, StepEngine, build_step_engine
from livepredict.inference.runtimes import KerasRuntime, LiteRTRuntime, Runtime
from livepredict.inference.tf_env import Status, _say


class Forecaster:
    """Rolls a numeric sequence model forward: ``forecast(history, horizon)``.

    Windowed models (a fixed window) are run on the last ``window`` normalised values; the
    prediction is appended and the window slides. A model with no fixed window is stepped with
    explicit state (the history primes the state). Returns values in the series' own units.
    """

    kind = "forecast"

    def __init__(self, *, name: str, mean: np.ndarray, std: np.ndarray, features: int,
                 window: int | None = None, windowed: Runtime | None = None,
                 runtimes: dict[str, Any] | None = None, engine: StepEngine | None = None,
                 out_steps: int = 1, check: RuntimeCheck | None = None, timings_ms: dict[str, float] | None = None,
                 warnings: Sequence[str] = ()) -> None:
        self.name = name
        self.mean = np.asarray(mean, np.float32).reshape(-1)
        self.std = np.asarray(std, np.float32).reshape(-1)
        self.features = features
        self.window = window
        self.windowed = windowed
        self.runtimes = dict(runtimes or {})
        self.engine = engine
        self.out_steps = out_steps
        self.check = check if engine is None else engine.check
        self.timings_ms = dict(timings_ms or {})
        if engine is not None:
            self.timings_ms = {k: v / 1000.0 for k, v in engine.timings_us.items()}
        self.warnings = list(warnings) + (list(engine.warnings) if engine else [])

    @property
    def runtime(self) -> str:
        if self.engine is not None:
            return self.engine.runtime.name
        return self.windowed.name if self.windowed is not None else "none"

    def reset(self) -> None:
        pass

    def _norm(self, v: np.ndarray) -> np.ndarray:
        return ((np.asarray(v, np.float32).reshape(-1, self.features) - self.mean) / self.std).astype(np.float32)

    def _denorm(self, v: np.ndarray) -> np.ndarray:
        return np.asarray(v, np.float32).reshape(-1, self.features) * self.std + self.mean

    def min_history(self) -> int:
        return self.window or 1

    def forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        """``horizon`` future values (shape (horizon,) for one feature, else (horizon, features))."""
        hist = np.asarray(history, np.float32)
        n = len(hist)
        need = self.min_history()
        if n < need:
            raise UnsupportedModelError(f"This forecaster needs at least {need} past values, not {n}; give a "
                                        "longer history.")
        horizon = int(horizon)
        out = np.zeros((max(horizon, 0), self.features), np.float32)
        if horizon <= 0:
            return out[:, 0] if self.features == 1 else out
        z = self._norm(hist)
        if self.engine is not None:
            rt = self.engine.runtime
            state = np.zeros((1, self.engine.plan.state_size), np.float32)
            y = None
            for v in z:
                y, state = rt.step(v.reshape(1, 1, -1), state)
            for t in range(horizon):
                nxt = np.asarray(y, np.float32).reshape(-1)[: self.features]
                out[t] = nxt
                y, state = rt.step(nxt.reshape(1, 1, -1), state)
        else:
            assert self.windowed is not None and self.window is not None
            win = z[-self.window:].copy()
            t = 0
            while t < horizon:
                y = np.asarray(self.windowed.infer(win[None]), np.float32).reshape(-1)
                steps = y.reshape(-1, self.features)[: horizon - t]
                out[t:t + len(steps)] = steps
                t += len(steps)
                win = np.concatenate([win, steps])[-self.window:]
        vals = self._denorm(out)
        return vals[:, 0] if self.features == 1 else vals

    def one_step_predictions(self, series: np.ndarray) -> np.ndarray:
        """The one-step-ahead prediction for every index ≥ ``min_history()`` (NaN before)."""
        s = np.asarray(series, np.float32)
        preds = np.full((len(s), self.features), np.nan, np.float32)
        need = self.min_history()
        if self.engine is not None:
            rt = self.engine.runtime
            state = np.zeros((1, self.engine.plan.state_size), np.float32)
            z = self._norm(s)
            for i in range(len(s) - 1):
                y, state = rt.step(z[i].reshape(1, 1, -1), state)
                preds[i + 1] = self._denorm(np.asarray(y).reshape(-1)[: self.features])
        else:
            for i in range(need, len(s)):
                preds[i] = self.forecast(s[:i], 1).reshape(-1)
        return preds[:, 0] if self.features == 1 else preds

    def describe(self) -> dict[str, Any]:
        return {"kind": "forecast", "name": self.name, "runtime": self.runtime, "window": self.window,
                "features": self.features, "mean": self.mean.tolist(), "std": self.std.tolist(),
                "mode": "state" if self.engine is not None else "window",
                "runtime_check": self.check.to_json() if self.check else None,
                "timings_ms": {k: round(v, 4) for k, v in self.timings_ms.items()},
                "warnings": list(self.warnings)}

    def close(self) -> None:
        for rt in self.runtimes.values():
            rt.close()
        if self.engine is not None:
            for rt in self.engine.runtimes.values():
                rt.close()

# ------------------------------------------------------------------ opening

def open_forecaster(p: Path, model: Any, plan: Plan | None, sidecar: dict[str, Any] | None, *, runtime: str,
                    status: Status, tolerance: float) -> Forecaster:
    """A :class:`Forecaster` for the Keras ``model`` of ``p`` (its sidecar gives mean, std, window)."""
    ins = list(model.inputs)
    if len(ins) != 1 or len(ins[0].shape) != 3 or str(ins[0].dtype).startswith("int"):
        raise UnsupportedModelError(f"{p.name} is not a sequence model (input shape {list(ins[0].shape)}); a "
                                    "forecaster takes (steps, features) numbers and a text generator token ids.")
    features = int(ins[0].shape[-1] or 1)
    sc = sidecar or {}
    mean = np.asarray(sc.get("mean", 0.0), np.float32).reshape(-1)
    std = np.asarray(sc.get("std", 1.0), np.float32).reshape(-1)
    if np.any(std == 0):
        raise SidecarError(f"The sidecar of {p.name} has a std of 0; give the series' real standard deviation.")
    warnings = []
    if "mean" not in sc or "std" not in sc:
        warnings.append("No mean/std in the sidecar: values are fed to the model as they are.")
    fixed = ins[0].shape[1]
    window = int(sc["window"]) if sc.get("window") else (int(fixed) if fixed else None)
    if fixed and window != int(fixed):
        warnings.append(f"The sidecar window {window} differs from the model's input length {fixed}; using {fixed}.")
        window = int(fixed)
    name = p.name
    if plan is not None and plan.stateful and plan.input_kind == InputKind.VALUES:
        window = None  # a stateful model carries its state from call to call: step it with explicit state
    if window is None:
        if plan is None or plan.input_kind != InputKind.VALUES:
            raise UnsupportedModelError(f"{name} has no fixed window and cannot be stepped; put \"window\" in its "
                                        "sidecar or use a recurrent model.")
        engine = build_step_engine(model, plan, runtime=runtime, status=status, tolerance=tolerance)
        return Forecaster(name=name, mean=mean, std=std, features=features, engine=engine, warnings=warnings)
    # windowed: one prediction from the last `window` values
    out_shape = model.outputs[0].shape
    out_last = int(out_shape[-1] or 1)
    out_steps = 1
    if len(out_shape) == 2 and features == 1 and out_last > 1:
        out_steps = out_last  # direct multi-step output
    elif out_last != features:
        raise UnsupportedModelError(f"{name} predicts {out_last} values per step for {features} input "
                                    "features; a forecaster must predict the next value of each feature.")
    if len(out_shape) == 3:
        model = _last_step_model(model)
    if any(_kind(x) in RECURRENT for x in _flat(model)):
        # a fixed window: an unroll=True copy converts to plain LiteRT ops (no TensorList loops)
        model = _unrolled_copy(model, window)
    chosen, built, check, timings = _windowed_runtime(model, window, features, runtime=runtime, status=status,
                                                      tolerance=tolerance, warnings=warnings)
    return Forecaster(name=name, mean=mean, std=std, features=features, window=window, windowed=chosen,
                      runtimes=built, out_steps=out_steps, check=check, timings_ms=timings, warnings=warnings)


def _windowed_runtime(model: Any, window: int, features: int, *, runtime: str, status: Status, tolerance: float,
                      warnings: list[str]) -> tuple[Runtime, dict[str, Runtime], RuntimeCheck | None,
                                                    dict[str, float]]:
    """(chosen, every runtime built, the LiteRT check, timings in ms) for a windowed model."""
    from livepredict.inference import runtimes as rts

    ref = KerasRuntime(model, [(window, features)], ["float32"], batch=1)
    rng = np.random.default_rng(7)
    probes = [[rng.standard_normal((1, window, features)).astype(np.float32)] for _ in range(4)]
    built: dict[str, Runtime] = {"keras": ref}
    timings = {"keras": rts.time_runtime(ref, probes[0], 0.15)}
    check = None
    chosen: Runtime = ref
    if runtime == "keras":
        return chosen, built, check, timings
    _say(status, "Converting to LiteRT…")
    try:
        lite = LiteRTRuntime(rts.convert_keras(model), batch=1)
        check = rts.verify(lite, ref, probes, tolerance)
        built["litert"] = lite
        if check.passed:
            timings["litert"] = rts.time_runtime(lite, probes[0], 0.15)
            if runtime == "litert" or timings["litert"] <= timings["keras"] * LITERT_SLACK:
                chosen = lite
        elif runtime == "litert":
            chosen = lite
        if not check.passed:
            warnings.append(f"Using Keras instead of LiteRT: {check.reason}.")
    except Exception as e:  # noqa: BLE001
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        check = RuntimeCheck("litert vs keras", None, tolerance, False, f"conversion to LiteRT failed ({first})")
        warnings.append(f"Using Keras instead of LiteRT: {check.reason}.")
    return chosen, built, check, timings


def _unrolled_copy(model: Any, window: int) -> Any:
    """The same model (same weights) with every recurrent layer ``unroll=True``, input length fixed."""
    from livepredict.inference.tf_env import import_keras

    keras = import_keras()

    def clone(layer: Any) -> Any:
        cfg = layer.get_config()
        if _kind(layer) in RECURRENT:
            cfg.update(unroll=True, stateful=False, kernel_initializer="zeros", recurrent_initializer="zeros")
        return type(layer).from_config(cfg)

    try:
        copy = keras.models.clone_model(model, clone_function=clone,
                                        input_tensors=keras.Input((window, model.inputs[0].shape[-1]),
                                                                  batch_size=1))
        copy.set_weights(model.get_weights())
        return copy
    except Exception:  # noqa: BLE001 - unusual graphs: keep the original (LiteRT may then fail and Keras is used)
        return model


def _last_step_model(model: Any) -> Any:
    from livepredict.inference.tf_env import import_keras

    keras = import_keras()
    x = keras.Input(shape=tuple(model.inputs[0].shape[1:]), batch_size=1, dtype="float32")
    y = model(x)
    return keras.Model(x, y[:, -1], name=f"{model.name}_last")
