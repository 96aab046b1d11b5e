"""Task detection for non-image models, and models the classifier cannot use (described, no crash)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.models import build_forecaster, build_text_generator, build_two_input_model, solid

from livepredict.core.errors import UnsupportedModelError
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images


def test_text_generator(tmp_path):
    p = tmp_path / "chars.keras"
    build_text_generator().save(p)
    m = open_model(p, use_cache=False, runtime="keras")
    assert m.info.task == "text-generator"
    assert m.info.preprocess is None
    out = m.infer(np.array([[1, 2, 3, 4, 5, 6, 7, 8]], np.int32))
    assert out.shape == (1, 12) and abs(float(out.sum()) - 1) < 1e-4
    with pytest.raises(UnsupportedModelError, match="text-generator, not an image classifier"):
        predict_images(m, [solid((1, 2, 3))])


def test_text_generator_whole_model_is_not_converted_and_no_warning(tmp_path):
    """Generation has its own step runtime: the whole-sequence model is described without a failed
    LiteRT conversion or a warning about one."""
    p = tmp_path / "chars.keras"
    build_text_generator().save(p)
    m = open_model(p, use_cache=False)
    assert m.info.runtime == "keras"
    assert "single-step runtime" in m.info.runtime_check.reason
    assert not [w for w in m.info.warnings if "LiteRT" in w]


def test_sequence_forecaster_falls_back_to_keras_quietly(tmp_path, capfd):
    """A GRU with a free batch size does not convert to builtin LiteRT ops: Keras is used, the
    reason is short, and the converter's long MLIR dump does not reach the terminal."""
    p = tmp_path / "f.h5"
    build_forecaster().save(p)
    capfd.readouterr()
    m = open_model(p, use_cache=False)
    out, err = capfd.readouterr()
    assert m.info.task == "sequence-forecaster" and m.info.output_kind == "values"
    assert m.info.runtime == "keras"
    reason = m.info.runtime_check.reason
    assert reason.startswith("conversion to LiteRT failed ('tf.") and " op " in reason and len(reason) < 200
    assert "loc(callsite" not in err and out == ""
    assert m.infer(np.zeros((3, 10, 1), np.float32)).shape == (3, 1)


def test_two_inputs_are_described_but_not_classified(tmp_path):
    p = tmp_path / "two.keras"
    build_two_input_model().save(p)
    m = open_model(p, use_cache=False)
    info = m.info
    assert info.task == "generic" and [t.name for t in info.inputs] == ["image", "extra"]
    assert info.preprocess is None
    with pytest.raises(UnsupportedModelError) as e:
        predict_images(m, [solid((1, 2, 3))])
    assert str(e.value) == ("This model has 2 inputs, so it cannot classify images; it needs a single image "
                            "input.")
    out = m.infer([np.zeros((2, 16, 16, 3), np.float32), np.zeros((2, 4), np.float32)])
    assert out.shape == (2, 3)


def test_grayscale_model_without_channel_axis(tmp_path):
    """An MNIST-style (28, 28) input is an image classifier fed grayscale, the channel squeezed."""
    import keras

    inp = keras.Input((28, 28))
    x = keras.layers.Flatten()(inp)
    dense = keras.layers.Dense(2, activation="softmax")
    out = dense(x)
    model = keras.Model(inp, out)
    # class 1 = bright picture, class 0 = dark picture
    dense.set_weights([np.stack([-np.ones(784), np.ones(784)], axis=1).astype(np.float32) / 100,
                       np.array([0.0, -3.92], np.float32)])
    p = tmp_path / "digits.keras"
    model.save(p)
    m = open_model(p, use_cache=False)
    assert m.info.task == "image-classifier" and m.info.preprocess.color == "gray"
    assert m.preprocess(solid((10, 20, 30), 50, 60)).shape == (28, 28)
    dark, bright = predict_images(m, [solid((5, 5, 5)), solid((250, 250, 250))])
    assert (dark.label, bright.label) == ("class 0", "class 1")


def test_savedmodel_picked_by_its_pb_file(model_files):
    m = open_model(model_files["savedmodel"] / "saved_model.pb", use_cache=False, runtime="keras")
    assert m.info.format == "savedmodel" and m.info.runtime == "savedmodel"
