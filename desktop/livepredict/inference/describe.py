"""What a model is: tensors, layers, in-model preprocessing, output kind and task.

:func:`describe_keras` takes an already loaded Keras model (Keras 3 or Keras 2, ``tf_keras``) and
returns a frozen :class:`ModelStructure`, JSON-serialisable (``to_json``/``from_json``) so the
description can be cached beside the converted model and a warm open never needs TensorFlow.
Preprocessing is looked for in layers before the first real layer (nested models expanded), in
nested ``keras.applications`` bases (by name and by their layer names) and in the operations at
the start of the graph (:mod:`livepredict.inference.graph_prep`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from livepredict.core.types import LayerInfo, TensorInfo
from livepredict.inference.graph_prep import PASSIVE, first_real, graph_prefix
from livepredict.inference.heads.layouts import recognise

PREPROCESS_LAYERS = {"Rescaling", "Normalization", "Resizing", "CenterCrop"}
# Active only in training: skipped when looking for the first real layer.
AUGMENT_PREFIX = ("Random",)
PASSIVE_LAYERS = PASSIVE | {"SpatialDropout1D"}
RECURRENT_LAYERS = {"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D"}
SEQUENCE_LAYERS = RECURRENT_LAYERS | {"Conv1D", "MaxPooling1D", "AveragePooling1D",
                                      "GlobalAveragePooling1D", "GlobalMaxPooling1D", "MultiHeadAttention"}


@dataclass(frozen=True)
class Preprocessing:
    """What the model does to its input itself, and what it was found to be.

    ``pixels``: the model takes raw 0..255 pixels (it scales them itself). ``application``: the
    keras.applications family whose ``preprocess_input`` the model expects but does not contain,
    found in ``found_in`` (the model's or a nested base's name or layers).
    """

    in_model: tuple[str, ...] = ()
    size: tuple[int, int] | None = None
    pixels: bool = False
    application: str | None = None
    found_in: str = ""

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["in_model"] = list(self.in_model)
        d["size"] = list(self.size) if self.size else None
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Preprocessing:
        kw = dict(d)
        kw["in_model"] = tuple(kw.get("in_model") or ())
        kw["size"] = tuple(kw["size"]) if kw.get("size") else None
        return cls(**kw)


@dataclass(frozen=True)
class ModelStructure:
    """A model's description before the profile (labels, spec) is resolved.

    ``task`` and ``output_kind`` are those of the chosen output ``output_index``;
    ``activations`` are per output (None where unknown, e.g. SavedModel signatures).
    """

    name: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    params: int | None = None
    layers: tuple[LayerInfo, ...] = ()
    task: str = "generic"
    activations: tuple[str | None, ...] = ()
    output_kind: str | None = None
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    layer_kinds: tuple[str, ...] = ()
    embedding_input_dim: int | None = None
    first_kind: str | None = None
    output_index: int = 0
    loader: str = ""

    @property
    def output(self) -> TensorInfo | None:
        return self.outputs[self.output_index] if self.outputs else None

    @property
    def fixed_size(self) -> bool:
        shape = self.inputs[0].shape if self.inputs else ()
        return len(shape) >= 3 and bool(shape[1]) and bool(shape[2])

    def to_json(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["inputs"] = [t.to_json() for t in self.inputs]
        d["outputs"] = [t.to_json() for t in self.outputs]
        d["layers"] = [x.to_json() for x in self.layers]
        d["activations"] = list(self.activations)
        d["layer_kinds"] = list(self.layer_kinds)
        d["preprocessing"] = self.preprocessing.to_json()
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ModelStructure:
        kw = dict(d)
        kw["inputs"] = tensors_from_json(kw["inputs"])
        kw["outputs"] = tensors_from_json(kw["outputs"])
        kw["layers"] = layers_from_json(kw.get("layers") or [])
        kw["activations"] = tuple(kw.get("activations") or ())
        kw["layer_kinds"] = tuple(kw.get("layer_kinds") or ())
        kw["preprocessing"] = Preprocessing.from_json(kw.get("preprocessing") or {})
        return cls(**kw)


def with_output(structure: ModelStructure, index: int) -> ModelStructure:
    """The structure with output ``index`` chosen (its task and output kind)."""
    outs = structure.outputs
    chosen = [outs[index]] if outs else []
    task = detect_task(structure.inputs, chosen, set(structure.layer_kinds), structure.first_kind,
                       structure.embedding_input_dim)
    if outs and (task == "generic" or len(outs) > 1):  # a detector or segmenter, by its outputs' names and shapes
        activation = structure.activations[index] if len(structure.activations) > index else None
        layout = recognise(structure.inputs, outs, activation=activation, kind=structure.output_kind)
        task = layout.task if layout is not None else task
    kind = None
    if structure.activations and outs:  # Keras: known per output; otherwise probed later
        kind = output_kind_from_activation(structure.activations[index], outs[index].shape, task)
    return dataclasses.replace(structure, output_index=index, task=task, output_kind=kind)


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


def tensors_from_json(items: list[dict[str, Any]]) -> tuple[TensorInfo, ...]:
    return tuple(TensorInfo(d["name"], tuple(d["shape"]), d["dtype"]) for d in items)


def layers_from_json(items: list[dict[str, Any]]) -> tuple[LayerInfo, ...]:
    return tuple(LayerInfo(**d) for d in items)


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


def _layer_preprocessing(model: Any) -> tuple[list[str], tuple[int, int] | None, bool]:
    """Rescaling/Normalization/Resizing/CenterCrop layers before the first real layer (nested
    models expanded): (descriptions, size, whether they scale pixels)."""
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
    return found, size, scales


def in_model_preprocessing(model: Any, model_class: Any = None) -> Preprocessing:
    """Preprocessing the model does itself, or the keras.applications family it expects.

    Looks, from the outside in: at preprocessing layers; at weightless operations at the start of
    the graph (``preprocess_input`` written into the model); then at the first real layer when it
    is a nested model (a keras.applications base, recognised by name or by its layer names).
    """
    found, size, scales = _layer_preprocessing(model)
    if scales:
        return Preprocessing(tuple(found), size, True)
    node = model
    for depth in range(4):
        cls = model_class or _model_class(node)
        prefix = graph_prefix(node, cls) if cls is not None else None
        where = "the model" if depth == 0 else f"the nested model {node.name!r}"
        if prefix is not None:
            found.append(f"operations at the start of {where}: {prefix.describe()}")
            return Preprocessing(tuple(found), size, True, found_in=where)
        app = application_of(node)
        if app is not None:
            family, how = app
            return Preprocessing(tuple(found), size, False, application=family,
                                 found_in=f"{where} (by its {how})")
        inner, _ = first_real(node)
        if inner is None or not getattr(inner, "layers", None):
            break
        node = inner
    return Preprocessing(tuple(found), size, False)


def _model_class(model: Any) -> Any:
    """``keras.Model`` of the Keras (3 or 2) that built ``model``."""
    module = type(model).__module__
    if module.startswith("tf_keras"):
        import tf_keras

        return tf_keras.Model
    if module.startswith("keras"):
        import keras

        return keras.Model
    return None


def _activation_name(layer: Any) -> str | None:
    kind = type(layer).__name__
    if kind == "Softmax":
        return "softmax"
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    name = getattr(act, "__name__", None) or str(act)
    return name.lower()


def _producer(tensor: Any) -> Any:
    hist = getattr(tensor, "_keras_history", None)
    if hist is None:
        return None
    return getattr(hist, "operation", None) or getattr(hist, "layer", None)  # Keras 3 / Keras 2


def output_activations(model: Any) -> tuple[str | None, ...]:
    """The activation of the layer that produces each output, looking through nested models."""
    outputs = getattr(model, "outputs", None) or []
    acts = []
    for i in range(max(1, len(outputs))):
        try:
            layer = _producer(outputs[i]) if outputs else None
        except Exception:  # noqa: BLE001 - subclassed models have no graph
            layer = None
        if layer is None:
            layers = getattr(model, "layers", [])
            layer = layers[-1] if layers else None
        while layer is not None and getattr(layer, "layers", None):
            layer = layer.layers[-1]
        acts.append(_activation_name(layer) if layer is not None else None)
    return tuple(acts)


def output_kind_from_activation(activation: str | None, out_shape: tuple[int | None, ...], task: str) -> str:
    units = out_shape[-1] if out_shape else None
    if activation == "softmax":
        return "softmax"
    if activation == "sigmoid":
        return "sigmoid-binary" if units == 1 else "sigmoid-multilabel"
    if task in ("image-classifier", "text-generator", "text-classifier"):
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
    if task in ("image-classifier", "text-generator", "text-classifier"):
        return "logits" if v2.shape[-1] > 1 else "values"
    return "values"


def _text_task(out: TensorInfo, layer_kinds: set[str], vocab_size: int | None) -> str:
    """A next-token generator (its output spans the vocabulary, or it is recurrent with no
    embedding size known) versus a sequence classifier (a few classes)."""
    units = out.shape[-1] or 0
    if len(out.shape) == 3:
        return "text-generator"
    if vocab_size:
        return "text-generator" if units == vocab_size else "text-classifier"
    return "text-generator" if layer_kinds & RECURRENT_LAYERS or units > 64 else "text-classifier"


def detect_task(inputs: list[TensorInfo] | tuple[TensorInfo, ...], outputs: list[TensorInfo],
                layer_kinds: set[str], first_kind: str | None = None, vocab_size: int | None = None) -> str:
    if len(inputs) != 1 or not outputs:
        return "generic"
    inp, out = inputs[0], outputs[0]
    rank, orank = len(inp.shape), len(out.shape)
    integer_in = inp.dtype.startswith("int") or first_kind == "Embedding"
    if rank == 4 and orank == 2 and (inp.shape[-1] in (1, 3, 4) or inp.shape[-1] is None):
        return "image-classifier"
    if rank == 2 and integer_in and orank in (2, 3) and (out.shape[-1] or 0) >= 2:
        return _text_task(out, layer_kinds, vocab_size)
    if rank == 3:
        recurrent = bool(layer_kinds & SEQUENCE_LAYERS)
        if orank in (2, 3) and (out.shape[-1] or 0) >= 2 and first_kind == "Embedding":
            return "text-generator"
        if recurrent or (inp.shape[-1] is not None and inp.shape[-1] <= 16 and orank == 2):
            return "sequence-forecaster"
        if orank == 2 and (inp.shape[1] or 0) >= 8 and (inp.shape[2] or 0) >= 8:
            return "image-classifier"
    return "generic"


def _layer_infos(model: Any) -> tuple[LayerInfo, ...]:
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
    return tuple(layers)


def _output_name(tensor: Any, i: int) -> str:
    """The name of the layer that makes an output (a Sequential model has no ``output_names``; its
    tensors are called ``keras_tensor_37``, which tells a user nothing)."""
    history = getattr(tensor, "_keras_history", None)
    layer = getattr(history, "operation", None) or getattr(history, "layer", None)
    if layer is None and isinstance(history, tuple) and history:
        layer = history[0]
    return str(getattr(layer, "name", "") or getattr(tensor, "name", "") or f"output_{i}")


def describe_keras(model: Any, output_index: int = 0, loader: str = "") -> ModelStructure:
    """The :class:`ModelStructure` of a Keras 3 or Keras 2 model, output ``output_index`` chosen."""
    inputs = tuple(tensor_info(getattr(t, "name", f"input_{i}") or f"input_{i}", t.shape, t.dtype)
                   for i, t in enumerate(model.inputs))
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != len(model.outputs):
        names = [_output_name(t, i) for i, t in enumerate(model.outputs)]
    outputs = tuple(tensor_info(n, t.shape, t.dtype) for n, t in zip(names, model.outputs, strict=True))
    flat = flat_layers(model)
    kinds = {type(layer).__name__ for layer in flat}
    first = next((layer for layer in flat if type(layer).__name__ != "InputLayer"), None)
    first_kind = type(first).__name__ if first is not None else None
    emb = int(first.input_dim) if first is not None and first_kind == "Embedding" and getattr(first, "input_dim", None) \
        else None
    structure = ModelStructure(
        name=model.name, inputs=inputs, outputs=outputs, params=int(model.count_params()),
        layers=_layer_infos(model), activations=output_activations(model),
        preprocessing=in_model_preprocessing(model), layer_kinds=tuple(sorted(kinds)),
        embedding_input_dim=emb, first_kind=first_kind, loader=loader)
    return with_output(structure, output_index)


# keras.applications models whose preprocess_input is NOT inside the model: by name, then by the
# names of their own layers (a base renamed by the user keeps them).
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
# family -> layer names that only that keras.applications network has (checked in this order)
SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("MobileNetV2", frozenset({"Conv1", "expanded_conv_depthwise", "block_1_expand"})),
    ("MobileNet", frozenset({"conv1", "conv_dw_1", "conv_pw_1"})),
    ("ResNetV2", frozenset({"conv1_conv", "post_bn", "conv2_block1_preact_bn"})),
    ("ResNet", frozenset({"conv1_conv", "conv2_block1_1_conv", "conv2_block1_0_conv"})),
    ("Xception", frozenset({"block1_conv1", "block2_sepconv1"})),
    ("VGG", frozenset({"block1_conv1", "block1_conv2", "block2_conv1"})),
    ("InceptionResNetV2", frozenset({"mixed_5b", "block35_1"})),
    ("InceptionV3", frozenset({"mixed0", "mixed1"})),
    ("DenseNet", frozenset({"conv1/conv", "conv2_block1_0_bn", "pool1"})),
)
_FAMILY_KEYS = {family: keys for _, family, keys in APPLICATIONS}


def application_preprocessing(name: str | None) -> tuple[str, dict[str, Any]] | None:
    """(family, preprocess keys) when ``name`` is a keras.applications model name, else None."""
    if not name:
        return None
    for pattern, family, keys in APPLICATIONS:
        if re.match(pattern, name.lower()):
            return family, dict(keys)
    return None


def family_keys(family: str) -> dict[str, Any]:
    return dict(_FAMILY_KEYS[family])


def application_of(model: Any) -> tuple[str, str] | None:
    """(family, "name" | "layers") when ``model`` is a keras.applications network."""
    by_name = application_preprocessing(getattr(model, "name", None))
    if by_name is not None:
        return by_name[0], "name"
    names = {layer.name for layer in getattr(model, "layers", [])}
    for family, signature in SIGNATURES:
        if signature <= names:
            return family, "layer names"
    return None
