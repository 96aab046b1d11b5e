"""From an RGB uint8 image to the tensor a model expects, and back for display (DESIGN §4).

numpy + Pillow only (no OpenCV, no TensorFlow): the same code runs in the GUI thread to show
"the tensor fed to the model" and in the inference thread to feed it. Filters map to Pillow:
nearest → NEAREST, bilinear → BILINEAR, area → BOX, lanczos → LANCZOS. ``center-crop`` is
``ImageOps.fit`` (what Teachable Machine's Keras sample code does, with LANCZOS); ``letterbox``
pads with black to keep the aspect ratio.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

from livepredict.core.types import PreprocessSpec

_FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "area": Image.Resampling.BOX,
    "lanczos": Image.Resampling.LANCZOS,
}
_NP_DTYPES: dict[str, type[np.generic]] = {"float32": np.float32, "float16": np.float16, "uint8": np.uint8,
                                          "int8": np.int8, "int32": np.int32}
_INT_RANGES = {name: (int(np.iinfo(t).min), int(np.iinfo(t).max)) for name, t in
               (("uint8", np.uint8), ("int8", np.int8), ("int32", np.int32))}


def as_rgb(image: np.ndarray) -> np.ndarray:
    """Any HxW, HxWx1, HxWx3 or HxWx4 uint8 array as HxWx3 RGB uint8 (alpha dropped)."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating) and a.size and float(np.nanmax(a)) <= 1.0:
            a = a * 255.0
        a = np.clip(np.nan_to_num(a), 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"expected an HxWx3 image, got shape {a.shape}")
    c = a.shape[2]
    if c == 1:
        a = np.repeat(a, 3, axis=2)
    elif c == 4:
        a = a[:, :, :3]
    elif c != 3:
        raise ValueError(f"expected 1, 3 or 4 channels, got {c}")
    return a


def resize_image(rgb: np.ndarray, size: tuple[int, int] | None, mode: str = "squash",
                 interpolation: str = "bilinear") -> np.ndarray:
    """Resize RGB uint8 to ``size`` = (height, width) with ``mode`` and ``interpolation``."""
    rgb = as_rgb(rgb)
    if size is None:
        return rgb
    h, w = size
    if rgb.shape[0] == h and rgb.shape[1] == w:
        return rgb
    img = Image.fromarray(np.ascontiguousarray(rgb))
    flt = _FILTERS[interpolation]
    if mode == "squash":
        out = img.resize((w, h), flt)
    elif mode == "center-crop":
        out = ImageOps.fit(img, (w, h), method=flt, centering=(0.5, 0.5))
    elif mode == "letterbox":
        out = ImageOps.pad(img, (w, h), method=flt, color=(0, 0, 0), centering=(0.5, 0.5))
    else:
        raise ValueError(f"unknown resize mode {mode!r}")
    return np.asarray(out)


def _mean_std(spec: PreprocessSpec, channels: int) -> tuple[np.ndarray, np.ndarray]:
    mean = np.asarray(spec.mean or (0.0,), np.float32)
    std = np.asarray(spec.std or (1.0,), np.float32)
    if mean.size not in (1, channels) or std.size not in (1, channels):
        raise ValueError(f"mean/std need 1 or {channels} values")
    return mean, std


def preprocess_image(rgb: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """One model-ready tensor HxWxC of ``spec.dtype`` from an RGB uint8 image."""
    x = resize_image(rgb, spec.size, spec.resize, spec.interpolation)
    if spec.color == "gray":
        x = np.asarray(Image.fromarray(x).convert("L"))[:, :, None]
    elif spec.color == "bgr":
        x = x[:, :, ::-1]
    dtype = _NP_DTYPES[spec.dtype]
    if spec.dtype in ("uint8", "int8", "int32") and spec.scale == "none":
        if spec.dtype == "int8":
            return (x.astype(np.int16) - 128).astype(np.int8)
        return np.ascontiguousarray(x, dtype=dtype)
    f = x.astype(np.float32)
    if spec.scale == "0..1":
        f *= 1.0 / 255.0
    elif spec.scale == "-1..1":
        f = f / 127.5 - 1.0  # as preprocess_input and Teachable Machine write it (bit-exact)
    elif spec.scale == "mean-std":
        mean, std = _mean_std(spec, f.shape[2])
        f = (f - mean) / std
    if spec.dtype in _INT_RANGES:
        lo, hi = _INT_RANGES[spec.dtype]
        f = np.clip(np.rint(f), lo, hi)
    return np.ascontiguousarray(f, dtype=dtype)


def preprocess_batch(images, spec: PreprocessSpec) -> np.ndarray:
    return np.stack([preprocess_image(im, spec) for im in images])


def tensor_to_display(tensor: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """The RGB uint8 picture of a model-ready tensor (undoes scale and colour order)."""
    t = np.asarray(tensor)
    if t.ndim == 4 and t.shape[0] == 1:
        t = t[0]
    if t.ndim == 2:
        t = t[:, :, None]
    f = t.astype(np.float32)
    if spec.dtype == "int8" and spec.scale == "none":
        f = f + 128.0
    elif spec.scale == "0..1":
        f = f * 255.0
    elif spec.scale == "-1..1":
        f = (f + 1.0) * 127.5
    elif spec.scale == "mean-std":
        mean, std = _mean_std(spec, f.shape[2])
        f = f * std + mean
    img = np.clip(np.rint(np.nan_to_num(f)), 0, 255).astype(np.uint8)
    if spec.color == "bgr":
        img = img[:, :, ::-1]
    return as_rgb(np.ascontiguousarray(img))
