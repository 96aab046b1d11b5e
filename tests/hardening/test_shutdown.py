"""Closing the real window from busy states: it closes in < 2 s and leaves no thread running.

States: TensorFlow being imported and a fresh model being loaded/converted; live on a camera that is
blocked inside read() (a fault source: a driver call that never returns cannot be made for real)."""

from __future__ import annotations

import shutil
import time

from helpers.faults import FaultScript, FaultSource
from helpers.video import write_video

from livepredict.app import build_window
from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController


def _window(qtbot):
    c = InferenceController()
    w = build_window(c, Settings())  # the app's window, with its lazily built panels
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return c, w


def _close_fast(w, c) -> float:
    t = time.perf_counter()
    w.close()
    took = time.perf_counter() - t
    assert took < 2.0, f"closing took {took:.2f} s"
    assert not c.thread.isRunning()
    return took


def test_close_while_importing_and_loading(qtbot, isolated_settings, corpus_inputs, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))  # never cached: loading converts
    fresh = tmp_path / "fresh.keras"
    shutil.copy2(corpus_inputs["good_keras"], fresh)
    c, w = _window(qtbot)
    with qtbot.waitSignal(c.busy_changed, timeout=10_000):
        w.open_model(fresh)
    _close_fast(w, c)


def test_close_while_live_camera_is_blocked_in_read(qtbot, isolated_settings, corpus_inputs, tmp_path):  # noqa: F811
    video = write_video(tmp_path / "cam.avi", frames=30)
    c, w = _window(qtbot)
    with qtbot.waitSignal(c.model_loaded, timeout=60_000):
        w.open_model(corpus_inputs["good"])
    w.show_panel("Live")
    panel = w.panel("Live")
    script = FaultScript(fault_at=3, mode="block")
    panel.pipeline.set_source(FaultSource(video, script=script))
    qtbot.waitUntil(script.blocked.is_set, timeout=10_000)
    try:
        _close_fast(w, c)
    finally:
        script.release.set()
    qtbot.waitUntil(lambda: 0 in script.closed_instances, timeout=5_000)


def test_close_while_converting_to_litert(qtbot, isolated_settings, corpus_inputs, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))  # not cached: the worker converts
    fresh = tmp_path / "convert.keras"
    shutil.copy2(corpus_inputs["good_keras"], fresh)
    c, w = _window(qtbot)
    with qtbot.waitSignal(c.status_changed, timeout=60_000,
                          check_params_cb=lambda text: text.startswith("Converting to LiteRT")):
        w.open_model(fresh)
    _close_fast(w, c)


def test_close_while_generating_text(qtbot, isolated_settings, corpus_inputs):  # noqa: F811
    c, w = _window(qtbot)
    w.show_panel("Generate")
    panel = w.panel("Generate").text
    with qtbot.waitSignal(c.generator_ready, timeout=60_000):
        w.open_model(corpus_inputs["textgen"])
    panel.length.setValue(0)  # until stopped
    panel.speed.setCurrentIndex(panel.speed.findData(0.0))  # as fast as possible
    panel.start_text()
    qtbot.waitUntil(lambda: panel.chars_shown > 500, timeout=30_000)
    assert panel.running
    _close_fast(w, c)
