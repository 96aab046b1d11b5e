"""The bundled demo model, its sidecar, the sample images and the sample video work together.

Real files only: ``models/shapes.keras`` opened by the app's engine (``open_model``: sidecar,
chosen runtime) and by plain Keras in safe mode, the PNG/JPEG samples read by
``sources.images.read_image``, ``resources/samples/shapes.avi`` decoded by OpenCV.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from livepredict.inference.predict import predict_images

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


@pytest.fixture(scope="module")
def loaded():
    from livepredict.inference.loader import open_model

    m = open_model(MODEL)
    yield m
    m.close()


def _classify(loaded, rgbs: list[np.ndarray]) -> list[str]:
    preds = predict_images(loaded, rgbs, top_k=len(loaded.info.labels))
    for p in preds:
        assert p.error is None, p.error
        assert sum(score for _, score in p.top) == pytest.approx(1.0, abs=1e-3)  # softmax
    return [p.label for p in preds]


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


def test_the_app_reads_the_sidecar(loaded, sidecar):
    from livepredict.core.types import PreprocessSpec

    info = loaded.info
    assert info.task == "image-classifier" and info.output_kind == "softmax"
    assert list(info.labels) == sidecar["labels"]
    assert info.preprocess_source == "sidecar"
    expected = PreprocessSpec.from_json(sidecar["preprocess"])
    assert info.preprocess.size == expected.size == (96, 96)
    assert (info.preprocess.resize, info.preprocess.interpolation, info.preprocess.scale) == (
        "squash", "bilinear", "none")


def test_sample_images_are_many_varied_and_named_by_label(sidecar):
    paths = _samples()
    assert len(paths) >= 20
    labels = set(sidecar["labels"])
    assert {p.name.split("_")[0] for p in paths} == labels  # every class, nothing else
    sizes = {Image.open(p).size for p in paths}
    assert len(sizes) >= 5 and any(w != h for w, h in sizes)
    assert sum("_paper_" in p.name for p in paths) >= 6


def test_model_gets_the_sample_images_right(loaded):
    from livepredict.sources.images import read_image

    paths = _samples()
    guesses = _classify(loaded, [read_image(p) for p in paths])
    truth = [p.name.split("_")[0] for p in paths]
    right = [g == t for g, t in zip(guesses, truth, strict=True)]
    misses = [(p.name, g) for p, g, ok in zip(paths, guesses, right, strict=True) if not ok]
    assert sum(right) >= 0.9 * len(paths), misses
    paper = [ok for p, ok in zip(paths, right, strict=True) if "_paper_" in p.name]
    assert sum(paper) >= 0.75 * len(paper), misses


def test_sample_video_opens_and_shows_the_classes(loaded):
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
    guesses = _classify(loaded, mids)
    truth = [s["label"] for s in schedule["segments"]]
    assert set(truth) == set(loaded.info.labels)
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
