"""Every format opens, is described and classifies real images correctly, through a fast runtime."""

from __future__ import annotations

import numpy as np
import pytest

from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images

FORMATS = ("keras", "h5", "savedmodel", "tflite")


@pytest.fixture(scope="module")
def opened(model_files, tmp_path_factory):
    return {fmt: open_model(model_files[fmt], use_cache=False) for fmt in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_is_described(opened, fmt):
    info = opened[fmt].info
    assert info.format == fmt
    assert info.task == "image-classifier"
    assert info.output_kind == "softmax"
    assert info.labels == ("red", "green", "blue")
    assert len(info.inputs) == 1 and info.inputs[0].shape[1:] == (16, 16, 3)
    assert info.outputs[0].shape[-1] == 3
    assert info.preprocess is not None and info.preprocess.size == (16, 16)
    assert info.preprocess.scale == "none"  # Rescaling in the model (or the sidecar) does it
    assert info.preprocess_source == ("model" if fmt in ("keras", "h5") else "sidecar")
    assert info.runtime == "litert"
    assert info.runtime_check is not None and info.runtime_check.passed


@pytest.mark.parametrize("fmt", ("keras", "h5"))
def test_keras_formats_report_params_and_layers(opened, fmt):
    info = opened[fmt].info
    assert info.params == (3 + 3) + (9 + 3)  # depthwise kernel + bias, dense kernel + bias
    kinds = [layer.kind for layer in info.layers]
    assert kinds[:3] == ["InputLayer", "Rescaling", "DepthwiseConv2D"]
    assert info.preprocess.in_model == ("Rescaling(scale=1/255, offset=0)",)
    assert info.runtime_check.compared == "litert vs keras on 4 probe inputs"
    assert info.runtime_check.max_abs_diff < 1e-5


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_classifies_colours(opened, fmt, color_images):
    names = ["red", "green", "blue", "blue", "red"]
    preds = predict_images(opened[fmt], [color_images[n] for n in names], top_k=2)
    assert [p.label for p in preds] == names
    for p in preds:
        assert p.error is None
        assert len(p.top) == 2 and p.top[0][1] > 0.9 > p.top[1][1]
        assert p.scores.shape == (3,) and abs(float(p.scores.sum()) - 1) < 1e-4


def test_batches_are_padded_and_trimmed(opened, color_images):
    """37 images run as chunks of the fixed batch (the last padded) and come back in order."""
    m = opened["keras"]
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(37)]
    batch = np.stack([m.preprocess(im) for im in imgs])
    together = m.infer(batch)
    one_by_one = np.concatenate([m.infer(batch[i:i + 1]) for i in range(37)])
    assert together.shape == (37, 3)
    np.testing.assert_allclose(together, one_by_one, atol=1e-6)
    keras_rt = m.runtimes["keras"]
    np.testing.assert_allclose(keras_rt.infer(batch), together, atol=1e-5)


def test_forced_keras_runtime(model_files, color_images):
    m = open_model(model_files["keras"], runtime="keras", use_cache=False)
    assert m.info.runtime == "keras" and m.info.runtime_check is None
    assert set(m.runtimes) == {"keras"}
    assert predict_images(m, [color_images["green"]])[0].label == "green"
    m.close()


def test_status_messages_are_reported(model_files):
    seen: list[str] = []
    open_model(model_files["h5"], use_cache=False, status=seen.append).close()
    assert "Loading model…" in seen and "Converting to LiteRT…" in seen


def test_set_profile_changes_labels_and_preprocessing(model_files, color_images):
    m = open_model(model_files["tflite"])
    m.set_profile(labels=["R", "G", "B"])
    assert predict_images(m, [color_images["red"]])[0].label == "R"
    # scaling to 0..1 on a model that expects raw pixels flattens the scores (the skew is visible)
    spec = m.info.preprocess
    from dataclasses import replace

    m.set_profile(spec=replace(spec, scale="0..1"))
    assert predict_images(m, [color_images["red"]])[0].score < 0.5
    with pytest.raises(Exception, match="takes 16x16"):
        m.set_profile(spec=replace(spec, size=(32, 32)))


def test_fully_quantized_tflite(tmp_path, color_images):
    """uint8 in, uint8 out (what many exported .tflite files are): fed raw bytes, scores dequantized."""
    import json

    from helpers.models import LABELS, build_color_classifier
    from helpers.real_models import quantised_tflite

    p = tmp_path / "q.tflite"
    p.write_bytes(quantised_tflite(build_color_classifier(), 0, 256, (16, 16, 3)))
    (tmp_path / "q.tflite.livepredict.json").write_text(json.dumps({"labels": LABELS}))
    m = open_model(p)
    info = m.info
    assert info.inputs[0].dtype == "uint8" and info.outputs[0].dtype == "uint8"
    assert (info.preprocess.dtype, info.preprocess.scale) == ("uint8", "none")
    assert info.output_kind == "softmax"
    preds = predict_images(m, [color_images[c] for c in LABELS], top_k=3)
    assert [x.label for x in preds] == LABELS
    for x in preds:
        assert 0.9 < x.score <= 1.0 and sum(s for _, s in x.top) == pytest.approx(1.0, abs=0.02)
