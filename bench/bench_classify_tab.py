#!/usr/bin/env python3
"""The Classify tab against the CLI on the same folder, measured in one run (needs a display, e.g. Xvfb).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python bench/bench_classify_tab.py [--photos 600] [--rounds 3]

600 photos (500x375 JPEG) through a MobileNetV2-sized model (random weights), its LiteRT
conversion cached first. The CLI: ``livepredict classify MODEL FOLDER`` as a whole process; its
pictures per second are those printed after its first chunk over the time from the first chunk to
the last (start-up and the first chunk left out).
The tab: the real main window with the model open, the folder given to the Classify panel as a
drop would, every card made and painted by the window; its pictures per second are counted the
same way, from the first result to reach the window to the last (and, beside it, from the drop to
the job's end). Goal: the tab at >= 0.9 of the CLI's pictures per second. ``--rounds`` pairs (the
CLI, then the tab, cleared between rounds) are measured and the median pair is the figure: on a
shared machine single runs move by +-10 %. Nothing is asserted.
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


from livepredict.inference.runtimes import DEFAULT_BATCH as CHUNK  # noqa: E402 - both count from the first chunk's last picture


def after_first_chunk(times: list[float]) -> tuple[float, float]:
    """(seconds, pictures per second) from the first chunk's last picture to the last picture."""
    span = times[-1] - times[CHUNK - 1]
    return span, (len(times) - CHUNK) / span if span > 0 else 0.0


def cli_rate(model: Path, photos: Path, cache: Path) -> dict:
    """The CLI's pictures per second from its first chunk to its last: the pictures printed after the
    first chunk over the time from the first chunk's last line to the last line (start-up and the
    first chunk left out)."""
    from bytecode import installed_env

    env = dict(installed_env(), LIVEPREDICT_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT / "desktop"))
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "livepredict", "classify", str(model), str(photos)], env=env,
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    times = [time.perf_counter() - t0 for _ in p.stdout]  # type: ignore[union-attr]
    p.wait()
    wall = time.perf_counter() - t0
    span, per_s = after_first_chunk(times)
    return {"wall_s": wall, "first_s": times[0], "span_s": span, "per_s": per_s}


class Tab:
    """The real main window with the model open; ``run()`` gives it the folder as a drop would."""

    def __init__(self, model: Path) -> None:
        from PySide6.QtWidgets import QApplication

        sys.setswitchinterval(0.001)  # as the app sets it (app._prepare_process)
        QApplication.instance() or QApplication([])
        from livepredict.app import build_window
        from livepredict.settings import Settings
        from livepredict.threads.engine.controller import InferenceController

        self.controller = controller = InferenceController()
        self.window = window = build_window(controller, Settings())
        window.resize(1280, 800)
        window.show()
        self.got: dict = {}
        self.arrived: list[float] = []  # when each picture's result reached the GUI thread
        controller.model_loaded.connect(lambda m: self.got.setdefault("loaded", m))
        controller.batch_finished.connect(lambda b: self.got.setdefault("finished", (time.perf_counter(), b)))
        controller.classification_ready.connect(lambda _r: self.arrived.append(time.perf_counter()))
        controller.open_model(str(model))
        if not self.pump(lambda: "loaded" in self.got, 120):
            sys.exit("the model did not open")
        window.show_panel("Classify")
        self.pump(lambda: False, 0.5)  # the panel shown and painted

    def pump(self, cond, timeout: float) -> bool:
        """Run the event loop, as the app does, until ``cond()`` (checked when the engine reports and
        every 50 ms) or ``timeout`` seconds; a polling loop would wake the GIL 500 times a second."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()

        def check() -> None:
            if cond():
                loop.quit()

        tick = QTimer()
        tick.timeout.connect(check)
        tick.start(50)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        hooks = (self.controller.model_loaded, self.controller.batch_finished)
        for sig in hooks:
            sig.connect(check)
        loop.exec()
        tick.stop()
        for sig in hooks:
            sig.disconnect(check)
        return cond()

    def run(self, photos: Path) -> dict:
        panel = self.window.classify_panel
        panel.clear()  # the Clear button: the cards of the round before go
        self.pump(lambda: False, 0.3)
        self.got.pop("finished", None)
        self.arrived.clear()
        t0 = time.perf_counter()
        panel.classify([str(photos)])
        if not self.pump(lambda: "finished" in self.got, 600):
            sys.exit("the folder was not classified")
        t1, finished = self.got["finished"]
        self.pump(lambda: False, 0.2)
        span, per_s = after_first_chunk(self.arrived)
        return {"s": t1 - t0, "whole_per_s": finished.done / (t1 - t0), "done": finished.done,
                "cards": len(panel.model.cards), "runtime": self.got["loaded"].info.runtime,
                "first_s": self.arrived[0] - t0, "span_s": span, "per_s": per_s}

    def close(self) -> None:
        self.window.close()
        self.controller.shutdown(5000)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=3, help="CLI + tab pairs (the median pair is the figure)")
    args = ap.parse_args()
    import statistics

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
        tab = Tab(model)
        try:
            pairs = [(cli_rate(model, photos, cache), tab.run(photos)) for _ in range(args.rounds)]
        finally:
            tab.close()
    print(f"{args.photos} photos 500x375 JPEG, MobileNetV2-sized model ({pairs[0][1]['runtime']}), "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    ratios, from_drop = [], []
    for i, (cli, t) in enumerate(pairs, 1):
        ratios.append(t["per_s"] / cli["per_s"])
        from_drop.append(t["whole_per_s"] / cli["per_s"])
        print(f"round {i}: CLI classify: whole process {cli['wall_s']:.2f} s, first chunk ({CHUNK} "
              f"pictures) at {cli['first_s']:.2f} s, the rest in {cli['span_s']:.2f} s -> {cli['per_s']:.0f} pictures/s")
        print(f"         Classify tab: {t['done']} pictures ({t['cards']} cards) in {t['s']:.2f} s from the drop "
              f"({t['whole_per_s']:.0f} pictures/s); first chunk ({CHUNK} pictures) at {t['first_s']:.2f} s, "
              f"the rest in {t['span_s']:.2f} s -> {t['per_s']:.0f} pictures/s: tab / CLI {ratios[-1]:.2f}")
    print(f"tab / CLI, first result to last (the same measure for both), median of {len(pairs)} rounds: "
          f"{statistics.median(ratios):.2f} (goal >= 0.9); the tab from the drop: {statistics.median(from_drop):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
