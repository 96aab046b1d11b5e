"""Bad model files fail with one typed sentence (what failed, what to do), before TensorFlow if possible."""

from __future__ import annotations

import os

import numpy as np
import pytest
from helpers.models import build_color_classifier, build_nan_model, solid

from livepredict.core.errors import ModelLoadError
from livepredict.inference.loader import detect_format, open_model
from livepredict.inference.predict import predict_images


def make_bad(tmp_path, kind):
    rng = np.random.default_rng(5)
    if kind == "empty":
        p = tmp_path / "empty.keras"
        p.write_bytes(b"")
    elif kind in ("random.keras", "random.h5", "random.tflite"):
        p = tmp_path / kind
        p.write_bytes(rng.bytes(4096))
    elif kind == "html":
        p = tmp_path / "page.h5"
        p.write_text("<!DOCTYPE html>\n<html><head><title>404</title></head><body>Not found</body></html>")
    elif kind == "truncated":
        good = tmp_path / "good.keras"
        build_color_classifier().save(good)
        data = good.read_bytes()
        p = tmp_path / "truncated.keras"
        p.write_bytes(data[: len(data) // 2])
    elif kind == "folder":
        p = tmp_path / "not_saved_model"
        p.mkdir()
        (p / "readme.txt").write_text("hello")
    elif kind == "missing":
        p = tmp_path / "nowhere.keras"
    elif kind == "zip":
        import zipfile

        p = tmp_path / "other.keras"
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("hello.txt", "hi")
    elif kind == "weights-only":
        p = tmp_path / "w.weights.h5"
        build_color_classifier().save_weights(p)
    return p


CASES = [
    ("empty", "empty.keras is empty (0 bytes)"),
    ("random.keras", "is not a valid Keras model file"),
    ("random.h5", "is not a valid HDF5 model file"),
    ("random.tflite", "is not a valid LiteRT model file"),
    ("html", "is an HTML page, not a model"),
    ("truncated", "is a truncated or damaged .keras archive"),
    ("folder", "is a folder but not a SavedModel"),
    ("missing", "No model file or folder at"),
    ("zip", "is a zip file but not a Keras model"),
    ("weights-only", "holds only weights, not a model"),
]


@pytest.mark.parametrize(("kind", "fragment"), CASES)
def test_bad_model_files(tmp_path, kind, fragment):
    p = make_bad(tmp_path, kind)
    with pytest.raises(ModelLoadError) as e:
        open_model(p, use_cache=False)
    msg = str(e.value)
    assert fragment in msg, msg
    assert "\n" not in msg and msg.endswith(".") and len(msg) < 260


def test_sniffing_needs_no_tensorflow(tmp_path):
    p = make_bad(tmp_path, "html")
    with pytest.raises(ModelLoadError):
        detect_format(p)


def test_unreadable_model_file(tmp_path):
    from helpers.files import unprivileged

    p = tmp_path / "m.keras"
    p.write_bytes(b"PK\x03\x04")
    os.chmod(p, 0)
    # tmp_path's parents are private to root: reach the file through a world-readable copy
    import shutil
    import tempfile
    from pathlib import Path

    root = Path(tempfile.mkdtemp())
    try:
        root.chmod(0o755)
        locked = root / "m.keras"
        shutil.copyfile(p, locked)
        locked.chmod(0)
        with unprivileged(), pytest.raises(ModelLoadError, match="Permission denied reading"):
            open_model(locked, use_cache=False)
    finally:
        shutil.rmtree(root)


def test_model_with_nan_output(tmp_path):
    p = tmp_path / "nan.keras"
    build_nan_model().save(p)
    m = open_model(p, use_cache=False)
    assert any("NaN" in w for w in m.info.warnings)
    preds = predict_images(m, [solid((1, 2, 3)), solid((200, 0, 0))])
    assert len(preds) == 2
    for pred in preds:
        assert pred.top == () and pred.error.startswith("The model produced NaN or infinite scores")
