"""SSD anchors as MediaPipe's ``SsdAnchorsCalculator`` generates them, and raw-SSD box decoding.

BlazeFace-type detectors output box regressors against anchors that are not in the file: they
are generated from the input size and a few options. Consecutive layers with the same stride
share one feature map (BlazeFace short range: strides 8, 16, 16, 16 on 128x128 give 16·16·2 +
8·8·6 = 896 anchors). When the sidecar gives no ``anchors`` options, the presets below are tried
and the one whose anchor count equals the model's box count is used. numpy only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

DEFAULTS: dict[str, Any] = {
    "strides": [8, 16, 16, 16], "min_scale": 0.1484375, "max_scale": 0.75, "aspect_ratios": [1.0],
    "interpolated_scale_aspect_ratio": 1.0, "anchor_offset": 0.5, "fixed_anchor_size": True,
    "scale": None, "nms": "weighted", "keypoints": 0,
}
# (strides, interpolated scale aspect ratio): BlazeFace short range / palm, BlazeFace full range, others
PRESETS: tuple[tuple[list[int], float], ...] = (
    ([8, 16, 16, 16], 1.0), ([4], 0.0), ([8, 16, 16, 16], 0.0), ([8, 16], 1.0), ([16, 32], 1.0),
    ([8, 16, 32], 1.0), ([8], 1.0), ([16], 1.0),
)
KEYS = tuple(DEFAULTS)


def _groups(strides: list[int]) -> list[tuple[int, list[int]]]:
    """(stride, layer ids) of consecutive layers with the same stride."""
    out: list[tuple[int, list[int]]] = []
    for i, s in enumerate(strides):
        if out and out[-1][0] == s:
            out[-1][1].append(i)
        else:
            out.append((s, [i]))
    return out


def _per_cell(opts: dict[str, Any]) -> list[int]:
    extra = 1 if float(opts["interpolated_scale_aspect_ratio"]) > 0 else 0
    return [len(layers) * (len(opts["aspect_ratios"]) + extra) for _, layers in _groups(list(opts["strides"]))]


def count(opts: dict[str, Any], hw: tuple[int, int]) -> int:
    total = 0
    for (stride, _), per in zip(_groups(list(opts["strides"])), _per_cell(opts), strict=True):
        total += math.ceil(hw[0] / stride) * math.ceil(hw[1] / stride) * per
    return total


def options_for(n: int, hw: tuple[int, int], sidecar: dict[str, Any] | None) -> dict[str, Any] | None:
    """The anchor options giving ``n`` anchors for an input of ``hw``: the sidecar's (over the
    defaults), else the first preset that fits; None when none does."""
    if sidecar:
        opts = {**DEFAULTS, **sidecar}
        return opts if count(opts, hw) == n else None
    for strides, interp in PRESETS:
        opts = {**DEFAULTS, "strides": strides, "interpolated_scale_aspect_ratio": interp}
        if count(opts, hw) == n:
            return opts
    return None


def _scale(opts: dict[str, Any], layer: int) -> float:
    n = len(opts["strides"])
    lo, hi = float(opts["min_scale"]), float(opts["max_scale"])
    return (lo + hi) * 0.5 if n == 1 else lo + (hi - lo) * layer / (n - 1.0)


def generate(opts: dict[str, Any], hw: tuple[int, int]) -> np.ndarray:
    """(N, 4) anchors as normalised (cx, cy, w, h), in the order the model's outputs use."""
    strides = list(opts["strides"])
    rows = []
    for stride, layers in _groups(strides):
        sizes: list[tuple[float, float]] = []
        for layer in layers:
            scale = _scale(opts, layer)
            for ar in opts["aspect_ratios"]:
                sizes.append((scale * math.sqrt(ar), scale / math.sqrt(ar)))
            interp = float(opts["interpolated_scale_aspect_ratio"])
            if interp > 0:
                nxt = 1.0 if layer == len(strides) - 1 else _scale(opts, layer + 1)
                s = math.sqrt(scale * nxt)
                sizes.append((s * math.sqrt(interp), s / math.sqrt(interp)))
        fh, fw = math.ceil(hw[0] / stride), math.ceil(hw[1] / stride)
        off = float(opts["anchor_offset"])
        ys, xs = np.meshgrid((np.arange(fh) + off) / fh, (np.arange(fw) + off) / fw, indexing="ij")
        wh = np.ones((len(sizes), 2)) if opts["fixed_anchor_size"] else np.array(sizes)
        cells = np.stack([xs.ravel(), ys.ravel()], axis=1)  # (cells, 2), row-major
        grid = np.repeat(cells, len(sizes), axis=0)
        rows.append(np.concatenate([grid, np.tile(wh, (len(cells), 1))], axis=1))
    return np.concatenate(rows, axis=0) if rows else np.zeros((0, 4))


def decode_boxes(raw: np.ndarray, anchors: np.ndarray, opts: dict[str, Any], hw: tuple[int, int]) -> np.ndarray:
    """(N, 4) normalised cx, cy, w, h from regressors (N, 4 + 2k) against ``anchors`` (MediaPipe's
    TensorsToDetections: offsets in input pixels, x first)."""
    scale = opts.get("scale") or [hw[1], hw[0], hw[1], hw[0]]
    r = np.asarray(raw, np.float64)[:, :4]
    sx, sy, sw, sh = (float(v) for v in scale)
    cx = r[:, 0] / sx * anchors[:, 2] + anchors[:, 0]
    cy = r[:, 1] / sy * anchors[:, 3] + anchors[:, 1]
    w = r[:, 2] / sw * anchors[:, 2]
    h = r[:, 3] / sh * anchors[:, 3]
    return np.stack([cx, cy, w, h], axis=1)
