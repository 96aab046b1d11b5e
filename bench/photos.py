"""Photo-like JPEG folders for the folder benchmarks (500x375 by default, like a web photo set).

Each picture is a smooth random colour field with shapes and sensor-like noise, so it compresses
like a photograph (about 40-70 KB at quality 90), not like a flat test card.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def make_photos(folder: Path, n: int = 600, size: tuple[int, int] = (500, 375), classes: int = 3,
                seed: int = 0) -> Path:
    """``n`` JPEGs of ``size`` (width, height) in ``classes`` sub-folders of ``folder`` (made once)."""
    from PIL import Image, ImageDraw, ImageFilter

    folder.mkdir(parents=True, exist_ok=True)
    done = sorted(folder.rglob("*.jpg"))
    if len(done) == n:
        return folder
    rng = np.random.default_rng(seed)
    w, h = size
    for i in range(n):
        sub = folder / f"class_{i % classes}"
        sub.mkdir(exist_ok=True)
        low = rng.uniform(0, 255, (6, 8, 3)).astype(np.uint8)
        img = Image.fromarray(low).resize((w, h), Image.Resampling.BICUBIC)
        draw = ImageDraw.Draw(img)
        for _ in range(6):
            x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
            x1, y1 = x0 + int(rng.integers(20, w // 2)), y0 + int(rng.integers(20, h // 2))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=colour)
        img = img.filter(ImageFilter.GaussianBlur(1.2))
        a = np.asarray(img).astype(np.int16) + rng.normal(0, 6, (h, w, 3)).astype(np.int16)
        Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(sub / f"photo_{i:04d}.jpg", quality=90)
    return folder
