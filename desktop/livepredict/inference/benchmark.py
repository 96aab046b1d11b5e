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

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROUND_S = 0.1


def _stats(times_ms: list[float]) -> dict[str, float]:
    a = np.asarray(times_ms)
    med = float(np.median(a))
    return {"ms_median": round(med, 4), "ms_p95": round(float(np.percentile(a, 95)), 4),
            "per_s": round(1000.0 / med, 2) if med > 0 else None, "calls": int(a.size)}


def measure(paths: dict[str, Callable[[], Any]], seconds: float) -> dict[str, dict[str, float]]:
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
              status: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Measure predict, each runtime and the app's path on ``model_path``; returns the bench JSON."""
    from livepredict.inference.loader import open_model

    if not seconds or seconds <= 0:
        raise ValueError("seconds must be positive")
    model = open_model(model_path, trust=trust, use_cache=False, status=status)
    if model.info.task == "text-generator":  # tokens/s per step runtime (generation.bench_generator)
        from livepredict.inference.generation import bench_generator

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
            calls[name] = (lambda rt=rt: rt.infer_all(x))
        if status:
            status(f"Measuring {', '.join(calls)} for {seconds:g} s each…")
        paths = measure(calls, seconds)
        chosen = model.info.runtime
        runtimes = {k: v for k, v in paths.items() if k != "predict"}
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
        }
    finally:
        model.close()
