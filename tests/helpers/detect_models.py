"""Tiny real detectors and segmenters whose outputs encode where a bright shape is (no training).

Every model finds the bounding box of the pixels brighter than mid-grey in its input with
standard layers only (no Lambda, so they open without --trust): a 1x1 convolution and a clipped
ReLU make a 0/1 mask, a Dense layer fed a constant 1 makes the coordinate maps, and a global max
of mask x coordinates gives x0, y0, x1, y1 in model-input pixels (pixel edges). A head then lays
the box out as each detector layout does (YOLO raw in both axis orders, with objectness,
end-to-end, Keras dict outputs, raw SSD regressors against anchors); the mask itself gives the
segmenters. ``tf_box`` does the same with TensorFlow ops for the SavedModel/TFLite fixtures.

Class scores are constants: the shape is class 1 (``LABELS[1]``) with score 0.9.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

H, W = 32, 32
LABELS = ["circle", "square", "triangle"]
SCORE = 0.9


def keras():
    import keras as _keras

    return _keras


def picture(h: int, w: int, box: tuple[int, int, int, int], value: int = 255) -> np.ndarray:
    """A black RGB picture with a filled rectangle ``box`` (x0, y0, x1, y1, pixel edges)."""
    im = np.zeros((h, w, 3), np.uint8)
    im[box[1]:box[3], box[0]:box[2]] = value
    return im


def _mask_and_box(k, size=(H, W), rescale: bool = True):
    """``rescale``: the model takes 0..255 pixels (a Rescaling layer), else 0..1."""
    h, w = size
    inp = k.Input((h, w, 3), name="image")
    bright = k.layers.Conv2D(1, 1, name="bright")
    m = k.layers.ReLU(max_value=1.0, name="mask")(bright(k.layers.Rescaling(1.0 / 255.0)(inp) if rescale else inp))
    ones = k.layers.Conv2D(1, 1, name="ones")
    one = k.layers.GlobalAveragePooling2D()(ones(inp))
    coords = k.layers.Dense(4 * h * w, use_bias=False, name="coords")
    maps = k.layers.Reshape((4, h * w))(coords(one))
    rep = k.layers.RepeatVector(4)(k.layers.Flatten()(m))
    best = k.layers.GlobalMaxPooling1D()(k.layers.Permute((2, 1))(k.layers.Multiply()([rep, maps])))
    to_box = k.layers.Dense(4, name="box")
    box = to_box(best)
    weights = []
    weights.append((bright, [np.full((1, 1, 3, 1), 1000.0 / 3, np.float32), np.array([-500.0], np.float32)]))
    weights.append((ones, [np.zeros((1, 1, 3, 1), np.float32), np.ones(1, np.float32)]))
    xs = np.tile(np.arange(w), h).astype(np.float32)
    ys = np.repeat(np.arange(h), w).astype(np.float32)
    weights.append((coords, [np.concatenate([xs + 1, ys + 1, w - xs, h - ys])[None, :]]))
    # x0 = w - max(m (w - x)), y0 = h - max(m (h - y)), x1 = max(m (x + 1)), y1 = max(m (y + 1))
    kb = np.zeros((4, 4), np.float32)
    kb[2, 0], kb[3, 1], kb[0, 2], kb[1, 3] = -1, -1, 1, 1
    weights.append((to_box, [kb, np.array([w, h, 0, 0], np.float32)]))
    return inp, m, box, weights


def _finish(model, weights):
    for layer, w in weights:
        layer.set_weights(w)
    return model


def _affine(k, box, rows: list[tuple[list[float], float]], name: str):
    """A Dense layer from the box (x0, y0, x1, y1) with one (weights, bias) per output unit."""
    dense = k.layers.Dense(len(rows), name=name)
    kernel = np.array([r[0] for r in rows], np.float32).T
    bias = np.array([r[1] for r in rows], np.float32)
    return dense(box), (dense, [kernel, bias])


def _box_rows(fmt: str, size=(H, W), normalized: bool = True) -> list[tuple[list[float], float]]:
    h, w = size
    sx, sy = (1.0 / w, 1.0 / h) if normalized else (1.0, 1.0)
    if fmt == "cxcywh":
        return [([0.5 * sx, 0, 0.5 * sx, 0], 0.0), ([0, 0.5 * sy, 0, 0.5 * sy], 0.0),
                ([-sx, 0, sx, 0], 0.0), ([0, -sy, 0, sy], 0.0)]
    if fmt == "yxyx":
        return [([0, sy, 0, 0], 0.0), ([sx, 0, 0, 0], 0.0), ([0, 0, 0, sy], 0.0), ([0, 0, sx, 0], 0.0)]
    return [([sx, 0, 0, 0], 0.0), ([0, sy, 0, 0], 0.0), ([0, 0, sx, 0], 0.0), ([0, 0, 0, sy], 0.0)]


ZERO = [0.0, 0.0, 0.0, 0.0]


def build_yolo(n: int = 16, nc: int = 3, transposed: bool = False, objectness: bool = False,
               normalized: bool = True, size=(H, W), rescale: bool = True):
    """YOLO raw: ``[1, N, 4 + nc]`` (``transposed``: ``[1, 4 + nc, N]``), cx, cy, w, h then sigmoid class
    scores (``objectness``: an objectness column before them). Candidate 0 is the shape (class 1,
    0.9); candidate 1 the same box 1 px wider with 0.6 (NMS removes it); the rest score 0."""
    k = keras()
    inp, _, box, weights = _mask_and_box(k, size, rescale)
    ch = 4 + nc + (1 if objectness else 0)
    rows: list[tuple[list[float], float]] = []
    for i in range(n):
        if i < 2:
            geo = _box_rows("cxcywh", size, normalized)
            if i == 1:
                geo[2] = (geo[2][0], (1.0 / size[1]) if normalized else 1.0)
            rows.extend(geo)
            score = SCORE if i == 0 else 0.6
            if objectness:
                rows.append((ZERO, 1.0))
            rows.extend((ZERO, score if c == 1 else 0.01) for c in range(nc))
        else:
            rows.extend((ZERO, 0.0) for _ in range(ch))
    flat, w = _affine(k, box, rows, "head")
    out = k.layers.Reshape((n, ch))(flat)
    if transposed:
        out = k.layers.Permute((2, 1))(out)
    return _finish(k.Model(inp, out, name="yolo"), weights + [w])


def build_end_to_end(k_boxes: int = 10, size=(H, W)):
    """``[1, K, 6]``: x0, y0, x1, y1 (pixels), score, class; one real row, the rest score 0."""
    k = keras()
    inp, _, box, weights = _mask_and_box(k, size)
    rows = _box_rows("xyxy", size, normalized=False) + [(ZERO, SCORE), (ZERO, 1.0)]
    rows += [(ZERO, 0.0)] * (6 * (k_boxes - 1))
    flat, w = _affine(k, box, rows, "head")
    return _finish(k.Model(inp, k.layers.Reshape((k_boxes, 6))(flat), name="e2e"), weights + [w])


def build_dict_detector(k_boxes: int = 5, size=(H, W)):
    """Keras dict outputs ``boxes`` (xyxy pixels), ``confidence``, ``classes``, ``num_detections``,
    padded with -1 after the one detection."""
    k = keras()
    inp, _, box, weights = _mask_and_box(k, size)
    geo = _box_rows("xyxy", size, normalized=False) + [(ZERO, -1.0)] * (4 * (k_boxes - 1))
    boxes, wb = _affine(k, box, geo, "boxes_dense")
    conf, wc = _affine(k, box, [(ZERO, SCORE)] + [(ZERO, -1.0)] * (k_boxes - 1), "confidence_dense")
    cls, wk = _affine(k, box, [(ZERO, 1.0)] + [(ZERO, -1.0)] * (k_boxes - 1), "classes_dense")
    num, wn = _affine(k, box, [(ZERO, 1.0)], "num_dense")
    outputs = {"boxes": k.layers.Reshape((k_boxes, 4), name="boxes")(boxes),
               "confidence": k.layers.Identity(name="confidence")(conf),
               "classes": k.layers.Identity(name="classes")(cls),
               "num_detections": k.layers.Identity(name="num_detections")(num)}
    return _finish(k.Model(inp, outputs, name="dict_detector"), weights + [wb, wc, wk, wn])


def build_anchor_detector(keypoints: int = 2, size=(H, W)):
    """MediaPipe-style raw SSD: regressors ``[1, N, 4 + 2k]`` and score logits ``[1, N, 1]`` for the
    anchors of strides 8, 16, 16, 16 (fixed size 1, offsets in input pixels). Every anchor regresses
    to the shape's box; anchors 0 and 5 score high (weighted NMS merges them), the rest low."""
    from livepredict.inference.heads import anchors as ssd

    k = keras()
    inp, _, box, weights = _mask_and_box(k, size)
    h, w = size
    opts = dict(ssd.DEFAULTS)
    grid = ssd.generate(opts, size)
    width = 4 + 2 * keypoints
    rows: list[tuple[list[float], float]] = []
    for ax, ay, _, _ in grid:
        rows += [([0.5, 0, 0.5, 0], -ax * w), ([0, 0.5, 0, 0.5], -ay * h), ([-1, 0, 1, 0], 0.0), ([0, -1, 0, 1], 0.0)]
        rows += [(ZERO, 0.0)] * (width - 4)
    reg, wr = _affine(k, box, rows, "regressors_dense")
    logits = [(ZERO, 5.0 if i in (0, 5) else -5.0) for i in range(len(grid))]
    sc, ws = _affine(k, box, logits, "scores_dense")
    n = len(grid)
    out = [k.layers.Reshape((n, width), name="regressors")(reg), k.layers.Reshape((n, 1), name="classificators")(sc)]
    return _finish(k.Model(inp, out, name="anchors"), weights + [wr, ws])


def build_segmenter(layout: str = "softmax", size=(H, W)):
    """The mask as ``softmax`` ``[1, H, W, 2]`` (background, shape), ``sigmoid`` ``[1, H, W, 1]`` or
    ``classes`` ``[1, H, W]`` (class id 2 on the shape, 0 elsewhere)."""
    k = keras()
    inp, m, _, weights = _mask_and_box(k, size)
    weights = weights[:1]  # the mask only
    if layout == "softmax":
        conv = k.layers.Conv2D(2, 1, activation="softmax", name="classes")
        out = conv(m)
        weights.append((conv, [np.array([[[[-20.0, 20.0]]]], np.float32), np.array([10.0, -10.0], np.float32)]))
    elif layout == "sigmoid":
        conv = k.layers.Conv2D(1, 1, activation="sigmoid", name="mask_out")
        out = conv(m)
        weights.append((conv, [np.array([[[[20.0]]]], np.float32), np.array([-10.0], np.float32)]))
    else:
        conv = k.layers.Conv2D(1, 1, name="ids")
        out = k.layers.Reshape(size)(conv(m))
        weights.append((conv, [np.array([[[[2.0]]]], np.float32), np.zeros(1, np.float32)]))
    model = k.Model(inp, out, name=f"seg_{layout}")
    for layer, wts in weights:
        layer.set_weights(wts)
    return model


# ---------------------------------------------------------------- TensorFlow-op fixtures

def tf_box(img, size=(H, W)):
    """x0, y0, x1, y1 (model pixels) of the bright pixels of ``img`` [1, h, w, 3], TensorFlow ops."""
    import tensorflow as tf

    h, w = size
    m = tf.cast(tf.reduce_mean(tf.cast(img, tf.float32), axis=-1)[0] > 127.5, tf.float32)
    xs = tf.range(w, dtype=tf.float32)[None, :]
    ys = tf.range(h, dtype=tf.float32)[:, None]
    x1 = tf.reduce_max(m * (xs + 1.0))
    y1 = tf.reduce_max(m * (ys + 1.0))
    x0 = w - tf.reduce_max(m * (w - xs))
    y0 = h - tf.reduce_max(m * (h - ys))
    return x0, y0, x1, y1


OTHER_BOX = (0.0, 0.0, 0.25, 0.25)  # yxyx normalised: a constant second detection, class 2 (0-based), 0.6


def _listed(img, size=(H, W), k_boxes: int = 4):
    """(boxes yxyx normalised [1, K, 4], 0-based classes [1, K], scores [1, K], count [1])."""
    import tensorflow as tf

    h, w = size
    x0, y0, x1, y1 = tf_box(img, size)
    first = tf.stack([y0 / h, x0 / w, y1 / h, x1 / w])
    rows = [first, tf.constant(OTHER_BOX, tf.float32)] + [tf.zeros(4)] * (k_boxes - 2)
    boxes = tf.stack(rows)[None]
    classes = tf.constant([[1.0, 2.0] + [0.0] * (k_boxes - 2)])
    scores = tf.constant([[SCORE, 0.6] + [0.0] * (k_boxes - 2)])
    return boxes, classes, scores, tf.constant([2.0])


def save_od_api(path: Path, size=(H, W)) -> Path:
    """A ``tf.Module`` SavedModel with the TF Object Detection API's output names (uint8 input)."""
    import tensorflow as tf

    class Detector(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, size[0], size[1], 3], tf.uint8, name="input_tensor")])
        def serve(self, input_tensor):
            boxes, classes, scores, count = _listed(input_tensor, size)
            return {"detection_boxes": boxes, "detection_classes": classes + 1.0, "detection_scores": scores,
                    "num_detections": count, "raw_detection_scores": tf.zeros([1, 8, 4])}

    mod = Detector()
    with contextlib.redirect_stdout(io.StringIO()):
        tf.saved_model.save(mod, str(path), signatures={"serving_default": mod.serve})
    return path


def postprocess_tflite(order: str, size=(H, W)) -> bytes:
    """A LiteRT file with the detection post-process op's four outputs in the ``tf1`` order (boxes,
    classes, scores, count) or the ``tf2`` order (scores, boxes, count, classes)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, size[0], size[1], 3], tf.float32)])
    def detect(image):
        boxes, classes, scores, count = _listed(image * 255.0, size)
        if order == "tf1":
            return boxes, classes, scores, count
        return scores, boxes, count, classes

    cf = detect.get_concrete_function()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([cf], detect)
    with contextlib.redirect_stdout(io.StringIO()):
        return bytes(conv.convert())


def append_metadata(tflite: Path, names: list[str], task: str = "detect", size=(H, W)) -> Path:
    """Append a zip archive holding ``metadata.json`` (names, imgsz, task) as a YOLO exporter does."""
    meta = {"description": "test", "task": task, "imgsz": list(size), "names": dict(enumerate(names)),
            "stride": 32, "batch": 1}
    with zipfile.ZipFile(tflite, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", json.dumps(meta))
    return tflite


def write_sidecar(model_path: Path, data: dict) -> None:
    Path(str(model_path) + ".livepredict.json").write_text(json.dumps(data), encoding="utf-8")
