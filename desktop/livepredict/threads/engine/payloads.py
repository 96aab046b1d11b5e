"""The engine's payloads: frozen dataclasses the inference thread emits (arrays never mutated after).

Every result names the model slot that produced it (``slot``, ``MAIN`` by default) and the
``load_id`` of the model that was open in that slot: the controller counts model loads, and a panel
drops results of an older ``load_id`` instead of showing them as the new model's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from livepredict.core.types import ModelInfo, Prediction

MAIN = "main"  # the slot the app opens its model in
MAX_SLOTS = 4  # models open at once (one inference thread holds them all)
THUMB_SIDE = 112  # cards draw thumbnails at 100 px


@dataclass(frozen=True)
class ModelLoaded:
    load_id: int
    info: ModelInfo
    load_s: float
    warm: bool  # opened from the LiteRT cache without TensorFlow
    ms_per_image: float | None  # steady-state time of the chosen runtime, batch 1
    slot: str = MAIN
    memory_bytes: int | None = None  # how much the process's resident memory grew while it opened
    libraries_loaded: tuple[str, ...] = ()  # engines first imported by this open (their memory is included)

    @property
    def memory_text(self) -> str:
        """ "+12.3 MB in memory" ("" when unknown), naming libraries this open loaded first."""
        if self.memory_bytes is None:
            return ""
        from livepredict.core.memory import size_text

        libs = f", incl. loading {' and '.join(self.libraries_loaded)}" if self.libraries_loaded else ""
        return f"+{size_text(max(0, self.memory_bytes))} in memory{libs}"

    @property
    def ready_text(self) -> str:
        ms = ""
        if self.ms_per_image:
            v = self.ms_per_image
            ms = f", {v:.2f} ms/image" if v < 1 else f", {v:.1f} ms/image"
        converting = " (LiteRT is being converted and checked in the background)" if self.info.extras.get(
            "converting") else ""
        return f"Ready: {self.info.runtime}{ms}{converting}"


@dataclass(frozen=True)
class LoadFailed:
    load_id: int
    path: str
    message: str
    details: str
    needs_trust: bool
    active_load_id: int  # load id of the model still open in this slot (-1: none)
    slot: str = MAIN


@dataclass(frozen=True)
class NamedImage:
    """An image that has no file (pasted from the clipboard): RGB uint8 HxWx3."""

    name: str
    image: np.ndarray


@dataclass(frozen=True)
class TextResults:
    """Texts classified by a sequence classifier: one Prediction each (its ``path`` is the text), or
    ``error`` (one sentence) when the request could not run."""

    job_id: int
    load_id: int
    predictions: tuple[Prediction, ...]
    error: str = ""
    slot: str = MAIN


@dataclass(frozen=True)
class ImageResult:
    job_id: int
    load_id: int
    index: int
    path: str
    prediction: Prediction | None
    error: str | None
    thumbnail: np.ndarray | None  # RGB uint8, longest side <= THUMB_SIDE
    total_ms: float = 0.0  # read + preprocess + inference for this image
    slot: str = MAIN


@dataclass(frozen=True)
class BatchProgress:
    job_id: int
    load_id: int
    done: int
    total: int
    elapsed_s: float
    slot: str = MAIN

    @property
    def rate(self) -> float:
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        r = self.rate
        return (self.total - self.done) / r if r > 0 else None


@dataclass(frozen=True)
class BatchFinished:
    job_id: int
    load_id: int
    done: int
    total: int
    errors: int
    cancelled: bool
    elapsed_s: float
    message: str = ""
    slot: str = MAIN


@dataclass(frozen=True)
class TensorPreview:
    load_id: int
    key: str  # the path (or name) of the image
    image: np.ndarray  # RGB uint8: the tensor as the model sees it
    shape: tuple[int, ...]
    dtype: str
    value_range: tuple[float, float]
    slot: str = MAIN


@dataclass(frozen=True)
class Versions:
    items: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, str]:
        return dict(self.items)


@dataclass(frozen=True)
class BenchResult:
    load_id: int
    path: str
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    details: str = ""
    slot: str = MAIN


@dataclass(frozen=True)
class WorkerError:
    message: str
    details: str = ""
    context: str = ""


# ---- text and forecast generation

@dataclass(frozen=True)
class GeneratorReady:
    """A generator was built for the open model: ``kind`` "text" or "forecast", ``info`` its
    description (runtime, check, timings), ``vocab`` the tokens (text)."""

    load_id: int
    kind: str
    info: dict[str, Any]
    vocab: tuple[str, ...] = ()
    window: int = 0
    build_s: float = 0.0
    slot: str = MAIN


@dataclass(frozen=True)
class GeneratorFailed:
    load_id: int
    message: str
    details: str = ""
    needs_vocab: bool = False  # a text model without a vocabulary: ask for a vocabulary file
    slot: str = MAIN


@dataclass(frozen=True)
class TextChunk:
    """Tokens made since the last chunk (one chunk per display tick, never one signal per token)."""

    run_id: int
    text: str
    tokens: int  # in this chunk
    total: int  # in this run so far
    tokens_per_s: float
    first_token_ms: float | None
    top_labels: tuple[str, ...]  # top-10 next-token distribution after the last token
    top_probs: tuple[float, ...]
    finished: bool = False
    reason: str = ""  # "done" | "stopped" | an error sentence


@dataclass(frozen=True)
class ForecastStep:
    """One step along the series: the forecast made from ``index`` values, errors so far."""

    run_id: int
    index: int  # values known (history = series[:index])
    forecast: np.ndarray  # the next ``horizon`` values
    one_step: float  # the forecast for series[index] (the first forecast value)
    mae: float | None  # one-step absolute error so far, over the values stepped through
    naive_mae: float | None  # the naive last-value forecast's error over the same values
    steps_per_s: float
    finished: bool = False
    reason: str = ""
