"""What a model is: tensors, layers, in-model preprocessing, output kind and task.

The functions take an already loaded Keras model (or LiteRT tensor details) and return plain,
JSON-serialisable dicts so the description can be cached beside the converted model and a warm
open never needs TensorFlow.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from livepredict.core.types import LayerInfo, TensorInfo

PREPROCESS_LAYERS = {"Rescaling", "Normalization", "Resizing", "CenterCrop"}
# Active only in training: skipped when looking for the first real layer.
AUGMENT_PREFIX = ("Random",)
PASSIVE_LAYERS = {"InputLayer", "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                  "SpatialDropout1D", "SpatialDropout2D", "ActivityRegularization"}
RECURRENT_LAYERS = {"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D"}
SEQUENCE_LAYERS = RECURRENT_LAYERS | {"Conv1D", "MaxPooling1D", "AveragePooling1D",
                                      "GlobalAveragePooling1D", "GlobalMaxPooling1D", "MultiHeadAttention"}


def _dim(d: Any) -> int | None:
    if d is None:
        return None
    try:
        v = int(d)
    except (TypeError, ValueError):
        return None
    return v if v >= 0 else None


def tensor_info(name: str, shape: Any, dtype: Any) -> TensorInfo:
    dt = getattr(dtype, "name", None) or str(dtype)
    dt = dt.replace("tf.", "").replace("<dtype: '", "").replace("'>", "")
    if dt.startswith("<class 'numpy."):
        dt = dt[len("<class 'numpy."):-2]
    return TensorInfo(str(name), tuple(_dim(d) for d in shape), dt)


def flat_layers(model: Any) -> list[Any]:
    """Layers in order, nested models expanded."""
    out: list[Any] = []
    for layer in getattr(model, "layers", []):
        if hasattr(layer, "layers") and getattr(layer, "layers", None):
            out.extend(flat_layers(layer))
        else:
            out.append(layer)
    return out


def _fmt(v: float) -> str:
    for den in (255.0, 127.5, 128.0):
        if math.isclose(v, 1.0 / den, rel_tol=1e-4):
            return f"1/{den:g}"
    return f"{v:.6g}"


def in_model_preprocessing(model: Any) -> dict[str, Any]:
    """Preprocessing layers found before the first real layer.

    Returns ``{"in_model": [...descriptions], "size": (h, w) | None, "pixels": True}`` where
    ``pixels`` means the model expects raw 0..255 pixel values (a Rescaling or Normalization
    layer does the scaling).
    """
    found: list[str] = []
    size = None
    scales = False
    for layer in flat_layers(model):
        kind = type(layer).__name__
        if kind in PASSIVE_LAYERS or kind.startswith(AUGMENT_PREFIX):
            continue
        if kind not in PREPROCESS_LAYERS:
            break
        if kind == "Rescaling":
            scale = np.asarray(layer.scale, dtype=np.float64).ravel()
            offset = np.asarray(layer.offset, dtype=np.float64).ravel()
            s = ", ".join(_fmt(float(x)) for x in scale)
            o = ", ".join(f"{float(x):g}" for x in offset)
            found.append(f"Rescaling(scale={s}, offset={o})")
            scales = True
        elif kind == "Normalization":
            found.append("Normalization(mean/std learnt from data)")
            scales = True
        elif kind in ("Resizing", "CenterCrop"):
            h, w = int(layer.height), int(layer.width)
            found.append(f"{kind}({h}x{w})")
            size = size or (h, w)
    return {"in_model": found, "size": size, "pixels": scales}


def _activation_name(layer: Any) -> str | None:
    kind = type(layer).__name__
    if kind == "Softmax":
        return "softmax"
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    name = getattr(act, "__name__", None) or str(act)
    return name.lower()


def last_activation(model: Any) -> str | None:
    """Activation of the layer that produces the (first) output, looking through nested models."""
    layer = None
    try:
        outputs = getattr(model, "outputs", None) or []
        if outputs:
            layer = outputs[0]._keras_history.operation
    except Exception:  # noqa: BLE001 - subclassed models have no graph
        layer = None
    if layer is None:
        layers = getattr(model, "layers", [])
        layer = layers[-1] if layers else None
    while layer is not None and getattr(layer, "layers", None):
        layer = layer.layers[-1]
    if layer is None:
        return None
    kind = type(layer).__name__
    if kind in ("Activation",):
        return _activation_name(layer)
    return _activation_name(layer)


def output_kind_from_activation(activation: str | None, out_shape: tuple[int | None, ...], task: str) -> str:
    units = out_shape[-1] if out_shape else None
    if activation == "softmax":
        return "softmax"
    if activation == "sigmoid":
        return "sigmoid-binary" if units == 1 else "sigmoid-multilabel"
    if task in ("image-classifier", "text-generator"):
        return "logits" if units else "values"
    return "values"


def output_kind_from_values(values: np.ndarray, task: str) -> str:
    """Guess from probe outputs (LiteRT files carry no activation names)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 0 or not np.all(np.isfinite(v)):
        return "values"
    v2 = v.reshape(-1, v.shape[-1])
    in01 = bool(np.all(v2 >= -1e-6) and np.all(v2 <= 1 + 1e-6))
    if in01 and v2.shape[-1] > 1 and np.allclose(v2.sum(axis=-1), 1.0, atol=1e-3):
        return "softmax"
    if in01:
        return "sigmoid-binary" if v2.shape[-1] == 1 else "sigmoid-multilabel"
    if task in ("image-classifier", "text-generator"):
        return "logits" if v2.shape[-1] > 1 else "values"
    return "values"


def detect_task(inputs: list[TensorInfo], outputs: list[TensorInfo], layer_kinds: set[str],
                first_kind: str | None = None) -> str:
    if len(inputs) != 1 or not outputs:
        return "generic"
    inp, out = inputs[0], outputs[0]
    rank, orank = len(inp.shape), len(out.shape)
    integer_in = inp.dtype.startswith("int") or first_kind == "Embedding"
    if rank == 4 and orank == 2 and (inp.shape[-1] in (1, 3, 4) or inp.shape[-1] is None):
        return "image-classifier"
    if rank == 2 and integer_in and orank in (2, 3) and (out.shape[-1] or 0) >= 2:
        return "text-generator"
    if rank == 3:
        recurrent = bool(layer_kinds & SEQUENCE_LAYERS)
        if orank in (2, 3) and (out.shape[-1] or 0) >= 2 and first_kind == "Embedding":
            return "text-generator"
        if recurrent or (inp.shape[-1] is not None and inp.shape[-1] <= 16 and orank == 2):
            return "sequence-forecaster"
        if orank == 2 and (inp.shape[1] or 0) >= 8 and (inp.shape[2] or 0) >= 8:
            return "image-classifier"
    return "generic"


def describe_keras(model: Any) -> dict[str, Any]:
    """A JSON-able structure of a Keras model (see module docstring)."""
    inputs = []
    for i, t in enumerate(model.inputs):
        inputs.append(tensor_info(getattr(t, "name", f"input_{i}") or f"input_{i}", t.shape, t.dtype))
    outputs = []
    for i, t in enumerate(model.outputs):
        outputs.append(tensor_info(getattr(t, "name", f"output_{i}") or f"output_{i}", t.shape, t.dtype))
    layers = []
    for layer in model.layers:
        try:
            shape = str(tuple(layer.output.shape))
        except Exception:  # noqa: BLE001 - layers used twice or without a graph
            shape = "?"
        try:
            params = int(layer.count_params())
        except Exception:  # noqa: BLE001 - unbuilt layer
            params = 0
        layers.append(LayerInfo(layer.name, type(layer).__name__, shape, params))
    flat = flat_layers(model)
    kinds = {type(layer).__name__ for layer in flat}
    first = next((type(layer).__name__ for layer in flat if type(layer).__name__ != "InputLayer"), None)
    task = detect_task(inputs, outputs, kinds, first)
    activation = last_activation(model)
    return {
        "name": model.name,
        "inputs": [t.to_json() for t in inputs],
        "outputs": [t.to_json() for t in outputs],
        "params": int(model.count_params()),
        "layers": [x.to_json() for x in layers],
        "task": task,
        "activation": activation,
        "output_kind": output_kind_from_activation(activation, outputs[0].shape if outputs else (), task),
        "preprocessing": in_model_preprocessing(model),
        "layer_kinds": sorted(kinds),
    }


def tensors_from_json(items: list[dict[str, Any]]) -> tuple[TensorInfo, ...]:
    return tuple(TensorInfo(d["name"], tuple(d["shape"]), d["dtype"]) for d in items)


def layers_from_json(items: list[dict[str, Any]]) -> tuple[LayerInfo, ...]:
    return tuple(LayerInfo(**d) for d in items)


# keras.applications models whose preprocess_input is NOT inside the model, by model name.
_CAFFE = {"color": "bgr", "scale": "mean-std", "mean": [103.939, 116.779, 123.68], "std": [1.0, 1.0, 1.0]}
_TORCH = {"color": "rgb", "scale": "mean-std", "mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375]}
_TF = {"color": "rgb", "scale": "-1..1"}
APPLICATIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (r"mobilenet_\d", "MobileNet", _TF),
    (r"mobilenetv2_", "MobileNetV2", _TF),
    (r"inception_v3$", "InceptionV3", _TF),
    (r"inception_resnet_v2$", "InceptionResNetV2", _TF),
    (r"xception$", "Xception", _TF),
    (r"nasnet", "NASNet", _TF),
    (r"resnet(50|101|152)v2$", "ResNetV2", _TF),
    (r"resnet(50|101|152)$", "ResNet", _CAFFE),
    (r"vgg(16|19)$", "VGG", _CAFFE),
    (r"densenet(121|169|201)$", "DenseNet", _TORCH),
)


def application_preprocessing(name: str | None) -> tuple[str, dict[str, Any]] | None:
    """(family, preprocess keys) when ``name`` is a keras.applications model name, else None."""
    import re

    if not name:
        return None
    for pattern, family, keys in APPLICATIONS:
        if re.match(pattern, name.lower()):
            return family, dict(keys)
    return None
