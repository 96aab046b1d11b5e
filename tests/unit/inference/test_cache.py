"""The warm start: a verified LiteRT conversion and the description are cached by content."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
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
        cache.store(f"k{i}", {"source": f"/m{i}", "format": "keras", "structure": {}, "chosen": "litert"}, b"x")
        os.utime(tmp_path / "models" / f"k{i}", (i, i))  # stored in this order
    cache._trim(tmp_path / "models", keep=3)
    assert sorted(d.name for d in (tmp_path / "models").iterdir()) == ["k2", "k3", "k4"]
    entry, blob = cache.load("k4")
    assert blob == b"x" and entry["source"] == "/m4" and entry["key"] == "k4"
    assert entry["tflite_size"] == 1 and entry["format_version"] == cache.FORMAT


def _one_entry(root):
    (entry,) = [d for d in (root / "models").iterdir() if not d.name.startswith(".")]
    return entry


def _truncate(d):
    blob = (d / "model.tflite").read_bytes()
    (d / "model.tflite").write_bytes(blob[: len(blob) // 2])


def _flip_a_bit(d):
    blob = bytearray((d / "model.tflite").read_bytes())
    blob[len(blob) // 2] ^= 0x10
    (d / "model.tflite").write_bytes(bytes(blob))


def _drop_structure(d):
    entry = json.loads((d / "entry.json").read_text())
    del entry["structure"]
    (d / "entry.json").write_text(json.dumps(entry))


def _half_json(d):
    text = (d / "entry.json").read_text()
    (d / "entry.json").write_text(text[: len(text) // 2])


@pytest.mark.parametrize("damage", [_truncate, _flip_a_bit, _drop_structure, _half_json])
def test_a_damaged_entry_is_dropped_said_once_and_rebuilt(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))
    p = tmp_path / "m.keras"
    build_color_classifier().save(p)
    assert open_model(p).info.extras["cached"] is False
    damage(_one_entry(tmp_path / "cache"))
    said: list[str] = []
    reopened = open_model(p, status=said.append)
    assert reopened.info.extras["cached"] is False and reopened.info.runtime == "litert"
    damaged = [m for m in said if "damaged" in m]
    assert len(damaged) == 1 and damaged[0].endswith(".") and ". " not in damaged[0], said  # one sentence
    said.clear()
    again = open_model(p, status=said.append)  # rebuilt by the reopen: a clean warm start now
    assert again.info.extras["cached"] is True and not [m for m in said if "damaged" in m]


def _cached_model(tmp_path, monkeypatch):
    """A model opened once in a private cache: (its path, its entry folder, the entry)."""
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))
    p = tmp_path / "m.keras"
    build_color_classifier().save(p)
    open_model(p)
    d = _one_entry(tmp_path / "cache")
    return p, d, json.loads((d / "entry.json").read_text())


def test_an_entry_of_an_older_format_is_ignored_not_reported(tmp_path, monkeypatch):
    _, d, entry = _cached_model(tmp_path, monkeypatch)
    (d / "entry.json").write_text(json.dumps(dict(entry, format_version=1)))
    reports: list[str] = []
    assert cache.load(d.name, on_damaged=reports.append) is None and reports == []


def test_two_processes_filling_one_entry_both_succeed(tmp_path, monkeypatch, model_files):
    """Two fresh processes open the same new model at once: both exit 0 and the entry is sound."""
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))
    env = dict(os.environ)
    code = textwrap.dedent(f"""
        from livepredict.inference.loader import open_model
        m = open_model({str(model_files["keras"])!r})
        print(m.info.runtime)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all(out.strip().endswith("litert") for out, _ in outs), outs
    d = _one_entry(tmp_path / "cache")
    assert cache.load(d.name) is not None  # passes the checksum
    assert not [x for x in (tmp_path / "cache" / "models").iterdir() if x.name.startswith(".tmp-")]


def test_an_entry_whose_description_cannot_be_read_back_is_rebuilt(tmp_path, monkeypatch):
    """A description in an older layout under the current format (a development build's cache)."""
    p, d, entry = _cached_model(tmp_path, monkeypatch)
    entry["structure"] = dict(entry["structure"], activation="softmax")  # a key the layout does not have
    (d / "entry.json").write_text(json.dumps(entry))
    said: list[str] = []
    m = open_model(p, status=said.append)
    assert m.info.extras["cached"] is False and any("cannot be read back" in s for s in said)
    assert open_model(p).info.extras["cached"] is True
