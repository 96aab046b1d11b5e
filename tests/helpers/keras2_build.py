"""Build the Keras-2 model files people actually have, with the real Keras 2 (``tf_keras``).

Run as a script in a subprocess (Keras 2 and Keras 3 share TensorFlow, so the builder stays apart
from the test process): ``python keras2_build.py OUT_DIR PICTURE...``. It writes, under OUT_DIR:

- ``tm/keras_model.h5`` + ``labels.txt``: a Teachable Machine image export, nested as the real one
  (``Sequential[Sequential[MobileNet functional, GAP], Sequential[Dense, Dense softmax]]``);
- ``tm_old/``: the same file in the config form older Keras 2 releases wrote (no ``module`` /
  ``registered_name`` keys, nested ``Model`` class names);
- ``transfer/transfer.h5`` and ``transfer_old/transfer.h5``: ``Sequential([MobileNetV2(include_top=False),
  GAP, Dense softmax])``, trained on -1..1;
- ``tfop/tfop.h5``: the TensorFlow tutorial form, ``preprocess_input`` (TFOpLambda layers) inside;
- ``savedmodel_rescaling/``: a tf_keras SavedModel folder with ``Rescaling(1/255)`` inside;
- ``unsafe/lambda.h5`` (a Lambda layer) and ``unsafe/custom.h5`` (a custom layer class);
- ``reference.json``: every model's own scores (computed here, by Keras 2) on the pictures, after
  the preprocessing it was trained with.

Weights are deterministic and make the outputs depend on the input scale (checked here: a wrong
scaling moves the scores by more than 0.05), so a test that feeds the wrong range fails.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
SIZE = 96
LABELS = ["circle", "cross", "square"]


def _set_weights(model, seed: int) -> None:
    """Deterministic weights that keep activations alive (outputs depend on the input scale)."""
    rng = np.random.default_rng(seed)
    for layer in _all_layers(model):
        ws = layer.get_weights()
        if not ws:
            continue
        new = []
        names = [w.name for w in layer.weights]
        for name, w in zip(names, ws, strict=True):
            if "moving_variance" in name:
                v = rng.uniform(0.5, 1.5, w.shape)
            elif "moving_mean" in name:
                v = rng.normal(0.0, 0.1, w.shape)
            elif "gamma" in name:
                v = rng.uniform(0.6, 1.4, w.shape)
            elif "beta" in name or "bias" in name:
                v = rng.normal(0.0, 0.2, w.shape)
            else:
                fan_in = int(np.prod(w.shape[:-1])) if w.ndim > 1 else 1
                if "depthwise" in name or type(layer).__name__ == "DepthwiseConv2D":
                    fan_in = int(np.prod(w.shape[:2]))
                v = rng.normal(0.0, 1.6 / np.sqrt(max(fan_in, 1)), w.shape)
            new.append(v.astype(np.float32))
        layer.set_weights(new)


def _predict(model, x):
    """What the framework predicts (``model.predict``: graph mode, as users and the app run it; eager
    calls differ from it by up to ~2e-4 on these deep random-weight nets, from fused kernels)."""
    return model.predict(x, verbose=0).tolist()


def _all_layers(model):
    out = []
    for layer in model.layers:
        if getattr(layer, "layers", None):
            out.extend(_all_layers(layer))
        else:
            out.append(layer)
    return out


def _older_form(node):
    """The config as Keras 2 releases before 2.13 wrote it: no module/registered_name, ``Model``."""
    if isinstance(node, dict):
        node.pop("module", None)
        node.pop("registered_name", None)
        node.pop("build_config", None)
        node.pop("compile_config", None)
        if node.get("class_name") == "Functional":
            node["class_name"] = "Model"
        for v in node.values():
            _older_form(v)
    elif isinstance(node, list):
        for v in node:
            _older_form(v)
    return node


def _write_older(src: Path, dst: Path) -> None:
    import shutil

    import h5py

    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        f.attrs["model_config"] = json.dumps(_older_form(cfg))
        f.attrs["keras_version"] = "2.4.0"
        f.attrs["backend"] = "tensorflow"


def build(out: Path, pictures: list[Path]) -> dict:
    import tf_keras as k
    from PIL import Image

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "desktop"))
    from livepredict.inference.preprocess import resize_image

    def pics(mode: str, interp: str) -> np.ndarray:
        arr = [resize_image(np.asarray(Image.open(p).convert("RGB")), (SIZE, SIZE), mode, interp)
               for p in pictures]
        return np.stack(arr).astype(np.float32)

    ref: dict = {"pictures": [str(p) for p in pictures], "labels": LABELS}
    shape = (SIZE, SIZE, 3)

    # Teachable Machine: the real nesting (tf_keras 2.21 writes it with module/registered_name keys)
    base = k.applications.MobileNet(input_shape=shape, alpha=0.25, include_top=False, weights=None)
    tm = k.Sequential([k.Sequential([base, k.layers.GlobalAveragePooling2D()], name="sequential_1"),
                       k.Sequential([k.layers.Dense(32, activation="relu", name="dense_Dense1"),
                                     k.layers.Dense(3, activation="softmax", name="dense_Dense2")],
                                    name="sequential_3")], name="sequential_4")
    tm.build((None, *shape))
    _set_weights(tm, 1)
    (out / "tm").mkdir(parents=True, exist_ok=True)
    tm.save(out / "tm" / "keras_model.h5")
    x_tm = pics("center-crop", "lanczos") / 127.5 - 1.0
    ref["tm"] = _predict(tm, x_tm)
    ref["tm_wrong_scale"] = _predict(tm, x_tm * 0.5 + 0.5)
    _write_older(out / "tm" / "keras_model.h5", out / "tm_old" / "keras_model.h5")
    for d in ("tm", "tm_old"):
        (out / d / "labels.txt").write_text("".join(f"{i} {n}\n" for i, n in enumerate(LABELS)))

    # transfer learning: MobileNetV2 base (by name mobilenetv2_0.35_96) + GAP + Dense, trained on -1..1
    base2 = k.applications.MobileNetV2(input_shape=shape, alpha=0.35, include_top=False, weights=None)
    tr = k.Sequential([base2, k.layers.GlobalAveragePooling2D(), k.layers.Dense(3, activation="softmax")],
                      name="transfer")
    tr.build((None, *shape))
    _set_weights(tr, 2)
    (out / "transfer").mkdir(parents=True, exist_ok=True)
    tr.save(out / "transfer" / "transfer.h5")
    _write_older(out / "transfer" / "transfer.h5", out / "transfer_old" / "transfer.h5")
    x_sq = pics("squash", "bilinear")
    ref["transfer"] = _predict(tr, x_sq / 127.5 - 1.0)
    ref["transfer_wrong_scale"] = _predict(tr, x_sq / 255.0)

    # the tutorial form: preprocess_input inside the model (TFOpLambda layers on a Keras tensor)
    inp = k.Input(shape)
    base3 = k.applications.MobileNetV2(input_shape=shape, alpha=0.35, include_top=False, weights=None)
    x = k.applications.mobilenet_v2.preprocess_input(inp)
    x = base3(x, training=False)
    x = k.layers.GlobalAveragePooling2D()(x)
    tf_op = k.Model(inp, k.layers.Dense(3, activation="softmax")(x), name="tutorial")
    _set_weights(tf_op, 3)
    (out / "tfop").mkdir(parents=True, exist_ok=True)
    tf_op.save(out / "tfop" / "tfop.h5")
    ref["tfop"] = _predict(tf_op, x_sq)
    ref["tfop_wrong_scale"] = _predict(tf_op, x_sq / 255.0)

    # a tf_keras SavedModel folder with Rescaling inside
    sm = k.Sequential([k.Input(shape), k.layers.Rescaling(1.0 / 255), k.layers.Conv2D(8, 3, activation="relu"),
                       k.layers.GlobalAveragePooling2D(), k.layers.Dense(3, activation="softmax")],
                      name="rescaled")
    _set_weights(sm, 4)
    sm.save(str(out / "savedmodel_rescaling"), save_format="tf")
    ref["savedmodel_rescaling"] = _predict(sm, x_sq)
    ref["savedmodel_rescaling_wrong_scale"] = _predict(sm, x_sq / 255.0)
    # a Lambda layer (Keras 2 runs its marshalled code on load) and a custom class nobody provides
    lam = k.Sequential([k.Input((8, 8, 3)), k.layers.Lambda(lambda t: t * 2.0), k.layers.Flatten(),
                        k.layers.Dense(2, activation="softmax")], name="with_lambda")
    (out / "unsafe").mkdir(parents=True, exist_ok=True)
    lam.save(out / "unsafe" / "lambda.h5")

    class Doubler(k.layers.Layer):
        def call(self, t):
            return t * 2.0

    cus = k.Sequential([k.Input((8, 8, 3)), Doubler(), k.layers.Flatten(), k.layers.Dense(2, activation="softmax")])
    cus.save(out / "unsafe" / "custom.h5")
    for name in ("tm", "transfer", "tfop", "savedmodel_rescaling"):
        delta = np.max(np.abs(np.array(ref[name]) - np.array(ref[name + "_wrong_scale"])))
        if delta < 0.05:
            raise SystemExit(f"{name}: a wrong input scale changes the scores by only {delta:.3g}")
    (out / "reference.json").write_text(json.dumps(ref))
    return ref


if __name__ == "__main__":
    build(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
