"""The export's preprocessing graph gives the app's pixels (Pillow's arithmetic, bit for bit) for every
resize mode, filter, colour order, scaling and dtype, on pictures of many sizes and aspect ratios."""

from __future__ import annotations

import numpy as np
import pytest

from livepredict.core.types import INTERPOLATIONS, RESIZE_MODES, PreprocessSpec
from livepredict.inference.preprocess import preprocess_image


@pytest.fixture(scope="module")
def shapes_pictures():
    from helpers.pictures import shapes_data

    sd = shapes_data()
    rng = np.random.default_rng(3)
    # smaller and larger than the input, wider and taller, one side equal, and the exact input size
    sizes = [(int(rng.integers(12, 260)), int(rng.integers(12, 260))) for _ in range(6)]
    sizes += [(96, 96), (48, 80), (48, 130), (200, 80), (30, 300)]
    return [sd.render(sd.CLASSES[i % len(sd.CLASSES)], rng, s) for i, s in enumerate(sizes)]


def _graph(spec):
    import tensorflow as tf

    from livepredict.inference import serving_graph

    return tf.function(lambda x: serving_graph.preprocess(tf, x, spec),
                       input_signature=[tf.TensorSpec([None, None, 3], tf.uint8)])


@pytest.mark.parametrize("mode", RESIZE_MODES)
def test_resize_matches_pillow_for_every_filter(mode, shapes_pictures):
    import tensorflow as tf

    for interpolation in INTERPOLATIONS:
        spec = PreprocessSpec(size=(48, 80), resize=mode, interpolation=interpolation, scale="none")
        fn = _graph(spec)
        for pic in shapes_pictures:
            want = preprocess_image(pic, spec)
            got = fn(tf.constant(pic)).numpy()
            assert got.shape == want.shape
            assert np.array_equal(got, want), (mode, interpolation, pic.shape,
                                               float(np.abs(got - want.astype(np.float64)).max()))


@pytest.mark.parametrize("color,scale,dtype", [("gray", "0..1", "float32"), ("bgr", "-1..1", "float32"),
                                               ("rgb", "mean-std", "float32"), ("rgb", "none", "int8"),
                                               ("rgb", "0..1", "uint8"), ("rgb", "none", "float16")])
def test_colour_scaling_and_dtype_match_the_app(color, scale, dtype, shapes_pictures):
    import tensorflow as tf

    kw = {"mean": (123.7, 116.3, 103.5), "std": (58.4, 57.1, 57.4)} if scale == "mean-std" else {}
    spec = PreprocessSpec(size=(40, 40), resize="letterbox", color=color, scale=scale, dtype=dtype, **kw)
    fn = _graph(spec)
    for pic in shapes_pictures[:6]:
        want = preprocess_image(pic, spec)
        got = fn(tf.constant(pic)).numpy()
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want), (color, scale, dtype)
