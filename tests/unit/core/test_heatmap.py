"""core.heatmap: maps back on the picture through the exact inverse of the resize, colour maps, blending."""

from __future__ import annotations

import numpy as np
import pytest

from livepredict.core.geometry import placement
from livepredict.core.heatmap import (
    blend,
    colorize,
    heatmap_on_original,
    lut,
    normalised,
    peak_cell,
    resample,
    upsample,
)


def test_a_hot_cell_lands_where_that_part_of_the_picture_went():
    """A 4x4 grid hot in its top-left cell, over a 96x96 input: squash stretches it over the top-left
    quarter of a 200x100 picture; centre crop over the top-left of the kept middle (the cut sides
    stay cold); letterbox: that cell is on the padding, the one below it on the picture's top."""
    grid = np.zeros((4, 4), np.float32)
    grid[0, 0] = 1.0
    squash = heatmap_on_original(grid, placement((100, 200), (96, 96), "squash"))
    assert squash.shape == (100, 200) and squash[5, 10] > 0.9 and squash[80, 150] == 0.0
    crop = heatmap_on_original(grid, placement((100, 200), (96, 96), "center-crop"))  # keeps x 50..150
    assert crop[:, :50].max() == 0.0 and crop[:, 150:].max() == 0.0 and crop[5, 55] > 0.9
    # letterbox: the picture fills model rows 24..72; the grid's first row lies on the black band above it
    band = heatmap_on_original(grid, placement((100, 200), (96, 96), "letterbox"))
    assert band[30:].max() == 0.0 and band[:5, :10].max() <= 0.5  # only the smoothing's spill reaches it
    grid = np.roll(grid, 1, axis=0)  # hot: model rows 24..48, the picture's top half
    top = heatmap_on_original(grid, placement((100, 200), (96, 96), "letterbox"))
    assert top[25, 25] > 0.9 and top[75:].max() == 0.0


def test_upsample_normalise_resample():
    g = np.array([[0.0, 2.0], [-1.0, np.nan]], np.float32)
    n = normalised(g)
    assert n.tolist() == [[0.0, 1.0], [0.0, 0.0]]  # negatives and NaN did not raise the score
    assert normalised(np.full((2, 2), -3.0)).max() == 0.0
    u = upsample(np.array([[0.0, 1.0]], np.float32), (1, 4))
    assert u[0].tolist() == pytest.approx([0.0, 0.25, 0.75, 1.0])  # half-pixel centres, edges clamped
    r = resample(np.arange(16, dtype=np.float32).reshape(4, 4), (2, 2))
    assert r.tolist() == [[5.0, 7.0], [13.0, 15.0]]
    assert peak_cell(np.pad(np.ones((2, 2)), ((4, 0), (0, 4))), 3) == (2, 0)


def test_colour_maps_and_blend():
    assert tuple(lut("inferno")[0]) == (0, 0, 4) and tuple(lut("inferno")[255]) == (252, 255, 164)
    assert tuple(lut("viridis")[255]) == (253, 231, 37)
    with pytest.raises(ValueError, match="unknown colour map 'jet'"):
        lut("jet")
    rgb = np.full((2, 3, 3), 100, np.uint8)
    v = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.0]], np.float32)
    assert np.array_equal(blend(rgb, v, 0.0), rgb)
    full = blend(rgb, v, 1.0, "viridis")
    assert tuple(full[0, 1]) == (253, 231, 37) and tuple(full[0, 0]) == (100, 100, 100)  # cold keeps the picture
    assert np.array_equal(colorize(v, "viridis")[1, 0], lut("viridis")[255])
    with pytest.raises(ValueError, match="the map is 3x2 but the picture 4x2"):
        blend(np.zeros((2, 4, 3), np.uint8), v)
