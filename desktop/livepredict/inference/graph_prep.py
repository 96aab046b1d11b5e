"""Preprocessing written as operations at the start of a model's graph (``preprocess_input``).

``keras.applications.<family>.preprocess_input(x)`` called on a Keras tensor becomes a few
weightless operations in front of the network: ``TrueDivide``/``Subtract`` (Keras 3) or
``TFOpLambda`` layers (Keras 2) for the -1..1 families, channel slices stacked in BGR order plus a
mean for the caffe families, divide/subtract/divide for the torch style. Rather than matching op
names, :func:`graph_prefix` cuts the model where its first real layer starts and measures the cut
part on a few pixel values: the map is per-pixel affine (``y = A·x + b`` over the three channels),
so four probes give it exactly. The measured map is then named (-1..1, 0..1, caffe, torch) and the
model is known to take raw 0..255 pixels.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

# Layers that do nothing at inference (augmentation is active only in training).
PASSIVE = {"InputLayer", "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout2D",
           "ActivityRegularization"}
# Weightless operations preprocess_input is made of (Keras 3 ops; Keras 2 wraps them in *OpLambda).
ELEMENTWISE = {"TFOpLambda", "SlicingOpLambda", "TrueDivide", "Divide", "Subtract", "Add", "Multiply",
               "GetItem", "Stack", "Concatenate", "Reshape", "Cast", "Flip", "Negative"}
CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR
TORCH_MEAN = (123.675, 116.28, 103.53)  # 0.485, 0.456, 0.406 x 255
TORCH_STD = (58.395, 57.12, 57.375)  # 0.229, 0.224, 0.225 x 255


@dataclass(frozen=True)
class AffineMap:
    """``y[c] = sum_k a[c][k] * x[k] + b[c]`` per pixel, measured on the cut part of the graph."""

    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]

    def describe(self) -> str:
        a, b = np.asarray(self.a), np.asarray(self.b)
        if _close(a, np.eye(3) / 127.5) and _close(b, -np.ones(3)):
            return "x/127.5 - 1 (-1..1, as MobileNet/Inception/Xception/ResNetV2 preprocess_input)"
        if _close(a, np.eye(3) / 255.0) and _close(b, np.zeros(3)):
            return "x/255 (0..1)"
        if _close(a, np.eye(3)[::-1]) and _close(b, -np.asarray(CAFFE_MEAN)):
            return "RGB to BGR minus the ImageNet mean (caffe, as ResNet/VGG preprocess_input)"
        if _close(a, np.diag(1.0 / np.asarray(TORCH_STD))) and _close(b, -np.asarray(TORCH_MEAN) /
                                                                     np.asarray(TORCH_STD)):
            return "(x/255 - ImageNet mean) / std (torch, as DenseNet preprocess_input)"
        if _close(a, np.diag(np.diag(a))) and np.allclose(np.diag(a), a[0, 0]) and np.allclose(b, b[0]):
            return f"x*{a[0, 0]:.6g} + {b[0]:.6g}"
        return "a per-channel affine map " + np.array2string(a, precision=4) + " + " + np.array2string(
            b, precision=4)


def _close(x: np.ndarray, y: np.ndarray) -> bool:
    return bool(np.allclose(x, y, rtol=1e-3, atol=1e-4))


def _kind(op: Any) -> str:
    return type(op).__name__


def _is_augmentation(op: Any) -> bool:
    inner = getattr(op, "layers", None)
    if inner:
        return all(_kind(x).startswith("Random") or _kind(x) in PASSIVE for x in inner)
    return _kind(op).startswith("Random")


def _operations(model: Any) -> list[Any]:
    ops = getattr(model, "operations", None)  # Keras 3 functional: layers and raw ops, in order
    return list(ops) if ops else list(getattr(model, "layers", []))


def first_real(model: Any) -> tuple[Any | None, Any | None]:
    """(the first operation that is neither passive nor a weightless elementwise op, the last
    elementwise op before it or None)."""
    last = None
    for op in _operations(model):
        kind = _kind(op)
        if kind in PASSIVE or _is_augmentation(op):
            continue
        if kind in ELEMENTWISE and not getattr(op, "weights", None):
            last = op
            continue
        return op, last
    return None, last


def graph_prefix(model: Any, model_class: Any) -> AffineMap | None:
    """The affine map the operations before the first real layer apply, or None when there are
    none (or they are not a per-pixel affine map of a 3-channel image)."""
    op, last = first_real(model)
    if op is None or last is None or len(getattr(model, "inputs", None) or []) != 1:
        return None
    try:
        cut = last.output
        if isinstance(cut, list | tuple):
            return None
        sub = model_class(model.inputs, cut)
        shape = [d if d else 8 for d in model.inputs[0].shape[1:]]
        if len(shape) != 3 or shape[-1] != 3 or list(cut.shape[1:]) != list(model.inputs[0].shape[1:]):
            return None
        probes = np.zeros((5, *shape), np.float32)
        for k in range(3):
            probes[k + 1, ..., k] = 100.0
        probes[4] = 77.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras 3 notes that one array was passed for a list of one
            out = np.asarray(sub(probes, training=False), np.float64)[:, 0, 0, :]
    except Exception:  # noqa: BLE001 - a graph that cannot be cut is simply not described
        return None
    b = out[0]
    a = np.stack([(out[k + 1] - b) / 100.0 for k in range(3)], axis=1)
    if not np.allclose(a @ np.full(3, 77.0) + b, out[4], rtol=1e-4, atol=1e-3):
        return None  # not affine: leave it to the user
    return AffineMap(tuple(tuple(float(v) for v in row) for row in a), tuple(float(v) for v in b))
