"""Explanation heatmaps that would fail on a wrong map (issue: "Correctness").

Through the bundled shapes model: Grad-CAM's peak lies on the shape; a randomised copy of the model
gives an unrelated map; a Teachable-Machine layout (Sequential in Sequential) and its flattened twin
give the same map; occlusion on the ``.tflite`` conversion agrees with Grad-CAM on the ``.keras``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.real_models import keras2_files  # noqa: F401 - fixture
from helpers.shape_scenes import inside, rank_correlation, scene

from livepredict.core.errors import UnsupportedModelError
from livepredict.core.heatmap import peak_cell
from livepredict.inference.explain import Explainer
from livepredict.inference.loader import open_model

ROOT = Path(__file__).resolve().parents[3]
SHAPES = ROOT / "models" / "shapes.keras"
SIDECAR = ROOT / "models" / "shapes.keras.livepredict.json"


@pytest.fixture(scope="module")
def shapes():
    m = open_model(SHAPES, runtime="keras")
    yield m
    m.close()


@pytest.fixture(scope="module")
def gradcam(shapes):
    return Explainer(shapes, "gradcam")


def _copy_shapes(d: Path, **sidecar) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / "shapes.keras"
    shutil.copy(SHAPES, p)
    data = json.loads(SIDECAR.read_text())
    data.update(sidecar)
    (d / "shapes.keras.livepredict.json").write_text(json.dumps(data))
    return p


def test_gradcam_peak_lies_on_the_shape(gradcam):
    """50 pictures (4:3, squashed to the model's 96x96): the map's peak in the shape's box in >= 90 %."""
    rng = np.random.default_rng(0)
    scenes = [scene(rng) for _ in range(50)]
    maps = gradcam.explain([s[0] for s in scenes])
    hits = sum(inside(h.peak, box) for h, (_, box, _) in zip(maps, scenes, strict=True))
    assert hits >= 45, f"peak on the shape in {hits}/50"
    assert all(h.values.shape == img.shape[:2] for h, (img, _, _) in zip(maps, scenes, strict=True))
    assert gradcam.layer == "b4_relu" and maps[0].grid.shape == (6, 6)
    assert sum(h.label == label for h, (_, _, label) in zip(maps, scenes, strict=True)) >= 45
    assert all(0.0 <= h.values.min() and h.values.max() <= 1.0 and h.values.max() > 0.9 for h in maps)


def test_randomised_weights_give_an_unrelated_map(shapes, gradcam, tmp_path):
    """The model-randomisation sanity check: a map that ignores the weights would correlate."""
    import keras

    rand = keras.models.clone_model(shapes.keras_model)
    rng = np.random.default_rng(5)
    rand.set_weights([np.abs(rng.normal(0, w.std() + 1e-3, w.shape)).astype(np.float32) + 0.5 if "variance" in v.name
                      else rng.normal(0, w.std() + 1e-3, w.shape).astype(np.float32)
                      for v, w in zip(rand.weights, shapes.keras_model.get_weights(), strict=True)])
    p = _copy_shapes(tmp_path)
    rand.save(p)
    rm = open_model(p, runtime="keras", use_cache=False)
    try:
        other = Explainer(rm, "gradcam")
        rng = np.random.default_rng(1)
        pics = [scene(rng)[0] for _ in range(12)]
        trained = gradcam.explain(pics)
        randomised = [other.explain([im], label=t.label)[0] for im, t in zip(pics, trained, strict=True)]
        corr = [rank_correlation(t.grid, r.grid) for t, r in zip(trained, randomised, strict=True)]
    finally:
        rm.close()
    assert float(np.mean(corr)) < 0.5, corr


def _tm_layers(keras):
    return [keras.layers.Conv2D(6, 3, activation="relu", name="conv_a"), keras.layers.Conv2D(8, 3, name="conv_b"),
            keras.layers.ReLU(name="relu_b"), keras.layers.GlobalAveragePooling2D(name="gap"),
            keras.layers.Dense(5, activation="relu", name="d1"), keras.layers.Dense(3, activation="softmax", name="d2")]


def test_nested_sequential_equals_flattened(tmp_path):
    """Teachable Machine's layout (Sequential[Sequential[trunk], Sequential[head]]) saved and loaded
    back, against a flat Sequential holding the same weights: the same Grad-CAM."""
    import keras
    from helpers.real_models import set_weights

    trunk_layers = _tm_layers(keras)
    nested = keras.Sequential([keras.Sequential([keras.Input((20, 20, 3)), *trunk_layers[:4]], name="sequential_1"),
                               keras.Sequential(trunk_layers[4:], name="sequential_3")], name="tm")
    nested.build((None, 20, 20, 3))
    set_weights(nested, 3)
    flat_layers = _tm_layers(keras)
    flat = keras.Sequential([keras.Input((20, 20, 3)), *flat_layers], name="flat")
    for a, b in zip(flat_layers, trunk_layers, strict=True):
        a.set_weights(b.get_weights())
    sidecar = {"labels": ["a", "b", "c"], "preprocess": {"size": [20, 20], "scale": "0..1"}}
    maps = []
    rng = np.random.default_rng(2)
    pics = [rng.integers(0, 256, (30, 40, 3), dtype=np.uint8) for _ in range(4)]
    for name, km in (("nested", nested), ("flat", flat)):
        p = tmp_path / f"{name}.keras"
        km.save(p)
        (tmp_path / f"{name}.keras.livepredict.json").write_text(json.dumps(sidecar))
        m = open_model(p, runtime="keras", use_cache=False)
        try:
            ex = Explainer(m, "gradcam")
            assert ex.layer == "relu_b" and ex.gradcam.before_squash
            maps.append([h.grid for h in ex.explain(pics, label="b")])
        finally:
            m.close()
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(*maps, strict=True)) < 1e-5
    assert max(float(np.max(g)) for g in maps[0]) > 0  # not a trivially empty map


def test_occlusion_on_tflite_agrees_with_gradcam_on_keras(shapes, gradcam, tmp_path):
    """A shape centred in one of 3x3 cells: occlusion (LiteRT, no gradients) and Grad-CAM (Keras)
    pick the same hottest cell in >= 80 % of the pictures."""
    from livepredict.inference.runtimes import convert_keras

    p = tmp_path / "shapes.tflite"
    p.write_bytes(convert_keras(shapes.keras_model))
    (tmp_path / "shapes.tflite.livepredict.json").write_text(SIDECAR.read_text())
    lite = open_model(p)
    try:
        occ = Explainer(lite)
        assert occ.method == "occlusion" and lite.keras_model is None
        rng = np.random.default_rng(3)
        cells = [(int(rng.integers(3)), int(rng.integers(3)), 3) for _ in range(20)]
        pics = [scene(rng, (144, 192), (0.12, 0.15), cell=c)[0] for c in cells]
        g = gradcam.explain(pics)
        o = [occ.explain([im], label=h.label)[0] for im, h in zip(pics, g, strict=True)]
    finally:
        lite.close()
    agree = sum(peak_cell(a.values, 3) == peak_cell(b.values, 3) for a, b in zip(g, o, strict=True))
    assert agree >= 16, f"{agree}/20"
    assert o[0].method == "occlusion" and o[0].layer == "window 16, stride 8"


def test_unknown_layer_in_the_sidecar_is_one_sentence(tmp_path):
    m = open_model(_copy_shapes(tmp_path, explain_layer="b9_relu"), runtime="keras", use_cache=False)
    try:
        with pytest.raises(UnsupportedModelError, match=r"^There is no layer 'b9_relu' named by the sidecar's "
                                                        r"explain_layer in this model; pick one of: .*b4_relu\.$"):
            Explainer(m, "gradcam")
        assert Explainer(m, "gradcam", layer="b3_relu").explain([scene(np.random.default_rng(0))[0]])[0].grid.shape \
            == (12, 12)
    finally:
        m.close()


def test_no_spatial_layer_and_non_image_models_are_one_sentence(tmp_path):
    import keras

    flat = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(),
                             keras.layers.Dense(2, activation="softmax")])
    p = tmp_path / "flat.keras"
    flat.save(p)
    vec = keras.Sequential([keras.Input((10,)), keras.layers.Dense(2, activation="softmax")])
    q = tmp_path / "vec.keras"
    vec.save(q)
    m = open_model(p, runtime="keras", use_cache=False)
    n = open_model(q, runtime="keras", use_cache=False)
    try:
        with pytest.raises(UnsupportedModelError, match=r"^This model has no layer with a spatial output .*occlusion"):
            Explainer(m, "gradcam")
        assert Explainer(m, "occlusion").explain([np.zeros((8, 8, 3), np.uint8)])[0].values.shape == (8, 8)
        with pytest.raises(UnsupportedModelError, match=r"^Explanations need an image classifier; this model is a "):
            Explainer(n)
    finally:
        m.close()
        n.close()


def test_unknown_class_and_bad_window(gradcam, shapes):
    with pytest.raises(UnsupportedModelError, match=r"^There is no class 'dog' among this model's labels "
                                                    r"\(circle, square"):
        gradcam.explain([np.zeros((10, 10, 3), np.uint8)], label="dog")
    with pytest.raises(UnsupportedModelError, match="larger than the model input"):
        Explainer(shapes, "occlusion", window=200)


def test_teachable_machine_keras2_export_is_explained(keras2_files):  # noqa: F811
    """The real Keras 2 Teachable Machine layout (loaded by tf_keras): Grad-CAM enters the nested
    MobileNet, and its class and score (softmax of the replayed pre-softmax scores) are the model's own."""
    from helpers.real_models import read_pictures

    from livepredict.inference.predict import predict_images

    m = open_model(keras2_files / "tm" / "keras_model.h5", runtime="keras", use_cache=False)
    try:
        assert type(m.keras_model).__module__.startswith("tf_keras")
        ex = Explainer(m, "gradcam")
        pics = read_pictures()[:3]
        maps = ex.explain(pics)
        preds = predict_images(m, pics, top_k=1)
    finally:
        m.close()
    assert ex.layer == "conv_pw_13_relu" and ex.gradcam.before_squash
    for h, p in zip(maps, preds, strict=True):
        assert h.label == p.label and abs(h.score - p.score) < 1e-4
        assert h.grid.shape == (3, 3) and 0.9 < float(h.values.max()) <= 1.0


def test_a_detector_is_refused_in_one_sentence(tmp_path):
    from helpers.detect_models import build_end_to_end, write_sidecar

    p = tmp_path / "det.keras"
    build_end_to_end().save(p)
    write_sidecar(p, {"task": "object-detector", "labels": ["circle", "square", "triangle"]})
    m = open_model(p, runtime="keras", use_cache=False)
    try:
        with pytest.raises(UnsupportedModelError, match=r"^Explanations are made for image classifiers; this model "
                                                        r"is an object-detector, whose boxes"):
            Explainer(m)
    finally:
        m.close()
