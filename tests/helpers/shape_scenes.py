"""Pictures with one shape on a plain background at a known place, for the explanation tests.

``scene(rng, size)`` -> (RGB uint8 picture, the shape's box (x0, y0, x1, y1) in its pixels, label),
drawn with the shape outlines the bundled shapes model was trained on (``models/train/shapes_data``).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]


def _shapes_data():
    sys.path.insert(0, str(ROOT / "models" / "train"))
    import shapes_data

    return shapes_data


def scene(rng: np.random.Generator, size: tuple[int, int] = (120, 160), radius: tuple[float, float] = (0.16, 0.26),
          cell: tuple[int, int, int] | None = None) -> tuple[np.ndarray, tuple[float, float, float, float], str]:
    """A flat background of one colour and one filled shape of a contrasting colour, fully inside
    (``cell`` = (row, column, n): centred in that cell of an n x n grid, with a little jitter)."""
    sd = _shapes_data()
    h, w = size
    label = str(rng.choice(sd.CLASSES))
    r = rng.uniform(*radius) * min(h, w)
    if cell is None:
        cx, cy = rng.uniform(r * 1.1, w - r * 1.1), rng.uniform(r * 1.1, h - r * 1.1)
    else:
        row, col, n = cell
        cw, ch = w / n, h / n
        cx = (col + 0.5) * cw + rng.uniform(-1, 1) * max(0.0, cw / 2 - r * 1.05)
        cy = (row + 0.5) * ch + rng.uniform(-1, 1) * max(0.0, ch / 2 - r * 1.05)
    theta = rng.uniform(0, 2 * math.pi)
    c, s = math.cos(theta), math.sin(theta)
    pts = sd.outline(label, rng) @ np.array([[c, -s], [s, c]]).T * r + np.array([cx, cy])
    bg = rng.integers(150, 256, 3) if rng.random() < 0.5 else rng.integers(0, 100, 3)
    fg = 255 - bg
    im = Image.new("RGB", (w, h), tuple(int(v) for v in bg))
    ImageDraw.Draw(im).polygon([tuple(p) for p in pts], fill=tuple(int(v) for v in fg))
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return np.asarray(im), (float(x0), float(y0), float(x1), float(y1)), label


def inside(peak: tuple[int, int], box: tuple[float, float, float, float]) -> bool:
    """Whether the pixel ``peak`` (row, column) lies in ``box`` (x0, y0, x1, y1)."""
    r, c = peak
    x0, y0, x1, y1 = box
    return x0 <= c + 0.5 <= x1 and y0 <= r + 0.5 <= y1


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two maps of the same shape (ties broken by position)."""
    ra = np.argsort(np.argsort(np.ravel(a), kind="stable"), kind="stable").astype(np.float64)
    rb = np.argsort(np.argsort(np.ravel(b), kind="stable"), kind="stable").astype(np.float64)
    ra -= ra.mean()
    rb -= rb.mean()
    den = math.sqrt(float((ra ** 2).sum() * (rb ** 2).sum()))
    return float((ra * rb).sum() / den) if den else 0.0
