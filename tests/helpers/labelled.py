"""Real labelled folders for the evaluation tests (the ``image_dataset_from_directory`` layout).

``shapes_folder``: the bundled sample pictures (``resources/samples/images``, 36 files named
``<shape>_...``) sorted into one sub-folder per shape, plus freshly rendered pictures of each shape
(``models/train/shapes_data.render``, fixed seeds, both looks, written as PNG and JPEG), a class
folder spelled with capitals (``Circle``: matched case-insensitively) and one folder whose name is
no label of the model (``blob``: left out). ``second_shapes_model``: the bundled shapes model copied
with a centre-crop sidecar, a real second model whose mistakes differ. ``color_folder``: pictures of
mixed red and blue for the binary model (``helpers.models.build_binary_classifier``).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples" / "images"
SHAPES_MODEL = ROOT / "models" / "shapes.keras"
SHAPES = ("circle", "square", "triangle", "star", "hexagon", "cross")


def _folder_name(shape: str) -> str:
    return "Circle" if shape == "circle" else shape


def shapes_folder(root: Path, rendered_per_class: int = 4, seed: int = 11) -> Path:
    from PIL import Image

    sys.path.insert(0, str(ROOT / "models" / "train"))
    try:
        import shapes_data
    finally:
        sys.path.pop(0)
    root.mkdir(parents=True, exist_ok=True)
    for f in sorted(SAMPLES.iterdir()):
        shape = f.name.split("_")[0]
        d = root / _folder_name(shape)
        d.mkdir(exist_ok=True)
        shutil.copy(f, d / f.name)
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        d = root / _folder_name(shape)
        for i in range(rendered_per_class):
            style = shapes_data.STYLES[i % 2]
            h, w = int(rng.integers(90, 160)), int(rng.integers(90, 200))
            img = Image.fromarray(shapes_data.render(shape, rng, (h, w), style=style))
            img.save(d / f"rendered_{i:02d}.{'png' if i % 2 else 'jpg'}")
    blob = root / "blob"
    blob.mkdir(exist_ok=True)
    shutil.copy(SAMPLES / "circle_01.png", blob / "not_a_shape.png")
    return root


def second_shapes_model(folder: Path) -> Path:
    """The bundled shapes model with a centre-crop sidecar (what it sees differs, so do its errors)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / "shapes_crop.keras"
    shutil.copy(SHAPES_MODEL, model)
    side = json.loads(Path(f"{SHAPES_MODEL}.livepredict.json").read_text())
    side["preprocess"]["resize"] = "center-crop"
    Path(f"{model}.livepredict.json").write_text(json.dumps(side))
    return model


def color_folder(root: Path, per_class: int = 12, seed: int = 5) -> Path:
    """``red`` and ``blue`` folders of noisy pictures whose red-blue balance overlaps between classes."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for label, sign in (("red", 1.0), ("blue", -1.0)):
        d = root / label
        d.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            shift = sign * rng.uniform(-0.15, 0.45)  # some pictures lean the other way: real errors
            base = np.array([0.5 + shift / 2, rng.uniform(0.2, 0.8), 0.5 - shift / 2]) * 255
            img = np.clip(base + rng.normal(0, 30, (24, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(d / f"{label}_{i:02d}.png")
    return root


@pytest.fixture(scope="session")
def binary_model(tmp_path_factory) -> Path:
    """The one-sigmoid colour model (``build_binary_classifier``) with labels blue / red (red positive)."""
    from helpers.models import build_binary_classifier

    d = tmp_path_factory.mktemp("binary")
    model = d / "binary.keras"
    build_binary_classifier().save(model)
    Path(f"{model}.livepredict.json").write_text(json.dumps({"labels": ["blue", "red"]}))
    return model
