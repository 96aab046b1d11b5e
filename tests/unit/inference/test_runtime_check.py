"""LiteRT is used only when it matches Keras on probe inputs; otherwise Keras, with the reason."""

from __future__ import annotations

import sys
import warnings

import numpy as np

from livepredict.inference import runtimes
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images


def broken_convert(model):
    """The conversion mistake of DESIGN §8: the Keras 3 model passed as the second argument of
    ``from_concrete_functions`` writes a flatbuffer without weights that outputs NaN."""
    import tensorflow as tf

    shape = [None, *model.inputs[0].shape[1:]]
    fn = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec(shape, tf.float32)])
    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], model)
    return bytes(conv.convert())


def test_broken_conversion_is_rejected(model_files, monkeypatch, color_images):
    monkeypatch.setattr(runtimes, "convert_keras", broken_convert)
    m = open_model(model_files["keras"], use_cache=False)
    check = m.info.runtime_check
    assert m.info.runtime == "keras"
    # the flatbuffer lacks the weights: NaN here, or (depending on what the process traced before)
    # garbage values; either way it is caught
    assert not check.passed
    assert "produced NaN" in check.reason or "more than the tolerance" in check.reason
    assert any(w.startswith("Using keras instead of LiteRT: ") for w in m.info.warnings)
    assert predict_images(m, [color_images["red"]])[0].label == "red"  # Keras gives the right answer
    # really broken: without its weights the flatbuffer disagrees with Keras on some input (on one
    # image its garbage may happen to land near the right answer, so look at all of them)
    x = np.stack([m.preprocess(img) for img in color_images.values()])
    wrong = m.runtimes["litert"].infer(x)
    assert not np.allclose(wrong, m.runtimes["keras"].infer(x), atol=1e-2)


def nudged_convert(model):
    """A real flatbuffer of the model with every weight scaled by 1.01: outputs a little off,
    the way a subtly wrong conversion would be (the true conversion can be bit-exact on CPUs where
    Keras and LiteRT take the same kernels, so it cannot be relied on to differ)."""
    import keras

    clone = keras.models.clone_model(model)
    clone.set_weights([w * 1.01 for w in model.get_weights()])
    return runtimes._convert_keras_exact(clone)


def test_mismatch_beyond_tolerance_is_rejected(model_files, monkeypatch):
    monkeypatch.setattr(runtimes, "_convert_keras_exact", runtimes.convert_keras, raising=False)
    monkeypatch.setattr(runtimes, "convert_keras", nudged_convert)
    m = open_model(model_files["h5"], use_cache=False, tolerance=1e-5)
    check = m.info.runtime_check
    assert m.info.runtime == "keras" and not check.passed
    assert check.max_abs_diff > check.tolerance and "more than the tolerance" in check.reason
    # the same nudge within a looser tolerance is accepted: the limit, not the nudge, decides
    m2 = open_model(model_files["h5"], use_cache=False, tolerance=0.5)
    assert m2.info.runtime == "litert" and m2.info.runtime_check.passed


def test_forced_litert_keeps_a_warning(model_files, monkeypatch):
    monkeypatch.setattr(runtimes, "convert_keras", broken_convert)
    m = open_model(model_files["keras"], use_cache=False, runtime="litert")
    assert m.info.runtime == "litert"
    assert any("LiteRT was forced" in w for w in m.info.warnings)


def test_failed_conversion_falls_back(model_files, monkeypatch):
    def fail(model):
        raise RuntimeError("op not supported")

    monkeypatch.setattr(runtimes, "convert_keras", fail)
    m = open_model(model_files["keras"], use_cache=False)
    assert m.info.runtime == "keras"
    assert m.info.runtime_check.reason == "conversion to LiteRT failed (op not supported)"


def test_litert_interpreters_are_per_thread(model_files, color_images):
    """An interpreter is never shared: another thread gets its own and the same answer."""
    import threading

    m = open_model(model_files["tflite"])
    x = m.preprocess(color_images["blue"])[None]
    here = m.infer(x)
    got = {}
    t = threading.Thread(target=lambda: got.setdefault("out", m.infer(x)))
    t.start()
    t.join(30)
    np.testing.assert_allclose(got["out"], here)


def test_tensorflow_interpreter_when_litert_is_not_installed(model_files, color_images, monkeypatch):
    """Without the ai-edge-litert package, LiteRT models run on TensorFlow's own interpreter and
    give the same answers (the package's absence is injected: uninstalling it is not an option)."""
    from livepredict.inference import tf_env

    reference = open_model(model_files["tflite"])
    x = reference.preprocess(color_images["green"])[None]
    expected = reference.infer(x)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # → ImportError on import
    make = tf_env.litert_interpreter_class()
    assert isinstance(make(model_content=model_files["tflite"].read_bytes()), tf_env.import_tf().lite.Interpreter)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # its deprecation notice goes to the log, not the terminal
        m = open_model(model_files["tflite"])
    assert m.info.runtime == "litert"
    np.testing.assert_allclose(m.infer(x), expected, atol=1e-5)
    assert predict_images(m, [color_images["green"]])[0].label == "green"
