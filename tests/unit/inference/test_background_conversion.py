"""A model seen for the first time predicts on Keras at once; a helper process converts it to LiteRT.

Real tiny models, a real spawned helper, a real cache: the first results come from Keras, the model
moves onto the helper's verified LiteRT conversion, the next open is a warm LiteRT start, and the
cache entry was written by the helper (not by the test's process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.models import LABELS, build_color_classifier, save_formats, solid
from PIL import Image

from livepredict.inference import background, handover
from livepredict.inference import cache as model_cache
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def new_model(tmp_path_factory):
    """A colour classifier no cache has seen (its own file content)."""
    folder = tmp_path_factory.mktemp("unseen")
    model = build_color_classifier(gain=9.0, name="unseen")
    return save_formats(model, folder, formats=("keras",), sidecar={"labels": LABELS})["keras"]


def _labels(model, images):
    return [p.label for p in predict_images(model, images, top_k=1)]


def test_keras_first_then_litert_from_the_helper(fresh_cache, new_model):
    images = [solid(c) for c in ((230, 20, 10), (10, 220, 30), (20, 10, 240))]
    model = open_model(new_model, convert="background")
    try:
        assert model.info.runtime == "keras" and model.runtime.name == "keras"
        assert handover.converting(model) and model.info.extras["converting"]
        assert model.info.runtime_check is not None and not model.info.runtime_check.passed
        assert _labels(model, images) == ["red", "green", "blue"]  # first results: Keras
        pending = model.pending
        assert pending.wait(120)
        done = handover.poll(model)
        assert done is not None and done.switched, done and done.message
        assert "Switched from keras to LiteRT" in done.message
        assert model.runtime.name == "litert" and model.info.runtime == "litert"
        assert model.info.runtime_check.passed and model.info.extras["switched_to"] == "litert"
        assert handover.poll(model) is None and not handover.converting(model)
        assert _labels(model, images) == ["red", "green", "blue"]  # later results: LiteRT
    finally:
        model.close()
    # the helper process wrote the entry; this process never stored one
    state = json.loads((background.jobs_dir() / f"{pending.key}.json").read_text())
    assert state["state"] == "done" and state["pid"] != os.getpid()
    # the helper keeps a share of the cores (a live source or a large folder on Keras waits for LiteRT)
    assert state["nice"] == min(19, os.getpriority(os.PRIO_PROCESS, 0) + background.HELPER_NICE)
    entry, blob = model_cache.load(pending.key)
    assert entry["chosen"] == "litert" and blob
    again = open_model(new_model, convert="background")  # the next open: warm, from the helper's entry
    try:
        assert again.info.runtime == "litert" and again.info.extras["cached"] and again.pending is None
        assert _labels(again, images) == ["red", "green", "blue"]
    finally:
        again.close()


def test_classify_folder_on_an_unseen_model(fresh_cache, new_model, tmp_path):
    """The CLI: results on Keras, one stderr line about the conversion, the next run warm."""
    folder = tmp_path / "pics"
    folder.mkdir()
    for i, c in enumerate(((230, 20, 10), (10, 220, 30), (20, 10, 240)) * 4):
        Image.fromarray(solid(c)).save(folder / f"{i:02d}.png")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"), LIVEPREDICT_CONVERT="background")
    cmd = [sys.executable, "-m", "livepredict", "classify", str(new_model), str(folder)]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == 12 and [ln.split("\t")[1].split()[0] for ln in lines[:3]] == ["red", "green", "blue"]
    assert ("Switched from keras to LiteRT" in first.stderr
            or "the LiteRT conversion goes on in a helper process" in first.stderr), first.stderr
    key = model_cache.entry_key(new_model.resolve(), _tf_version())
    assert background.Pending(key).wait()  # the helper holds the job's lock until it is done
    entry, blob = model_cache.load(key)  # what the next run opens without TensorFlow
    assert entry["chosen"] == "litert" and blob


def _tf_version() -> str:
    from livepredict.inference.tf_env import tf_version

    return tf_version()


def test_a_second_open_waits_for_the_running_conversion(fresh_cache, new_model):
    """While a helper converts a file, opening it again starts no second helper."""
    key = model_cache.entry_key(new_model.resolve(), _tf_version())
    holder = background._try_lock(background._lock_path(key))  # as a running helper would
    assert holder is not None
    try:
        pending = background.start(new_model.resolve(), key, trust=False, output=None, batch=16)
        assert pending is not None and pending._launcher is None and not pending.done()
    finally:
        holder.close()
    assert pending.done()
    assert np.isfinite(pending.started)


def _running(pending, timeout_s: float = 120.0) -> dict:
    """The helper's state once it runs: its launcher exits only after the helper has taken the job's
    lock and recorded its pid (before it imports TensorFlow), so joining the launcher is the wait."""
    assert pending._launched(timeout_s), "the conversion helper did not start"
    return pending._state()


def test_a_folder_nearly_done_hands_the_helper_down(fresh_cache, new_model):
    """What is left of a folder will be done before LiteRT could help: the helper drops to the least
    priority (it finishes after the command); a long folder keeps the helper's share."""
    from livepredict.commands.switching import YIELD_WHEN_LEFT_S, HelperYield

    model = open_model(new_model, convert="background")
    try:
        pending = model.pending
        state = _running(pending)
        assert state.get("state") == "running", state
        base = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, state["pid"]) == min(19, base + background.HELPER_NICE)
        clock = [100.0]
        long_folder = HelperYield(model, total=10_000, clock=lambda: clock[0])
        long_folder.after(16)  # the first chunk: the rate counts from here
        clock[0] += 1.0
        long_folder.after(32)  # 16 pictures a second: 10 minutes left
        assert not long_folder.yielded
        assert os.getpriority(os.PRIO_PROCESS, state["pid"]) == min(19, base + background.HELPER_NICE)
        short = HelperYield(model, total=48, clock=lambda: clock[0])
        short.after(16)
        clock[0] += 1.0
        short.after(32)  # 16 a second, 16 left: one second, under YIELD_WHEN_LEFT_S
        assert 16 / 16 < YIELD_WHEN_LEFT_S and short.yielded
        assert os.getpriority(os.PRIO_PROCESS, state["pid"]) == background.YIELDED_NICE
        assert pending.wait(240)
    finally:
        model.close()
    done = json.loads((background.jobs_dir() / f"{pending.key}.json").read_text())
    assert done["state"] == "done" and done["nice"] == background.YIELDED_NICE
    assert not pending.yield_cores()  # nothing left to hand down
