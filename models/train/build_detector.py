"""Train the bundled demo detector ``models/detector.keras`` (+ sidecar) on generated scenes of shapes.

    .venv/bin/python models/train/build_detector.py [--train N] [--epochs E]

Data: ``scenes_data`` scenes (1-5 shapes each), letterboxed to 128x128 like the app; seeds fixed:
training 11, held-out test 13. The model takes RGB 128x128 pixels in 0..255 (``Rescaling(1/255)``
is its first layer) and has ONE output ``[1, 256, 4 + 6]``: one row per cell of a 16x16 grid
(stride 8), centre x, y, width, height normalised to the input (0..1, the cell offsets are baked in
by a constant ``Rescaling`` layer), then six sigmoid class scores; no objectness. Each shape
belongs to the cell holding its centre: binary cross-entropy on the class scores of every cell, L1
and GIoU on the boxes of those cells. Prints and writes ``models/train/detector_report.json``:
VOC AP@0.5 per class on the held-out scenes (best class per cell, score >= 0.01, class-aware NMS
at IoU 0.5), and their mean.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scenes_train as st  # noqa: E402
from scenes_data import CLASSES, MAX_SHAPES  # noqa: E402

from livepredict.core.boxes import nms  # noqa: E402

GRID = 16
NC = len(CLASSES)
SCORE_FLOOR, NMS_IOU = 0.01, 0.5


def grid_scale_offset() -> tuple[np.ndarray, np.ndarray]:
    """Per-row (scale, offset) that turn sigmoid outputs into normalised cx, cy, w, h, scores."""
    gy, gx = np.mgrid[0:GRID, 0:GRID]
    scale = np.ones((GRID * GRID, 4 + NC), np.float32)
    offset = np.zeros((GRID * GRID, 4 + NC), np.float32)
    scale[:, 0:2] = 1.0 / GRID
    offset[:, 0] = gx.reshape(-1) / GRID
    offset[:, 1] = gy.reshape(-1) / GRID
    return scale, offset


def build_model(widths=(16, 32, 64, 80)):
    import keras
    from keras import layers

    def conv(x, filters, stride=1, dilation=1, name=""):
        x = layers.Conv2D(filters, 3, strides=stride, dilation_rate=dilation, padding="same", use_bias=False,
                          name=f"{name}_conv")(x)
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
        return layers.ReLU(name=f"{name}_relu")(x)

    inp = keras.Input((st.SIZE, st.SIZE, 3), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inp)
    x = conv(x, widths[0], 2, name="b1")  # 64
    x = conv(x, widths[1], 2, name="b2")  # 32
    x = conv(x, widths[1], name="b2b")
    x = conv(x, widths[2], 2, name="b3")  # 16
    x = conv(x, widths[3], name="b4")
    x = conv(x, widths[3], dilation=2, name="b5")
    x = conv(x, widths[3], dilation=4, name="b6")
    x = layers.Conv2D(4 + NC, 1, activation="sigmoid", name="head")(x)
    x = layers.Reshape((GRID * GRID, 4 + NC), name="cells")(x)
    scale, offset = grid_scale_offset()
    out = layers.Rescaling(scale.tolist(), offset.tolist(), name="boxes_scores")(x)
    return keras.Model(inp, out, name="shapes_detector")


def targets(boxes: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """(n, cells, 4 + NC + 1): normalised cx, cy, w, h, one-hot class, 1 on the centre cell."""
    n = len(boxes)
    y = np.zeros((n, GRID * GRID, 4 + NC + 1), np.float32)
    for i in range(n):
        for j in range(MAX_SHAPES):
            k = classes[i, j]
            if k < 0:
                continue
            x0, y0, x1, y1 = boxes[i, j] / st.SIZE
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            cell = min(GRID - 1, int(cy * GRID)) * GRID + min(GRID - 1, int(cx * GRID))
            if y[i, cell, -1]:  # two centres in one cell: the first one keeps it
                continue
            y[i, cell, :4] = (cx, cy, x1 - x0, y1 - y0)
            y[i, cell, 4 + k] = 1.0
            y[i, cell, -1] = 1.0
    return y


def make_loss(tf):
    def corners(b):
        return b[..., 0] - b[..., 2] / 2, b[..., 1] - b[..., 3] / 2, b[..., 0] + b[..., 2] / 2, b[..., 1] + b[..., 3] / 2

    def loss(y_true, y_pred):
        pos = y_true[..., -1]
        npos = tf.maximum(tf.reduce_sum(pos), 1.0)
        p = tf.clip_by_value(y_pred[..., 4:], 1e-6, 1 - 1e-6)
        t = y_true[..., 4:4 + NC]
        bce = -(t * tf.math.log(p) + (1 - t) * tf.math.log(1 - p))
        cls = tf.reduce_sum(bce) / npos
        l1 = tf.reduce_sum(tf.abs(y_true[..., :4] - y_pred[..., :4]) * GRID, -1)
        ax0, ay0, ax1, ay1 = corners(y_true[..., :4])
        bx0, by0, bx1, by1 = corners(y_pred[..., :4])
        inter = tf.nn.relu(tf.minimum(ax1, bx1) - tf.maximum(ax0, bx0)) * tf.nn.relu(tf.minimum(ay1, by1) - tf.maximum(ay0, by0))
        union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter + 1e-9
        hull = (tf.maximum(ax1, bx1) - tf.minimum(ax0, bx0)) * (tf.maximum(ay1, by1) - tf.minimum(ay0, by0)) + 1e-9
        giou = inter / union - (hull - union) / hull
        box = tf.reduce_sum(pos * (l1 + 2.0 * (1 - giou))) / npos
        return cls + box

    return loss


def decode(out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One picture's (cells, 4 + NC) output as (boxes x0 y0 x1 y1 in model pixels, scores, classes)."""
    k = out[:, 4:].argmax(1)
    s = out[np.arange(len(out)), 4 + k]
    m = s >= SCORE_FLOOR
    c = out[m, :4] * st.SIZE
    b = np.stack([c[:, 0] - c[:, 2] / 2, c[:, 1] - c[:, 3] / 2, c[:, 0] + c[:, 2] / 2, c[:, 1] + c[:, 3] / 2], 1)
    keep = nms(b, s[m], NMS_IOU, k[m])
    return b[keep], s[m][keep], k[m][keep]


def main(argv=None) -> int:
    args = st.train_args(__doc__, 6, "detector.keras", argv)
    tr, te, t_data = st.scenes(args)
    keras, tf = st.setup_tf()
    y_tr = targets(tr["boxes"], tr["classes"])
    batch = 32
    ds = (tf.data.Dataset.from_tensor_slices((tr["x"], y_tr)).shuffle(len(y_tr), seed=0).batch(batch)
          .map(lambda x, y: (tf.cast(x, tf.float32), y)).prefetch(2))
    model = build_model()
    head = model.get_layer("head")
    bias = np.zeros(4 + NC, np.float32)
    bias[4:] = -4.0  # class scores start near the prior (few cells hold a shape): a calm first epoch
    head.set_weights([head.get_weights()[0], bias])
    st.compile_cosine(keras, model, len(y_tr), batch, args.epochs, make_loss(tf))
    t1 = time.monotonic()
    model.fit(ds, epochs=args.epochs, verbose=2)
    t_train = time.monotonic() - t1

    call = tf.function(lambda x: model(x, training=False))
    outs = np.concatenate([call(tf.constant(te["x"][i:i + 100], tf.float32)).numpy()
                           for i in range(0, len(te["x"]), 100)])
    preds = [decode(o) for o in outs]
    aps = st.mean_ap(preds, te["boxes"], te["classes"], NC, 0.5)
    m_ap = float(np.nanmean(list(aps.values())))
    report = {"map50": round(m_ap, 4), "ap50_per_class": {CLASSES[c]: round(v, 4) for c, v in aps.items()},
              "test_scenes": len(te["x"]), "test_shapes": int((te["classes"] >= 0).sum()),
              "train_scenes": len(y_tr), "epochs": args.epochs, "params": int(model.count_params()),
              "data_seconds": round(t_data), "train_seconds": round(t_train),
              "decode": f"best class per cell, score >= {SCORE_FLOOR}, class-aware NMS IoU {NMS_IOU}"}
    sidecar = {
        "task": "object-detector",
        "labels": list(CLASSES),
        "preprocess": st.PREPROCESS,
        "decoder": {"type": "yolo", "box_format": "cxcywh", "normalized": True},
        "notes": (f"Demo shape detector trained on procedurally generated scenes of 1-5 shapes "
                  f"(models/train/build_detector.py). Held-out mAP@0.5 {m_ap:.3f} on {len(te['x'])} "
                  f"scenes. One output [1, 256, 10]: 16x16 cells, cx cy w h normalised, 6 sigmoid "
                  f"class scores. Pixels 0..255 in; scaling happens inside the model."),
    }
    st.save(model, build_model, args.out, sidecar, report, "detector_report.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
