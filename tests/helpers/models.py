"""Tiny real Keras models, saved in every format, for the tests (no training, known answers).

The colour classifier: ``Rescaling(1/255) → DepthwiseConv2D(1x1, identity) → GlobalAveragePooling2D
→ Dense(3, softmax, kernel 10·I)``. It says "red" for a red image, "green" for green and "blue"
for blue, so tests can check real answers. Its input is 16x16x3 raw pixels (0..255).

Session fixtures (exported through ``tests/conftest.py``):

- ``model_files``: ``{"keras", "h5", "savedmodel", "tflite"}`` → paths of the colour classifier,
  each in its own folder with a sidecar naming the labels red/green/blue;
- ``color_images``: ``{"red", "green", "blue"}`` → 40x30 RGB uint8 arrays.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SIZE = 16
LABELS = ["red", "green", "blue"]


def keras():
    import keras as _keras

    return _keras


def build_color_classifier(size: int = SIZE, activation: str | None = "softmax", rescaling: bool = True,
                           gain: float = 10.0, name: str = "colors"):
    """The colour classifier (see module docstring). ``activation=None`` gives logits."""
    k = keras()
    inp = k.Input((size, size, 3), name="image")
    x = k.layers.Rescaling(1.0 / 255.0)(inp) if rescaling else inp
    dw = k.layers.DepthwiseConv2D(1, name="depthwise")
    x = dw(x)
    x = k.layers.GlobalAveragePooling2D()(x)
    dense = k.layers.Dense(3, activation=activation, name="scores")
    out = dense(x)
    model = k.Model(inp, out, name=name)
    dw.set_weights([np.ones((1, 1, 3, 1), np.float32), np.zeros(3, np.float32)])
    dense.set_weights([np.eye(3, dtype=np.float32) * gain, np.zeros(3, np.float32)])
    return model


def build_binary_classifier(size: int = SIZE):
    """One sigmoid unit: p("red") = sigmoid(10 · (mean red - mean blue))."""
    k = keras()
    inp = k.Input((size, size, 3))
    x = k.layers.Rescaling(1.0 / 255.0)(inp)
    x = k.layers.GlobalAveragePooling2D()(x)
    dense = k.layers.Dense(1, activation="sigmoid")
    out = dense(x)
    model = k.Model(inp, out, name="binary")
    dense.set_weights([np.array([[10.0], [0.0], [-10.0]], np.float32), np.zeros(1, np.float32)])
    return model


def build_multilabel_classifier(size: int = SIZE):
    """Three independent sigmoids: "has red", "has green", "has blue" (mean channel > 0.5)."""
    k = keras()
    inp = k.Input((size, size, 3))
    x = k.layers.Rescaling(1.0 / 255.0)(inp)
    x = k.layers.GlobalAveragePooling2D()(x)
    dense = k.layers.Dense(3, activation="sigmoid")
    out = dense(x)
    model = k.Model(inp, out, name="multilabel")
    dense.set_weights([np.eye(3, dtype=np.float32) * 20.0, np.full(3, -10.0, np.float32)])
    return model


def build_lambda_model(size: int = SIZE):
    k = keras()
    inp = k.Input((size, size, 3))
    x = k.layers.Lambda(lambda t: t * 2.0)(inp)
    x = k.layers.GlobalAveragePooling2D()(x)
    out = k.layers.Dense(3, activation="softmax")(x)
    return k.Model(inp, out, name="with_lambda")


def build_two_input_model(size: int = SIZE):
    k = keras()
    a = k.Input((size, size, 3), name="image")
    b = k.Input((4,), name="extra")
    x = k.layers.GlobalAveragePooling2D()(a)
    x = k.layers.Concatenate()([x, b])
    out = k.layers.Dense(3, activation="softmax")(x)
    return k.Model([a, b], out, name="two_inputs")


def build_nan_model(size: int = SIZE):
    """Real weights that are NaN: every output is NaN."""
    model = build_color_classifier(size, name="nan_weights")
    dense = model.get_layer("scores")
    w, b = dense.get_weights()
    dense.set_weights([np.full_like(w, np.nan), b])
    return model


def build_text_generator(vocab: int = 12, seq: int = 8):
    k = keras()
    inp = k.Input((seq,), dtype="int32")
    x = k.layers.Embedding(vocab, 4)(inp)
    x = k.layers.LSTM(6)(x)
    out = k.layers.Dense(vocab, activation="softmax")(x)
    return k.Model(inp, out, name="chars")


def build_forecaster(window: int = 10, features: int = 1):
    k = keras()
    inp = k.Input((window, features))
    x = k.layers.GRU(4)(inp)
    out = k.layers.Dense(1)(x)
    return k.Model(inp, out, name="forecast")


def to_tflite(model) -> bytes:
    import tensorflow as tf

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    return bytes(conv.convert())


def save_formats(model, folder: Path, name: str = "model", formats=("keras", "h5", "savedmodel", "tflite"),
                 sidecar: dict | None = None, sidecars: dict[str, dict] | None = None) -> dict[str, Path]:
    """Save ``model`` in each format into its own sub-folder of ``folder``; returns format → path.

    ``sidecar`` is written beside every saved file, ``sidecars[fmt]`` beside that format only.
    """
    import contextlib
    import io
    import json
    import warnings

    out: dict[str, Path] = {}
    for fmt in formats:
        d = folder / fmt
        d.mkdir(parents=True, exist_ok=True)
        if fmt == "keras":
            p = d / f"{name}.keras"
            model.save(p)
        elif fmt == "h5":
            p = d / f"{name}.h5"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.save(p)
        elif fmt == "savedmodel":
            p = d / name
            with contextlib.redirect_stdout(io.StringIO()):
                model.export(str(p), format="tf_saved_model")
        elif fmt == "tflite":
            p = d / f"{name}.tflite"
            with contextlib.redirect_stdout(io.StringIO()):
                p.write_bytes(to_tflite(model))
        else:
            raise ValueError(fmt)
        data = (sidecars or {}).get(fmt, sidecar)
        if data is not None:
            Path(str(p) + ".livepredict.json").write_text(json.dumps(data), encoding="utf-8")
        out[fmt] = p
    return out


def solid(color: tuple[int, int, int], h: int = 30, w: int = 40) -> np.ndarray:
    return np.broadcast_to(np.array(color, np.uint8), (h, w, 3)).copy()


@pytest.fixture(scope="session")
def model_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("colour_models")
    raw = {"labels": LABELS, "preprocess": {"scale": "none"}}
    return save_formats(build_color_classifier(), folder, "colors", sidecar={"labels": LABELS},
                        sidecars={"savedmodel": raw, "tflite": raw})


@pytest.fixture(scope="session")
def color_images() -> dict[str, np.ndarray]:
    return {"red": solid((220, 30, 20)), "green": solid((10, 200, 40)), "blue": solid((30, 20, 230))}
