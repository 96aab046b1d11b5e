"""The warm start: a verified LiteRT conversion and the description are cached by content."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from helpers.models import LABELS, build_color_classifier

from livepredict.inference import cache
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images


def test_second_open_comes_from_the_cache(tmp_path, monkeypatch, color_images):
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))
    p = tmp_path / "m.keras"
    build_color_classifier().save(p)
    first = open_model(p)
    assert first.info.extras["cached"] is False and first.info.runtime == "litert"
    entries = list((tmp_path / "cache" / "models").iterdir())
    assert len(entries) == 1 and (entries[0] / "model.tflite").stat().st_size > 0
    second = open_model(p)
    assert second.info.extras["cached"] is True and second.keras_model is None
    assert second.info.runtime_check == first.info.runtime_check
    assert second.info.to_json()["inputs"] == first.info.to_json()["inputs"]
    # the sidecar is read afresh: editing it needs no new conversion
    (tmp_path / "m.keras.livepredict.json").write_text(json.dumps({"labels": LABELS}))
    third = open_model(p)
    assert third.info.extras["cached"] is True and third.info.labels == tuple(LABELS)
    assert predict_images(third, [color_images["green"]])[0].label == "green"


def test_a_changed_file_invalidates_its_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))
    p = tmp_path / "m.keras"
    build_color_classifier(gain=10.0).save(p)
    key1 = cache.entry_key(p, "x")
    open_model(p)
    build_color_classifier(gain=3.0).save(p)
    assert cache.entry_key(p, "x") != key1
    m = open_model(p)
    assert m.info.extras["cached"] is False
    assert len(list((tmp_path / "cache" / "models").iterdir())) == 1  # the stale entry was dropped


def test_key_depends_on_versions(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"abc")
    assert cache.entry_key(p, "2.21.0") != cache.entry_key(p, "2.22.0")
    d = tmp_path / "saved"
    (d / "variables").mkdir(parents=True)
    (d / "saved_model.pb").write_bytes(b"1")
    h1 = cache.content_hash(d)
    (d / "variables" / "v").write_bytes(b"2")
    assert cache.content_hash(d) != h1


def test_unwritable_cache_is_not_fatal(tmp_path, monkeypatch, model_files):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(blocker / "cache"))  # a path under a file
    assert open_model(model_files["keras"]).info.runtime == "litert"


def test_warm_open_never_imports_tensorflow(tmp_path, model_files, monkeypatch):
    """A fresh process opens a model cached by this one and classifies with LiteRT alone."""
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))
    assert open_model(model_files["keras"]).info.extras["cached"] is False
    env = dict(os.environ)
    code = textwrap.dedent(f"""
        import json, sys
        import numpy as np
        from livepredict.inference.loader import open_model
        from livepredict.inference.predict import predict_images
        m = open_model({str(model_files["keras"])!r})
        red = np.zeros((20, 20, 3), np.uint8); red[..., 0] = 230
        pred = predict_images(m, [red])[0]
        print(json.dumps({{"tf": "tensorflow" in sys.modules, "keras": "keras" in sys.modules,
                          "cached": m.info.extras["cached"], "label": pred.label,
                          "runtime": m.info.runtime}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"tf": False, "keras": False, "cached": True, "label": "red", "runtime": "litert"}


def test_cache_keeps_a_bounded_number_of_entries(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path))
    for i in range(5):
        cache.store(f"k{i}", {"source": f"/m{i}"}, b"x")
        os.utime(tmp_path / "models" / f"k{i}", (i, i))  # stored in this order
    cache._trim(tmp_path / "models", keep=3)
    assert sorted(d.name for d in (tmp_path / "models").iterdir()) == ["k2", "k3", "k4"]
    assert cache.load("k4") == ({"source": "/m4", "format_version": cache.FORMAT, "has_tflite": True,
                                 "key": "k4"}, b"x")
