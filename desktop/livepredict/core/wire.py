"""Results as JSON text, for results that cross a process (the Ray actors of ``classify --ray``).

Never pickle: decoding JSON can only build the value types listed here, whatever the text holds.
The form is plain JSON with four tagged objects:

- ``{"__nd": dtype, "shape": [...], "b64": base64 of the C-order bytes}`` — a numpy array
  (numeric dtypes only);
- ``{"__tu": [...]}`` — a tuple (dataclass fields keep their tuples);
- ``{"__en": "OutputKind" | "Task", "v": value}`` — an enum member;
- ``{"__dc": "Prediction" | "Classification" | "Detection" | "Detections" | "Segmentation", ...fields}``.

Everything else is a JSON number, string, bool, null, list or object with string keys.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import numpy as np

from livepredict.core.types import (
    Classification,
    Detection,
    Detections,
    OutputKind,
    Prediction,
    Segmentation,
    Task,
)

_CLASSES = {c.__name__: c for c in (Prediction, Classification, Detection, Detections, Segmentation)}
_ENUMS = {c.__name__: c for c in (OutputKind, Task)}


def _encode(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "biuf":
            raise TypeError(f"only numeric arrays travel as JSON, not {v.dtype}")
        a = np.ascontiguousarray(v)
        return {"__nd": a.dtype.str, "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode()}
    if isinstance(v, np.generic):
        return v.item()
    for name, cls in _ENUMS.items():
        if isinstance(v, cls):
            return {"__en": name, "v": v.value}
    if dataclasses.is_dataclass(v) and type(v).__name__ in _CLASSES:
        return {"__dc": type(v).__name__, **{f.name: _encode(getattr(v, f.name)) for f in dataclasses.fields(v)}}
    if isinstance(v, tuple):
        return {"__tu": [_encode(x) for x in v]}
    if isinstance(v, list):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _encode(x) for k, x in v.items()}
    if v is None or isinstance(v, bool | int | float | str):
        return v
    raise TypeError(f"{type(v).__name__} does not travel as JSON")


def _decode(v: Any) -> Any:
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if not isinstance(v, dict):
        return v
    if "__nd" in v:
        dtype = np.dtype(v["__nd"])
        if dtype.kind not in "biuf":
            raise ValueError(f"an array of {dtype} is not a result")
        return np.frombuffer(base64.b64decode(v["b64"]), dtype=dtype).reshape(v["shape"]).copy()
    if "__tu" in v:
        return tuple(_decode(x) for x in v["__tu"])
    if "__en" in v:
        return _ENUMS[v["__en"]](v["v"])
    if "__dc" in v:
        cls = _CLASSES[v["__dc"]]  # KeyError for anything not listed: nothing else is built
        return cls(**{k: _decode(x) for k, x in v.items() if k != "__dc"})
    return {k: _decode(x) for k, x in v.items()}


def dumps(value: Any) -> str:
    """``value`` (results, lists and tuples of them, None, strings) as JSON text."""
    return json.dumps(_encode(value), separators=(",", ":"), allow_nan=True)


def loads(text: str) -> Any:
    """The value ``dumps`` wrote."""
    return _decode(json.loads(text))
