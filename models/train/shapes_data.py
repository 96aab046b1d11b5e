"""Procedural pictures of shapes for the bundled demo classifier (no downloads, fixed seeds).

Every picture is made from a ``numpy.random.Generator``, so a seed gives the same pictures on any
machine with the same numpy/Pillow/OpenCV. Two looks:

* ``synthetic``: a shape filled, outlined or both, in varied colours, sizes, positions and
  rotations, over a flat, gradient, textured or paper-like background, with optional clutter;
* ``paper``: a shape drawn by hand with a pen (jittery strokes, gaps and overshoots, rounded
  corners) on a sheet of paper, photographed: lighting gradient, shadow, perspective, table
  around the sheet, defocus, sensor noise, JPEG.

Both then go through camera-like degradations (perspective, blur, noise, colour cast, JPEG).

Public API (used by the training script, the sample maker, tests and benches)::

    CLASSES                                   # ("circle", "square", ...)
    render(label, rng, size=(h, w), style=None) -> RGB uint8 array (h, w, 3)
    make_dataset(n, seed, out=96) -> (x uint8 (n, out, out, 3), y int32 (n,))

``make_dataset`` renders each scene at a random size and aspect ratio and squashes it to
``out`` x ``out`` with Pillow's bilinear filter: the same squash the app applies to camera frames
and files (``preprocess`` of the model's sidecar), so training sees the same distortions.
"""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "star", "hexagon", "cross")
STYLES = ("synthetic", "paper")

# Pen colours for hand drawings (RGB): black, blue, dark blue, red, green, graphite, purple.
_PENS = ((20, 20, 25), (25, 50, 160), (15, 25, 90), (170, 25, 30), (20, 110, 45), (70, 70, 75),
         (90, 30, 120))
# Desk / table colours around a photographed sheet.
_TABLES = ((120, 85, 55), (90, 60, 40), (150, 120, 90), (60, 60, 65), (170, 170, 165),
           (40, 45, 50), (200, 190, 170))


# ---------------------------------------------------------------------------------------------
# geometry


def outline(label: str, rng: np.random.Generator) -> np.ndarray:
    """The closed outline of ``label`` as float (N, 2) points around (0, 0), radius about 1."""
    if label == "circle":
        t = np.linspace(0, 2 * np.pi, 96, endpoint=False)
        ry = rng.uniform(0.88, 1.0)  # slightly oval: hand-drawn and tilted circles
        pts = np.stack([np.cos(t), ry * np.sin(t)], 1)
    elif label == "square":
        ar = rng.uniform(0.85, 1.0)
        pts = np.array([[-1, -ar], [1, -ar], [1, ar], [-1, ar]], float) / math.sqrt(1 + ar * ar) * 1.3
    elif label == "triangle":
        ang = np.array([-90, 30, 150], float) + rng.uniform(-12, 12, 3)
        pts = np.stack([np.cos(np.radians(ang)), np.sin(np.radians(ang))], 1)
        pts[:, 1] += 0.2  # the centroid of the circumscribed triangle sits below its centre
    elif label == "star":
        k = 5
        inner = rng.uniform(0.36, 0.5)
        t = np.arange(2 * k) * np.pi / k - np.pi / 2
        r = np.where(np.arange(2 * k) % 2 == 0, 1.0, inner)
        pts = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    elif label == "hexagon":
        t = np.arange(6) * np.pi / 3
        pts = np.stack([np.cos(t), np.sin(t)], 1)
    elif label == "cross":
        a = rng.uniform(0.28, 0.42)  # half the arm width
        b = 1.0 / math.sqrt(2) * 1.25
        q = [(a, a), (a, b), (-a, b), (-a, a), (-b, a), (-b, -a), (-a, -a), (-a, -b), (a, -b),
             (a, -a), (b, -a), (b, a)]
        pts = np.array(q, float) / b * 0.95
    else:
        raise ValueError(f"unknown shape {label!r}; known: {', '.join(CLASSES)}")
    return pts


def _place(pts: np.ndarray, cx: float, cy: float, r: float, theta: float) -> np.ndarray:
    c, s = math.cos(theta), math.sin(theta)
    rot = np.array([[c, -s], [s, c]])
    return pts @ rot.T * r + np.array([cx, cy])


def _resample_closed(pts: np.ndarray, n: int) -> np.ndarray:
    """``n`` points evenly spaced along the closed polyline ``pts`` (arc-length parameter)."""
    closed = np.vstack([pts, pts[:1]])
    seg = np.hypot(*np.diff(closed, axis=0).T)
    cum = np.concatenate([[0], np.cumsum(seg)])
    s = np.linspace(0, cum[-1], n, endpoint=False)
    x = np.interp(s, cum, closed[:, 0])
    y = np.interp(s, cum, closed[:, 1])
    return np.stack([x, y], 1)


def _smooth_noise_1d(rng: np.random.Generator, n: int, terms: int = 4) -> np.ndarray:
    """A smooth periodic wobble of unit-ish amplitude over ``n`` samples."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    out = np.zeros(n)
    for k in range(1, terms + 1):
        out += rng.normal(0, 1.0 / k) * np.sin(k * t + rng.uniform(0, 2 * np.pi))
    return out / 1.5


def hand_stroke(pts: np.ndarray, r: float, rng: np.random.Generator) -> np.ndarray:
    """A pen stroke tracing the closed outline ``pts``: wobbly, corners rounded, not quite closed."""
    n = 240
    p = _resample_closed(pts, n)
    # round the corners a little (a pen does not turn on the spot)
    k = int(rng.integers(1, 5))
    if k > 1:
        pad = np.vstack([p[-k:], p, p[:k]])
        kern = np.ones(2 * k + 1) / (2 * k + 1)
        p = np.stack([np.convolve(pad[:, i], kern, "valid") for i in range(2)], 1)
    # wobble perpendicular to the path, low frequency + a little tremor
    d = np.gradient(p, axis=0)
    nrm = np.stack([-d[:, 1], d[:, 0]], 1)
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True) + 1e-9
    amp = r * rng.uniform(0.01, 0.05)
    wob = _smooth_noise_1d(rng, n, 5) * amp + rng.normal(0, r * 0.003, n)
    p = p + nrm * wob[:, None]
    # start anywhere; leave a small gap or overshoot past the start
    start = int(rng.integers(0, n))
    p = np.roll(p, -start, axis=0)
    frac = rng.uniform(0.94, 1.08)
    m = int(n * frac)
    idx = np.arange(m) % n
    stroke = p[idx]
    if frac > 1.0:  # the overshoot drifts off the first pass
        tail = np.arange(m - n)
        stroke[n:] += nrm[idx[n:]] * (tail[:, None] * r * rng.uniform(-0.004, 0.004))
    return stroke


# ---------------------------------------------------------------------------------------------
# textures


def _smooth_field(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Low-frequency noise in about [-1, 1], shape (h, w)."""
    g = rng.normal(0, 1, (cells + 1, cells + 1)).astype(np.float32)
    return cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC) / 1.5


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0, 255, 3)


def _gradient(rng: np.random.Generator, h: int, w: int, c0: np.ndarray, c1: np.ndarray) -> np.ndarray:
    a = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xx / max(w, 1) - 0.5) * math.cos(a) + (yy / max(h, 1) - 0.5) * math.sin(a)
    t = (t - t.min()) / (np.ptp(t) + 1e-6)
    return c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]


def _paper(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    base = np.array([rng.uniform(225, 252), rng.uniform(222, 250), rng.uniform(205, 245)])
    img = np.broadcast_to(base, (h, w, 3)).astype(np.float32).copy()
    img += _smooth_field(rng, h, w, int(rng.integers(3, 9)))[..., None] * rng.uniform(2, 8)
    img += rng.normal(0, rng.uniform(1, 4), (h, w, 1)).astype(np.float32)  # fibres
    u = rng.random()
    if u < 0.2:  # ruled paper
        step = rng.uniform(0.05, 0.09) * h
        col = np.array([150, 170, 215], np.float32)
        off = rng.uniform(0, step)
        for y in np.arange(off, h, step):
            yi = int(y)
            img[yi:yi + max(1, h // 300)] = img[yi:yi + max(1, h // 300)] * 0.5 + col * 0.5
    elif u < 0.3:  # squared paper
        step = rng.uniform(0.04, 0.07) * min(h, w)
        col = np.array([165, 185, 205], np.float32)
        for y in np.arange(rng.uniform(0, step), h, step):
            img[int(y)] = img[int(y)] * 0.55 + col * 0.45
        for x in np.arange(rng.uniform(0, step), w, step):
            img[:, int(x)] = img[:, int(x)] * 0.55 + col * 0.45
    return img


def background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A float32 (h, w, 3) background: flat, gradient, textured or paper."""
    u = rng.random()
    if u < 0.3:
        img = np.broadcast_to(_random_colour(rng), (h, w, 3)).astype(np.float32).copy()
    elif u < 0.6:
        img = _gradient(rng, h, w, _random_colour(rng), _random_colour(rng)).astype(np.float32)
    elif u < 0.8:
        img = _paper(rng, h, w)
    else:
        c = _random_colour(rng)
        img = np.broadcast_to(c, (h, w, 3)).astype(np.float32).copy()
        for _ in range(3):
            img += _smooth_field(rng, h, w, int(rng.integers(2, 12)))[..., None] * rng.uniform(5, 40, 3)
    return img


# ---------------------------------------------------------------------------------------------
# drawing


def _lum(c: np.ndarray) -> float:
    return float(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])


def _contrasting(rng: np.random.Generator, bg: np.ndarray, min_dist: float = 90.0) -> np.ndarray:
    """A colour far enough from the background's mean colour (in RGB and in luminance)."""
    ref = bg.reshape(-1, 3).mean(0)
    for _ in range(50):
        c = _random_colour(rng)
        if np.linalg.norm(c - ref) > min_dist and abs(_lum(c) - _lum(ref)) > 35:
            return c
    return np.where(ref > 128, 20.0, 235.0)


def _mask(h: int, w: int, ss: int, draw) -> np.ndarray:
    """Render with ``draw(ImageDraw, scale)`` at ``ss`` x supersampling; float mask in [0, 1]."""
    m = Image.new("L", (w * ss, h * ss), 0)
    draw(ImageDraw.Draw(m), ss)
    if ss > 1:
        m = m.resize((w, h), Image.Resampling.BOX)
    return np.asarray(m, np.float32) / 255.0


def _blend(img: np.ndarray, mask: np.ndarray, colour) -> None:
    m = mask[..., None]
    img *= 1 - m
    img += m * colour


def _geometry(label: str, rng: np.random.Generator, h: int, w: int, rmin: float, rmax: float):
    s = min(h, w)
    r = rng.uniform(rmin, rmax) * s / 2
    m = r * 1.05
    cx = rng.uniform(m, max(m, w - m))
    cy = rng.uniform(m, max(m, h - m))
    theta = rng.uniform(0, 2 * np.pi)
    return _place(outline(label, rng), cx, cy, r, theta), r


def _clutter(img: np.ndarray, rng: np.random.Generator, avoid: np.ndarray, r: float) -> None:
    """A few small marks (dots, short lines) away from the shape, like dust or doodles."""
    h, w = img.shape[:2]
    centre = avoid.mean(0)
    for _ in range(int(rng.integers(1, 5))):
        for _ in range(10):
            p = rng.uniform([0, 0], [w, h])
            if np.hypot(*(p - centre)) > r * 1.25:
                break
        else:
            continue
        size = rng.uniform(0.02, 0.08) * min(h, w)
        col = _random_colour(rng)
        if rng.random() < 0.5:
            ang = rng.uniform(0, np.pi)
            q = p + size * np.array([math.cos(ang), math.sin(ang)])
            lw = max(1, int(rng.uniform(0.005, 0.015) * min(h, w)))
            mk = _mask(h, w, 2, lambda d, ss, p=p, q=q, lw=lw: d.line(
                [tuple(p * ss), tuple(q * ss)], fill=255, width=lw * ss))
        else:
            rr = size / 3
            mk = _mask(h, w, 2, lambda d, ss, p=p, rr=rr: d.ellipse(
                [(p[0] - rr) * ss, (p[1] - rr) * ss, (p[0] + rr) * ss, (p[1] + rr) * ss], fill=255))
        _blend(img, mk, col)


def _synthetic(label: str, rng: np.random.Generator, h: int, w: int,
               radius: tuple[float, float] = (0.2, 0.92)) -> np.ndarray:
    img = background(rng, h, w)
    pts, r = _geometry(label, rng, h, w, *radius)
    flat = [tuple(p) for p in pts]
    fill_col = _contrasting(rng, img)
    style = rng.choice(["filled", "outline", "both"], p=[0.45, 0.35, 0.2])
    lw = max(1.0, r * rng.uniform(0.04, 0.16))
    ss = 3 if min(h, w) < 200 else 2

    def poly(scale_pts):
        return [(x * scale_pts, y * scale_pts) for x, y in flat]

    if style in ("filled", "both"):
        m = _mask(h, w, ss, lambda d, s: d.polygon(poly(s), fill=255))
        if rng.random() < 0.25:  # a gradient fill
            paint = _gradient(rng, h, w, fill_col, _contrasting(rng, img)).astype(np.float32)
            img = img * (1 - m[..., None]) + paint * m[..., None]
        else:
            _blend(img, m, fill_col)
    if style in ("outline", "both"):
        line_col = fill_col if style == "outline" else _contrasting(rng, np.array([fill_col]), 70)
        closed = flat + flat[:1]
        m = _mask(h, w, ss, lambda d, s: d.line([(x * s, y * s) for x, y in closed], fill=255,
                                                  width=max(1, int(lw * s)), joint="curve"))
        _blend(img, m, line_col)
    if rng.random() < 0.25:
        _clutter(img, rng, pts, r)
    return img


def _sketch_on(img: np.ndarray, label: str, rng: np.random.Generator, rmin: float, rmax: float,
               region: tuple[int, int, int, int] | None = None) -> None:
    """Draw ``label`` by hand with a pen onto ``img`` (float, modified in place)."""
    h, w = img.shape[:2]
    x0, y0, rw, rh = region or (0, 0, w, h)
    pts, r = _geometry(label, rng, rh, rw, rmin, rmax)
    pts = pts + np.array([x0, y0])
    pen = np.array(_PENS[int(rng.integers(len(_PENS)))], np.float32) + rng.normal(0, 8, 3)
    lw = max(1.0, r * rng.uniform(0.025, 0.08))
    strokes = [hand_stroke(pts, r, rng) for _ in range(1 if rng.random() < 0.75 else 2)]
    ss = 2
    m = _mask(h, w, ss, lambda d, s: [d.line([(x * s, y * s) for x, y in st], fill=255,
                                             width=max(1, int(lw * s)), joint="curve")
                                      for st in strokes])
    ink = rng.uniform(0.75, 1.0)
    if rng.random() < 0.2:  # coloured in with a marker, leaving a rim
        fm = _mask(h, w, ss, lambda d, s: d.polygon([(x * s, y * s) for x, y in pts], fill=255))
        fill = np.array(_PENS[int(rng.integers(len(_PENS)))], np.float32)
        _blend(img, fm * rng.uniform(0.5, 0.9), fill)
    _blend(img, m * ink, pen)


def _paper_photo(label: str, rng: np.random.Generator, h: int, w: int,
                 radius: tuple[float, float] | None = None) -> np.ndarray:
    """A hand-drawn shape on a sheet of paper, photographed (before camera degradations)."""
    if rng.random() < 0.45:  # the sheet does not fill the frame: a table shows around it
        table = np.array(_TABLES[int(rng.integers(len(_TABLES)))], np.float32) + rng.normal(0, 10, 3)
        img = np.broadcast_to(table, (h, w, 3)).astype(np.float32).copy()
        img += _smooth_field(rng, h, w, int(rng.integers(4, 20)))[..., None] * rng.uniform(5, 20)
        mx, my = rng.uniform(0.02, 0.12) * w, rng.uniform(0.02, 0.12) * h
        x0, y0, x1, y1 = int(mx), int(my), int(w - rng.uniform(0.02, 0.12) * w), int(
            h - rng.uniform(0.02, 0.12) * h)
        sheet = _paper(rng, y1 - y0, x1 - x0)
        _sketch_on(sheet, label, rng, *(radius or (0.25, 0.85)))
        img[y0:y1, x0:x1] = sheet
        # a soft drop shadow under the sheet's lower-right edge
        sh = np.zeros((h, w), np.float32)
        d = max(2, int(0.01 * min(h, w)))
        sh[y0 + d:y1 + d, x0 + d:x1 + d] = 1
        sh[y0:y1, x0:x1] = 0
        sh = cv2.GaussianBlur(sh, (0, 0), d)
        img *= 1 - 0.35 * sh[..., None]
    else:
        img = _paper(rng, h, w)
        _sketch_on(img, label, rng, *(radius or (0.25, 0.9)))
    return img


# ---------------------------------------------------------------------------------------------
# camera


def _perspective(img: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + rng.uniform(-amount, amount, (4, 2)).astype(np.float32) * np.float32([w, h])
    mat = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, mat, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def camera(img: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Photo-like degradations of a float image; returns RGB uint8."""
    h, w = img.shape[:2]
    s = min(h, w)
    if rng.random() < 0.35 * strength:
        img = _perspective(img, rng, rng.uniform(0.03, 0.12))
    if rng.random() < 0.4 * strength:  # lighting gradient / vignette / soft shadow
        light = 1 + _smooth_field(rng, h, w, int(rng.integers(1, 4))) * rng.uniform(0.1, 0.3)
        img = img * light[..., None]
    if rng.random() < 0.3 * strength:  # white balance cast
        img = img * rng.uniform(0.85, 1.15, 3)
    if rng.random() < 0.1 * strength:  # grey or washed-out colour (cheap cameras, dim light)
        grey = img.mean(axis=2, keepdims=True)
        img = grey + (img - grey) * rng.uniform(0.0, 0.4)
    if rng.random() < 0.3 * strength:  # contrast / brightness
        img = (img - 128) * rng.uniform(0.65, 1.15) + 128 + rng.uniform(-30, 30)
    if rng.random() < 0.4 * strength:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.6) * s / 150)
    if rng.random() < 0.6 * strength:  # sensor noise, luminance + chroma
        sigma = rng.uniform(2, 14)
        img = img + rng.normal(0, sigma, (h, w, 1)) + rng.normal(0, sigma * 0.4, (h, w, 3))
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.3 * strength:
        q = int(rng.uniform(25, 90))
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(out)


# ---------------------------------------------------------------------------------------------
# public


def render(label: str, rng: np.random.Generator, size: tuple[int, int] = (96, 96),
           style: str | None = None, degrade: float = 1.0,
           radius: tuple[float, float] | None = None) -> np.ndarray:
    """One RGB uint8 picture (h, w, 3) of ``label``; ``style`` is synthetic, paper or random.

    ``radius`` = (low, high) overrides the shape's size range, as fractions of half the short side
    (of the sheet, for paper photos); ``degrade`` scales the odds of each camera effect.
    """
    h, w = int(size[0]), int(size[1])
    if style is None:
        style = "paper" if rng.random() < 0.3 else "synthetic"
    if style == "synthetic":
        img = _synthetic(label, rng, h, w, radius or (0.2, 0.92))
    elif style == "paper":
        img = _paper_photo(label, rng, h, w, radius)
    else:
        raise ValueError(f"unknown style {style!r}; known: {', '.join(STYLES)}")
    return camera(img, rng, degrade)


def render_squashed(label: str, rng: np.random.Generator, out: int = 96,
                    style: str | None = None) -> np.ndarray:
    """A scene of random size and aspect ratio, squashed to out x out (bilinear, like the app)."""
    base = rng.uniform(out * 1.1, out * 2.4)
    aspect = math.exp(rng.uniform(math.log(0.6), math.log(1.7)))
    h = int(round(base / math.sqrt(aspect)))
    w = int(round(base * math.sqrt(aspect)))
    img = render(label, rng, (h, w), style)
    return np.asarray(Image.fromarray(img).resize((out, out), Image.Resampling.BILINEAR))


CHUNK = 500  # pictures per independently seeded chunk (same pictures with 1 or N workers)


def _chunk(args: tuple[int, int, int, int, tuple[str, ...], str | None]) -> tuple[np.ndarray, np.ndarray]:
    seed, index, count, out, classes, style = args
    rng = np.random.default_rng([seed, index])
    y = np.arange(count, dtype=np.int32) % len(classes)
    rng.shuffle(y)
    x = np.empty((count, out, out, 3), np.uint8)
    for i in range(count):
        x[i] = render_squashed(classes[int(y[i])], rng, out, style)
    return x, y


def make_dataset(n: int, seed: int, out: int = 96, classes: tuple[str, ...] = CLASSES,
                 style: str | None = None, workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n`` squashed pictures and their class indices (about balanced, shuffled).

    Pictures come in chunks of ``CHUNK``, each seeded by ``(seed, chunk index)``: the result does
    not depend on ``workers`` (processes started with ``spawn``, never ``fork``: DESIGN §8).
    """
    jobs = [(seed, i, min(CHUNK, n - i * CHUNK), out, tuple(classes), style)
            for i in range((n + CHUNK - 1) // CHUNK)]
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(_chunk, jobs)
    else:
        parts = [_chunk(j) for j in jobs]
    if not parts:
        return np.empty((0, out, out, 3), np.uint8), np.empty((0,), np.int32)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def encode_jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    """JPEG bytes of an RGB uint8 image (Pillow)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()
