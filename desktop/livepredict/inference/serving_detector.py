"""``DetectorHead`` in an exported SavedModel: boxes, scores and labels in the original picture's pixels.

The same steps as the app (``heads/decoders.py`` then ``core.boxes.make_detections``), as TensorFlow
operations on each picture of the batch: the layout's decoder gives candidate boxes in model-input
pixels (normalised boxes scaled, logits through a sigmoid, decided from the values as the app does),
the placement of the resize (``core.geometry.placement``'s arithmetic) maps them to the original
picture and clips them, broken boxes are dropped, and class-aware greedy NMS at the head's score and
IoU thresholds keeps the detections, best first, padded to ``MAX_DETECTIONS`` (score 0, class -1).
The raw-anchor decoder (MediaPipe-style SSD, weighted NMS) is not exported.
"""

from __future__ import annotations

from typing import Any

from livepredict.inference.serving_heads import ServingContext, serving_outputs

MAX_DETECTIONS = 100  # per picture: the outputs are (N, MAX_DETECTIONS, ...) tensors
EXPORTED_DECODERS = ("yolo", "yolo-objectness", "end-to-end", "od-api", "ssd-postprocess", "dict")
_FLOOR = 0.05


def _xyxy(tf: Any, b: Any, fmt: str) -> Any:
    if fmt == "yxyx":
        return tf.gather(b, [1, 0, 3, 2], axis=1)
    if fmt == "cxcywh":
        hw, hh = b[:, 2] * 0.5, b[:, 3] * 0.5
        return tf.stack([b[:, 0] - hw, b[:, 1] - hh, b[:, 0] + hw, b[:, 1] + hh], axis=1)
    return b


def _pixels(tf: Any, xyxy: Any, normalized: Any, hw: tuple[int, int]) -> Any:
    """Normalised boxes scaled to the model input; ``normalized`` None: guessed from the values."""
    if normalized is None:
        finite = tf.boolean_mask(xyxy, tf.math.is_finite(xyxy))
        normalized = tf.logical_or(tf.size(finite) == 0, tf.reduce_max(tf.abs(finite)) <= 1.5)
    scale = tf.constant([hw[1], hw[0], hw[1], hw[0]], tf.float64)
    return tf.where(tf.cast(normalized, tf.bool), xyxy * scale, xyxy)


def _probabilities(tf: Any, x: Any) -> Any:
    outside = tf.logical_or(tf.reduce_max(x) > 1.0 + 1e-6, tf.reduce_min(x) < -1e-6)
    return tf.where(tf.logical_and(tf.size(x) > 0, outside), tf.sigmoid(x), x)


def _yolo(tf: Any, outs: list[Any], layout: Any, hw: tuple[int, int]) -> tuple[Any, Any, Any]:
    a = tf.cast(outs[layout.roles.get("boxes", 0)], tf.float64)
    pred = a if layout.options.get("transposed") else tf.transpose(a)  # (channels, N)
    first = 5 if layout.decoder == "yolo-objectness" else 4
    cls = pred[first:]
    if layout.decoder == "yolo-objectness":
        cls_p = _probabilities(tf, cls) * _probabilities(tf, pred[4])[None, :]
    else:  # logits (judged on the best score of each box, as the app does): a sigmoid
        best = tf.reduce_max(cls, axis=0)
        logits = tf.logical_and(tf.size(best) > 0, tf.logical_or(tf.reduce_max(best) > 1.0 + 1e-6,
                                                                 tf.reduce_min(best) < -1e-6))
        cls_p = tf.where(logits, tf.sigmoid(cls), cls)
    ids = tf.argmax(cls_p, axis=0, output_type=tf.int32)
    scores = tf.reduce_max(cls_p, axis=0)
    boxes = _xyxy(tf, tf.transpose(pred[:4]), layout.options.get("box_format", "cxcywh"))
    return _pixels(tf, boxes, layout.options.get("normalized"), hw), scores, ids


def _end_to_end(tf: Any, outs: list[Any], layout: Any, hw: tuple[int, int]) -> tuple[Any, Any, Any]:
    a = tf.reshape(tf.cast(outs[layout.roles.get("boxes", 0)], tf.float64), [-1, 6])
    boxes = _xyxy(tf, a[:, :4], layout.options.get("box_format", "xyxy"))
    ids = tf.cast(tf.round(a[:, 5]), tf.int32)
    return _pixels(tf, boxes, layout.options.get("normalized"), hw), a[:, 4], ids


def _listed(tf: Any, outs: list[Any], layout: Any, hw: tuple[int, int], fmt: str, normalized: Any,
            scores: Any, classes: Any, offset: int) -> tuple[Any, Any, Any]:
    boxes = tf.reshape(tf.cast(outs[layout.roles["boxes"]], tf.float64), [-1, 4])
    scores = tf.reshape(tf.cast(scores, tf.float64), [-1])
    classes = tf.reshape(tf.cast(classes, tf.float64), [-1])
    n = tf.shape(boxes)[0]
    if "count" in layout.roles:
        c = tf.reshape(tf.cast(outs[layout.roles["count"]], tf.float64), [-1])[0]
        n = tf.where(tf.math.is_finite(c), tf.clip_by_value(tf.cast(c, tf.int32), 0, n), n)
    valid = tf.logical_and(tf.range(tf.shape(boxes)[0]) < n, classes >= 0)
    xyxy = _xyxy(tf, boxes, layout.options.get("box_format", fmt))
    ids = tf.cast(tf.round(classes), tf.int32) + offset
    scores = tf.where(valid, scores, -tf.ones_like(scores))
    return _pixels(tf, xyxy, layout.options.get("normalized", normalized), hw), scores, ids


def _candidates(tf: Any, outs: list[Any], layout: Any, hw: tuple[int, int]) -> tuple[Any, Any, Any]:
    r = layout.roles
    if layout.decoder in ("yolo", "yolo-objectness"):
        return _yolo(tf, outs, layout, hw)
    if layout.decoder == "end-to-end":
        return _end_to_end(tf, outs, layout, hw)
    if layout.decoder == "od-api":
        return _listed(tf, outs, layout, hw, "yxyx", True, outs[r["scores"]], outs[r["classes"]], -1)
    if layout.decoder == "dict":
        return _listed(tf, outs, layout, hw, "xyxy", None, outs[r["scores"]], outs[r["classes"]], 0)
    s = tf.reshape(tf.cast(outs[r["scores"]], tf.float64), [-1])
    c = tf.reshape(tf.cast(outs[r["classes"]], tf.float64), [-1])

    def integral(v: Any) -> Any:
        f = tf.boolean_mask(v, tf.math.is_finite(v))
        return tf.reduce_all(tf.equal(f, tf.round(f)))

    swap = tf.logical_and(tf.size(s) > 0, tf.logical_or(tf.reduce_max(s) > 1.0 + 1e-6,
                                                         tf.logical_and(integral(s), tf.logical_not(integral(c)))))
    s, c = tf.where(swap, c, s), tf.where(swap, s, c)
    return _listed(tf, outs, layout, hw, "yxyx", True, s, c, 0)


def _placement(tf: Any, original_hw: Any, size: tuple[int, int], mode: str) -> tuple[Any, Any, Any]:
    """(scale (sx, sy), pad (px, py), crop (cx, cy)) as ``core.geometry.placement`` computes them."""
    f64 = tf.float64
    h0, w0 = tf.cast(original_hw[0], f64), tf.cast(original_hw[1], f64)
    h, w = float(size[0]), float(size[1])
    zero = tf.constant([0.0, 0.0], f64)
    same = tf.logical_and(tf.equal(h0, h), tf.equal(w0, w))
    if mode == "squash":
        scale = tf.stack([w0 / w, h0 / h])
        return scale, zero, zero
    if mode == "center-crop":
        live, out = w0 / h0, w / h
        cw = tf.where(live >= out, out * h0, w0)
        ch = tf.where(live >= out, h0, w0 / out)
        cw, ch = tf.where(tf.equal(live, out), w0, cw), tf.where(tf.equal(live, out), h0, ch)
        scale = tf.where(same, tf.constant([1.0, 1.0], f64), tf.stack([cw / w, ch / h]))
        crop = tf.where(same, zero, tf.stack([(w0 - cw) * 0.5, (h0 - ch) * 0.5]))
        return scale, zero, crop
    ratio, dest = w0 / h0, w / h
    rh = tf.where(ratio > dest, tf.round(h0 / w0 * w), h)
    rw = tf.where(ratio < dest, tf.round(w0 / h0 * h), w)
    px = tf.where(tf.not_equal(rw, w), tf.round((w - rw) * 0.5), 0.0)
    py = tf.where(tf.logical_and(tf.equal(rw, w), tf.not_equal(rh, h)), tf.round((h - rh) * 0.5), 0.0)
    return tf.stack([w0 / rw, h0 / rh]), tf.stack([px, py]), zero


def _one(tf: Any, head: Any, outs: list[Any], original_hw: Any, spec: Any, labels: Any) -> tuple[Any, ...]:
    hw = head.size
    boxes, scores, ids = _candidates(tf, outs, head.layout, hw)
    if original_hw is None:
        original_hw = tf.constant(hw, tf.int32)
        scale, pad, crop = tf.ones([2], tf.float64), tf.zeros([2], tf.float64), tf.zeros([2], tf.float64)
    else:
        scale, pad, crop = _placement(tf, original_hw, spec.size, spec.resize)
    sx, sy, px, py, cx, cy = scale[0], scale[1], pad[0], pad[1], crop[0], crop[1]
    h0, w0 = tf.cast(original_hw[0], tf.float64), tf.cast(original_hw[1], tf.float64)
    x0 = tf.clip_by_value(cx + (boxes[:, 0] - px) * sx, 0.0, w0)
    y0 = tf.clip_by_value(cy + (boxes[:, 1] - py) * sy, 0.0, h0)
    x1 = tf.clip_by_value(cx + (boxes[:, 2] - px) * sx, 0.0, w0)
    y1 = tf.clip_by_value(cy + (boxes[:, 3] - py) * sy, 0.0, h0)
    finite = tf.reduce_all(tf.math.is_finite(boxes), axis=1) & tf.math.is_finite(scores)
    ok = finite & (x1 > x0) & (y1 > y0) & (scores >= min(_FLOOR, head.score_threshold))
    orig = tf.where(ok[:, None], tf.stack([x0, y0, x1, y1], axis=1), tf.zeros_like(boxes))
    s = tf.where(ok, scores, -tf.ones_like(scores))
    # class-aware NMS: each class's boxes moved to their own region, so classes never overlap
    shift = tf.cast(ids, tf.float64)[:, None] * (tf.maximum(w0, h0) + 1.0) * 2.0
    keep, count = tf.image.non_max_suppression_padded(
        tf.cast(orig + shift, tf.float32), tf.cast(s, tf.float32), MAX_DETECTIONS,
        iou_threshold=head.iou_threshold, score_threshold=head.score_threshold, pad_to_max_output_size=True)
    live = tf.range(MAX_DETECTIONS) < count
    kept_ids = tf.gather(ids, keep)
    known = tf.logical_and(kept_ids >= 0, kept_ids < tf.shape(labels)[0])
    named = tf.where(known, tf.gather(labels, tf.clip_by_value(kept_ids, 0, tf.shape(labels)[0] - 1)),
                     tf.strings.join(["class ", tf.strings.as_string(kept_ids)]))  # as the app names them
    labels_out = tf.where(live, named, tf.fill([MAX_DETECTIONS], ""))
    return (tf.where(live[:, None], tf.cast(tf.gather(orig, keep), tf.float32), 0.0),
            tf.where(live, tf.cast(tf.gather(s, keep), tf.float32), 0.0),
            tf.where(live, tf.gather(ids, keep), -1), labels_out, count)


def _refusal(head: Any) -> str | None:
    if head.layout.decoder in EXPORTED_DECODERS:
        return None
    return (f"A detector with the {head.layout.decoder} decoder cannot be exported for TensorFlow Serving yet "
            f"(exportable: {', '.join(EXPORTED_DECODERS)}).")


@serving_outputs("detector", labels=lambda head, units: tuple(head.labels), refuse=_refusal)
def detector_outputs(tf: Any, head: Any, raw: list[Any], ctx: ServingContext) -> dict[str, Any]:
    """Outputs: ``boxes`` (N, K, 4) x0, y0, x1, y1 in the original picture's pixels (model-input pixels
    in the ``preprocessed`` signature), ``scores`` (N, K), ``classes`` (N, K) int32, ``labels`` (N, K)
    and ``num_detections`` (N,), K = ``MAX_DETECTIONS``, best first, padding after ``num_detections``."""
    n = tf.shape(raw[0])[0]
    hw = ctx.original_hw if ctx.original_hw is not None else tf.zeros([n, 2], tf.int32)

    def per_picture(i: Any) -> tuple[Any, ...]:
        outs = [o[i] for o in raw]
        return _one(tf, head, outs, None if ctx.original_hw is None else hw[i], ctx.spec, ctx.labels)

    sig = (tf.TensorSpec([MAX_DETECTIONS, 4], tf.float32), tf.TensorSpec([MAX_DETECTIONS], tf.float32),
           tf.TensorSpec([MAX_DETECTIONS], tf.int32), tf.TensorSpec([MAX_DETECTIONS], tf.string),
           tf.TensorSpec([], tf.int32))
    boxes, scores, classes, labels, count = tf.map_fn(per_picture, tf.range(n), fn_output_signature=sig)
    return {"boxes": boxes, "scores": scores, "classes": classes, "labels": labels, "num_detections": count}
