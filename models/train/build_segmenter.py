"""Train the bundled demo segmenter ``models/segmenter.keras`` (+ sidecar) on generated scenes of shapes.

    .venv/bin/python models/train/build_segmenter.py [--train N] [--epochs E]

Data: the same ``scenes_data`` scenes as the detector (letterboxed to 128x128, seeds 11 / 13).
The model is fully convolutional: RGB 128x128 pixels in 0..255 (``Rescaling(1/255)`` first), an
encoder down to stride 16 with dilated convolutions for context, a decoder with skips back to full
size, and ONE output ``[1, 128, 128, 7]`` softmax: background, then the six shapes. Prints and writes
``models/train/segmenter_report.json``: IoU per class over the held-out scenes' picture pixels (the
letterbox bars left out) and their mean (background included).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scenes_train as st  # noqa: E402
from scenes_data import CLASSES  # noqa: E402

LABELS = ("background", *CLASSES)


def build_model(widths=(16, 32, 64, 80)):
    import keras
    from keras import layers

    def conv(x, filters, stride=1, dilation=1, name=""):
        x = layers.Conv2D(filters, 3, strides=stride, dilation_rate=dilation, padding="same", use_bias=False,
                          name=f"{name}_conv")(x)
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
        return layers.ReLU(name=f"{name}_relu")(x)

    def sep(x, filters, name=""):
        x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
        return layers.ReLU(name=f"{name}_relu")(x)

    inp = keras.Input((st.SIZE, st.SIZE, 3), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inp)
    s64 = conv(x, widths[0], 2, name="e1")  # 64
    s32 = conv(conv(s64, widths[1], 2, name="e2"), widths[1], name="e2b")  # 32
    x = conv(s32, widths[2], 2, name="e3")  # 16
    x = conv(x, widths[3], name="e4")
    x = conv(x, widths[3], dilation=2, name="e5")
    x = conv(x, widths[3], dilation=4, name="e6")
    x = layers.Conv2D(widths[1], 1, name="d32_in")(x)  # narrow before going up: a cheap decoder
    x = layers.UpSampling2D(interpolation="bilinear", name="up32")(x)
    x = sep(layers.Concatenate(name="skip32")([x, s32]), widths[1], name="d32")
    x = layers.Conv2D(widths[0], 1, name="d64_in")(x)
    x = layers.UpSampling2D(interpolation="bilinear", name="up64")(x)
    x = sep(layers.Concatenate(name="skip64")([x, s64]), widths[0], name="d64")
    x = layers.Conv2D(len(LABELS), 1, name="logits")(x)
    x = layers.UpSampling2D(interpolation="bilinear", name="up128")(x)
    out = layers.Softmax(name="probs")(x)
    return keras.Model(inp, out, name="shapes_segmenter")


def main(argv=None) -> int:
    args = st.train_args(__doc__, 4, "segmenter.keras", argv)
    tr, te, t_data = st.scenes(args)
    keras, tf = st.setup_tf()
    batch = 32
    ds = (tf.data.Dataset.from_tensor_slices((tr["x"], tr["cmap"])).shuffle(len(tr["x"]), seed=0).batch(batch)
          .map(lambda x, y: (tf.cast(x, tf.float32), tf.cast(y, tf.int32))).prefetch(2))
    model = build_model()
    st.compile_cosine(keras, model, len(tr["x"]), batch, args.epochs, "sparse_categorical_crossentropy")
    t1 = time.monotonic()
    model.fit(ds, epochs=args.epochs, verbose=2)
    t_train = time.monotonic() - t1

    call = tf.function(lambda x: model(x, training=False))
    pred = np.concatenate([np.argmax(call(tf.constant(te["x"][i:i + 100], tf.float32)).numpy(), -1)
                           for i in range(0, len(te["x"]), 100)])
    ious = st.class_iou(pred, te["cmap"], te["valid"], len(LABELS))
    miou = float(ious.mean())
    report = {"mean_iou": round(miou, 4), "iou_per_class": {c: round(float(v), 4) for c, v in zip(LABELS, ious, strict=True)},
              "pixel_accuracy": round(float((pred[te["valid"]] == te["cmap"][te["valid"]]).mean()), 4),
              "test_scenes": len(te["x"]), "train_scenes": len(tr["x"]), "epochs": args.epochs,
              "params": int(model.count_params()), "data_seconds": round(t_data), "train_seconds": round(t_train)}
    sidecar = {
        "task": "segmenter",
        "labels": list(LABELS),
        "preprocess": st.PREPROCESS,
        "notes": (f"Demo shape segmenter trained on procedurally generated scenes of 1-5 shapes "
                  f"(models/train/build_segmenter.py). Held-out mean IoU {miou:.3f} (7 classes, "
                  f"background included) on {len(te['x'])} scenes. One output [1, 128, 128, 7] "
                  f"softmax. Pixels 0..255 in; scaling happens inside the model."),
    }
    st.save(model, build_model, args.out, sidecar, report, "segmenter_report.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
