"""``Explainer``: heatmaps for an opened image classifier, by Grad-CAM or occlusion.

Made and called on the thread that runs the model (the inference thread, or the CLI's). Grad-CAM
needs the Keras model: after a warm start from the LiteRT cache it is not loaded, so it is loaded
here on demand (TensorFlow imported on this thread, progress through ``status``). Models without a
Keras graph (``.tflite``, SavedModel signatures) are explained by occlusion through the fast
runtime. Every refusal is one sentence (:class:`UnsupportedModelError`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.errors import LivePredictError, UnsupportedModelError
from livepredict.core.geometry import Placement, placement
from livepredict.core.heatmap import Heatmap, heatmap_on_original
from livepredict.core.types import OutputKind, Task
from livepredict.core.wording import a
from livepredict.inference.explain.occlusion import check_window, default_window, occlusion_map
from livepredict.inference.tf_env import Status, _say

METHOD_CHOICES = ("auto", "gradcam", "occlusion")
SIDECAR_KEY = "explain_layer"


def explain_reason(model: Any) -> str:
    """Why ``model`` cannot be explained ('' when it can): one sentence."""
    info = model.info
    if info.task in (Task.OBJECT_DETECTOR, Task.SEGMENTER):
        return (f"Explanations are made for image classifiers; this model is {a(info.task)}, whose boxes and "
                "masks are not explained yet.")
    if model.spec is None or info.task != Task.IMAGE_CLASSIFIER:
        return f"Explanations need an image classifier; this model is {a(info.task)} that does not take pictures."
    return ""


def has_keras_graph(model: Any) -> bool:
    """True when Grad-CAM can run: the Keras model is loaded or can be loaded from the file."""
    if model.keras_model is not None:
        return True
    fmt = model.info.format
    if fmt in ("keras", "h5"):
        return True
    if fmt == "savedmodel":
        from livepredict.inference.keras_files import keras2_version, tf_keras_module

        return keras2_version(Path(model.info.path), fmt) is not None and tf_keras_module() is not None
    return False


def keras_model_of(model: Any, status: Status = None) -> Any:
    """The Keras model of ``model``, loaded now if the warm start did not load it (kept on ``model``)."""
    if model.keras_model is not None:
        return model.keras_model
    from livepredict.inference import keras_files

    path, fmt = Path(model.info.path), model.info.format
    trust = bool(model.info.extras.get("trusted"))
    _say(status, "Loading the Keras model for explanations…")
    if fmt == "savedmodel":
        from livepredict.inference.tf_env import import_tf

        import_tf(status)
        with keras_files.framework_noise_to_log():
            loaded = keras_files.load_keras2(path, fmt, trust, {})
    else:
        loaded = keras_files.load_keras_file(path, fmt, trust, status)
    model.keras_model = loaded.model
    return loaded.model


def sidecar_layer(model: Any) -> str | None:
    from livepredict.inference.sidecar import read_sidecar

    try:
        data = read_sidecar(model.info.path) or {}
    except LivePredictError:
        return None  # the model opened with it, so this is a later edit: the loader reports it
    layer = data.get(SIDECAR_KEY)
    return str(layer) if layer else None


def _squash(scores: np.ndarray, kind: str) -> np.ndarray:
    s = np.asarray(scores, np.float64)
    if kind in (OutputKind.SOFTMAX, OutputKind.LOGITS):
        z = np.exp(s - s.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)
    if kind in (OutputKind.SIGMOID_BINARY, OutputKind.SIGMOID_MULTILABEL):
        return 1.0 / (1.0 + np.exp(-s))
    return s


class Explainer:
    """Heatmaps of one opened model (see the module docstring).

    ``method``: "auto" (Grad-CAM when the model has a Keras graph, else occlusion), "gradcam" or
    "occlusion". ``layer``: the Grad-CAM layer (None: the sidecar's ``explain_layer``, else the last
    layer with a spatial output). ``window``/``stride``: occlusion's patch, in model-input pixels.
    """

    def __init__(self, model: Any, method: str = "auto", layer: str | None = None, *, window: int | None = None,
                 stride: int | None = None, status: Status = None) -> None:
        if method not in METHOD_CHOICES:
            raise UnsupportedModelError(f"Unknown explanation method {method!r}; use one of {', '.join(METHOD_CHOICES)}.")
        why = explain_reason(model)
        if why:
            raise UnsupportedModelError(why)
        self.model = model
        self.spec = model.spec
        if method == "auto":
            method = "gradcam" if has_keras_graph(model) else "occlusion"
        if method == "gradcam" and not has_keras_graph(model):
            raise UnsupportedModelError(f"Grad-CAM needs the model's gradients, which this {model.info.format} model "
                                        "does not have; use the occlusion method.")
        self.method = method
        self.gradcam: Any = None
        size = self.spec.size or (224, 224)
        w0, s0 = default_window(size)
        self.window, self.stride = int(window or w0), int(stride or s0)
        if method == "gradcam":
            from livepredict.inference.explain.gradcam import GradCam

            source = ""
            if layer is None:
                layer = sidecar_layer(model)
                source = f"by the sidecar's {SIDECAR_KEY}" if layer else ""
            self.gradcam = GradCam(keras_model_of(model, status), layer, layer_source=source)
        else:
            why = check_window(size, self.window, self.stride)
            if why:
                raise UnsupportedModelError(why)
        self.labels = self._labels()

    @property
    def layer(self) -> str:
        return self.gradcam.layer if self.gradcam is not None else f"window {self.window}, stride {self.stride}"

    @property
    def layers(self) -> tuple[str, ...]:
        """The layers Grad-CAM can explain at (empty for occlusion)."""
        return self.gradcam.layers if self.gradcam is not None else ()

    def _labels(self) -> tuple[str, ...]:
        units = int(self.model.info.outputs[self.model.info.output_index].shape[-1] or 1)
        return tuple(self.model.head.scores(np.zeros(units, np.float32))[1])

    def class_index(self, label: str | None) -> int:
        """The index of ``label`` (None or '': -1, the top-1 class)."""
        if not label:
            return -1
        if label in self.labels:
            return self.labels.index(label)
        shown = ", ".join(self.labels[:20])
        raise UnsupportedModelError(f"There is no class {label!r} among this model's labels ({shown}); pick one "
                                    "of them.")

    def explain(self, images: Sequence[np.ndarray], label: str | None = None) -> list[Heatmap]:
        """One heatmap per RGB uint8 picture, over the picture's own pixels."""
        tensors = [self.model.preprocess(im) for im in images]
        where = [placement(im.shape[:2], self.spec.size or im.shape[:2], self.spec.resize) for im in images]
        return self.explain_tensors(np.stack(tensors), where, label)

    def explain_tensors(self, x: np.ndarray, where: Sequence[Placement], label: str | None = None
                        ) -> list[Heatmap]:
        """Heatmaps for a preprocessed batch ``x``; ``where[i]`` places picture i in the model input."""
        wanted = self.class_index(label)
        t0 = time.perf_counter()
        kind = self.model.info.output_kind
        out: list[Heatmap] = []
        if self.gradcam is not None:
            cams, scores, cls = self.gradcam(x, np.full(len(x), wanted, np.int32))
            probs = _squash(scores, kind) if self.gradcam.before_squash else scores
            ms = (time.perf_counter() - t0) * 1000.0 / max(1, len(x))
            for i in range(len(x)):
                c = int(cls[i])
                out.append(Heatmap(heatmap_on_original(cams[i], where[i]), cams[i].astype(np.float32),
                                   self.labels[c], c, float(probs[i][c]), "gradcam", self.layer, ms))
            return out
        batch = int(getattr(self.model.runtime, "batch", 16) or 16)
        for i in range(len(x)):
            t1 = time.perf_counter()
            c = wanted if wanted >= 0 else int(np.argmax(self._scores(x[i:i + 1])[0]))
            grid, base = occlusion_map(x[i], self._scores, c, self.window, self.stride, batch)
            out.append(Heatmap(heatmap_on_original(grid, where[i]), grid, self.labels[c], c, base, "occlusion",
                               self.layer, (time.perf_counter() - t1) * 1000.0))
        return out

    def _scores(self, batch: np.ndarray) -> np.ndarray:
        head = self.model.head
        return np.stack([head.scores(row)[0] for row in self.model.infer(batch)])
