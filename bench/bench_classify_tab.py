#!/usr/bin/env python3
"""The Classify tab against the CLI on the same folder, measured in one run (needs a display, e.g. Xvfb).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python bench/bench_classify_tab.py [--photos 600]

600 photos (500x375 JPEG) through a MobileNetV2-sized model (random weights), its LiteRT
conversion cached first. The CLI: ``livepredict classify MODEL FOLDER`` as a whole process; its
pictures per second are those printed after its first chunk over the time from the first chunk to
the last (start-up and the first chunk left out).
The tab: the real main window with the model open, the folder given to the Classify panel as a
drop would, every card made and painted by the window; its pictures per second are counted the
same way, from the first result to reach the window to the last (and, beside it, from the drop to
the job's end). Goal: the tab at >= 0.9 of the CLI's pictures per second. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def cli_rate(model: Path, photos: Path, cache: Path, n: int) -> dict:
    """The CLI's pictures per second from its first printed chunk to its last: the pictures printed
    after the first chunk over the time between the two (start-up and the first chunk left out)."""
    from bytecode import installed_env

    env = dict(installed_env(), LIVEPREDICT_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT / "desktop"))
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "livepredict", "classify", str(model), str(photos)], env=env,
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    times = [time.perf_counter() - t0 for _ in p.stdout]  # type: ignore[union-attr]
    p.wait()
    wall = time.perf_counter() - t0
    first_chunk = sum(1 for t in times if t - times[0] < 0.005)  # printed together with the first line
    span = times[-1] - times[0]
    return {"wall_s": wall, "first_s": times[0], "span_s": span, "first_chunk": first_chunk,
            "per_s": (len(times) - first_chunk) / span if span > 0 else 0.0}


def tab_rate(model: Path, photos: Path, n: int) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    sys.setswitchinterval(0.001)  # as the app sets it (app._prepare_process)
    QApplication.instance() or QApplication([])
    from livepredict.app import build_window
    from livepredict.settings import Settings
    from livepredict.threads.engine.controller import InferenceController

    controller = InferenceController()
    window = build_window(controller, Settings())
    window.resize(1280, 800)
    window.show()
    got: dict = {}
    controller.model_loaded.connect(lambda m: got.setdefault("loaded", m))
    controller.batch_finished.connect(lambda b: got.setdefault("finished", (time.perf_counter(), b)))
    arrived: list[float] = []  # when each picture's result reached the GUI thread
    controller.classification_ready.connect(lambda _r: arrived.append(time.perf_counter()))

    def pump(cond, timeout: float) -> bool:
        """Run the event loop, as the app does, until ``cond()`` (checked when the engine reports and
        every 50 ms) or ``timeout`` seconds; a polling loop would wake the GIL 500 times a second."""
        loop = QEventLoop()

        def check() -> None:
            if cond():
                loop.quit()

        tick = QTimer()
        tick.timeout.connect(check)
        tick.start(50)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        hooks = (controller.model_loaded, controller.batch_finished)
        for sig in hooks:
            sig.connect(check)
        loop.exec()
        tick.stop()
        for sig in hooks:
            sig.disconnect(check)
        return cond()

    controller.open_model(str(model))
    if not pump(lambda: "loaded" in got, 120):
        sys.exit("the model did not open")
    window.show_panel("Classify")
    pump(lambda: False, 0.5)  # the panel shown and painted
    t0 = time.perf_counter()
    window.classify_panel.classify([str(photos)])
    if not pump(lambda: "finished" in got, 600):
        sys.exit("the folder was not classified")
    t1, finished = got["finished"]
    pump(lambda: False, 0.2)
    cards = len(window.classify_panel.model.cards)
    window.close()
    controller.shutdown(5000)
    first_chunk = sum(1 for t in arrived if t - arrived[0] < 0.005)
    span = arrived[-1] - arrived[0]
    return {"s": t1 - t0, "whole_per_s": finished.done / (t1 - t0), "done": finished.done, "cards": cards,
            "runtime": got["loaded"].info.runtime, "first_s": arrived[0] - t0, "first_chunk": first_chunk,
            "span_s": span, "per_s": (len(arrived) - first_chunk) / span if span > 0 else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=600)
    args = ap.parse_args()
    from bench_engine import build_mobilenet_sized
    from photos import make_photos

    with tempfile.TemporaryDirectory(prefix="lp-tab-") as tmp:
        work = Path(tmp)
        cache = work / "cache"
        os.environ["LIVEPREDICT_CACHE_DIR"] = str(cache)
        os.environ.setdefault("LIVEPREDICT_SETTINGS_DIR", str(work / "settings"))
        os.environ.setdefault("LIVEPREDICT_LOG_DIR", str(work / "logs"))
        model = build_mobilenet_sized(work, sidecar=True)
        photos = make_photos(work / "photos", args.photos)
        env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"), LIVEPREDICT_CONVERT="inline")
        subprocess.run([sys.executable, "-m", "livepredict", "info", str(model)], env=env, check=True,
                       capture_output=True)  # the LiteRT conversion cached: both runs start warm
        cli = cli_rate(model, photos, cache, args.photos)
        tab = tab_rate(model, photos, args.photos)
    print(f"{args.photos} photos 500x375 JPEG, MobileNetV2-sized model ({tab['runtime']}), {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"CLI classify: whole process {cli['wall_s']:.2f} s, first chunk ({cli['first_chunk']} pictures) at "
          f"{cli['first_s']:.2f} s, the rest in {cli['span_s']:.2f} s -> {cli['per_s']:.0f} pictures/s")
    print(f"Classify tab: {tab['done']} pictures ({tab['cards']} cards) in {tab['s']:.2f} s from the drop "
          f"({tab['whole_per_s']:.0f} pictures/s); first chunk ({tab['first_chunk']} pictures) at {tab['first_s']:.2f} s, "
          f"the rest in {tab['span_s']:.2f} s -> {tab['per_s']:.0f} pictures/s")
    print(f"tab / CLI, first result to last (the same measure for both): {tab['per_s'] / cli['per_s']:.2f} "
          f"(goal >= 0.9); the tab from the drop: {tab['whole_per_s'] / cli['per_s']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
