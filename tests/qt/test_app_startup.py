"""Start-up and shutdown of the real app as a subprocess (offscreen): threads, warm start, no display."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.app_process import App, app_env
from helpers.models import solid
from PIL import Image

from livepredict.app import display_problem

ROOT = Path(__file__).resolve().parents[2]


def run_app(args, tmp_path, extra_env=None, timeout=180):
    env = app_env(tmp_path, {"LIVEPREDICT_T0": repr(time.time()), **(extra_env or {})})
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "livepredict", *map(str, args)], capture_output=True, text=True,
                         env=env, timeout=timeout, cwd=ROOT)
    return out, time.perf_counter() - t


@pytest.fixture
def three_images(tmp_path):
    out = []
    for name, rgb in (("red", (220, 30, 20)), ("green", (10, 200, 40)), ("blue", (30, 20, 230))):
        p = tmp_path / f"{name}.png"
        Image.fromarray(solid(rgb)).save(p)
        out.append(p)
    return out


def test_gui_thread_never_imports_or_calls_tensorflow_and_warm_start(tmp_path, model_files, three_images):
    cache = tmp_path / "cache"
    reports = []
    for run in ("cold", "warm"):
        threads, startup = tmp_path / f"threads-{run}.json", tmp_path / f"startup-{run}.json"
        out, _ = run_app([model_files["keras"], *three_images], tmp_path, {
            "LIVEPREDICT_CACHE_DIR": str(cache), "LIVEPREDICT_THREAD_REPORT": str(threads),
            "LIVEPREDICT_STARTUP_REPORT": str(startup), "LIVEPREDICT_QUIT_WHEN_DONE": "1"})
        assert out.returncode == 0, out.stderr
        assert "QThread" not in out.stderr and "Traceback" not in out.stderr
        reports.append((json.loads(threads.read_text()), json.loads(startup.read_text())))
    (cold_t, cold_s), (warm_t, warm_s) = reports
    # cold: TensorFlow was imported, by the inference thread, after the window was shown
    assert cold_s["tf_loaded_at_window"] is False
    assert cold_s["heavy_modules_at_window"] == []  # no TensorFlow, pyqtgraph or OpenCV before the window
    assert set(cold_t["imports"]) >= {"tensorflow", "keras"}
    assert not any(v["main"] for v in cold_t["imports"].values())
    assert cold_t["calls"] and cold_t["main_thread_calls"] == 0
    assert {c["thread"] for c in cold_t["calls"]} .isdisjoint({cold_t["gui_thread"]})
    assert cold_s["warm"] == 0.0 and cold_s["window_shown"] < cold_s["model_ready"] < cold_s["first_result"]
    # importing TensorFlow and loading allocate a lot that lives on: no collection scanned it meanwhile
    # (before, the GUI thread's collector ran 20-odd times, holding the GIL the load needed); at most
    # a tick of the GUI's own before the load began
    assert sum(cold_s["gc_before_first_result"]) <= 2, cold_s["gc_before_first_result"]
    # warm: opened from the LiteRT cache without importing TensorFlow at all
    assert warm_s["warm"] == 1.0
    assert "tensorflow" not in warm_t["imports"] and warm_t["tf_in_sys_modules"] is False
    assert warm_t["main_thread_calls"] == 0 and warm_s["first_result"] > 0


def test_close_while_tensorflow_imports_exits_cleanly(tmp_path, model_files):
    startup = tmp_path / "startup.json"
    out, wall = run_app([model_files["h5"]], tmp_path, {
        "LIVEPREDICT_CACHE_DIR": str(tmp_path / "empty-cache"), "LIVEPREDICT_QUIT_AFTER_MS": "150",
        "LIVEPREDICT_STARTUP_REPORT": str(startup)})
    assert out.returncode == 0, out.stderr
    assert "QThread: Destroyed" not in out.stderr and "Abort" not in out.stderr
    s = json.loads(startup.read_text())
    # closed before the model was ready (a fast machine may finish the import while the app waits
    # for the inference thread, after the window has gone: then the model is "ready" only later)
    assert s["window_closed"] < s.get("model_ready", float("inf"))
    assert s["shutdown_s"] < 2.0


def test_without_display_one_sentence_and_nonzero_exit(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-m", "livepredict"], capture_output=True, text=True, env=env,
                         timeout=60, cwd=ROOT)
    assert out.returncode == 3
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display" in lines[0] and "QT_QPA_PLATFORM=offscreen" in lines[0]
    assert "classify" in lines[0]


def test_display_problem_cases(tmp_path):
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "darwin") is None
    assert "no display" in display_problem({}, "linux")
    assert "WAYLAND_DISPLAY" in display_problem({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "linux")
    assert "DISPLAY is not set" in display_problem({"QT_QPA_PLATFORM": "xcb"}, "linux")
    n = 900
    while Path(f"/tmp/.X11-unix/X{n}").exists():
        n += 1
    assert "not running" in display_problem({"DISPLAY": f":{n}"}, "linux")


def test_bad_model_argument_keeps_window_and_exits_zero(tmp_path):
    bad = tmp_path / "page.h5"
    bad.write_text("<!doctype html><html></html>")
    startup = tmp_path / "startup.json"
    out, _ = run_app([bad], tmp_path, {"LIVEPREDICT_QUIT_WHEN_DONE": "1", "LIVEPREDICT_STARTUP_REPORT": str(startup)})
    assert out.returncode == 0, out.stderr
    assert "model_failed" in json.loads(startup.read_text())
    log = (tmp_path / "logs" / "livepredict.log").read_text()
    assert "HTML page" in log


SCRIPT = r"""
import sys
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Slot
from livepredict.threads.engine.controller import InferenceController

app = QCoreApplication([])
c = InferenceController()
paths = sys.argv[1:]
seen = []

class Driver(QObject):
    @Slot(object)
    def loaded(self, m):
        seen.append((m.info.format, "tensorflow" in sys.modules))
        if len(seen) < len(paths):
            c.open_model(paths[len(seen)])
        else:
            app.quit()

    @Slot(object)
    def failed(self, f):
        print("FAILED", f.message, flush=True)
        app.quit()

d = Driver()
c.model_loaded.connect(d.loaded)
c.load_failed.connect(d.failed)
c.open_model(paths[0])
QTimer.singleShot(120_000, app.quit)
app.exec()
assert c.shutdown(5000)
print(seen, flush=True)
"""


def test_litert_then_tensorflow_in_later_slots_does_not_crash(tmp_path, model_files):
    """Regression: a slot importing LiteRT, then a later slot importing TensorFlow, segfaulted when the
    QThread ran its event loop without a persistent Python thread state (a .tflite model, then a
    .keras one; or a warm start, then a benchmark)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LIVEPREDICT_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-X", "faulthandler", "-c", SCRIPT, str(model_files["tflite"]),
                          str(model_files["keras"])], capture_output=True, text=True, env=env, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "[('tflite', False), ('keras', True)]" in out.stdout


def test_no_arguments_opens_the_bundled_demo_model(tmp_path):
    startup = tmp_path / "startup.json"
    out, _ = run_app([], tmp_path, {"LIVEPREDICT_QUIT_WHEN_DONE": "1", "LIVEPREDICT_STARTUP_REPORT": str(startup)})
    assert out.returncode == 0, out.stderr
    assert "model_ready" in json.loads(startup.read_text())
    log = (tmp_path / "logs" / "livepredict.log").read_text()
    assert "shapes.keras open" in log


def test_sigterm_closes_the_window_like_the_user_and_exits_zero(tmp_path, model_files):
    """`kill` (or a session logging out) closes the window the normal way: settings saved,
    threads stopped, exit code 0 — not death by signal (-15)."""
    app = App([model_files["tflite"]], tmp_path)
    try:
        app.wait_log("ready:")
        rc, took = app.close()
    finally:
        app.kill()
    assert rc == 0, app.err
    assert took < 2.0
    assert "Traceback" not in app.err and "QThread: Destroyed" not in app.err
    assert "signal 15: closing the window" in app.log()


def test_live_and_feed_options(capsys):
    from livepredict.app import parse_args

    a = parse_args(["m.keras", "--live", "0", "--feed"])
    assert a.live == "0" and a.feed == 8765 and a.model == "m.keras"
    assert parse_args(["m.keras", "--feed", "9001"]).feed == 9001 and parse_args(["m.keras"]).feed is None
    for bad in ("70000", "0", "abc"):
        with pytest.raises(SystemExit) as e:
            parse_args(["m.keras", "--feed", bad])
        assert e.value.code == 2
        assert f"'{bad}' is not a port number (1-65535)" in capsys.readouterr().err
