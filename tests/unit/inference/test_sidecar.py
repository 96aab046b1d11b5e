"""The sidecar file: path, round trip, and one-sentence errors for malformed content."""

from __future__ import annotations

import pytest

from livepredict.core.errors import SidecarError
from livepredict.core.types import PreprocessSpec
from livepredict.inference.sidecar import read_sidecar, sidecar_path, write_sidecar


def test_path_is_beside_the_model(tmp_path):
    assert sidecar_path(tmp_path / "m.keras") == tmp_path / "m.keras.livepredict.json"
    assert sidecar_path(tmp_path / "saved") == tmp_path / "saved.livepredict.json"


def test_round_trip(tmp_path):
    model = tmp_path / "m.keras"
    assert read_sidecar(model) is None
    spec = PreprocessSpec(size=(32, 32), resize="letterbox", scale="-1..1")
    data = {"labels": ["a", "b"], "preprocess": spec, "task": "image-classifier", "notes": "hi",
            "vocab": ["x"], "mean": [1.0], "std": 2, "window": 5}
    write_sidecar(model, data)
    got = read_sidecar(model)
    assert got["labels"] == ["a", "b"]
    assert PreprocessSpec.from_json(got["preprocess"]) == spec
    assert got["window"] == 5 and got["notes"] == "hi"


@pytest.mark.parametrize(("text", "fragment"), [
    ("{not json", "is not valid JSON (line 1"),
    ("[1, 2]", "is not a JSON object"),
    ('{"lables": ["a"]}', "unknown key(s) lables"),
    ('{"labels": "a,b"}', "'labels' that is not a list of strings"),
    ('{"preprocess": {"scale": "0..255"}}', "invalid 'preprocess'"),
    ('{"preprocess": {"sise": [1, 2]}}', "unknown preprocess keys: sise"),
    ('{"task": "detector"}', "task 'detector'"),
    ('{"window": -3}', "'window' that is not a positive integer"),
    ('{"preprocess": {"size": [true, true]}}', "size must be two whole numbers of pixels"),
    ('{"preprocess": {"size": [16.5, 16.5]}}', "size must be two whole numbers of pixels"),
    ('{"preprocess": {"size": ["16", "16"]}}', "size must be two whole numbers of pixels"),
    ('{"preprocess": {"scale": "mean-std", "mean": [1, 2], "std": [1, 1, 1]}}',
     "mean needs one value per channel (3) or one for all, not 2"),
    ('{"preprocess": {"color": "gray", "scale": "mean-std", "mean": [1, 2, 3], "std": 1}}',
     "mean needs one value per channel (1) or one for all, not 3"),
    ('{"preprocess": {"scale": "mean-std", "mean": ["a"], "std": 1}}', "mean must be numbers"),
    ("[" * 100_000 + "]" * 100_000, "nests lists or objects too deeply"),
])
def test_malformed_sidecars_are_refused_in_one_sentence(tmp_path, text, fragment):
    model = tmp_path / "m.h5"
    sidecar_path(model).write_text(text, encoding="utf-8")
    with pytest.raises(SidecarError) as e:
        read_sidecar(model)
    msg = str(e.value)
    assert fragment in msg and msg.startswith("The sidecar m.h5.livepredict.json ")
    assert msg.endswith("fix it or delete it.") and "\n" not in msg


def test_write_refuses_invalid_data(tmp_path):
    with pytest.raises(SidecarError):
        write_sidecar(tmp_path / "m.keras", {"labels": [1, 2]})
    assert not sidecar_path(tmp_path / "m.keras").exists()
