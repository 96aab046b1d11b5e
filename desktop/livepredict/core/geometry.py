"""From model-input pixels back to the original picture's pixels: the exact inverse of the resize.

Every overlay (boxes, masks, heatmaps) goes through this one module (DESIGN §9 "Geometry"). A
:class:`Placement` says where the original picture landed inside the model input for each resize
mode of ``inference.preprocess.resize_image`` (which uses Pillow's ``resize``, ``ImageOps.fit``
and ``ImageOps.pad``; the arithmetic here follows theirs):

- ``squash``: the whole picture stretched to the input;
- ``center-crop``: a centred crop of the input's aspect ratio, then stretched;
- ``letterbox``: scaled to fit, centred, padded with black.

Coordinates are continuous pixel coordinates (the top-left corner of pixel (0, 0) is 0.0, its
bottom-right corner 1.0). numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Placement:
    """original = crop + (model - pad) * scale, per axis; ``original`` is (height, width)."""

    original: tuple[int, int]
    model: tuple[int, int]
    scale: tuple[float, float]  # (sx, sy): original pixels per model pixel
    pad: tuple[float, float]  # (px, py): model pixels of padding before the picture (letterbox)
    crop: tuple[float, float]  # (cx, cy): original pixels cut off before the picture (center-crop)

    def to_original(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sx, sy = self.scale
        return (self.crop[0] + (np.asarray(x, np.float64) - self.pad[0]) * sx,
                self.crop[1] + (np.asarray(y, np.float64) - self.pad[1]) * sy)

    def to_model(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sx, sy = self.scale
        return ((np.asarray(x, np.float64) - self.crop[0]) / sx + self.pad[0],
                (np.asarray(y, np.float64) - self.crop[1]) / sy + self.pad[1])


def placement(original: tuple[int, int], size: tuple[int, int] | None, mode: str = "squash") -> Placement:
    """Where a picture of ``original`` (h, w) lands in a model input of ``size`` (h, w) with ``mode``."""
    h0, w0 = int(original[0]), int(original[1])
    if size is None or (int(size[0]) == h0 and int(size[1]) == w0):
        return Placement((h0, w0), (h0, w0), (1.0, 1.0), (0.0, 0.0), (0.0, 0.0))
    h, w = int(size[0]), int(size[1])
    if mode == "squash":
        return Placement((h0, w0), (h, w), (w0 / w, h0 / h), (0.0, 0.0), (0.0, 0.0))
    if mode == "center-crop":  # ImageOps.fit, centering (0.5, 0.5), no bleed
        live, out = w0 / h0, w / h
        if live == out:
            cw, ch = float(w0), float(h0)
        elif live >= out:
            cw, ch = out * h0, float(h0)
        else:
            cw, ch = float(w0), w0 / out
        return Placement((h0, w0), (h, w), (cw / w, ch / h), (0.0, 0.0), ((w0 - cw) * 0.5, (h0 - ch) * 0.5))
    if mode == "letterbox":  # ImageOps.pad = ImageOps.contain, then pasted centred
        rw, rh = w, h
        if w0 / h0 != w / h:
            if w0 / h0 > w / h:
                rh = round(h0 / w0 * w)
            else:
                rw = round(w0 / h0 * h)
        px = round((w - rw) * 0.5) if rw != w else 0
        py = round((h - rh) * 0.5) if rw == w and rh != h else 0
        return Placement((h0, w0), (h, w), (w0 / rw, h0 / rh), (float(px), float(py)), (0.0, 0.0))
    raise ValueError(f"unknown resize mode {mode!r}")


def boxes_to_original(boxes: np.ndarray, where: Placement) -> tuple[np.ndarray, np.ndarray]:
    """(boxes, keep): ``boxes`` (N, 4) x0, y0, x1, y1 in model pixels mapped to original pixels and
    clipped to the picture; ``keep`` is False for boxes that were NaN, inverted or empty after clipping
    (those are never drawn; callers count them)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    x0, y0 = where.to_original(b[:, 0], b[:, 1])
    x1, y1 = where.to_original(b[:, 2], b[:, 3])
    h0, w0 = where.original
    finite = np.isfinite(b).all(axis=1)
    with np.errstate(invalid="ignore"):
        out = np.stack([np.clip(x0, 0, w0), np.clip(y0, 0, h0), np.clip(x1, 0, w0), np.clip(y1, 0, h0)], axis=1)
        keep = finite & (out[:, 2] > out[:, 0]) & (out[:, 3] > out[:, 1])
    out[~finite] = 0.0
    return out.astype(np.float32), keep


def map_to_original(values: np.ndarray, where: Placement, fill: float | int = 0) -> np.ndarray:
    """A per-pixel map over the model input (h, w[, C]) sampled at each original pixel's centre
    (nearest model pixel): masks, class maps and heatmaps in the original's (H0, W0[, C]).
    Original pixels that fall outside the model input (cropped away) get ``fill``."""
    v = np.asarray(values)
    mh, mw = v.shape[0], v.shape[1]
    h0, w0 = where.original
    xs, _ = where.to_model(np.arange(w0) + 0.5, np.zeros(w0))
    _, ys = where.to_model(np.zeros(h0), np.arange(h0) + 0.5)
    # a map smaller than the model input (a 7x7 Grad-CAM, a stride-4 mask) covers it evenly
    cols = np.floor(xs * (mw / where.model[1])).astype(np.int64)
    rows = np.floor(ys * (mh / where.model[0])).astype(np.int64)
    col_ok = (cols >= 0) & (cols < mw)
    row_ok = (rows >= 0) & (rows < mh)
    out = v[np.ix_(np.clip(rows, 0, mh - 1), np.clip(cols, 0, mw - 1))]
    if not (col_ok.all() and row_ok.all()):
        out = out.copy()
        out[~row_ok] = fill
        out[:, ~col_ok] = fill
    return out
