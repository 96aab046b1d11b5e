"""Keras-2 era .h5 files (as written by Teachable Machine) that Keras 3 refuses are repaired."""

from __future__ import annotations

import json

import h5py
import pytest
from helpers.models import LABELS, build_color_classifier

from livepredict.inference import legacy
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images


def make_keras2_h5(path):
    """Save with Keras 3, then write the config the way Keras 2.x did."""
    build_color_classifier().save(path)
    with h5py.File(path, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        for layer in cfg["config"]["layers"]:
            c = layer["config"]
            if layer["class_name"] == "InputLayer":
                c["batch_input_shape"] = c.pop("batch_shape")
                c["ragged"] = False
            if layer["class_name"] == "DepthwiseConv2D":
                c["groups"] = 1
        f.attrs["model_config"] = json.dumps(cfg)
        f.attrs["keras_version"] = "2.12.0"
    return path


def test_keras3_alone_refuses_the_file(tmp_path):
    import keras

    p = make_keras2_h5(tmp_path / "old.h5")
    with pytest.raises(Exception, match="groups"):
        keras.models.load_model(p, compile=False)


def test_open_model_repairs_it(tmp_path, color_images):
    p = make_keras2_h5(tmp_path / "old.h5")
    before = p.read_bytes()
    (tmp_path / "old.h5.livepredict.json").write_text(json.dumps({"labels": LABELS}))
    m = open_model(p, use_cache=False)
    assert "DepthwiseConv2D: dropped groups" in m.info.extras["legacy_repairs"]
    assert any(w.startswith("Repaired legacy Keras 2 settings") for w in m.info.warnings)
    assert [x.label for x in predict_images(m, [color_images[c] for c in LABELS])] == LABELS
    assert p.read_bytes() == before  # the user's file is untouched


def test_repair_from_error_message():
    msg = ("Unrecognized keyword arguments passed to DepthwiseConv2D: {'groups': 1}\n"
           "Unrecognized keyword arguments passed to LSTM: {'time_major': False, 'foo': 2}")
    assert legacy.keys_from_error(msg) == {"DepthwiseConv2D": ("groups",), "LSTM": ("foo", "time_major")}
    cfg = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "LSTM", "config": {"units": 3, "time_major": False, "foo": 2}},
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "ragged": False}}]}}
    done = legacy.repair_config(cfg, drop=legacy.keys_from_error(msg))
    assert cfg["config"]["layers"][0]["config"] == {"units": 3}
    assert "LSTM: dropped foo" in done
    legacy.repair_config(cfg)
    assert cfg["config"]["layers"][1]["config"] == {"batch_shape": [None, 3]}


def make_keras2_sequential_h5(path):
    """A Sequential model whose config is written the way Keras 2.x / Teachable Machine wrote it:
    plain-string dtypes, initializers without modules, ``batch_input_shape``/``ragged``, ``groups``."""
    import keras
    import numpy as np

    model = keras.Sequential([
        keras.Input((16, 16, 3)),
        keras.layers.Rescaling(1.0 / 255.0),
        keras.layers.DepthwiseConv2D(1, name="depthwise"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, activation="softmax", name="scores"),
    ], name="sequential")
    model.get_layer("depthwise").set_weights([np.ones((1, 1, 3, 1), np.float32), np.zeros(3, np.float32)])
    model.get_layer("scores").set_weights([np.eye(3, dtype=np.float32) * 10, np.zeros(3, np.float32)])
    model.save(path)

    def keras2(node):
        if isinstance(node, dict):
            if "module" in node and "class_name" in node:  # Keras 3 object reference → Keras 2 form
                node.pop("module", None)
                node.pop("registered_name", None)
            if node.get("class_name") == "DTypePolicy":
                return node["config"]["name"]
            return {k: keras2(v) for k, v in node.items()}
        if isinstance(node, list):
            return [keras2(v) for v in node]
        return node

    with h5py.File(path, "r+") as f:
        cfg = keras2(json.loads(f.attrs["model_config"]))
        layers = cfg["config"]["layers"]
        first = layers[0]
        assert first["class_name"] == "InputLayer"
        first["config"]["batch_input_shape"] = first["config"].pop("batch_shape")
        first["config"]["ragged"] = False
        for layer in layers:
            if layer["class_name"] == "DepthwiseConv2D":
                layer["config"]["groups"] = 1
        f.attrs["model_config"] = json.dumps(cfg)
        f.attrs["keras_version"] = "2.4.0"
        f.attrs["backend"] = "tensorflow"
    return path


def test_keras2_sequential_file(tmp_path, color_images):
    p = make_keras2_sequential_h5(tmp_path / "keras_model.h5")
    (tmp_path / "labels.txt").write_text("0 red\n1 green\n2 blue\n")
    text = json.dumps(legacy.read_h5_config(p)[0])
    assert '"groups": 1' in text and '"batch_input_shape"' in text and '"DTypePolicy"' not in text
    m = open_model(p, use_cache=False)
    assert "DepthwiseConv2D: dropped groups" in m.info.extras["legacy_repairs"]
    assert m.info.preprocess_source == "teachable-machine" and m.info.labels == tuple(LABELS)
    spec = m.info.preprocess
    assert (spec.resize, spec.interpolation) == ("center-crop", "lanczos")
    assert spec.scale == "none"  # this one has a Rescaling layer: the -1..1 of the layout is not doubled
    assert [x.label for x in predict_images(m, [color_images[c] for c in LABELS])] == LABELS
