"""Keras-2 files as people have them (Teachable Machine, transfer learning, TFOpLambda, a tf_keras
SavedModel), written by the real Keras 2 in a subprocess: they open, with the preprocessing they
were trained with, and score what Keras 2 itself scores on real pictures."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from helpers.real_models import keras2_files, read_pictures, reference  # noqa: F401 - fixture

from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images

TOL = 1e-5


def _scores(path):
    m = open_model(path, runtime="keras", use_cache=False)
    preds = predict_images(m, read_pictures(), top_k=3)
    assert all(p.error is None for p in preds)
    return m, np.stack([p.scores for p in preds])


@pytest.mark.parametrize("form", ["tm", "tm_old"])
def test_teachable_machine_export_scores_as_keras2(keras2_files, form):  # noqa: F811
    m, got = _scores(keras2_files / form / "keras_model.h5")
    info = m.info
    assert info.loader.startswith("tf_keras 2.") and info.extras["loader"] == info.loader
    assert info.preprocess_source == "teachable-machine" and info.labels == ("circle", "cross", "square")
    assert (info.preprocess.resize, info.preprocess.interpolation, info.preprocess.scale) == (
        "center-crop", "lanczos", "-1..1")
    ref = reference(keras2_files, "tm")
    assert np.max(np.abs(got - ref)) < TOL
    assert np.max(np.abs(got - reference(keras2_files, "tm_wrong_scale"))) > 0.05  # the check can fail


@pytest.mark.parametrize("form", ["transfer", "transfer_old"])
def test_transfer_learning_h5_finds_its_nested_base(keras2_files, form):  # noqa: F811
    m, got = _scores(keras2_files / form / "transfer.h5")
    assert m.info.preprocess.scale == "-1..1" and m.info.preprocess_source == "model"
    assert any("MobileNetV2" in w and "mobilenetv2_0.35_96" in w for w in m.info.warnings)
    assert np.max(np.abs(got - reference(keras2_files, "transfer"))) < TOL


def test_tfoplambda_preprocess_input_inside_the_model(keras2_files):  # noqa: F811
    m, got = _scores(keras2_files / "tfop" / "tfop.h5")
    spec = m.info.preprocess
    assert spec.scale == "none"  # the model divides and subtracts itself: raw 0..255 pixels
    assert any("x/127.5 - 1" in s for s in spec.in_model), spec.in_model
    assert not any("No preprocessing" in w for w in m.info.warnings)
    assert np.max(np.abs(got - reference(keras2_files, "tfop"))) < TOL


def test_tf_keras_savedmodel_rescaling_is_not_doubled(keras2_files):  # noqa: F811
    m, got = _scores(keras2_files / "savedmodel_rescaling")
    assert m.info.preprocess.scale == "none" and m.info.loader.startswith("tf_keras")
    assert any(s.startswith("Rescaling(scale=1/255") for s in m.info.preprocess.in_model)
    assert np.max(np.abs(got - reference(keras2_files, "savedmodel_rescaling"))) < TOL


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "livepredict", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize(("name", "expected"), [("lambda.h5", "contains a Lambda layer"),
                                                ("custom.h5", "needs the custom class Doubler")])
def test_each_refusal_is_one_line_on_stderr(keras2_files, name, expected):  # noqa: F811
    run = _cli("info", str(keras2_files / "unsafe" / name))
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], run.stderr


def test_info_says_which_loader_ran(keras2_files):  # noqa: F811
    run = _cli("info", str(keras2_files / "savedmodel_rescaling"))
    assert run.returncode == 0, run.stderr
    assert "Loaded by   tf_keras 2." in run.stdout
    assert run.stderr.strip() == "" or all(not ln.startswith(("WARNING", "/")) for ln in run.stderr.splitlines())
