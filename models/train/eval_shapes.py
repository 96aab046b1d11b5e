"""Robustness of the shapes classifier beyond its training distribution (figures in models/README.md).

    .venv/bin/python models/train/eval_shapes.py [MODEL.keras ...]     # default: models/shapes.keras

Three sets of 300 pictures (seed 999, never used in training), squashed to 96x96 like the app:
large shapes and small shapes in 640x480 frames (radius as a fraction of half the short side),
and grey 320x240 pictures. Prints the accuracy of each model on each set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import shapes_data as sd  # noqa: E402

SETS = (  # name, radius range, (h, w), grey
    ("large shapes (radius 17-45% of the short side), 640x480", (0.35, 0.9), (480, 640), False),
    ("small shapes (radius 9-17%), 640x480", (0.18, 0.35), (480, 640), False),
    ("grey pictures, 320x240", None, (240, 320), True),
)


def make_sets(n: int = 300, seed: int = 999) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, radius, size, grey in SETS:
        xs, ys = [], []
        for i in range(n):
            y = i % len(sd.CLASSES)
            im = sd.render(sd.CLASSES[y], rng, size, radius=radius)
            if grey:
                im = np.repeat(im.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
            xs.append(np.asarray(Image.fromarray(im).resize((96, 96), Image.Resampling.BILINEAR)))
            ys.append(y)
        out[name] = (np.stack(xs).astype(np.float32), np.array(ys))
    return out


def main(argv=None) -> int:
    paths = (argv if argv is not None else sys.argv[1:]) or [str(HERE.parent / "shapes.keras")]
    sets = make_sets()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    for path in paths:
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
        for name, (x, y) in sets.items():
            pred = np.asarray(model(x, training=False)).argmax(axis=1)
            print(f"{path}: {name}: {(pred == y).mean():.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
