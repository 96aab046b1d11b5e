"""``livepredict bench``: every way of running a model, measured in one run on the same input.

Paths (batch 1, one preprocessed probe image or tensor):

- ``predict``: ``model.predict(x, verbose=0)``, the naive Keras call, as a reference only (this
  is the one place in the project where it is called);
- ``keras``: the compiled ``tf.function`` runtime; ``savedmodel``: a SavedModel's signature;
- ``litert``: the converted model (measured even when its numeric check failed, and marked so).

Paths are timed in interleaved rounds so a busy machine slows them alike. ``chosen`` names the
runtime the app uses for this model; ``speedup_vs_predict`` = predict median / chosen median,
``chosen_vs_best`` = chosen median / the fastest median among the runtimes (not predict).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from livepredict.core.sampling import Sampler, SamplingSettings
from livepredict.core.types import Task
from livepredict.inference.generation.plan import InputKind
from livepredict.inference.tf_env import _say

if TYPE_CHECKING:
    from livepredict.inference.generation import Plan, StepRuntime

ROUND_S = 0.1


def _stats(times_ms: list[float]) -> dict[str, Any]:
    a = np.asarray(times_ms)
    med = float(np.median(a))
    return {"ms_median": round(med, 4), "ms_p95": round(float(np.percentile(a, 95)), 4),
            "per_s": round(1000.0 / med, 2) if med > 0 else None, "calls": int(a.size)}


def measure(paths: dict[str, Callable[[], Any]], seconds: float) -> dict[str, dict[str, Any]]:
    """Median/p95 ms and calls per second of each callable, interleaved, ``seconds`` each."""
    for fn in paths.values():  # warm-up (tracing, allocation, first XNNPACK packing)
        fn()
        fn()
    times: dict[str, list[float]] = {name: [] for name in paths}
    spent = dict.fromkeys(paths, 0.0)
    while any(v < seconds for v in spent.values()):
        for name, fn in paths.items():
            if spent[name] >= seconds:
                continue
            end = time.perf_counter() + min(ROUND_S, seconds - spent[name])
            start = time.perf_counter()
            while True:
                t0 = time.perf_counter()
                fn()
                t1 = time.perf_counter()
                times[name].append((t1 - t0) * 1000.0)
                if t1 >= end:
                    break
            spent[name] += time.perf_counter() - start
    return {name: _stats(t) for name, t in times.items()}


def _probe(model) -> list[np.ndarray]:
    from livepredict.inference.loader import _probe_inputs

    return _probe_inputs(model.structure, model.info.preprocess, n=2)[1]


def run_bench(model_path: str | Path, seconds: float = 2.0, trust: bool = False,
              status: Callable[[str], None] | None = None, int8: bool = False,
              calibration: Sequence[Any] = ()) -> dict[str, Any]:
    """Measure predict, each runtime and the app's path on ``model_path``; returns the bench JSON.

    ``int8``: also the quantised runtime (``inference.int8``, calibrated on ``calibration``) as path
    ``int8``, and its check under ``int8``; it is never the chosen path."""
    from livepredict.inference.loader import open_model

    if not seconds or seconds <= 0:
        raise ValueError("seconds must be positive")
    model = open_model(model_path, trust=trust, use_cache=False, status=status)
    if model.info.task == Task.TEXT_GENERATOR:  # tokens/s per step runtime (bench_generator below)
        km = model.keras_model
        model.close()
        return bench_generator(model_path, seconds=seconds, trust=trust, status=status, keras_model=km)
    try:
        x = _probe(model)
        calls: dict[str, Callable[[], Any]] = {}
        km = model.keras_model
        if km is not None:
            single = x[0] if len(x) == 1 else x
            calls["predict"] = lambda: km.predict(single, verbose=0)  # the naive reference only
        for name, rt in model.runtimes.items():
            calls[name] = functools.partial(rt.infer_all, x)
        int8_check = None
        if int8 and km is not None:
            from livepredict.inference.int8 import build_int8

            _say(status, "Quantising to int8…")
            int8_rt, int8_check = build_int8(model, km, calibration)
            if int8_rt is not None:
                calls["int8"] = functools.partial(int8_rt.infer_all, x)
        _say(status, f"Measuring {', '.join(calls)} for {seconds:g} s each…")
        paths = measure(calls, seconds)
        chosen = model.info.runtime
        runtimes = {k: v for k, v in paths.items() if k not in ("predict", "int8")}
        best = min(v["ms_median"] for v in runtimes.values())
        ch = paths[chosen]["ms_median"]
        check = model.info.runtime_check
        return {
            "model": str(model.info.path),
            "format": model.info.format,
            "batch": 1,
            "seconds_per_path": seconds,
            "paths": paths,
            "chosen": chosen,
            "speedup_vs_predict": round(paths["predict"]["ms_median"] / ch, 2) if "predict" in paths else None,
            "chosen_vs_best": round(ch / best, 3) if best > 0 else None,
            "fastest": min(runtimes, key=lambda k: runtimes[k]["ms_median"]),
            "runtime_check": check.to_json() if check else None,
            **({"int8": dict(int8_check.to_json(), vs_litert=round(paths["litert"]["ms_median"]
                                                                  / paths["int8"]["ms_median"], 2)
                             if "int8" in paths and "litert" in paths else None)}
               if int8_check is not None else {}),
        }
    finally:
        model.close()


# ---------------------------------------------------------------- recurrent generators and forecasters

def bench_generator(path: str | Path, seconds: float = 2.0, trust: bool = False,
                    status: Callable[[str], None] | None = None, keras_model: Any = None) -> dict[str, Any]:
    """``livepredict bench`` for a generator: ``predict`` per step vs each step runtime, in one run.

    Text: each path is timed per generated token (draw from the distribution, feed the token back)
    with ``benchmark.measure`` (interleaved rounds); ``predict`` is the naive loop, one
    ``model.predict`` call per token on the last 100 tokens (the only place it is used). Then the
    chosen runtime streams tokens for ``seconds`` the way the CLI and the panel do (tokens/s and the
    first-token latency, priming included). Forecasters: one forecast step per call.
    """
    from livepredict.inference.generation import (
        Forecaster,
        TextGenerator,
        load_keras,
        open_generator,
        stream_stats,
    )

    p = Path(path).expanduser().resolve()
    model = keras_model if keras_model is not None else load_keras(p, trust, status)
    gen = open_generator(p, trust=trust, status=status, keras_model=model)
    try:
        calls: dict[str, Callable[[], Any]] = {}
        if isinstance(gen, TextGenerator):
            plan = gen.engine.plan
            calls["predict"] = _predict_token_fn(model, plan, gen.vocab.start_id())
            for name, rt in gen.engine.runtimes.items():
                calls[name] = _token_fn(rt, plan, gen.vocab.start_id())
            unit = "token"
        else:
            rng = np.random.default_rng(0)
            hist = (rng.standard_normal(max(gen.min_history(), 32)) * gen.std[0] + gen.mean[0]).astype(np.float32)
            if gen.engine is not None:
                calls["predict"] = lambda: model.predict(((hist - gen.mean[0]) / gen.std[0])[None, :, None],
                                                         verbose=0)
                for name, rt in gen.engine.runtimes.items():
                    calls[name] = _token_fn(rt, gen.engine.plan, 0)
            else:
                assert gen.window is not None  # no step engine: a windowed forecaster
                w = ((hist[-gen.window:] - gen.mean[0]) / gen.std[0]).reshape(1, gen.window, -1)
                calls["predict"] = lambda: model.predict(w, verbose=0)
                for name, rt in gen.runtimes.items():
                    calls[name] = functools.partial(rt.infer, w)
            unit = "step"
        _say(status, f"Measuring {', '.join(calls)} for {seconds:g} s each…")
        paths = measure(calls, float(seconds))
        runtimes = {k: v for k, v in paths.items() if k not in ("predict", "int8")}
        chosen = gen.runtime
        best = min(v["ms_median"] for v in runtimes.values())
        ch = paths[chosen]["ms_median"]
        result: dict[str, Any] = {
            "model": str(p), "format": p.suffix.lstrip(".") or "keras", "kind": gen.kind, "unit": unit,
            "batch": 1, "seconds_per_path": seconds, "paths": paths, "chosen": chosen,
            "speedup_vs_predict": round(paths["predict"]["ms_median"] / ch, 1) if ch > 0 else None,
            "chosen_vs_best": round(ch / best, 3) if best > 0 else None,
            "fastest": min(runtimes, key=lambda k: runtimes[k]["ms_median"]),
            "runtime_check": gen.check.to_json() if isinstance(gen, Forecaster) and gen.check else (
                gen.engine.check.to_json() if isinstance(gen, TextGenerator) and gen.engine.check else None),
            "generator": gen.describe(),
        }
        if isinstance(gen, TextGenerator):
            st = stream_stats(gen, "The ", 1000, SamplingSettings(temperature=1.0), seed=0)  # warm
            n = max(1000, int(st["tokens_per_s"] * float(seconds)))
            st = stream_stats(gen, "The ", n, SamplingSettings(temperature=1.0), seed=0)
            result["streamed"] = {"tokens": st["tokens"], "tokens_per_s": round(st["tokens_per_s"], 1),
                                  "first_token_ms": round(st["first_token_ms"], 3),
                                  "speedup_vs_predict": round(st["tokens_per_s"] / paths["predict"]["per_s"], 1)}
        return result
    finally:
        gen.close()


def _token_fn(rt: StepRuntime, plan: Plan, start: int) -> Callable[[], None]:
    """One generated token (or forecast step) per call: sample from the last output, feed it back."""
    sampler = Sampler(SamplingSettings(), 0)
    if plan.input_kind == InputKind.VALUES:
        x = np.zeros((1, 1, plan.in_features), np.float32)
    else:
        x = np.full((1, 1), start, np.int32)
    cell: dict[str, Any] = {"state": np.zeros((1, plan.state_size), np.float32), "out": None}

    def fn() -> None:
        if cell["out"] is not None:
            if plan.input_kind == InputKind.VALUES:
                x[0, 0] = cell["out"].reshape(-1)[: plan.in_features]
            else:
                x[0, 0] = sampler(cell["out"][0])
        cell["out"], cell["state"] = rt.step(x, cell["state"])

    return fn


def _predict_token_fn(model: Any, plan: Plan, start: int) -> Callable[[], None]:
    """The naive loop: ``model.predict`` on the last 100 tokens (or the model's window) per token."""
    seq = [start]
    window = plan.time_dim or 100
    sampler = Sampler(SamplingSettings(), 0)

    def fn() -> None:
        ids = seq[-window:]
        if plan.time_dim and len(ids) < window:
            ids = [ids[0]] * (window - len(ids)) + ids
        x: np.ndarray = np.asarray([ids], np.int32)
        if plan.input_kind == InputKind.ONEHOT:
            x = np.eye(plan.in_features, dtype=np.float32)[x]
        out = np.asarray(model.predict(x, verbose=0))
        row = out[0, -1] if out.ndim == 3 else out[0]
        if not plan.softmax_inside:
            e = np.exp(row - row.max())
            row = e / e.sum()
        seq.append(sampler(row))
        if len(seq) > 4 * window:
            del seq[:-window]

    return fn
