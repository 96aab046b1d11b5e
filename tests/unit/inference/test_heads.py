"""Output heads: the classifier head per output kind (real tiny Keras models), the head registry,
the typed result a Prediction carries, and the Task / OutputKind enums."""

from __future__ import annotations

import dataclasses
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

from livepredict.core.errors import InferenceError, UnsupportedModelError
from livepredict.core.types import (
    Classification,
    HeadResult,
    ModelInfo,
    OutputKind,
    Prediction,
    Task,
    TensorInfo,
)
from livepredict.inference import heads
from livepredict.inference.heads import base
from livepredict.inference.heads.classifier import ClassifierHead
from livepredict.inference.loader import LoadedModel, open_model
from livepredict.inference.predict import decode_outputs, predict_images


def _open(model, path, labels=None, **kw):
    model.save(path)
    if labels is not None:
        sidecar = path.parent / (path.name + ".livepredict.json")
        sidecar.write_text(json.dumps({"labels": labels}), encoding="utf-8")
    return open_model(path, use_cache=False, **kw)


def _info(kind: OutputKind | str, labels=(), task: Task | str = Task.IMAGE_CLASSIFIER, units: int = 3) -> ModelInfo:
    return ModelInfo(path="m", format="keras", task=task, inputs=(TensorInfo("x", (None, 8, 8, 3), "float32"),),
                     outputs=(TensorInfo("y", (None, units), "float32"),), params=None, labels=tuple(labels),
                     preprocess=None, preprocess_source="default", runtime="keras", runtime_check=None,
                     output_kind=kind)


def _single_logit_model():
    """Dense(1) without an activation: one logit, positive for red, negative for blue."""
    import keras

    inp = keras.Input((16, 16, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1.0 / 255.0)(inp))
    dense = keras.layers.Dense(1)
    model = keras.Model(inp, dense(x), name="one_logit")
    dense.set_weights([np.array([[10.0], [0.0], [-10.0]], np.float32), np.zeros(1, np.float32)])
    return model


def test_softmax_prediction_carries_a_classification(tmp_path, color_images):
    m = _open(build_color_classifier(), tmp_path / "c.keras", LABELS, runtime="keras")
    assert isinstance(m, LoadedModel) and LoadedModel.__module__ == "livepredict.inference.model"  # re-exported
    assert isinstance(m.head, ClassifierHead)
    pred = predict_images(m, [color_images["green"]], top_k=2)[0]
    result = pred.result
    assert isinstance(result, Classification) and isinstance(result, HeadResult)
    assert result.output_kind == OutputKind.SOFTMAX and result.labels == tuple(LABELS)
    assert pred.top == result.top and pred.top[0][0] == "green" and len(pred.top) == 2
    assert pred.scores is result.scores and result.scores.dtype == np.float32
    raw = m.infer(m.preprocess(color_images["green"])[None])[0]
    np.testing.assert_allclose(result.scores, raw, rtol=1e-6)  # softmax rows are used as they are


def test_single_sigmoid_with_one_label_names_the_other_side(tmp_path):
    m = _open(build_binary_classifier(), tmp_path / "b.keras", ["cat"], runtime="keras")
    assert m.info.output_kind == OutputKind.SIGMOID_BINARY and m.info.warnings == ()
    red, blue = predict_images(m, [solid((255, 0, 0)), solid((0, 0, 255))], top_k=2)
    assert red.result.labels == ("not cat", "cat")
    assert (red.label, blue.label) == ("cat", "not cat")
    p = float(m.infer(m.preprocess(solid((255, 0, 0)))[None])[0, 0])
    np.testing.assert_allclose(red.scores, [1 - p, p], rtol=1e-6)


def test_binary_label_naming():
    head = ClassifierHead(_info(OutputKind.SIGMOID_BINARY, units=1))
    assert head.decode([np.array([0.25])], 2).labels == ("class 0", "class 1")
    named = ClassifierHead(_info(OutputKind.SIGMOID_BINARY, ["no", "yes", "extra"], units=1))
    assert named.decode([np.array([0.25])], 2).top == (("no", 0.75), ("yes", 0.25))


def test_multilabel_scores_are_independent(tmp_path):
    m = _open(build_multilabel_classifier(), tmp_path / "ml.keras", LABELS, runtime="keras")
    pred = predict_images(m, [solid((255, 255, 0))], top_k=0)[0]  # 0: every label
    result = pred.result
    assert result.output_kind == OutputKind.SIGMOID_MULTILABEL
    scores = dict(zip(result.labels, result.scores.tolist(), strict=True))
    assert scores["red"] > 0.9 and scores["green"] > 0.9 and scores["blue"] < 0.1
    assert float(result.scores.sum()) > 1.5  # not a distribution
    assert len(pred.top) == 3 and pred.top[2][0] == "blue"


def test_logits_get_a_softmax_and_numbered_labels(tmp_path, color_images):
    m = _open(build_color_classifier(activation=None), tmp_path / "lg.keras", ["red"], runtime="keras")
    assert m.info.output_kind == OutputKind.LOGITS
    raw = m.infer(m.preprocess(color_images["blue"])[None])[0].astype(np.float64)
    pred = predict_images(m, [color_images["blue"]], top_k=3)[0]
    e = np.exp(raw - raw.max())
    np.testing.assert_allclose(pred.result.scores, e / e.sum(), rtol=1e-5)
    assert pred.result.labels == ("red", "class 1", "class 2") and pred.label == "class 2"


def test_a_single_logit_reads_as_binary_through_a_sigmoid(tmp_path):
    m = _open(_single_logit_model(), tmp_path / "one.keras", runtime="keras")
    assert m.info.output_kind == OutputKind.LOGITS and m.info.labels == ("class 0", "class 1")
    logit = float(m.infer(m.preprocess(solid((255, 0, 0)))[None])[0, 0])
    red = predict_images(m, [solid((255, 0, 0))], top_k=2)[0]
    p = 1.0 / (1.0 + np.exp(-logit))
    assert red.top == (("class 1", pytest.approx(p)), ("class 0", pytest.approx(1 - p)))


def test_values_are_shown_as_they_are():
    head = ClassifierHead(_info(OutputKind.VALUES, ["a"]))
    result = head.decode([np.array([-2.0, 5.0, 0.5])], 2)
    assert result.top == (("class 1", 5.0), ("class 2", 0.5))
    np.testing.assert_array_equal(result.scores, np.array([-2.0, 5.0, 0.5], np.float32))


def test_new_labels_give_a_new_head(tmp_path, color_images):
    m = _open(build_color_classifier(), tmp_path / "c.keras", runtime="keras")
    assert predict_images(m, [color_images["red"]])[0].label == "class 0"
    m.set_profile(labels=["R", "G", "B"])
    assert predict_images(m, [color_images["red"]])[0].label == "R"


def test_live_decode_refuses_nan_with_one_sentence(tmp_path):
    m = _open(build_color_classifier(), tmp_path / "c.keras", runtime="keras")
    with pytest.raises(InferenceError, match="NaN or infinite scores for this frame; the model itself is broken"):
        decode_outputs(m, np.array([0.1, np.nan, 0.2]), 3)
    assert decode_outputs(m, [np.array([0.1, 0.7, 0.2])], 1).top == (("class 1", pytest.approx(0.7)),)


def test_head_chosen_by_task_then_by_outputs():
    assert heads.head_class(_info(OutputKind.SOFTMAX)) is ClassifierHead
    assert heads.head_class(_info(OutputKind.VALUES, task=Task.TEXT_CLASSIFIER)) is ClassifierHead
    assert heads.head_class(_info(OutputKind.SOFTMAX, task=Task.GENERIC)) is ClassifierHead  # detected
    with pytest.raises(UnsupportedModelError, match="no output head fits it"):
        heads.head_class(_info(OutputKind.VALUES, task=Task.GENERIC))


def test_a_new_head_is_one_class_and_one_registration(monkeypatch):
    """A regression head registered like the classifier is found for the outputs it detects."""
    monkeypatch.setattr(base, "_HEADS", list(base._HEADS))

    @dataclasses.dataclass(frozen=True)
    class Value:
        value: float

        @property
        def top(self):
            return (("value", self.value),)

        @property
        def scores(self):
            return None

    @heads.register
    class RegressionHead:
        name = "regression"
        tasks = ()

        def __init__(self, info):
            self.info = info

        @classmethod
        def detect(cls, info):
            return info.output_kind == OutputKind.VALUES and info.outputs[0].shape[-1] == 1

        def decode(self, outputs, top_k):
            return Value(float(outputs[0][0]))

    info = _info(OutputKind.VALUES, task=Task.GENERIC, units=1)
    assert heads.registered()[-1] is RegressionHead
    result = heads.head_for(info).decode([np.array([3.5])], 5)
    assert isinstance(result, HeadResult) and result.top == (("value", 3.5),)
    pred = Prediction(top=result.top, scores=result.scores, result=result)
    assert pred.to_json() == {"path": "", "top": [{"label": "value", "score": 3.5}], "error": None}


def test_task_and_output_kind_are_enums_equal_to_their_strings():
    info = _info("logits", task="image-classifier")  # plain strings (a cache entry) become enums
    assert info.task is Task.IMAGE_CLASSIFIER and info.output_kind is OutputKind.LOGITS
    assert info.task == "image-classifier" and f"{info.task}" == "image-classifier"
    text = json.dumps(info.to_json())
    assert '"task": "image-classifier"' in text and '"output_kind": "logits"' in text
    with pytest.raises(ValueError):
        _info("logits", task="detector-of-everything")
