"""Frozen value types that cross threads, processes and sockets.

No Qt, no TensorFlow, no OpenCV here: these types are shared by every layer. Arrays inside a
frozen payload are never mutated after it has been emitted (producers hand over a fresh array).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import numpy as np

RESIZE_MODES = ("squash", "center-crop", "letterbox")
INTERPOLATIONS = ("nearest", "bilinear", "area", "lanczos")
COLOR_ORDERS = ("rgb", "bgr", "gray")
SCALINGS = ("none", "0..1", "-1..1", "mean-std")
DTYPES = ("float32", "float16", "uint8", "int8", "int32")



class Task(StrEnum):
    """What a model does; a StrEnum, so it equals (and serialises as) its old string."""

    IMAGE_CLASSIFIER = "image-classifier"
    TEXT_CLASSIFIER = "text-classifier"
    TEXT_GENERATOR = "text-generator"
    SEQUENCE_FORECASTER = "sequence-forecaster"
    OBJECT_DETECTOR = "object-detector"
    SEGMENTER = "segmenter"
    GENERIC = "generic"


IMAGE_TASKS = (Task.IMAGE_CLASSIFIER, Task.OBJECT_DETECTOR, Task.SEGMENTER)  # tasks that take pictures
INT8_RUNTIME = "litert-int8"  # ModelInfo.runtime while the opt-in Fast (int8) runtime runs


class OutputKind(StrEnum):
    """How a classifier's first output reads (what its head does with it)."""

    SOFTMAX = "softmax"
    SIGMOID_BINARY = "sigmoid-binary"
    SIGMOID_MULTILABEL = "sigmoid-multilabel"
    LOGITS = "logits"
    VALUES = "values"


TASKS = tuple(t.value for t in Task)
PREPROCESS_SOURCES = ("model", "sidecar", "teachable-machine", "labels-file", "default")
OUTPUT_KINDS = tuple(k.value for k in OutputKind)


def _whole_pixels(v: Any, size: Any) -> int:
    """A side length in pixels: a whole number (``16`` or ``16.0``), never ``true`` or ``16.5``."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not float(v).is_integer():
        raise ValueError(f"size must be two whole numbers of pixels [height, width], not {list(size)}")
    return int(v)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


@dataclass(frozen=True)
class PreprocessSpec:
    """How an image becomes the tensor a model expects (DESIGN §4).

    ``size`` is (height, width) or None when the model accepts any size. ``mean``/``std`` apply
    when ``scale == "mean-std"`` to pixel values in 0..255, one entry per channel (or one for all).
    ``in_model`` lists preprocessing layers found inside the model: the app does not repeat them.
    """

    size: tuple[int, int] | None = (224, 224)
    resize: str = "squash"
    interpolation: str = "bilinear"
    color: str = "rgb"
    scale: str = "0..1"
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    dtype: str = "float32"
    in_model: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _choice("resize", self.resize, RESIZE_MODES)
        _choice("interpolation", self.interpolation, INTERPOLATIONS)
        _choice("color", self.color, COLOR_ORDERS)
        _choice("scale", self.scale, SCALINGS)
        _choice("dtype", self.dtype, DTYPES)
        if self.size is not None:
            h, w = (_whole_pixels(v, self.size) for v in self.size)
            if h <= 0 or w <= 0:
                raise ValueError(f"size must be positive, not {list(self.size)}")
            object.__setattr__(self, "size", (h, w))
        for name in ("mean", "std"):
            v = getattr(self, name)
            if v is not None:
                items = v if isinstance(v, list | tuple) else [v]
                if any(isinstance(x, bool) or not isinstance(x, int | float) for x in items):
                    raise ValueError(f"{name} must be numbers")
                v = tuple(float(x) for x in items)
                if not all(math.isfinite(x) for x in v):
                    raise ValueError(f"{name} must be finite numbers")
                if len(v) not in (1, self.channels):
                    raise ValueError(f"{name} needs one value per channel ({self.channels}) or one for all, "
                                     f"not {len(v)}")
                object.__setattr__(self, name, v)
        if self.scale == "mean-std":
            if self.mean is None or self.std is None:
                raise ValueError("scale mean-std needs both mean and std")
            if any(s == 0 for s in self.std):
                raise ValueError("std must not be zero")
        object.__setattr__(self, "in_model", tuple(self.in_model))

    @property
    def channels(self) -> int:
        return 1 if self.color == "gray" else 3

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["size"] = list(self.size) if self.size else None
        d["mean"] = list(self.mean) if self.mean is not None else None
        d["std"] = list(self.std) if self.std is not None else None
        d["in_model"] = list(self.in_model)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PreprocessSpec:
        """Build from a JSON mapping; unknown keys raise ValueError (typos must not pass silently)."""
        if not isinstance(d, dict):
            raise ValueError("preprocess must be a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown preprocess keys: {', '.join(unknown)}")
        kw = dict(d)
        if kw.get("size") is not None:
            size = kw["size"]
            if not (isinstance(size, list | tuple) and len(size) == 2):
                raise ValueError("size must be [height, width]")
            kw["size"] = tuple(size)
        return cls(**kw)

    def describe(self) -> str:
        size = f"{self.size[0]}x{self.size[1]}" if self.size else "any size"
        scale = self.scale
        if self.scale == "mean-std":
            scale = f"mean {list(self.mean or ())} std {list(self.std or ())}"
        parts = [size, self.resize, self.interpolation, self.color.upper(), f"scale {scale}", self.dtype]
        if self.in_model:
            parts.append("in model: " + ", ".join(self.in_model))
        return ", ".join(parts)


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int | None, ...]
    dtype: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}


@dataclass(frozen=True)
class LayerInfo:
    name: str
    kind: str
    output_shape: str
    params: int

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RuntimeCheck:
    """What was compared before trusting a converted runtime."""

    compared: str  # e.g. "litert vs keras on 4 probe inputs"
    max_abs_diff: float | None
    tolerance: float
    passed: bool
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ModelInfo:
    """Everything the app knows about an opened model (``livepredict info --json``)."""

    path: str
    format: str  # keras | h5 | savedmodel | tflite
    task: Task
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    params: int | None
    labels: tuple[str, ...]
    preprocess: PreprocessSpec | None
    preprocess_source: str
    runtime: str  # keras | litert | savedmodel
    runtime_check: RuntimeCheck | None
    warnings: tuple[str, ...] = ()
    output_kind: OutputKind = OutputKind.VALUES
    layers: tuple[LayerInfo, ...] = ()
    name: str = ""
    vocab: tuple[str, ...] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    loader: str = ""  # what loaded the file, e.g. "tf_keras 2.21.0 (Keras 2)", "keras 3.15.1", "litert"
    output_index: int = 0  # the output shown (of ``outputs``)
    quantization: dict[str, Any] = field(default_factory=dict)  # LiteRT scale/zero point per tensor

    def __post_init__(self) -> None:
        # callers may pass the plain strings (a cache entry, a sidecar): they become the enums
        object.__setattr__(self, "task", Task(self.task))
        object.__setattr__(self, "output_kind", OutputKind(self.output_kind))

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "format": self.format,
            "task": self.task,
            "inputs": [t.to_json() for t in self.inputs],
            "outputs": [t.to_json() for t in self.outputs],
            "params": self.params,
            "labels": list(self.labels),
            "output_kind": self.output_kind,
            "preprocess": self.preprocess.to_json() if self.preprocess else None,
            "preprocess_source": self.preprocess_source,
            "runtime": self.runtime,
            "runtime_check": self.runtime_check.to_json() if self.runtime_check else None,
            "warnings": list(self.warnings),
            "layers": [layer.to_json() for layer in self.layers],
            "vocab_size": len(self.vocab) if self.vocab else None,
            "extras": self.extras,
            "loader": self.loader,
            "output_index": self.output_index,
            "quantization": self.quantization,
        }


@dataclass(frozen=True)
class Frame:
    """One captured image, always RGB uint8 HxWx3 (sources convert from BGR once)."""

    image: np.ndarray
    index: int
    capture_ts: float  # time.monotonic() when read
    source: str = ""


@runtime_checkable
class HeadResult(Protocol):
    """What a head (``inference.heads``) makes of one input's raw outputs.

    ``top`` is its one-line summary, best first (may be empty); ``scores`` the per-label scores
    when the result has them. Each head adds its own result type (Classification, later
    detections or masks) that the UI, the CLI and the feed draw or serialise.
    """

    @property
    def top(self) -> tuple[tuple[str, float], ...]: ...

    @property
    def scores(self) -> np.ndarray | None: ...


@dataclass(frozen=True)
class Classification:
    """A classifier's answer: display scores (float32) with one label each, and their top ranks."""

    top: tuple[tuple[str, float], ...]
    scores: np.ndarray
    labels: tuple[str, ...]
    output_kind: OutputKind = OutputKind.SOFTMAX


@dataclass(frozen=True)
class Detection:
    """One box: ``box`` is (x0, y0, x1, y1) in the original picture's pixels (clipped to it)."""

    label: str
    score: float
    box: tuple[float, float, float, float]
    class_id: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(float(self.score), 6),
                "box": [round(float(v), 2) for v in self.box]}


@dataclass(frozen=True)
class Detections:
    """A detector's answer for one picture.

    ``items`` passed the head's score and IoU thresholds (best first). ``boxes`` / ``box_scores`` /
    ``class_ids`` keep every candidate above the head's floor (original pixels), so a threshold
    changed in the UI re-filters without running the model again. ``dropped`` counts boxes that were
    NaN, inverted or empty (never drawn). ``top`` is the best score per label, best first.
    """

    items: tuple[Detection, ...]
    labels: tuple[str, ...]
    image_size: tuple[int, int]  # (height, width) of the original picture
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    box_scores: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.float32))
    class_ids: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int32))
    dropped: int = 0

    @property
    def top(self) -> tuple[tuple[str, float], ...]:
        best: dict[str, float] = {}
        for d in self.items:
            best[d.label] = max(best.get(d.label, 0.0), d.score)
        return tuple(sorted(best.items(), key=lambda kv: -kv[1]))

    @property
    def scores(self) -> np.ndarray | None:
        return None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.items:
            out[d.label] = out.get(d.label, 0) + 1
        return out


@dataclass(frozen=True)
class Segmentation:
    """A segmenter's answer for one picture: ``mask`` (H0, W0) class ids in the original picture's
    pixels (0 is the first label, usually background), and the fraction of pixels per label."""

    mask: np.ndarray
    labels: tuple[str, ...]
    fractions: tuple[float, ...]
    background: int | None = 0  # the class id left undrawn, None when every class is drawn

    @property
    def top(self) -> tuple[tuple[str, float], ...]:
        pairs = [(lbl, f) for i, (lbl, f) in enumerate(zip(self.labels, self.fractions, strict=False))
                 if i != self.background and f > 0]
        return tuple(sorted(pairs, key=lambda kv: -kv[1]))

    @property
    def scores(self) -> np.ndarray | None:
        return None


@dataclass(frozen=True)
class Prediction:
    """One model answer for one input. ``top`` is sorted by score, best first; ``result`` is the
    head's typed result (a :class:`Classification` for classifiers), None for an error."""

    top: tuple[tuple[str, float], ...]
    scores: np.ndarray | None = None
    preprocess_ms: float = 0.0
    infer_ms: float = 0.0
    frame_index: int = -1
    capture_ts: float = 0.0
    infer_start_ts: float = 0.0
    infer_end_ts: float = 0.0
    source: str = ""
    path: str = ""
    error: str | None = None
    result: HeadResult | None = None

    @property
    def label(self) -> str:
        return self.top[0][0] if self.top else ""

    @property
    def score(self) -> float:
        return self.top[0][1] if self.top else float("nan")

    def to_json(self, k: int | None = None) -> dict[str, Any]:
        top = self.top if k is None else self.top[:k]
        return {
            "path": self.path,
            "top": [{"label": lbl, "score": round(float(s), 6)} for lbl, s in top],
            "error": self.error,
        }


CAMERA_RESOLUTIONS = ((640, 480), (1280, 720), (1920, 1080), (320, 240))


@dataclass(frozen=True)
class CameraInfo:
    """A camera that opened, as listed for a picker."""

    index: int
    name: str
    width: int
    height: int

    @property
    def label(self) -> str:
        return f"Camera {self.index}: {self.name} ({self.width}x{self.height})"
