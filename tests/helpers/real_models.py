"""The model files people actually have, built for real, with their framework's own scores.

- ``keras2_files`` (session): the Keras-2 files of :mod:`helpers.keras2_build`, written by the real
  Keras 2 (``tf_keras``) in a subprocess and cached under ``tests/artifacts/keras2-<hash>`` (rebuilt
  when the builder changes), with ``reference.json``: Keras 2's own scores on :data:`PICTURES`.
- :func:`set_weights`: deterministic weights whose outputs depend on the input scale.
- :func:`pictures`: the real sample pictures, resized as the app resizes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILDER = Path(__file__).with_name("keras2_build.py")
_IMAGES = ROOT / "resources" / "samples" / "images"
PICTURES = [_IMAGES / n for n in ("circle_01.png", "cross_01.png", "circle_paper_01.jpg", "circle_03.png",
                                  "cross_03.png")]
PICTURES += sorted(p for p in _IMAGES.iterdir() if not p.name.startswith(("circle", "cross")))[:3]


def read_pictures() -> list[np.ndarray]:
    from PIL import Image

    return [np.asarray(Image.open(p).convert("RGB")) for p in PICTURES]


def pictures(size: tuple[int, int], mode: str = "squash", interpolation: str = "bilinear") -> np.ndarray:
    from livepredict.inference.preprocess import resize_image

    return np.stack([resize_image(im, size, mode, interpolation) for im in read_pictures()]).astype(np.float32)


def set_weights(model, seed: int) -> None:
    sys.path.insert(0, str(BUILDER.parent))
    from keras2_build import _set_weights

    _set_weights(model, seed)


@pytest.fixture(scope="session")
def keras2_files() -> Path:
    digest = hashlib.sha256(BUILDER.read_bytes() + "".join(map(str, PICTURES)).encode()).hexdigest()[:12]
    out = ROOT / "tests" / "artifacts" / f"keras2-{digest}"
    if not (out / "reference.json").is_file():
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT / "desktop"))
        run = subprocess.run([sys.executable, str(BUILDER), str(out), *map(str, PICTURES)], env=env,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
    return out


def reference(root: Path, name: str) -> np.ndarray:
    return np.asarray(json.loads((root / "reference.json").read_text())[name])


def quantised_tflite(model, low: float, high: float, shape: tuple[int, ...]) -> bytes:
    """``model`` fully integer-quantised (uint8 in and out), calibrated on random values low..high
    (whole numbers, like pixels, when both bounds are ints)."""
    import warnings

    import tensorflow as tf

    rng = np.random.default_rng(0)

    def representative():
        for _ in range(20):
            draw = rng.integers if isinstance(low, int) and isinstance(high, int) else rng.uniform
            yield [draw(low, high, (1, *shape)).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.uint8
    conv.inference_output_type = tf.uint8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Statistics for quantized inputs were expected"
        return bytes(conv.convert())


def build_two_output_model():
    """Two heads on one picture: ``age`` (one value) and ``kind`` (4-class softmax), seeded weights."""
    import keras as k

    inp = k.Input((16, 16, 3))
    x = k.layers.GlobalAveragePooling2D()(k.layers.Rescaling(1 / 255)(inp))
    age = k.layers.Dense(1, name="age")(x)
    kind = k.layers.Dense(4, activation="softmax", name="kind")(x)
    model = k.Model(inp, [age, kind], name="two_heads")
    set_weights(model, 8)
    return model


def write_quantised_classifier(path: Path) -> Path:
    """A float model trained on -1..1, fully integer-quantised (uint8 in, uint8 out), written to ``path``."""
    import keras as k

    inp = k.Input((16, 16, 3))
    x = k.layers.Conv2D(4, 3, activation="relu")(inp)
    model = k.Model(inp, k.layers.Dense(3, activation="softmax")(k.layers.GlobalAveragePooling2D()(x)))
    set_weights(model, 9)
    path.write_bytes(quantised_tflite(model, -1.0, 1.0, (16, 16, 3)))
    return path


TEXT_LABELS = ["pets", "mail", "money"]


def write_text_classifier(d: Path) -> tuple[Path, list[str], np.ndarray]:
    """A text classifier (TextVectorization vocabulary → Embedding → pooling → Dense(3, softmax)) saved
    in ``d`` with its sidecar (vocab, labels); returns (path, three texts, Keras' scores for them)."""
    import keras as k

    corpus = ["the cat sat on the mat", "dogs bark at the postman", "stocks fell sharply today",
              "a cat and a dog", "markets rallied after the news"]
    vec = k.layers.TextVectorization(output_sequence_length=12)
    vec.adapt(corpus)
    vocab = vec.get_vocabulary()
    inp = k.Input((12,), dtype="int64")
    x = k.layers.Embedding(len(vocab), 8)(inp)
    x = k.layers.GlobalAveragePooling1D()(x)
    model = k.Model(inp, k.layers.Dense(3, activation="softmax")(x), name="topics")
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(0, 1.0, w.shape).astype(np.float32) for w in model.get_weights()])
    path = d / "topics.keras"
    model.save(path)
    (d / "topics.keras.livepredict.json").write_text(json.dumps({"vocab": vocab, "labels": TEXT_LABELS}))
    texts = ["The cat sat!", "Stocks rallied, sharply.", "an unknown zebra"]
    return path, texts, model.predict(vec(texts), verbose=0)
