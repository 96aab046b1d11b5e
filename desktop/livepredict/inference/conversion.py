"""Choosing the runtime: convert to LiteRT, check it against the model's own runtime, time both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.types import RuntimeCheck
from livepredict.inference.runtimes import LiteRTRuntime, Runtime, time_runtime
from livepredict.inference.tf_env import Status, _say

# LiteRT is preferred unless it is clearly slower than Keras on this machine (it also allows
# a warm start without TensorFlow).
LITERT_SLACK = 1.10


def choose_runtime(reference: Runtime, keras_model: Any, p: Path, runtime: str, task: str, probes: list[list[np.ndarray]], tolerance: float,
             batch: int, status: Status, warnings: list[str]
             ) -> tuple[dict[str, Runtime], str, RuntimeCheck | None, bytes | None, dict[str, float]]:
    """(runtimes, chosen, check, verified LiteRT blob, timings): LiteRT when it matches and is not slower
    (``runtime="checked"``: whenever it matches)."""
    from livepredict.inference import runtimes as rts

    runtimes: dict[str, Runtime] = {reference.name: reference}
    timings: dict[str, float] = {}
    check: RuntimeCheck | None = None
    blob: bytes | None = None
    chosen = reference.name
    # A text generator runs token by token through its own single-step runtime (generation.py,
    # converted and checked there); converting the whole variable-length model only fails noisily.
    step_only = runtime in ("auto", "checked") and task == "text-generator"
    if step_only:
        check = RuntimeCheck(f"litert vs {reference.name}", None, tolerance, False,
                             "not converted: generation uses a compiled single-step runtime, checked against "
                             "Keras when the generator is built")
    if runtime != "keras" and not step_only:
        _say(status, "Converting to LiteRT…")
        lite = None
        try:
            blob = (rts.convert_keras(keras_model) if keras_model is not None
                    else rts.convert_saved_model(str(p)))
            lite = LiteRTRuntime(blob, batch=batch)
        except Exception as e:  # noqa: BLE001 - conversion fails for some ops: use the reference
            check = RuntimeCheck(f"litert vs {reference.name}", None, tolerance, False,
                                 f"conversion to LiteRT failed ({rts.conversion_failure(e)})")
            blob = None
        if lite is not None:
            _say(status, "Checking LiteRT against the original…")
            check = rts.verify(lite, reference, probes, tolerance)
            runtimes["litert"] = lite
            if check.passed:
                timings[reference.name] = time_runtime(reference, probes[0], 0.2)
                timings["litert"] = time_runtime(lite, probes[0], 0.2)
                if runtime in ("litert", "checked") or timings["litert"] <= timings[reference.name] * LITERT_SLACK:
                    chosen = "litert"
            elif runtime == "litert":
                chosen = "litert"
                warnings.append(f"LiteRT was forced although it does not match the original: {check.reason}.")
            if not check.passed:
                blob = None
        if check is not None and not check.passed and runtime in ("auto", "checked"):
            warnings.append(f"Using {reference.name} instead of LiteRT: {check.reason}.")
    if not timings:
        timings[reference.name] = time_runtime(reference, probes[0], 0.1, max_calls=20)
    return runtimes, chosen, check, blob, timings
