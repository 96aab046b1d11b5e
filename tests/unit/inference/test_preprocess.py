"""Preprocessing: resize modes, filters, colour order, scaling, dtype, and the display inverse."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from livepredict.core.types import PreprocessSpec
from livepredict.inference.preprocess import as_rgb, preprocess_image, resize_image, tensor_to_display


def halves(h=20, w=40):
    """Left half red, right half blue."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 2] = (255, 0, 0)
    img[:, w // 2:] = (0, 0, 255)
    return img


def test_squash_keeps_everything():
    out = resize_image(halves(), (8, 8), "squash", "nearest")
    assert out.shape == (8, 8, 3)
    assert (out[:, :4] == (255, 0, 0)).all() and (out[:, 4:] == (0, 0, 255)).all()


def test_center_crop_takes_the_middle():
    img = np.zeros((20, 60, 3), np.uint8)
    img[:, 20:40] = (0, 255, 0)  # only the middle third is green
    out = resize_image(img, (10, 10), "center-crop", "nearest")
    assert out.shape == (10, 10, 3) and (out == (0, 255, 0)).all()


def test_letterbox_pads_with_black():
    out = resize_image(halves(20, 40), (16, 16), "letterbox", "nearest")
    assert out.shape == (16, 16, 3)
    assert (out[:4] == 0).all() and (out[-4:] == 0).all()  # 40x20 → 16x8, centred
    assert (out[4:12, :8] == (255, 0, 0)).all() and (out[4:12, 8:] == (0, 0, 255)).all()


def test_filters_differ_and_match_pillow():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)
    outs = {f: resize_image(img, (13, 11), "squash", f) for f in ("nearest", "bilinear", "area", "lanczos")}
    assert len({o.tobytes() for o in outs.values()}) == 4
    expect = np.asarray(Image.fromarray(img).resize((11, 13), Image.Resampling.BOX))
    np.testing.assert_array_equal(outs["area"], expect)


def test_teachable_machine_crop_matches_its_sample_code():
    """TM's Keras sample: ImageOps.fit(image, (224, 224), LANCZOS), then x / 127.5 - 1."""
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    spec = PreprocessSpec(size=(224, 224), resize="center-crop", interpolation="lanczos", scale="-1..1")
    ref = np.asarray(ImageOps.fit(Image.fromarray(img), (224, 224), Image.Resampling.LANCZOS))
    ref = ref.astype(np.float32) / 127.5 - 1
    np.testing.assert_allclose(preprocess_image(img, spec), ref, atol=1e-6)


@pytest.mark.parametrize(("scale", "lo", "hi"), [("none", 0, 255), ("0..1", 0, 1), ("-1..1", -1, 1)])
def test_scaling(scale, lo, hi):
    img = np.zeros((2, 2, 3), np.uint8)
    img[0, 0] = 255
    x = preprocess_image(img, PreprocessSpec(size=None, scale=scale))
    assert x.dtype == np.float32
    assert x.min() == pytest.approx(lo) and x.max() == pytest.approx(hi)


def test_mean_std_per_channel():
    img = np.full((2, 2, 3), (100, 150, 200), np.uint8)
    spec = PreprocessSpec(size=None, scale="mean-std", mean=(100, 100, 100), std=(1, 10, 50))
    np.testing.assert_allclose(preprocess_image(img, spec)[0, 0], [0, 5, 2])


def test_colour_orders():
    img = np.full((3, 3, 3), (10, 20, 30), np.uint8)
    bgr = preprocess_image(img, PreprocessSpec(size=None, color="bgr", scale="none"))
    assert bgr[0, 0].tolist() == [30, 20, 10]
    gray = preprocess_image(img, PreprocessSpec(size=(2, 2), color="gray", scale="none"))
    assert gray.shape == (2, 2, 1)
    assert gray[0, 0, 0] == pytest.approx(10 * 0.299 + 20 * 0.587 + 30 * 0.114, abs=1)


@pytest.mark.parametrize("dtype", ["float16", "uint8", "int8", "int32"])
def test_dtype_cast(dtype):
    img = np.full((2, 2, 3), 200, np.uint8)
    x = preprocess_image(img, PreprocessSpec(size=None, scale="none", dtype=dtype))
    assert x.dtype == np.dtype(dtype)
    assert float(x[0, 0, 0]) == (72 if dtype == "int8" else 200)


@pytest.mark.parametrize("spec", [
    PreprocessSpec(size=(8, 8), scale="0..1"),
    PreprocessSpec(size=(8, 8), scale="-1..1", color="bgr"),
    PreprocessSpec(size=(8, 8), scale="mean-std", mean=(120, 110, 100), std=(60, 50, 40)),
    PreprocessSpec(size=(8, 8), scale="none", dtype="uint8"),
    PreprocessSpec(size=(8, 8), scale="none", dtype="int8"),
])
def test_tensor_to_display_undoes_preprocessing(spec):
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    back = tensor_to_display(preprocess_image(img, spec), spec)
    assert back.dtype == np.uint8 and back.shape == (8, 8, 3)
    assert np.abs(back.astype(int) - img.astype(int)).max() <= 1


def test_display_of_gray_and_batched_tensor():
    spec = PreprocessSpec(size=(4, 4), color="gray")
    t = preprocess_image(np.full((4, 4, 3), 90, np.uint8), spec)[None]
    out = tensor_to_display(t, spec)
    assert out.shape == (4, 4, 3) and (out == 90).all()


def test_as_rgb_accepts_gray_and_rgba():
    assert as_rgb(np.zeros((3, 4), np.uint8)).shape == (3, 4, 3)
    assert as_rgb(np.zeros((3, 4, 4), np.uint8)).shape == (3, 4, 3)
    with pytest.raises(ValueError):
        as_rgb(np.zeros((3, 4, 2), np.uint8))
