"""The opt-in int8 runtime: quantised, compared with float on probe pictures, offered only when it agrees."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.models import LABELS, build_color_classifier, save_formats, solid
from PIL import Image

from livepredict.inference.benchmark import run_bench
from livepredict.inference.int8 import MIN_AGREEMENT, build_int8
from livepredict.inference.loader import open_model


@pytest.fixture(scope="module")
def colour_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("int8")
    return save_formats(build_color_classifier(gain=6.0, name="int8"), folder, formats=("keras",),
                        sidecar={"labels": LABELS})["keras"]


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("int8-pics")
    rng = np.random.default_rng(0)
    for i in range(40):
        base = np.zeros(3)
        base[i % 3] = 200
        rgb = tuple(int(v) for v in np.clip(base + rng.integers(0, 50, 3), 0, 255))
        Image.fromarray(solid(rgb)).save(folder / f"{i:02d}.png")
    return folder


def test_int8_agrees_on_the_users_pictures_and_is_offered(colour_model, pictures):
    model = open_model(colour_model, use_cache=False)
    try:
        from livepredict.commands.classify import _calibration_pictures

        lite, check = build_int8(model, model.keras_model, _calibration_pictures([pictures]))
        assert lite is not None and check.calibration_source == "pictures" and check.probe_source == "pictures"
        assert check.calibration == 20 and check.probes == 20  # split: never the same picture in both
        assert check.top1_agreement >= MIN_AGREEMENT and check.offered, check.reason
        assert 0 <= check.max_abs_diff < 0.1 and "max |Δscore|" in check.reason
        x = model.preprocess(solid((10, 20, 230)))[None]
        assert int(np.argmax(lite.infer(x))) == LABELS.index("blue")
        assert any(d["dtype"] == np.int8 for d in lite._make().get_tensor_details())  # really quantised
    finally:
        model.close()


def test_bench_shows_int8_next_to_float_litert_and_never_chooses_it(colour_model):
    result = run_bench(colour_model, seconds=0.2, int8=True)  # no pictures: synthetic calibration
    assert "int8" in result["paths"] and "litert" in result["paths"]
    assert result["chosen"] != "int8" and result["fastest"] != "int8"
    q = result["int8"]
    assert q["calibration_source"] == "synthetic" and q["probes"] == 100
    assert q["vs_litert"] > 0 and (q["offered"] == (q["top1_agreement"] >= MIN_AGREEMENT))
