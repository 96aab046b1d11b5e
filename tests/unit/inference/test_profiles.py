"""Where preprocessing and labels come from: model layers, sidecar, Teachable Machine, labels.txt,
default; and how outputs are read: softmax, single sigmoid, multi-label sigmoid, logits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.models import (
    LABELS,
    build_binary_classifier,
    build_color_classifier,
    build_multilabel_classifier,
    solid,
)

from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images


def _save(model, path):
    model.save(path)
    return path


def _sidecar(path, data):
    (path.parent / (path.name + ".livepredict.json")).write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture(scope="module")
def plain_model():
    """The colour classifier without a Rescaling layer: it expects 0..1 inputs."""
    return build_color_classifier(rescaling=False, name="plain")


def test_sidecar_preprocess_is_merged_and_labelled(tmp_path, color_images):
    p = _save(build_color_classifier(), tmp_path / "m.keras")
    _sidecar(p, {"labels": ["R", "G", "B"], "preprocess": {"resize": "center-crop", "interpolation": "lanczos",
                                                           "scale": "none"}})
    m = open_model(p, use_cache=False)
    info = m.info
    assert info.preprocess_source == "sidecar"
    assert (info.preprocess.resize, info.preprocess.interpolation) == ("center-crop", "lanczos")
    assert info.preprocess.in_model == ("Rescaling(scale=1/255, offset=0)",)  # still shown
    assert info.labels == ("R", "G", "B") and info.warnings == ()
    assert predict_images(m, [color_images["blue"]])[0].label == "B"


def test_sidecar_that_doubles_in_model_scaling_is_flagged(tmp_path):
    p = _save(build_color_classifier(), tmp_path / "m.keras")
    _sidecar(p, {"preprocess": {"scale": "0..1"}})
    info = open_model(p, use_cache=False, runtime="keras").info
    assert info.preprocess.scale == "0..1"
    assert any("may be doubled" in w for w in info.warnings)


def test_teachable_machine_layout(tmp_path):
    """keras_model.h5 + labels.txt ("0 red"): centre crop, Lanczos, -1..1."""
    model = build_color_classifier(rescaling=False, name="tm")
    p = tmp_path / "keras_model.h5"
    model.save(p)
    (tmp_path / "labels.txt").write_text("0 red\n1 green\n2 blue\n", encoding="utf-8")
    m = open_model(p, use_cache=False)
    spec = m.info.preprocess
    assert m.info.preprocess_source == "teachable-machine"
    assert (spec.resize, spec.interpolation, spec.scale, spec.size) == ("center-crop", "lanczos", "-1..1", (16, 16))
    assert m.info.labels == ("red", "green", "blue")
    # green | red | blue thirds: only a centre crop sees red alone
    img = np.concatenate([solid((0, 255, 0), 16, 16), solid((255, 0, 0), 16, 16), solid((0, 0, 255), 16, 16)],
                         axis=1)
    pred = predict_images(m, [img])[0]
    assert pred.label == "red" and pred.score > 0.9


def test_labels_file_beside_a_model_without_hints(tmp_path, plain_model, color_images):
    p = _save(plain_model, tmp_path / "m.keras")
    (tmp_path / "labels.txt").write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    m = open_model(p, use_cache=False)
    assert m.info.preprocess_source == "labels-file"
    assert m.info.labels == tuple(LABELS)
    assert m.info.preprocess.scale == "0..1"
    assert any("No preprocessing information" in w for w in m.info.warnings)
    assert predict_images(m, [color_images["green"]])[0].label == "green"


def test_default_profile_warns(tmp_path, plain_model):
    p = _save(plain_model, tmp_path / "m.keras")
    info = open_model(p, use_cache=False, runtime="keras").info
    assert info.preprocess_source == "default"
    assert info.labels == ("class 0", "class 1", "class 2")
    assert (info.preprocess.size, info.preprocess.scale, info.preprocess.resize) == ((16, 16), "0..1", "squash")
    assert any("m.keras.livepredict.json" in w for w in info.warnings)


def test_label_count_mismatch_is_a_warning(tmp_path):
    p = _save(build_color_classifier(), tmp_path / "m.keras")
    _sidecar(p, {"labels": ["a", "b"]})
    m = open_model(p, use_cache=False, runtime="keras")
    assert any("2 labels were found but the model has 3 classes" in w for w in m.info.warnings)
    assert {lbl for lbl, _ in predict_images(m, [solid((0, 0, 255))], top_k=3)[0].top} == {"a", "b", "class 2"}


def test_single_sigmoid_is_binary(tmp_path):
    p = _save(build_binary_classifier(), tmp_path / "b.keras")
    _sidecar(p, {"labels": ["blue", "red"]})
    m = open_model(p, use_cache=False)
    assert m.info.output_kind == "sigmoid-binary"
    red, blue = predict_images(m, [solid((255, 0, 0)), solid((0, 0, 255))], top_k=2)
    assert red.label == "red" and blue.label == "blue"
    assert red.top[0][1] + red.top[1][1] == pytest.approx(1.0)
    assert red.scores.shape == (2,)


def test_binary_without_labels_gets_two_labels(tmp_path):
    p = _save(build_binary_classifier(), tmp_path / "b.keras")
    m = open_model(p, use_cache=False, runtime="keras")
    assert m.info.labels == ("class 0", "class 1")
    assert m.head.decode([np.array([0.8])], 2).top == (("class 1", pytest.approx(0.8)),
                                                       ("class 0", pytest.approx(0.2)))


def test_multilabel_sigmoid_scores_are_independent(tmp_path):
    p = _save(build_multilabel_classifier(), tmp_path / "ml.keras")
    _sidecar(p, {"labels": LABELS})
    m = open_model(p, use_cache=False)
    assert m.info.output_kind == "sigmoid-multilabel"
    yellow = predict_images(m, [solid((255, 255, 0))], top_k=3)[0]
    scores = dict(yellow.top)
    assert scores["red"] > 0.9 and scores["green"] > 0.9 and scores["blue"] < 0.1


def test_logits_are_detected_and_softmaxed_for_display(tmp_path, color_images):
    p = _save(build_color_classifier(activation=None), tmp_path / "lg.keras")
    _sidecar(p, {"labels": LABELS})
    m = open_model(p, use_cache=False)
    assert m.info.output_kind == "logits"
    raw = m.infer(m.preprocess(color_images["red"])[None])[0]
    assert raw.max() > 1.0  # really logits
    pred = predict_images(m, [color_images["red"]], top_k=3)[0]
    assert pred.label == "red" and sum(s for _, s in pred.top) == pytest.approx(1.0, abs=1e-5)


def test_tflite_output_kind_from_its_last_op(model_files):
    m = open_model(model_files["tflite"])
    assert m.info.output_kind == "softmax" and m.info.runtime == "litert"


def test_keras_applications_name_gives_its_preprocessing(tmp_path):
    """A model named like keras.applications ResNet50 gets its caffe-style preprocessing (BGR, mean)."""
    import keras

    inp = keras.Input((16, 16, 3))
    out = keras.layers.Dense(3, activation="softmax")(keras.layers.GlobalAveragePooling2D()(inp))
    p = tmp_path / "r.keras"
    keras.Model(inp, out, name="resnet50").save(p)
    info = open_model(p, use_cache=False, runtime="keras").info
    spec = info.preprocess
    assert info.preprocess_source == "model"
    assert (spec.color, spec.scale, spec.mean) == ("bgr", "mean-std", (103.939, 116.779, 123.68))
    assert any("keras.applications ResNet" in w for w in info.warnings)
    assert not any("No preprocessing information" in w for w in info.warnings)
