"""The bundled demo model, its sidecar, the sample images and the sample video work together.

Real files only: ``models/shapes.keras`` loaded by Keras in safe mode, the PNG/JPEG samples read
with Pillow, ``resources/samples/shapes.avi`` decoded by OpenCV.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "shapes.keras"
SIDECAR = ROOT / "models" / "shapes.keras.livepredict.json"
IMAGES = ROOT / "resources" / "samples" / "images"
VIDEO = ROOT / "resources" / "samples" / "shapes.avi"
TRAIN = ROOT / "models" / "train"


@pytest.fixture(scope="module")
def sidecar() -> dict:
    return json.loads(SIDECAR.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def model():
    import keras

    return keras.saving.load_model(MODEL, safe_mode=True, compile=False)


def _prep(rgb: np.ndarray, spec: dict) -> np.ndarray:
    """The sidecar's preprocessing: squash to size with Pillow's bilinear filter, RGB, 0..255 floats."""
    assert spec["resize"] == "squash" and spec["interpolation"] == "bilinear"
    assert spec["color"] == "rgb" and spec["scale"] == "none"
    h, w = spec["size"]
    img = Image.fromarray(rgb).resize((w, h), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=spec["dtype"])


def _classify(model, sidecar, rgbs: list[np.ndarray]) -> list[str]:
    batch = np.stack([_prep(im, sidecar["preprocess"]) for im in rgbs])
    probs = np.asarray(model(batch, training=False))
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)  # softmax
    return [sidecar["labels"][int(i)] for i in probs.argmax(axis=1)]


def _samples() -> list[Path]:
    return sorted(p for p in IMAGES.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))


def test_model_is_small_and_sidecar_matches_its_output(model, sidecar):
    assert MODEL.stat().st_size < 5 * 1024 * 1024
    assert sidecar["task"] == "image-classifier"
    labels = sidecar["labels"]
    assert len(labels) == len(set(labels)) >= 4
    assert {"circle", "square", "triangle", "star"} <= set(labels)
    assert model.output_shape == (None, len(labels))
    h, w = sidecar["preprocess"]["size"]
    assert model.input_shape == (None, h, w, 3)
    # the 1/255 scaling lives inside the model, so the sidecar must not scale again
    rescale = [layer for layer in model.layers if layer.__class__.__name__ == "Rescaling"]
    assert len(rescale) == 1 and rescale[0].scale == pytest.approx(1 / 255)
    assert sidecar["preprocess"]["scale"] == "none"


def test_sidecar_is_valid_for_the_app(sidecar):
    from livepredict.core.types import PreprocessSpec

    spec = PreprocessSpec.from_json(sidecar["preprocess"])
    assert spec.size == (96, 96) and spec.dtype == "float32"


def test_sample_images_are_many_varied_and_named_by_label(sidecar):
    paths = _samples()
    assert len(paths) >= 20
    labels = set(sidecar["labels"])
    assert {p.name.split("_")[0] for p in paths} == labels  # every class, nothing else
    sizes = {Image.open(p).size for p in paths}
    assert len(sizes) >= 5 and any(w != h for w, h in sizes)
    assert sum("_paper_" in p.name for p in paths) >= 6


def test_model_gets_the_sample_images_right(model, sidecar):
    paths = _samples()
    rgbs = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    guesses = _classify(model, sidecar, rgbs)
    truth = [p.name.split("_")[0] for p in paths]
    right = [g == t for g, t in zip(guesses, truth, strict=True)]
    misses = [(p.name, g) for p, g, ok in zip(paths, guesses, right, strict=True) if not ok]
    assert sum(right) >= 0.9 * len(paths), misses
    paper = [ok for p, ok in zip(paths, right, strict=True) if "_paper_" in p.name]
    assert sum(paper) >= 0.75 * len(paper), misses


def test_sample_video_opens_and_shows_the_classes(model, sidecar):
    import cv2

    schedule = json.loads(VIDEO.with_name(VIDEO.name + ".json").read_text(encoding="utf-8"))
    assert VIDEO.stat().st_size < 1024 * 1024
    cap = cv2.VideoCapture(str(VIDEO))
    try:
        assert cap.isOpened()
        assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(schedule["fps"])
        frames = []
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    assert len(frames) == schedule["frames"] >= 10 * schedule["fps"]
    assert frames[0].shape == (240, 320, 3)
    # the middle frame of each class's segment is recognised (one miss allowed)
    mids = [frames[(s["start"] + s["end"]) // 2] for s in schedule["segments"]]
    guesses = _classify(model, sidecar, mids)
    truth = [s["label"] for s in schedule["segments"]]
    assert set(truth) == set(sidecar["labels"])
    assert sum(g == t for g, t in zip(guesses, truth, strict=True)) >= len(truth) - 1, guesses


def test_generator_is_deterministic_and_draws_every_class():
    sys.path.insert(0, str(TRAIN))
    try:
        import shapes_data
    finally:
        sys.path.remove(str(TRAIN))
    a, ya = shapes_data.make_dataset(12, seed=7, out=64)
    b, yb = shapes_data.make_dataset(12, seed=7, out=64)
    c, _ = shapes_data.make_dataset(12, seed=8, out=64)
    assert a.shape == (12, 64, 64, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, c)
    assert set(ya.tolist()) == set(range(len(shapes_data.CLASSES)))
    rng = np.random.default_rng(0)
    for style in shapes_data.STYLES:
        img = shapes_data.render("star", rng, (120, 200), style=style)
        assert img.shape == (120, 200, 3) and img.dtype == np.uint8 and img.std() > 5
    with pytest.raises(ValueError, match="unknown shape"):
        shapes_data.render("blob", rng)
