"""One-shot requests about an open model: tensor preview, profile (and sidecar), versions, benchmark.

Plain functions of a ``ModelSlot``; they run on the inference thread and return a payload or raise
(the worker turns the exception into the request's error result).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from livepredict.core.types import PreprocessSpec
from livepredict.threads.engine.guard import engine_call
from livepredict.threads.engine.payloads import ModelLoaded, TensorPreview, Versions
from livepredict.threads.engine.slots import ModelSlot

PREVIEW_SIDE = 224


def preview_tensor(s: ModelSlot, key: str) -> TensorPreview:
    """The tensor ``s``'s model is fed for the image ``key`` (a path or a pasted image's name)."""
    from livepredict.inference.preprocess import tensor_to_display

    model = s.model
    img = s.images.get(key)
    if img is None:
        from livepredict.sources.images import read_image

        img = read_image(key)
    with engine_call("preprocess"):
        t = model.preprocess(img)
    arr = np.asarray(t)
    shown = tensor_to_display(arr, model.info.preprocess)
    if max(shown.shape[:2]) < PREVIEW_SIDE:
        shown = np.ascontiguousarray(shown)
    return TensorPreview(load_id=s.load_id, key=key, image=shown.copy(), shape=tuple(int(x) for x in arr.shape),
                         dtype=str(arr.dtype), value_range=(float(np.min(arr)), float(np.max(arr))), slot=s.name)


def apply_profile(s: ModelSlot, spec: PreprocessSpec | None, labels: Any, save: bool) -> ModelLoaded:
    """Change ``s``'s preprocessing/labels (and write them to the model's sidecar if ``save``)."""
    with engine_call("set_profile"):
        info = s.model.set_profile(spec=spec, labels=list(labels) if labels is not None else None)
    if save:
        from livepredict.inference.sidecar import read_sidecar, write_sidecar

        data = dict(read_sidecar(s.path) or {})
        if info.preprocess is not None:
            pre = info.preprocess.to_json()
            pre.pop("in_model", None)
            data["preprocess"] = pre
        data["labels"] = list(info.labels)
        write_sidecar(s.path, data)
    old = s.loaded
    return ModelLoaded(load_id=s.load_id, info=info, load_s=old.load_s, warm=old.warm,
                       ms_per_image=old.ms_per_image, slot=s.name)


def set_sidecar_key(path: str, key: str, value: Any) -> Any:
    """Set (or with None remove) one key of the sidecar beside ``path``; returns the sidecar's path.
    A small JSON file, validated like every sidecar (SidecarError in one sentence)."""
    from livepredict.inference.sidecar import read_sidecar, write_sidecar

    data = dict(read_sidecar(path) or {})
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    return write_sidecar(path, data)


def versions(runtime: str) -> Versions:
    """Versions for the About dialog, without importing TensorFlow if it is not loaded yet."""
    import importlib.metadata

    import livepredict

    def dist(*names: str) -> str:
        for n in names:
            with contextlib.suppress(importlib.metadata.PackageNotFoundError):
                return importlib.metadata.version(n)
        return "not installed"

    tf = sys.modules.get("tensorflow")
    keras = sys.modules.get("keras")
    return Versions((
        ("Live Predict", livepredict.__version__),
        ("TensorFlow", getattr(tf, "__version__", None) or dist("tensorflow-cpu", "tensorflow")),
        ("Keras", getattr(keras, "__version__", None) or dist("keras")),
        ("LiteRT", dist("ai-edge-litert")),
        ("NumPy", np.__version__),
        ("Python", sys.version.split()[0]),
        ("Runtime", runtime),
    ))


def benchmark(path: str, seconds: float, trust: bool, status: Callable[[str], None]) -> dict[str, Any]:
    from livepredict.inference.benchmark import run_bench

    with engine_call("run_bench"):
        return dict(run_bench(path, seconds=seconds, trust=trust, status=status))
