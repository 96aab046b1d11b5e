"""Moving a model that runs on Keras onto its verified LiteRT conversion once the helper has made it.

``poll(model)`` is cheap and never blocks: call it between batches (the CLI) or on a short timer on
the inference thread (the app). When the helper (``inference.background``) has finished, it reads
the cache entry the helper wrote; if the conversion passed its numeric check (and is not slower),
the model's runtime becomes LiteRT and its info says so (``runtime``, ``runtime_check``, timings,
``extras["switched_to"]``). Otherwise the model stays on Keras with a warning that says why. Call it
on the thread that runs the model: the LiteRT interpreter belongs to the thread that made it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from livepredict.core.types import ModelInfo, RuntimeCheck


@dataclass(frozen=True)
class Handover:
    """The outcome of a finished background conversion."""

    switched: bool  # the model now runs on LiteRT
    message: str  # one sentence for the status bar / stderr
    info: ModelInfo  # the model's new info


def converting(model: Any) -> bool:
    """True while a background conversion for ``model`` is under way."""
    return getattr(model, "pending", None) is not None


def poll(model: Any) -> Handover | None:
    """The handover once the helper is done (exactly once); None while it still works (or without one)."""
    pending = getattr(model, "pending", None)
    if pending is None or not pending.done():
        return None
    return finish(model)


def finish(model: Any) -> Handover | None:
    """Take the finished helper's result for ``model`` (the helper must be done: see ``poll``)."""
    from livepredict.inference import cache as model_cache

    pending = model.pending
    model.pending = None
    if getattr(model, "_closed", False):
        return None
    hit = model_cache.load(pending.key)
    entry, blob = hit if hit is not None else ({}, None)
    if blob is not None and entry.get("chosen") == "litert":
        return _switch(model, entry, blob)
    check = entry.get("runtime_check")
    reason = (pending.failure() or (check or {}).get("reason")
              or "the conversion helper ended without writing a verified conversion")
    info = model.info
    model.info = dataclasses.replace(
        info, runtime_check=RuntimeCheck(**check) if check else info.runtime_check,
        warnings=(*info.warnings, f"Using {info.runtime} instead of LiteRT: {reason}."),
        extras=dict(info.extras, converting=False))
    return Handover(False, f"Staying on {info.runtime}: {reason}.", model.info)


def _switch(model: Any, entry: dict[str, Any], blob: bytes) -> Handover:
    from livepredict.inference.output_view import select
    from livepredict.inference.runtimes import LiteRTRuntime

    info = model.info
    old = info.runtime
    lite = LiteRTRuntime(blob, batch=int(getattr(model.runtime, "batch", 1) or 1))
    model.runtimes["litert"] = lite
    model.runtime = select(lite, info.output_index)
    check = RuntimeCheck(**entry["runtime_check"]) if entry.get("runtime_check") else None
    timings = dict(entry.get("timings_ms") or {})
    model.info = dataclasses.replace(info, runtime="litert", runtime_check=check,
                                     extras=dict(info.extras, converting=False, switched_to="litert",
                                                 timings_ms=timings))
    diff = f" (max difference {check.max_abs_diff:.2g})" if check and check.max_abs_diff is not None else ""
    speed = ""
    if timings.get("litert") and timings.get(old):
        speed = f", {timings[old] / timings['litert']:.1f}x faster"
    return Handover(True, f"Switched from {old} to LiteRT: its check against {old} passed{diff}{speed}.",
                    model.info)
