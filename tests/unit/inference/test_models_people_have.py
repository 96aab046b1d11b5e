"""Keras 3 transfer-learning models, text classifiers, multi-output models and quantised LiteRT
files, built for real: each opens with the right preprocessing and scores what its framework scores."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.real_models import (
    build_two_output_model,
    pictures,
    read_pictures,
    set_weights,
    write_quantised_classifier,
    write_text_classifier,
)

from livepredict.cli import main
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images

SIZE = (96, 96)
TOL = 1e-5


def keras():
    import keras as k

    return k


def _scores(model, images):
    preds = predict_images(model, images, top_k=3)
    assert all(p.error is None for p in preds)
    return np.stack([p.scores for p in preds])


@pytest.fixture(scope="session")
def keras3_transfer(tmp_path_factory):
    """``Sequential([MobileNetV2 base (mobilenetv2_0.35_96), GAP, Dense])`` trained on -1..1, and the
    tutorial form with ``preprocess_input`` in the graph, saved as .keras, with Keras' own scores."""
    k = keras()
    d = tmp_path_factory.mktemp("k3")
    base = k.applications.MobileNetV2(input_shape=(*SIZE, 3), alpha=0.35, include_top=False, weights=None)
    seq = k.Sequential([k.Input((*SIZE, 3)), base, k.layers.GlobalAveragePooling2D(),
                        k.layers.Dense(3, activation="softmax")], name="my_classifier")
    set_weights(seq, 5)
    seq.save(d / "nested.keras")
    inp = k.Input((*SIZE, 3))
    base2 = k.applications.MobileNetV2(input_shape=(*SIZE, 3), alpha=0.35, include_top=False, weights=None)
    x = base2(k.applications.mobilenet_v2.preprocess_input(inp))
    tut = k.Model(inp, k.layers.Dense(3, activation="softmax")(k.layers.GlobalAveragePooling2D()(x)), name="tut")
    set_weights(tut, 6)
    tut.save(d / "tutorial.keras")
    x_sq = pictures(SIZE)
    ref = {"nested": seq.predict(x_sq / 127.5 - 1.0, verbose=0), "nested_wrong": seq.predict(x_sq / 255.0, verbose=0),
           "tutorial": tut.predict(x_sq, verbose=0), "tutorial_wrong": tut.predict(x_sq / 255.0, verbose=0)}
    return d, ref


def test_keras3_nested_base_gets_minus_one_to_one(keras3_transfer):
    d, ref = keras3_transfer
    m = open_model(d / "nested.keras", runtime="keras", use_cache=False)
    assert m.info.preprocess.scale == "-1..1"
    assert any("mobilenetv2_0.35_96" in w for w in m.info.warnings)
    got = _scores(m, read_pictures())
    assert np.max(np.abs(got - ref["nested"])) < TOL
    assert np.max(np.abs(ref["nested"] - ref["nested_wrong"])) > 0.05  # a wrong scale would be caught


def test_keras3_preprocess_input_ops_mean_raw_pixels(keras3_transfer):
    d, ref = keras3_transfer
    m = open_model(d / "tutorial.keras", runtime="keras", use_cache=False)
    assert m.info.preprocess.scale == "none"
    assert any("x/127.5 - 1" in s for s in m.info.preprocess.in_model)
    assert not any("No preprocessing" in w for w in m.info.warnings)
    got = _scores(m, read_pictures())
    assert np.max(np.abs(got - ref["tutorial"])) < TOL
    assert np.max(np.abs(ref["tutorial"] - ref["tutorial_wrong"])) > 0.05


@pytest.mark.parametrize(("family", "words"), [("resnet50", "caffe"), ("densenet", "torch")])
def test_caffe_and_torch_preprocess_input_are_named(tmp_path, family, words):
    k = keras()
    inp = k.Input((32, 32, 3))
    x = getattr(k.applications, family).preprocess_input(inp)
    x = k.layers.Conv2D(4, 3, activation="relu")(x)
    model = k.Model(inp, k.layers.Dense(2, activation="softmax")(k.layers.GlobalAveragePooling2D()(x)))
    set_weights(model, 7)
    model.save(tmp_path / "m.keras")
    m = open_model(tmp_path / "m.keras", runtime="keras", use_cache=False)
    assert m.info.preprocess.scale == "none" and any(words in s for s in m.info.preprocess.in_model)
    imgs = [im[:64, :64] for im in read_pictures()]
    x_sq = np.stack([m.preprocess(im) for im in imgs])
    assert np.max(np.abs(_scores(m, imgs) - model.predict(x_sq, verbose=0))) < TOL


@pytest.fixture(scope="session")
def text_classifier(tmp_path_factory):
    """TextVectorization vocabulary → Embedding → GlobalAveragePooling1D → Dense(3, softmax)."""
    return write_text_classifier(tmp_path_factory.mktemp("text"))


def test_text_classifier_is_not_a_generator(text_classifier):
    path, _, _ = text_classifier
    m = open_model(path, runtime="keras", use_cache=False)
    assert m.info.task == "text-classifier" and m.info.labels == ("pets", "mail", "money")


def test_classify_text_on_the_cli_scores_as_keras(text_classifier, capsys):
    path, texts, ref = text_classifier
    args = ["classify", str(path), "--json", "--top", "3"]
    for t in texts:
        args += ["--text", t]
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)
    labels = ["pets", "mail", "money"]
    for row, r in zip(rows, ref, strict=True):
        got = np.array([next(x["score"] for x in row["top"] if x["label"] == lbl) for lbl in labels])
        assert np.max(np.abs(got - r)) < 2e-6  # the JSON rounds to 6 decimals


@pytest.fixture(scope="session")
def two_outputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("multi")
    model = build_two_output_model()
    model.save(d / "two.keras")
    return d / "two.keras", model


def test_multi_output_lists_every_output_and_states_the_default(two_outputs, capsys):
    path, _ = two_outputs
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Output 0" in out and "Output 1" in out and "(not shown)" in out
    assert "showing output 0 (age) by default" in out


def test_multi_output_picked_by_sidecar_and_flag(two_outputs, tmp_path):
    path, model = two_outputs
    imgs = [im[:40, :40] for im in read_pictures()]
    m = open_model(path, runtime="keras", use_cache=False, output="kind")
    assert m.info.output_index == 1 and m.info.output_kind == "softmax" and len(m.info.labels) == 4
    x = np.stack([m.preprocess(im) for im in imgs])
    assert np.max(np.abs(_scores(m, imgs) - model.predict(x, verbose=0)[1])) < TOL
    copy = tmp_path / "two.keras"
    copy.write_bytes(path.read_bytes())
    (tmp_path / "two.keras.livepredict.json").write_text(json.dumps({"output": 1}))
    assert open_model(copy, runtime="keras", use_cache=False).info.output_index == 1


@pytest.fixture(scope="session")
def quant_file(tmp_path_factory):
    """A float model trained on -1..1, fully integer-quantised (uint8 in, uint8 out)."""
    d = tmp_path_factory.mktemp("quant")
    return write_quantised_classifier(d / "q.tflite")


def test_quantised_tflite_info_shows_scale_and_zero_point(quant_file, capsys):
    m = open_model(quant_file)
    q = m.info.quantization["inputs"][0]
    assert q["dtype"] == "uint8" and q["scale"] > 0
    assert any("raw 0..255 pixel bytes" in w and f"zero point {q['zero_point']}" in w for w in m.info.warnings)
    assert not any("scaled to 0..1" in w for w in m.info.warnings)
    assert main(["info", str(quant_file)]) == 0
    assert f"quantised: scale {q['scale']:.6g}, zero point {q['zero_point']}" in capsys.readouterr().out


def test_float_preprocessing_is_quantised_with_the_input_parameters(quant_file, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    p = tmp_path / "q.tflite"
    p.write_bytes(quant_file.read_bytes())
    (tmp_path / "q.tflite.livepredict.json").write_text(json.dumps({"preprocess": {"scale": "-1..1",
                                                                                   "dtype": "uint8"}}))
    m = open_model(p)
    assert any("quantised with them" in w for w in m.info.warnings)
    imgs = [im[:50, :50] for im in read_pictures()]
    got = _scores(m, imgs)
    it = Interpreter(model_content=p.read_bytes())
    it.allocate_tensors()
    d_in, d_out = it.get_input_details()[0], it.get_output_details()[0]
    (s_in, z_in), (s_out, z_out) = d_in["quantization"], d_out["quantization"]
    for im, row in zip(imgs, got, strict=True):
        x = np.asarray(m.preprocess(im), np.float32)  # -1..1 floats
        q = np.clip(np.rint(x / s_in) + z_in, 0, 255).astype(np.uint8)
        it.set_tensor(d_in["index"], q[None])
        it.invoke()
        ref = (it.get_tensor(d_out["index"])[0].astype(np.float32) - z_out) * s_out
        assert np.array_equal(row, ref)
