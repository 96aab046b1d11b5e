"""Rebuilding a Keras model's graph on a fresh ``Input``, layer by leaf layer, for Grad-CAM.

A loaded ``Sequential`` model has no usable ``model.output`` in Keras 3 ("has never been called"),
and Teachable Machine nests a Sequential inside a Sequential: so the graph is replayed on a new
``Input``, entering nested models (Sequential: layer after layer; Functional: node after node
through its own graph runner), and every leaf layer's output is recorded. The final layer's
softmax or sigmoid is replayed again without its activation (a copy of the layer, same weights),
so Grad-CAM differentiates the score before the squashing.

Keras 3 and Keras 2 (``tf_keras``) models both work: the Keras 2 path replays Sequential models the
same way and enters a nested Functional model through ``Model(inputs, [layer outputs…])``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from livepredict.core.errors import UnsupportedModelError

_SQUASH = ("softmax", "sigmoid")


@dataclass
class Replayed:
    """The replayed graph: ``outputs`` (symbolic), ``pre_activation`` of the final output (or None
    when the model ends without softmax/sigmoid), and every leaf layer's output in call order."""

    inputs: Any
    outputs: Any
    pre_activation: Any = None
    layers: list[tuple[str, Any]] = field(default_factory=list)  # (leaf layer name, symbolic output)

    def output(self, name: str) -> Any:
        for n, t in reversed(self.layers):
            if n == name:
                return t
        raise KeyError(name)

    def spatial(self) -> list[str]:
        """Names of the leaf layers whose output is (N, H, W, C) with H x W > 1, in order."""
        out = []
        for name, t in self.layers:
            shape = tuple(getattr(t, "shape", ()))
            if len(shape) == 4 and (shape[1] or 0) * (shape[2] or 0) > 1 and name not in out:
                out.append(name)
        return out


def keras_module(model: Any) -> Any:
    """``keras`` for a Keras 3 model, ``tf_keras`` for a Keras 2 one."""
    if type(model).__module__.startswith("tf_keras") or "tf_keras" in type(model).__mro__[-2].__module__:
        import tf_keras

        return tf_keras
    import keras

    return keras


def _is_model(layer: Any, keras: Any) -> bool:
    return isinstance(layer, keras.Model)


def _activation_name(layer: Any) -> str:
    act = getattr(layer, "activation", None)
    name = getattr(act, "__name__", "") or ""
    cls = type(layer).__name__
    if cls == "Softmax":
        return "softmax"
    return name if name in _SQUASH else ""


class _Recorder:
    def __init__(self, keras: Any) -> None:
        self.keras = keras
        self.layers: list[tuple[str, Any]] = []
        self.calls: dict[int, tuple[Any, tuple, dict]] = {}  # id(output) -> (layer, args, kwargs)

    def call(self, layer: Any, *args: Any, **kwargs: Any) -> Any:
        if _is_model(layer, self.keras):
            return self.model(layer, *args, **kwargs)
        kwargs.pop("training", None)  # the explanation model is called with training=False as a whole
        out = layer(*args, **kwargs)
        self.layers.append((layer.name, out))
        self.calls[id(out)] = (layer, args, kwargs)
        return out

    def model(self, model: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(model, self.keras.Sequential):
            x = args[0]
            for layer in model.layers:
                x = self.call(layer, x)
            return x
        if hasattr(model, "_run_through_graph"):  # Keras 3 Functional
            outs = model._run_through_graph(list(args) if len(args) > 1 else args[0],
                                            operation_fn=lambda op: (lambda *a, **k: self.call(op, *a, **k)))
            return outs[0] if isinstance(outs, list | tuple) and len(outs) == 1 else outs
        return self._keras2_functional(model, *args)

    def _keras2_functional(self, model: Any, x: Any) -> Any:
        """A Keras 2 Functional model: one sub-model that also returns every layer's output."""
        inner = [layer for layer in model.layers if not type(layer).__name__ == "InputLayer"]
        outs = [layer.output for layer in inner]
        sub = self.keras.Model(model.inputs, outs + list(model.outputs))
        res = sub(x, training=False)
        for layer, t in zip(inner, res[: len(inner)], strict=True):
            self.layers.append((layer.name, t))
        final = res[len(inner):]
        return final[0] if len(final) == 1 else final


def replay(model: Any) -> Replayed:
    """Replay ``model`` (single image input) on a fresh ``Input``; see the module docstring."""
    keras = keras_module(model)
    ins = getattr(model, "inputs", None) or []
    if len(ins) != 1:
        raise UnsupportedModelError(f"This model has {len(ins)} inputs; explanations need a single image input.")
    shape = tuple(ins[0].shape[1:])
    dtype = getattr(ins[0], "dtype", "float32")
    dtype = getattr(dtype, "name", dtype)
    inp = keras.Input(shape=shape, dtype=str(dtype))
    rec = _Recorder(keras)
    out = rec.model(model, inp)
    if isinstance(out, list | tuple):
        out = out[0]
    pre = None
    called = rec.calls.get(id(out))
    if called is not None:
        layer, args, kwargs = called
        act = _activation_name(layer)
        if type(layer).__name__ in ("Softmax", "Activation") and (act or type(layer).__name__ == "Softmax"):
            pre = args[0]
        elif act:
            pre = _linear_copy(layer, args, kwargs)
    return Replayed(inp, out, pre, rec.layers)


def _linear_copy(layer: Any, args: tuple, kwargs: dict) -> Any:
    """``layer`` again on the same inputs without its activation (same class, config and weights)."""
    config = dict(layer.get_config(), activation="linear", name=f"{layer.name}_linear")
    copy = type(layer).from_config(config)
    out = copy(*args, **kwargs)
    copy.set_weights(layer.get_weights())
    return out
