"""Explanation heatmaps as values: the map type, the way back to the picture, colour maps, blending.

numpy only (no Qt, no TensorFlow): the inference thread makes a :class:`Heatmap`, the CLI writes it
(overlay PNG + raw ``.npy``), the UI and the feed draw or send it. A map computed over the model
input (a 6x6 Grad-CAM grid, a 96x96 occlusion map) is upsampled smoothly to the model input and
then brought to the original picture's pixels by ``core.geometry.map_to_original`` (the exact
inverse of squash / centre crop / letterbox), so every view draws it where the model looked.

The colour maps are perceptually uniform (viridis, inferno: matplotlib's, CC0), 17 anchors each,
interpolated to 256 entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livepredict.core.geometry import Placement, map_to_original

METHODS = ("gradcam", "occlusion")

_ANCHORS = {
    "viridis": ((68, 1, 84), (72, 23, 105), (71, 44, 122), (66, 63, 133), (59, 81, 139), (51, 98, 141),
                (44, 113, 142), (38, 129, 142), (33, 144, 140), (31, 159, 136), (39, 173, 128),
                (61, 188, 115), (92, 200, 98), (129, 211, 76), (170, 220, 49), (213, 226, 25), (253, 231, 37)),
    "inferno": ((0, 0, 4), (10, 7, 35), (32, 12, 73), (60, 9, 100), (86, 15, 109), (112, 25, 110),
                (137, 34, 106), (162, 43, 97), (187, 54, 84), (208, 69, 68), (227, 89, 50), (241, 113, 30),
                (249, 140, 9), (252, 170, 15), (249, 201, 50), (242, 232, 101), (252, 255, 164)),
}
COLORMAPS = tuple(_ANCHORS)
_LUTS: dict[str, np.ndarray] = {}


@dataclass(frozen=True)
class Heatmap:
    """Where the model looked for ``label`` in one picture.

    ``values``: float32 (H0, W0) over the ORIGINAL picture, 0..1 (1 = the map's maximum; all zeros
    when nothing raised the score). ``grid``: the map as computed, over the model input (a Grad-CAM
    layer's cells, or occlusion's pixels), not normalised. ``method`` is "gradcam" or "occlusion";
    ``layer`` the Grad-CAM layer (or "window W, stride S"); ``score`` the explained class's score.
    """

    values: np.ndarray
    grid: np.ndarray
    label: str
    class_index: int
    score: float
    method: str
    layer: str
    ms: float = 0.0

    @property
    def peak(self) -> tuple[int, int]:
        """(row, column) of the maximum of ``values`` in original-picture pixels."""
        r, c = np.unravel_index(int(np.argmax(self.values)), self.values.shape)
        return int(r), int(c)


def normalised(grid: np.ndarray) -> np.ndarray:
    """``grid`` scaled to 0..1 by its maximum (negatives clipped: they did not raise the score)."""
    g = np.nan_to_num(np.asarray(grid, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    g = np.maximum(g, 0.0)
    top = float(g.max()) if g.size else 0.0
    return g / top if top > 0 else np.zeros_like(g)


def upsample(grid: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a 2-D ``grid`` to ``size`` (h, w), cell centres on pixel centres
    (the half-pixel convention of Pillow and ``tf.image.resize``)."""
    g = np.asarray(grid, np.float32)
    h, w = int(size[0]), int(size[1])
    if g.shape == (h, w):
        return g.copy()

    def axis(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, (pos - lo).astype(np.float32)

    r0, r1, fr = axis(g.shape[0], h)
    c0, c1, fc = axis(g.shape[1], w)
    top = g[r0][:, c0] * (1 - fc) + g[r0][:, c1] * fc
    bottom = g[r1][:, c0] * (1 - fc) + g[r1][:, c1] * fc
    return (top * (1 - fr)[:, None] + bottom * fr[:, None]).astype(np.float32)


def heatmap_on_original(grid: np.ndarray, where: Placement) -> np.ndarray:
    """The 0..1 map over the original picture for ``grid`` computed over the model input."""
    model_px = normalised(upsample(normalised(grid), where.model))
    return np.ascontiguousarray(map_to_original(model_px, where, fill=0.0), dtype=np.float32)


def resample(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A map over a picture resampled (nearest pixel centre) for the same picture shown at ``size``
    (h, w): the cheap way to draw an original-size map on a thumbnail or a display copy."""
    v = np.asarray(values)
    h, w = int(size[0]), int(size[1])
    rows = np.minimum(((np.arange(h) + 0.5) * (v.shape[0] / h)).astype(np.int64), v.shape[0] - 1)
    cols = np.minimum(((np.arange(w) + 0.5) * (v.shape[1] / w)).astype(np.int64), v.shape[1] - 1)
    return v[np.ix_(rows, cols)]


def lut(name: str = "inferno") -> np.ndarray:
    """(256, 3) uint8 colours of the colour map ``name`` (one of :data:`COLORMAPS`)."""
    if name not in _ANCHORS:
        raise ValueError(f"unknown colour map {name!r}; use one of {', '.join(COLORMAPS)}")
    table = _LUTS.get(name)
    if table is None:
        anchors = np.asarray(_ANCHORS[name], np.float64)
        x = np.linspace(0, 1, len(anchors))
        t = np.linspace(0, 1, 256)
        table = np.stack([np.interp(t, x, anchors[:, i]) for i in range(3)], axis=1)
        table = _LUTS[name] = np.rint(table).astype(np.uint8)
    return table


def colorize(values: np.ndarray, colormap: str = "inferno") -> np.ndarray:
    """RGB uint8 (H, W, 3) of a 0..1 map through the colour map."""
    idx = np.clip(np.rint(np.asarray(values, np.float32) * 255.0), 0, 255).astype(np.uint8)
    return lut(colormap)[idx]


def blend(rgb: np.ndarray, values: np.ndarray, opacity: float = 0.5, colormap: str = "inferno") -> np.ndarray:
    """``rgb`` (H, W, 3 uint8) with the coloured map laid over it; each pixel's weight is
    ``opacity`` x its value, so cold places keep the picture and hot ones take the colour."""
    base = np.asarray(rgb)
    v = np.asarray(values, np.float32)
    if v.shape != base.shape[:2]:
        raise ValueError(f"the map is {v.shape[1]}x{v.shape[0]} but the picture {base.shape[1]}x{base.shape[0]}")
    a = (np.clip(float(opacity), 0.0, 1.0) * np.clip(v, 0.0, 1.0))[:, :, None]
    out = base.astype(np.float32) * (1.0 - a) + colorize(v, colormap).astype(np.float32) * a
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def peak_cell(values: np.ndarray, cells: int) -> tuple[int, int]:
    """(row, column) of the hottest of ``cells`` x ``cells`` equal cells of a map (mean per cell)."""
    v = np.asarray(values, np.float64)
    rows = np.array_split(np.arange(v.shape[0]), cells)
    cols = np.array_split(np.arange(v.shape[1]), cells)
    means = np.array([[v[np.ix_(r, c)].mean() for c in cols] for r in rows])
    r, c = np.unravel_index(int(np.argmax(means)), means.shape)
    return int(r), int(c)
