#!/usr/bin/env python3
"""Live pipeline benchmark: measured in one run, printed, nothing asserted.

    .venv/bin/python bench/bench_live.py                  # headless figures + the GUI probe if $DISPLAY
    .venv/bin/python bench/bench_live.py headless [--frames 10000] [--big-frames 2000]
    .venv/bin/python bench/bench_live.py detector [--frames 10000]
    .venv/bin/python bench/bench_live.py gui [--seconds 20] [--unthrottled] [--screenshot F.png] [--report F.json]

headless — the sample video (resources/samples/shapes.avi) looped and read unthrottled through the
same pipeline as ``livepredict live`` (capture thread → newest-wins mailbox → inference thread), on
the demo model and on a MobileNetV2-sized model (random weights, built here):
  * throughput: inference fps / (1000 / (preprocess ms + inference ms)), the per-frame compute
    measured in the same run (target >= 0.85);
  * drift: median latency (capture → result delivered) of the last 10 % of the frames / the first
    10 % (10,000 frames: last 1,000 vs first 1,000; target <= 1.5).

detector — the same figures for the bundled detector (models/detector.keras) on the scenes video
(resources/samples/scenes.avi), unthrottled: compute per frame = preprocess + model + decoding
(boxes, class-aware NMS, mapping back to the frame), as the result reports them.

gui — the real main window on the Live tab (needs a display, e.g. Xvfb): the demo model on the
sample video, a 5 ms timer probe in the GUI thread; reports the event-loop stall p99/max (target
p99 < 50 ms), frames painted, resident memory growth, and optionally saves a screenshot.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import build_mobilenet_sized  # noqa: E402 - the same big model as the engine benchmark

DEMO = ROOT / "models" / "shapes.keras"
VIDEO = ROOT / "resources" / "samples" / "shapes.avi"
DETECTOR = ROOT / "models" / "detector.keras"
SCENES_VIDEO = ROOT / "resources" / "samples" / "scenes.avi"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def headless_run(model: Path, frames: int, video: Path = VIDEO, with_decode: bool = False) -> dict:
    """``with_decode``: the compute per frame also counts the head's decoding (boxes, NMS, mapping)."""
    import numpy as np

    from livepredict.commands.live import run_live

    compute: list[float] = []
    latency: list[float] = []

    def on_prediction(pred, latency_ms: float) -> None:
        compute.append((pred.infer_end_ts - pred.infer_start_ts) * 1000.0 if with_decode
                       else pred.preprocess_ms + pred.infer_ms)
        latency.append(latency_ms)

    t0 = time.monotonic()
    summary = run_live(model, str(video), frames=frames, unthrottled=True, loop=True, on_prediction=on_prediction)
    wall = time.monotonic() - t0
    n = len(latency)
    tenth = max(1, n // 10)
    c = np.asarray(compute)
    lat = np.asarray(latency)
    fps = summary["inference_fps"]
    out = dict(summary)
    out.update(
        wall_s=round(wall, 1),
        compute_ms_mean=round(float(c.mean()), 3),
        compute_ms_median=round(float(np.median(c)), 3),
        ratio_fps_vs_compute_mean=round(fps / (1000.0 / c.mean()), 3),
        ratio_fps_vs_compute_median=round(fps / (1000.0 / np.median(c)), 3),
        latency_first_p50=round(float(np.median(lat[:tenth])), 3),
        latency_last_p50=round(float(np.median(lat[-tenth:])), 3),
        drift_window=tenth,
        with_decode=with_decode,
    )
    out["drift_ratio"] = round(out["latency_last_p50"] / out["latency_first_p50"], 3)
    return out


def headless(frames: int, big_frames: int) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if DEMO.exists():
            results["demo (shapes.keras)"] = headless_run(DEMO, frames)
        results["MobileNetV2-sized"] = headless_run(build_mobilenet_sized(Path(tmp), sidecar=True), big_frames)
    print_headless(results)
    return results


def detector(frames: int) -> dict:
    results = {"detector (detector.keras, scenes.avi)": headless_run(DETECTOR, frames, SCENES_VIDEO, with_decode=True)}
    print_headless(results)
    return results


def print_headless(results: dict) -> None:
    for name, r in results.items():
        print(f"\n== {name}: {r['frames_inferred']} frames inferred of {r['frames_read']} read "
              f"({r['frames_dropped']} dropped) in {r['wall_s']} s")
        print(f"inference fps {r['inference_fps']:.1f}{' (compute includes decoding)' if r['with_decode'] else ''}; preprocess p50 {r['preprocess_ms_p50']} ms, inference p50 "
              f"{r['infer_ms_p50']} ms; compute per frame mean {r['compute_ms_mean']} ms, median "
              f"{r['compute_ms_median']} ms")
        print(f"throughput ratio fps / (1000 / compute): {r['ratio_fps_vs_compute_mean']} with the mean compute, "
              f"{r['ratio_fps_vs_compute_median']} with the median (target >= 0.85: "
              f"{'met' if r['ratio_fps_vs_compute_mean'] >= 0.85 else 'NOT met'})")
        print(f"latency p50 {r['latency_ms_p50']} ms, p95 {r['latency_ms_p95']} ms; first {r['drift_window']} "
              f"p50 {r['latency_first_p50']} ms, last {r['drift_window']} p50 {r['latency_last_p50']} ms -> "
              f"drift {r['drift_ratio']}x (target <= 1.5: {'met' if r['drift_ratio'] <= 1.5 else 'NOT met'})")


# ------------------------------------------------------------------ GUI probe (run with a display)

def live_window(model: Path):
    """The real main window on the Live tab with ``model`` loaded (needs a display).

    Returns (app, window, panel, pump) where ``pump(cond, timeout)`` runs the event loop until
    ``cond()`` is true.
    """
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    tmp = tempfile.mkdtemp(prefix="livepredict-bench-")
    os.environ.setdefault("LIVEPREDICT_SETTINGS_DIR", str(Path(tmp) / "settings"))
    os.environ.setdefault("LIVEPREDICT_LOG_DIR", str(Path(tmp) / "logs"))
    sys.setswitchinterval(0.001)  # as the app does: GUI work must not starve the inference thread
    app = QApplication([])
    from livepredict.app import build_window
    from livepredict.settings import Settings
    from livepredict.threads.engine.controller import InferenceController
    from livepredict.ui import theme
    from livepredict.ui.gui_gc import GuiThreadCollector

    theme.apply(app, "light")
    app.gui_gc = GuiThreadCollector(app)  # as the app does: cyclic garbage collected on this thread
    controller = InferenceController()
    window = build_window(controller, Settings())
    window.resize(1240, 760)
    window.show()
    window.show_panel("Live")
    panel = window.panel("Live")
    loaded = []
    controller.model_loaded.connect(loaded.append)
    controller.open_model(str(model))

    def pump(cond, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        return cond()

    if not pump(lambda: bool(loaded), 300):
        raise SystemExit("the model did not load")
    panel.side.threshold_box.setChecked(True)
    panel.side.smooth_spin.setValue(2)
    panel.loop_box.setChecked(True)
    return app, window, panel, pump


def stall_probe(secs: float):
    """A 5 ms timer in the GUI thread for ``secs`` (the event loop runs meanwhile); returns how late
    each tick was (ms, numpy array)."""
    import numpy as np
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    interval_ms = 5
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(interval_ms)
    timer.timeout.connect(tick)
    timer.start()
    loop = QEventLoop()
    QTimer.singleShot(int(secs * 1000), loop.quit)
    loop.exec()
    timer.stop()
    return np.clip(np.asarray(gaps[1:]) - interval_ms, 0, None)


def gui(seconds: float, unthrottled: bool, screenshot: str | None, report: str | None, model: Path,
        video: Path = VIDEO) -> dict:
    import numpy as np

    app, window, panel, pump = live_window(model)
    probe = stall_probe

    # Baseline: the same window, model loaded, nothing live. On a busy machine the OS alone makes the
    # event loop late now and then; this tells that part apart from what live work adds.
    idle = probe(min(5.0, seconds / 2))
    panel.start(str(video), throttle=not unthrottled)
    pump(lambda: panel.pipeline.frames_inferred >= 20, 60)
    rss0 = rss_mb()
    inferred0, read0, painted0 = panel.pipeline.frames_inferred, panel.pipeline.frames_read, panel._ticks
    stall = probe(seconds)
    rss1 = rss_mb()
    shot = None
    if screenshot:
        panel.paint(force=True)
        app.processEvents()
        shot = str(screenshot)
        Path(shot).parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(shot)
    result = {
        "mode": "unthrottled" if unthrottled else "paced (file's own rate)",
        "seconds": seconds,
        "probe_ticks": int(len(stall)),
        "idle_stall_ms_p99": round(float(np.percentile(idle, 99)), 2),
        "idle_stall_ms_max": round(float(idle.max()), 2),
        "stall_ms_p50": round(float(np.percentile(stall, 50)), 2),
        "stall_ms_p99": round(float(np.percentile(stall, 99)), 2),
        "stall_ms_max": round(float(stall.max()), 2),
        "frames_read": panel.pipeline.frames_read - read0,
        "frames_inferred": panel.pipeline.frames_inferred - inferred0,
        "display_ticks": panel._ticks - painted0,
        "latency_ms_on_screen": None if panel.last_latency_ms is None else round(panel.last_latency_ms, 1),
        "timing_strip": {k: panel.strip.text_of(k) for k, _t, _f in panel.strip.FIELDS},
        "rss_mb_start": round(rss0, 1),
        "rss_mb_growth": round(rss1 - rss0, 1),
        "screenshot": shot,
        "model": str(model),
    }
    window.close()
    app.processEvents()
    print(f"\n== GUI under {os.environ.get('DISPLAY')} ({result['mode']}), {seconds:g} s live, 5 ms timer probe")
    print(f"event-loop stall p50 {result['stall_ms_p50']} ms, p99 {result['stall_ms_p99']} ms, max "
          f"{result['stall_ms_max']} ms (target p99 < 50: {'met' if result['stall_ms_p99'] < 50 else 'NOT met'})")
    print(f"baseline, same window not live: stall p99 {result['idle_stall_ms_p99']} ms, max "
          f"{result['idle_stall_ms_max']} ms (the machine's own share)")
    print(f"{result['frames_inferred']} frames inferred of {result['frames_read']} read, "
          f"{result['display_ticks']} display ticks; strip {result['timing_strip']}")
    print(f"resident memory {result['rss_mb_start']} MB, growth {result['rss_mb_growth']} MB over the run")
    if report:
        Path(report).write_text(json.dumps(result, indent=2))
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", default="all", choices=("all", "headless", "detector", "gui"))
    ap.add_argument("--frames", type=int, default=10_000, help="frames inferred on the demo model")
    ap.add_argument("--big-frames", type=int, default=2_000, help="frames inferred on the MobileNetV2-sized model")
    ap.add_argument("--seconds", type=float, default=20.0, help="GUI probe duration")
    ap.add_argument("--unthrottled", action="store_true", help="GUI: read the video as fast as it decodes")
    ap.add_argument("--screenshot", default=None)
    ap.add_argument("--report", default=None)
    ap.add_argument("--model", default=str(DEMO))
    ap.add_argument("--video", default=str(VIDEO), help="GUI: the video played")
    args = ap.parse_args()
    if args.what in ("all", "headless"):
        headless(args.frames, args.big_frames)
    if args.what == "detector":
        detector(args.frames)
    if args.what == "gui":
        gui(args.seconds, args.unthrottled, args.screenshot, args.report, Path(args.model), Path(args.video))
    elif args.what == "all":
        if not os.environ.get("DISPLAY"):
            print("\n(no DISPLAY: GUI probe skipped; run under Xvfb: xvfb-run -a python bench/bench_live.py gui)")
            return 0
        for extra in ([], ["--unthrottled"]):  # each in a fresh process (no TensorFlow in the GUI process)
            subprocess.run([sys.executable, __file__, "gui", "--seconds", str(args.seconds), *extra], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
