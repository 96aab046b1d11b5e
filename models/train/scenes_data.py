"""Procedural scenes of several shapes, with boxes and class maps (bundled detector and segmenter).

Built on ``shapes_data`` (outlines, backgrounds, contrasting colours, supersampled masks): each
scene holds 1-5 shapes of random class, size, place, rotation and colour, apart enough that every
shape stays recognisable, over a flat, gradient, textured or paper background, with clutter marks
and camera noise (blur, sensor noise, colour cast, contrast, JPEG; no perspective, so the boxes stay
exact). Fixed seeds: the same scenes on every machine with the same numpy/Pillow/OpenCV.

Public API (training scripts, sample maker, tests)::

    render_scene(rng, size=(h, w)) -> (rgb uint8 (h, w, 3), boxes float32 (n, 4) x0 y0 x1 y1,
                                       classes int32 (n,), class_map uint8 (h, w): 0 background,
                                       k + 1 for shapes_data.CLASSES[k])
    make_dataset(n, seed, out=128) -> dict of letterboxed arrays (see ``make_dataset``)

``make_dataset`` letterboxes each scene to ``out`` x ``out`` with Pillow's ``ImageOps.pad`` (the
app's ``letterbox`` resize, bilinear; the class map with nearest) and maps the boxes with
``livepredict.core.geometry``: the same geometry the app inverts.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "desktop"))

import shapes_data as sd  # noqa: E402

from livepredict.core.geometry import placement  # noqa: E402

CLASSES = sd.CLASSES
MAX_SHAPES = 5


def _spots(rng: np.random.Generator, h: int, w: int, n: int, radius: tuple[float, float]):
    """Up to ``n`` (cx, cy, r) that keep shapes apart (centres at least 1.05 (r1 + r2) apart)."""
    s = min(h, w)
    out: list[tuple[float, float, float]] = []
    for _ in range(n * 12):
        if len(out) == n:
            break
        r = rng.uniform(*radius) * s / 2
        cx, cy = rng.uniform(r * 1.05, w - r * 1.05), rng.uniform(r * 1.05, h - r * 1.05)
        if all(math.hypot(cx - x, cy - y) > 1.05 * (r + q) for x, y, q in out):
            out.append((cx, cy, r))
    return out


def _camera(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Camera-like degradations that keep every pixel in place; returns RGB uint8."""
    h, w = img.shape[:2]
    if rng.random() < 0.3:
        img = img * (1 + sd._smooth_field(rng, h, w, 2)[..., None] * rng.uniform(0.1, 0.25))  # noqa: SLF001
    if rng.random() < 0.3:
        img = img * rng.uniform(0.85, 1.15, 3)
    if rng.random() < 0.3:
        img = (img - 128) * rng.uniform(0.7, 1.1) + 128 + rng.uniform(-25, 25)
    if rng.random() < 0.35:
        img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), rng.uniform(0.3, 1.2) * min(h, w) / 200)
    if rng.random() < 0.6:
        sigma = rng.uniform(2, 12)
        img = img + rng.normal(0, sigma, (h, w, 1)) + rng.normal(0, sigma * 0.4, (h, w, 3))
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.uniform(35, 90))])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(out)


def draw_shape(img: np.ndarray, cmap: np.ndarray, label: str, cx: float, cy: float, r: float,
               theta: float, colour, rng: np.random.Generator, rim=None,
               unit: np.ndarray | None = None) -> tuple[float, ...]:
    """Paint one filled shape (optionally with a rim of another colour) onto float ``img`` and its
    class id into ``cmap``; returns its box (x0, y0, x1, y1) in pixels. ``unit``: the outline to
    use (``shapes_data.outline``; a new random one when None)."""
    h, w = img.shape[:2]
    pts = sd._place(sd.outline(label, rng) if unit is None else unit, cx, cy, r, theta)  # noqa: SLF001
    # render in the shape's own window (with room for the rim), not over the whole frame
    gx0, gy0 = max(0, int(cx - r * 1.3) - 2), max(0, int(cy - r * 1.3) - 2)
    gx1, gy1 = min(w, int(cx + r * 1.3) + 3), min(h, int(cy + r * 1.3) + 3)
    flat = [(x - gx0, y - gy0) for x, y in pts]
    ch, cw = gy1 - gy0, gx1 - gx0
    win = img[gy0:gy1, gx0:gx1]
    ss = 3 if min(h, w) < 200 else 2
    m = sd._mask(ch, cw, ss, lambda d, s: d.polygon([(x * s, y * s) for x, y in flat], fill=255))  # noqa: SLF001
    sd._blend(win, m, colour)  # noqa: SLF001
    if rim is not None:
        lw = max(1, int(r * rng.uniform(0.06, 0.14)))
        rm = sd._mask(ch, cw, ss, lambda d, s: d.line([(x * s, y * s) for x, y in flat + flat[:1]],  # noqa: SLF001
                                                      fill=255, width=lw * s, joint="curve"))
        sd._blend(win, rm, rim)  # noqa: SLF001
        m = np.maximum(m, rm)
    cmap[gy0:gy1, gx0:gx1][m >= 0.5] = CLASSES.index(label) + 1
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    return (max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1))


def render_scene(rng: np.random.Generator, size: tuple[int, int] = (240, 320),
                 count: tuple[int, int] = (1, MAX_SHAPES), radius: tuple[float, float] = (0.2, 0.5)):
    """One scene: (rgb, boxes, classes, class_map); ``radius`` as fractions of half the short side."""
    h, w = int(size[0]), int(size[1])
    img = sd.background(rng, h, w)
    cmap = np.zeros((h, w), np.uint8)
    spots = _spots(rng, h, w, int(rng.integers(count[0], count[1] + 1)), radius)
    boxes, classes = [], []
    if rng.random() < 0.3:  # clutter first: shapes are drawn over it
        sd._clutter(img, rng, np.array([[-1e4, -1e4]]), 1.0)  # noqa: SLF001
    for cx, cy, r in spots:
        k = int(rng.integers(len(CLASSES)))
        colour = sd._contrasting(rng, img[int(max(0, cy - r)):int(cy + r) + 1, int(max(0, cx - r)):int(cx + r) + 1])  # noqa: SLF001
        rim = sd._contrasting(rng, np.array([colour]), 70) if rng.random() < 0.2 else None  # noqa: SLF001
        boxes.append(draw_shape(img, cmap, CLASSES[k], cx, cy, r, rng.uniform(0, 2 * np.pi), colour, rng, rim))
        classes.append(k)
    return (_camera(img, rng), np.asarray(boxes, np.float32).reshape(-1, 4),
            np.asarray(classes, np.int32), cmap)


def letterbox(rgb: np.ndarray, boxes: np.ndarray, cmap: np.ndarray, out: int):
    """The app's letterbox of a scene to out x out: (rgb, boxes in model pixels, class map, valid)."""
    h, w = rgb.shape[:2]
    x = np.asarray(ImageOps.pad(Image.fromarray(rgb), (out, out), method=Image.Resampling.BILINEAR,
                                color=(0, 0, 0), centering=(0.5, 0.5)))
    c = np.asarray(ImageOps.pad(Image.fromarray(cmap), (out, out), method=Image.Resampling.NEAREST,
                                color=0, centering=(0.5, 0.5)))
    where = placement((h, w), (out, out), "letterbox")
    bx0, by0 = where.to_model(boxes[:, 0], boxes[:, 1])
    bx1, by1 = where.to_model(boxes[:, 2], boxes[:, 3])
    valid = np.zeros((out, out), bool)
    vx0, vy0 = where.to_model(np.array([0.0]), np.array([0.0]))
    vx1, vy1 = where.to_model(np.array([float(w)]), np.array([float(h)]))
    valid[int(round(vy0[0])):int(round(vy1[0])), int(round(vx0[0])):int(round(vx1[0]))] = True
    return x, np.stack([bx0, by0, bx1, by1], 1).astype(np.float32), c, valid


def random_size(rng: np.random.Generator, out: int) -> tuple[int, int]:
    base = rng.uniform(out * 1.1, out * 2.0)
    aspect = math.exp(rng.uniform(math.log(0.6), math.log(1.8)))
    return int(round(base / math.sqrt(aspect))), int(round(base * math.sqrt(aspect)))


def make_dataset(n: int, seed: int, out: int = 128) -> dict[str, np.ndarray]:
    """``n`` letterboxed scenes: ``x`` uint8 (n, out, out, 3); ``cmap`` uint8 (n, out, out);
    ``valid`` bool (n, out, out) (False on the letterbox bars); ``boxes`` float32 (n, MAX, 4) in
    model pixels and ``classes`` int32 (n, MAX), padded with class -1."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, out, out, 3), np.uint8)
    cm = np.empty((n, out, out), np.uint8)
    valid = np.empty((n, out, out), bool)
    boxes = np.zeros((n, MAX_SHAPES, 4), np.float32)
    classes = np.full((n, MAX_SHAPES), -1, np.int32)
    for i in range(n):
        rgb, b, k, c = render_scene(rng, random_size(rng, out))
        x[i], bb, cm[i], valid[i] = letterbox(rgb, b, c, out)
        boxes[i, :len(k)] = bb
        classes[i, :len(k)] = k
    return {"x": x, "cmap": cm, "valid": valid, "boxes": boxes, "classes": classes}
