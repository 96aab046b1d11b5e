"""The app's preprocessing (``inference.preprocess``) written as TensorFlow operations, for exports.

One definition, two executions: the app runs a :class:`~livepredict.core.types.PreprocessSpec` with
Pillow and numpy; an exported SavedModel runs the same spec with the operations below, which follow
Pillow's own arithmetic rather than TensorFlow's resize:

- bilinear, area (Pillow's BOX) and lanczos: Pillow's two-pass convolution (``Resample.c``) — the
  same filter windows and weights, rounded to Pillow's 22-bit fixed-point coefficients, one pass
  rounded and clipped to 8 bits, then the other, in the order Pillow 13 picks. The sums are whole numbers below 2^31
  computed in float64, so they are exact: the pixels match Pillow's bit for bit (a weight whose
  float64 ``sin`` differs in the last digit could move one coefficient by one unit in 2^22);
- nearest: Pillow's affine nearest-neighbour sampling (``ImagingScaleAffine``), positions stepped
  by repeated addition as Pillow does;
- centre crop (``ImageOps.fit``) and letterbox (``ImageOps.pad``): the same crop box (as float32,
  as Pillow passes it) and the same rounding (Python's ``round`` is half-to-even, as ``tf.round``);
- gray: Pillow's ITU-R 601-2 luma in fixed point (``L = (19595 R + 38470 G + 7471 B + 2^15) >> 16``);
- scaling and dtype: the same float32 operations as ``preprocess_image``.

:func:`decode_pictures` turns encoded pictures (PNG, JPEG, GIF, BMP, WebP) into RGB uint8 with
TensorFlow's decoders (JPEG with the accurate integer DCT, as Pillow). What cannot match is listed
in the README ("What differs from the app").
"""

from __future__ import annotations

from typing import Any

from livepredict.core.types import PreprocessSpec
from livepredict.inference.tf_env import import_tf

_SUPPORT = {"bilinear": 1.0, "area": 0.5, "lanczos": 3.0}  # Pillow's filter supports
_PRECISION_BITS = 22  # Resample.c: 32 - 8 - 2
_PI = 3.141592653589793


def _divide(tf: Any, x: Any, y: Any) -> Any:
    """``x / y`` as a true division: TensorFlow's graph optimiser turns a division by a constant into a
    multiplication by its reciprocal, which is not the same number (Pillow's positions would shift by one
    pixel where a product lands exactly on a pixel edge); ``DivNoNan`` is left alone (y is never 0 here)."""
    return tf.math.divide_no_nan(x, y)


def _filter(tf: Any, x: Any, interpolation: str) -> Any:
    """Pillow's filter functions (float64)."""
    if interpolation == "bilinear":
        ax = tf.abs(x)
        return tf.where(ax < 1.0, 1.0 - ax, tf.zeros_like(x))
    if interpolation == "area":
        return tf.where((x > -0.5) & (x <= 0.5), tf.ones_like(x), tf.zeros_like(x))

    def sinc(v: Any) -> Any:
        safe = tf.where(tf.equal(v, 0.0), tf.ones_like(v), v * _PI)
        return tf.where(tf.equal(v, 0.0), tf.ones_like(v), tf.sin(safe) / safe)

    inside = (x >= -3.0) & (x < 3.0)
    return tf.where(inside, sinc(x) * sinc(_divide(tf, x, tf.constant(3.0, tf.float64))), tf.zeros_like(x))


def _coefficients(tf: Any, in_size: Any, in0: Any, in1: Any, out_size: Any, interpolation: str) -> Any:
    """Pillow's ``precompute_coeffs`` + ``normalize_coeffs_8bpc`` for one axis, as a dense
    (out_size, in_size) float64 matrix of whole-number fixed-point weights. ``in0``/``in1`` are the
    box edges as float32 (Pillow passes the box as C floats)."""
    f64, i32 = tf.float64, tf.int32
    scale = _divide(tf, tf.cast(in1 - in0, f64), tf.cast(out_size, f64))  # (double)(in1 - in0) / outSize
    filterscale = tf.maximum(scale, 1.0)
    support = _SUPPORT[interpolation] * filterscale
    ksize = tf.cast(tf.math.ceil(support), i32) * 2 + 1
    center = tf.cast(in0, f64) + (tf.range(out_size, dtype=f64) + 0.5) * scale
    ss = _divide(tf, tf.ones_like(filterscale), filterscale)
    xmin = tf.maximum(tf.cast(center - support + 0.5, i32), 0)  # C (int) truncates toward zero
    xmax = tf.minimum(tf.cast(center + support + 0.5, i32), in_size) - xmin
    k = tf.range(ksize)[None, :]
    index = xmin[:, None] + k
    w = _filter(tf, (tf.cast(index, f64) - center[:, None] + 0.5) * ss, interpolation)
    w = tf.where(k < xmax[:, None], w, tf.zeros_like(w))
    ww = tf.math.cumsum(w, axis=1)[:, -1:]  # summed left to right, as the C loop does
    w = tf.where(tf.not_equal(ww, 0.0), w / tf.where(tf.equal(ww, 0.0), tf.ones_like(ww), ww), w)
    scaled = w * float(1 << _PRECISION_BITS)
    fixed = tf.where(w < 0, tf.math.ceil(scaled - 0.5), tf.math.floor(scaled + 0.5))  # (int)(±0.5 + w·2^22)
    rows = tf.broadcast_to(tf.range(out_size)[:, None], tf.shape(index))
    keep = (k < xmax[:, None]) & tf.not_equal(fixed, 0.0)
    sparse = tf.sparse.SparseTensor(tf.cast(tf.stack([tf.boolean_mask(rows, keep), tf.boolean_mask(index, keep)],
                                                     axis=1), tf.int64),
                                    tf.boolean_mask(fixed, keep),
                                    tf.cast(tf.stack([out_size, in_size]), tf.int64))
    return tf.sparse.reorder(sparse)


def _clip8(tf: Any, sums: Any) -> Any:
    """``clip8``: (2^21 + sum) >> 22, clipped to 0..255 (float64 in, float64 whole numbers out)."""
    return tf.clip_by_value(tf.floor((sums + float(1 << (_PRECISION_BITS - 1))) / float(1 << _PRECISION_BITS)),
                            0.0, 255.0)


def _pass(tf: Any, image: Any, coefficients: Any, axis: int) -> Any:
    """One pass of Pillow's resample along ``axis`` (0: rows, 1: columns), rounded and clipped to 8 bits."""
    moved = tf.transpose(image, [1, 0, 2]) if axis == 1 else image
    shape = tf.shape(moved)
    flat = tf.reshape(moved, [shape[0], shape[1] * shape[2]])
    out = _clip8(tf, tf.sparse.sparse_dense_matmul(coefficients, flat))
    out = tf.reshape(out, [-1, shape[1], shape[2]])
    return tf.transpose(out, [1, 0, 2]) if axis == 1 else out


def _convolve(tf: Any, image: Any, out_h: Any, out_w: Any, box: tuple[Any, Any, Any, Any],
              interpolation: str) -> Any:
    """Pillow's two-pass resample of ``image`` (H, W, C float64 whole numbers) over ``box``.

    Pillow 13 runs the vertical pass first when the height shrinks by more than twice as many pixels
    as the width (``ImagingResampleInner``), else the horizontal pass first; each pass rounds to 8 bits."""
    shape = tf.shape(image)
    h0, w0 = shape[0], shape[1]
    x0, y0, x1, y1 = box
    horizontal = _coefficients(tf, w0, x0, x1, out_w, interpolation)  # (out_w, W)
    vertical = _coefficients(tf, h0, y0, y1, out_h, interpolation)  # (out_h, H)
    shrink_h = h0 - out_h
    vertical_first = tf.logical_and(shrink_h > 0, shrink_h > (w0 - out_w) * 2)
    out = tf.cond(vertical_first,
                  lambda: _pass(tf, _pass(tf, image, vertical, 0), horizontal, 1),
                  lambda: _pass(tf, _pass(tf, image, horizontal, 1), vertical, 0))
    return tf.reshape(out, [out_h, out_w, shape[2]])


def _nearest_positions(tf: Any, in_size: Any, in0: Any, in1: Any, out_size: Any) -> Any:
    """``ImagingScaleAffine``: xo = box0 + a/2, then xo += a per pixel; COORD truncates (-1 below 0)."""
    f64 = tf.float64
    a = _divide(tf, tf.cast(in1 - in0, f64), tf.cast(out_size, f64))
    steps = tf.concat([tf.reshape(tf.cast(in0, f64) + a * 0.5, [1]), tf.fill([out_size - 1], a)], axis=0)
    xo = tf.math.cumsum(steps)
    return tf.where(xo < 0.0, -tf.ones_like(xo, tf.int32), tf.cast(xo, tf.int32))


def _nearest(tf: Any, image: Any, out_h: Any, out_w: Any, box: tuple[Any, Any, Any, Any]) -> Any:
    shape = tf.shape(image)
    h0, w0 = shape[0], shape[1]
    x0, y0, x1, y1 = box
    xs = _nearest_positions(tf, w0, x0, x1, out_w)
    ys = _nearest_positions(tf, h0, y0, y1, out_h)
    x_ok = (xs >= 0) & (xs < w0)
    y_ok = (ys >= 0) & (ys < h0)
    out = tf.gather(tf.gather(image, tf.clip_by_value(ys, 0, h0 - 1), axis=0), tf.clip_by_value(xs, 0, w0 - 1),
                    axis=1)
    mask = tf.cast(y_ok[:, None, None] & x_ok[None, :, None], image.dtype)
    return out * mask  # outside the picture: filled with 0, as Pillow's transform does


def _resample(tf: Any, image: Any, out_h: Any, out_w: Any, box: tuple[Any, Any, Any, Any],
              interpolation: str) -> Any:
    """``Image.resize(size, filter, box)`` of an RGB image (float64 whole numbers)."""
    if interpolation == "nearest":
        return _nearest(tf, image, out_h, out_w, box)
    return _convolve(tf, image, out_h, out_w, box, interpolation)


def _full_box(tf: Any, h0: Any, w0: Any) -> tuple[Any, Any, Any, Any]:
    zero = tf.constant(0.0, tf.float32)
    return zero, zero, tf.cast(w0, tf.float32), tf.cast(h0, tf.float32)


def resize(tf: Any, image: Any, size: tuple[int, int], mode: str, interpolation: str) -> Any:
    """``preprocess.resize_image`` for one RGB image (H, W, 3) uint8: (h, w, 3) float64 whole numbers."""
    h, w = size
    f64 = tf.float64
    shape = tf.shape(image)
    h0, w0 = shape[0], shape[1]
    img = tf.cast(image, f64)

    def squash() -> Any:
        return _resample(tf, img, h, w, _full_box(tf, h0, w0), interpolation)

    def center_crop() -> Any:  # ImageOps.fit, centering (0.5, 0.5), no bleed
        live_w, live_h = tf.cast(w0, f64), tf.cast(h0, f64)
        live, out = live_w / live_h, w / h
        cw = tf.where(live >= out, out * live_h, live_w)
        ch = tf.where(live >= out, live_h, _divide(tf, live_w, tf.constant(out, f64)))
        cw = tf.where(tf.equal(live, out), live_w, cw)
        ch = tf.where(tf.equal(live, out), live_h, ch)
        left, top = (live_w - cw) * 0.5, (live_h - ch) * 0.5
        box = tuple(tf.cast(v, tf.float32) for v in (left, top, left + cw, top + ch))
        return _resample(tf, img, h, w, box, interpolation)

    def letterbox() -> Any:  # ImageOps.pad = ImageOps.contain, then pasted centred on black
        ratio, dest = tf.cast(w0, f64) / tf.cast(h0, f64), w / h
        rh = tf.where(ratio > dest, tf.cast(tf.round(tf.cast(h0, f64) / tf.cast(w0, f64) * w), tf.int32), h)
        rw = tf.where(ratio < dest, tf.cast(tf.round(tf.cast(w0, f64) / tf.cast(h0, f64) * h), tf.int32), w)
        rh = tf.maximum(rh, 1)
        rw = tf.maximum(rw, 1)
        small = _resample(tf, img, rh, rw, _full_box(tf, h0, w0), interpolation)
        px = tf.where(rw != w, tf.cast(tf.round(tf.cast(w - rw, f64) * 0.5), tf.int32), 0)
        py = tf.where(tf.logical_and(rw == w, rh != h), tf.cast(tf.round(tf.cast(h - rh, f64) * 0.5), tf.int32), 0)
        return tf.image.pad_to_bounding_box(small, py, px, h, w)

    branches = {"squash": squash, "center-crop": center_crop, "letterbox": letterbox}
    if mode not in branches:
        raise ValueError(f"unknown resize mode {mode!r}")
    same = tf.logical_and(tf.equal(h0, h), tf.equal(w0, w))
    out = tf.cond(same, lambda: img, branches[mode])  # resize_image returns a same-size picture as it is
    return tf.ensure_shape(out, [h, w, 3])


def _gray(tf: Any, rgb: Any) -> Any:
    """Pillow's ``convert("L")``: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16, exact in int32."""
    x = tf.cast(rgb, tf.int32)
    luma = tf.bitwise.right_shift(x[..., 0] * 19595 + x[..., 1] * 38470 + x[..., 2] * 7471 + 0x8000, 16)
    return tf.cast(luma[..., None], tf.float64)


def _scale(tf: Any, x: Any, spec: PreprocessSpec) -> Any:
    """``preprocess_image``'s scaling and dtype, on 0..255 whole numbers (float64) in the colour order."""
    dtype = tf.as_dtype(spec.dtype)
    if spec.dtype in ("uint8", "int8", "int32") and spec.scale == "none":
        if spec.dtype == "int8":
            return tf.cast(tf.cast(x, tf.int16) - 128, tf.int8)
        return tf.cast(x, dtype)
    f = tf.cast(x, tf.float32)
    if spec.scale == "0..1":
        f = f * tf.constant(1.0 / 255.0, tf.float32)
    elif spec.scale == "-1..1":
        f = _divide(tf, f, tf.constant(127.5, tf.float32)) - 1.0
    elif spec.scale == "mean-std":
        f = _divide(tf, f - tf.constant(spec.mean or (0.0,), tf.float32), tf.constant(spec.std or (1.0,), tf.float32))
    if spec.dtype in ("uint8", "int8", "int32"):
        info = {"uint8": (0, 255), "int8": (-128, 127), "int32": (-(2 ** 31), 2 ** 31 - 1)}[spec.dtype]
        f = tf.clip_by_value(tf.round(f), float(info[0]), float(info[1]))  # np.rint: half to even, as tf.round
    return tf.cast(f, dtype)


def preprocess(tf: Any, rgb: Any, spec: PreprocessSpec) -> Any:
    """``preprocess.preprocess_image`` for one RGB uint8 picture: the model-ready (h, w, C) tensor."""
    if spec.size is None:
        raise ValueError("a fixed input size is needed")
    x = resize(tf, rgb, spec.size, spec.resize, spec.interpolation)
    if spec.color == "gray":
        x = _gray(tf, x)
    elif spec.color == "bgr":
        x = x[..., ::-1]
    return _scale(tf, x, spec)


def decode_picture(tf: Any, data: Any) -> Any:
    """One encoded picture (scalar tf.string) as RGB uint8 (H, W, 3): JPEG with the accurate integer
    DCT (Pillow's default), other formats through ``decode_image`` (first frame of a GIF)."""
    jpeg = lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE")  # noqa: E731
    other = lambda: tf.ensure_shape(tf.io.decode_image(data, channels=3, expand_animations=False),  # noqa: E731
                                    [None, None, 3])
    return tf.cond(tf.io.is_jpeg(data), jpeg, other)


def picture_batch(data: Any, spec: PreprocessSpec) -> tuple[Any, Any]:
    """(model-ready batch, original (height, width) per picture as int32 (N, 2)) for a batch of
    encoded pictures (tf.string (N,))."""
    tf = import_tf()
    h, w = spec.size or (0, 0)

    def one(item: Any) -> tuple[Any, Any]:
        rgb = decode_picture(tf, item)
        return preprocess(tf, rgb, spec), tf.shape(rgb)[:2]

    signature = (tf.TensorSpec([h, w, spec.channels], tf.as_dtype(spec.dtype)), tf.TensorSpec([2], tf.int32))
    return tf.map_fn(one, data, fn_output_signature=signature)
