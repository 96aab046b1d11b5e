"""Train the bundled demo classifier ``models/shapes.keras`` (+ its sidecar) from generated shapes.

    .venv/bin/python models/train/build_shapes.py [--train N] [--epochs E] [--workers W]

Data: ``shapes_data.make_dataset`` (procedural, no downloads), seeds fixed: training 1,
validation 2, held-out test 3 (mixed looks) and 4 (hand-drawn paper photos only). The model takes
RGB 96x96 pixels in 0..255 (``Rescaling(1/255)`` is its first layer) and ends in a softmax.
Prints the held-out accuracy, per class and per look and the confusion matrix, writes them to
``models/train/shapes_report.json`` (when saving the bundled model) and a summary into the
sidecar's notes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent
sys.path.insert(0, str(HERE))

import shapes_data  # noqa: E402

SIZE = 96
SEED_TRAIN, SEED_VAL, SEED_TEST, SEED_PAPER = 1, 2, 3, 4
PREPROCESS = {"size": [SIZE, SIZE], "resize": "squash", "interpolation": "bilinear", "color": "rgb",
              "scale": "none", "dtype": "float32"}


def build_model(n_classes: int, widths=(24, 48, 96, 128)):
    import keras
    from keras import layers

    def block(x, filters, stride=1, pool=True, name=""):
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
        x = layers.ReLU(name=f"{name}_relu")(x)
        if pool:
            x = layers.MaxPooling2D(name=f"{name}_pool")(x)
        return x

    inp = keras.Input((SIZE, SIZE, 3), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inp)
    x = block(x, widths[0], stride=2, name="b1")  # 48 -> 24
    x = block(x, widths[1], name="b2")  # 24 -> 12
    x = block(x, widths[2], name="b3")  # 12 -> 6
    x = block(x, widths[3], pool=False, name="b4")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.2, name="dropout")(x)
    out = layers.Dense(n_classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="shapes")


def _augment(tf):
    def f(x, y):
        x = tf.image.random_flip_left_right(x)
        x = tf.image.random_flip_up_down(x)
        x = tf.image.rot90(x, tf.random.uniform([], 0, 4, tf.int32))
        return x, y

    return f


def evaluate(model_call, x, y, batch: int = 256):
    import numpy as np

    pred = np.concatenate([np.argmax(model_call(x[i:i + batch]), 1) for i in range(0, len(x), batch)])
    return pred, float((pred == y).mean())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=22000, help="training pictures (default 22000)")
    ap.add_argument("--val", type=int, default=2000)
    ap.add_argument("--test", type=int, default=4000)
    ap.add_argument("--paper-test", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2, help="processes generating pictures")
    ap.add_argument("--out", type=Path, default=MODELS / "shapes.keras")
    args = ap.parse_args(argv)

    classes = shapes_data.CLASSES
    t0 = time.monotonic()
    x_tr, y_tr = shapes_data.make_dataset(args.train, SEED_TRAIN, SIZE, workers=args.workers)
    x_va, y_va = shapes_data.make_dataset(args.val, SEED_VAL, SIZE, workers=args.workers)
    x_te, y_te = shapes_data.make_dataset(args.test, SEED_TEST, SIZE, workers=args.workers)
    x_pa, y_pa = shapes_data.make_dataset(args.paper_test, SEED_PAPER, SIZE, style="paper",
                                          workers=args.workers)
    t_data = time.monotonic() - t0
    print(f"generated {len(x_tr)} train / {len(x_va)} val / {len(x_te)} test / {len(x_pa)} paper "
          f"pictures in {t_data:.0f} s", flush=True)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(0)

    batch = 64
    ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr)).shuffle(len(x_tr), seed=0)
          .map(_augment(tf), num_parallel_calls=1).batch(batch)
          .map(lambda x, y: (tf.cast(x, tf.float32), y)).prefetch(2))
    val = (x_va.astype(np.float32), y_va)
    model = build_model(len(classes))
    steps = args.epochs * ((len(x_tr) + batch - 1) // batch)
    lr = keras.optimizers.schedules.CosineDecay(1e-3, steps, warmup_target=3e-3,
                                                warmup_steps=steps // 10)
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    t1 = time.monotonic()
    model.fit(ds, epochs=args.epochs, validation_data=val, verbose=2)
    t_train = time.monotonic() - t1

    call = tf.function(lambda x: model(x, training=False))
    pred_te, acc_te = evaluate(lambda b: call(tf.constant(b, tf.float32)).numpy(), x_te, y_te)
    pred_pa, acc_pa = evaluate(lambda b: call(tf.constant(b, tf.float32)).numpy(), x_pa, y_pa)
    per_class = {c: float((pred_te[y_te == i] == i).mean()) for i, c in enumerate(classes)}
    confusion = np.zeros((len(classes), len(classes)), int)
    np.add.at(confusion, (y_te, pred_te), 1)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    # save an uncompiled copy: no optimizer state (a third of the size) and no training config
    bare = build_model(len(classes))
    bare.set_weights(model.get_weights())
    bare.save(args.out)
    size_kb = args.out.stat().st_size / 1024
    metrics = {
        "test_accuracy": round(acc_te, 4), "test_images": len(x_te),
        "paper_accuracy": round(acc_pa, 4), "paper_images": len(x_pa),
        "per_class": {k: round(v, 4) for k, v in per_class.items()},
        "train_images": len(x_tr), "epochs": args.epochs, "params": int(model.count_params()),
        "data_seconds": round(t_data), "train_seconds": round(t_train), "size_kb": round(size_kb),
    }
    sidecar = {
        "task": "image-classifier",
        "labels": list(classes),
        "preprocess": PREPROCESS,
        "notes": (f"Demo shape classifier trained on procedurally generated pictures "
                  f"(models/train/build_shapes.py). Held-out accuracy {acc_te:.1%} on {len(x_te)} "
                  f"generated pictures, {acc_pa:.1%} on {len(x_pa)} hand-drawn paper photos. "
                  f"Pixels 0..255 in; scaling happens inside the model."),
    }
    side_path = args.out.with_name(args.out.name + ".livepredict.json")
    side_path.write_text(json.dumps(sidecar, indent=2) + "\n")
    print("confusion (rows = true, cols = predicted):", list(classes))
    for c, row in zip(classes, confusion, strict=True):
        print(f"  {c:>9} {row.tolist()}")
    metrics["confusion"] = {"classes": list(classes), "rows_true_cols_predicted": confusion.tolist()}
    print(json.dumps(metrics, indent=2))
    if args.out.resolve() == (MODELS / "shapes.keras").resolve():
        (HERE / "shapes_report.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(f"saved {args.out} ({size_kb:.0f} KB) and {side_path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
