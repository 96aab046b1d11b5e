"""Real picture files for export and cluster tests: the demo model's shapes, drawn by the same
generator its training used (``models/train/shapes_data.py``), at many sizes, in several formats."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "models" / "train"
FORMATS = (("png", "PNG"), ("jpg", "JPEG"), ("bmp", "BMP"), ("gif", "GIF"), ("webp", "WEBP"))


def shapes_data():
    sys.path.insert(0, str(TRAIN))
    try:
        import shapes_data as module
    finally:
        sys.path.remove(str(TRAIN))
    return module


def write_shape_pictures(folder: Path, n: int, seed: int = 11, formats=FORMATS, small: bool = False) -> list[Path]:
    """``n`` pictures of shapes (sizes 48..420 px, any aspect ratio) cycling through ``formats``; some
    are grayscale or have an alpha channel. ``small``: 24..80 px (fast to write and read)."""
    from PIL import Image

    sd = shapes_data()
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    lo, hi = (24, 80) if small else (48, 420)
    for i in range(n):
        label = sd.CLASSES[i % len(sd.CLASSES)]
        h, w = int(rng.integers(lo, hi)), int(rng.integers(lo, hi))
        img = Image.fromarray(sd.render(label, rng, (h, w)))
        ext, fmt = formats[i % len(formats)]
        if fmt == "PNG" and i % 3 == 1:
            img = img.convert("L")
        elif fmt == "PNG" and i % 3 == 2:
            img = img.convert("RGBA")
        p = folder / f"{i:04d}_{label}.{ext}"
        kw = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
        img.save(p, fmt, **kw)
        paths.append(p)
    return paths
