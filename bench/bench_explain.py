#!/usr/bin/env python3
"""Explanation benchmark: measured in one run, printed, nothing asserted.

    .venv/bin/python bench/bench_explain.py                 # speed, then the live window if $DISPLAY
    .venv/bin/python bench/bench_explain.py speed [--runs 30]
    xvfb-run -a .venv/bin/python bench/bench_explain.py live [--seconds 10] [--paced]

speed — Grad-CAM of one 224x224 picture on a MobileNetV2-sized model (keras.applications.MobileNetV2,
random weights, built here) against one compiled Keras forward pass of the same model (the app's
KerasRuntime: tf.function, fixed signature), both medians over ``--runs`` calls after warm-up
(target: ratio <= 3). Also the demo model, and occlusion through LiteRT.

live — the real main window on the Live tab, the demo model on the sample video (read as fast as it
decodes, so inference is the bottleneck; ``--paced`` at the file's own rate): inference fps without
explanations, then with Explain on (target: ratio >= 0.7), heatmaps made per second, the GUI
event-loop stall p99 from a 5 ms timer in the GUI thread during each phase (target < 50 ms), and what
the heatmap layer adds to one repaint of the video view (paused, the same frame).
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEMO = ROOT / "models" / "shapes.keras"
VIDEO = ROOT / "resources" / "samples" / "shapes.avi"


def _median_ms(*fns, runs: int) -> list[float]:
    """Median milliseconds of each of ``fns``, called in turn ``runs`` times (interleaved, so a busy
    machine slows them alike), after three warm-up rounds."""
    import numpy as np

    times: list[list[float]] = [[] for _ in fns]
    for i in range(runs + 3):
        for fn, acc in zip(fns, times, strict=True):
            t = time.perf_counter()
            fn()
            if i >= 3:
                acc.append((time.perf_counter() - t) * 1000.0)
    return [float(np.median(t)) for t in times]


def speed_of(path: Path, runs: int) -> dict:
    import numpy as np

    from livepredict.core.geometry import placement
    from livepredict.inference.explain import Explainer
    from livepredict.inference.loader import open_model

    model = open_model(path, runtime="keras", use_cache=False)
    spec = model.spec
    rgb = np.random.default_rng(0).integers(0, 256, (*spec.size, 3), dtype=np.uint8)
    x = model.preprocess(rgb)[None]
    where = [placement(rgb.shape[:2], spec.size, spec.resize)]
    keras_rt = model.runtimes["keras"]
    ex = Explainer(model, "gradcam")
    forward, gradcam_raw, gradcam = _median_ms(lambda: keras_rt.infer_all(x), lambda: ex.gradcam(x),
                                               lambda: ex.explain_tensors(x, where), runs=runs)
    out = {"model": path.name, "layer": ex.layer, "forward_ms": forward, "gradcam_ms": gradcam_raw,
           "gradcam_mapped_ms": gradcam, "ratio": gradcam_raw / forward, "ratio_mapped": gradcam / forward}
    model.close()
    return out


def occlusion_of(path: Path, runs: int) -> dict:
    import numpy as np

    from livepredict.core.geometry import placement
    from livepredict.inference.explain import Explainer
    from livepredict.inference.loader import open_model

    model = open_model(path, runtime="litert")
    spec = model.spec
    rgb = np.random.default_rng(0).integers(0, 256, (*spec.size, 3), dtype=np.uint8)
    x = model.preprocess(rgb)[None]
    ex = Explainer(model, "occlusion")
    where = [placement(rgb.shape[:2], spec.size, spec.resize)]
    forward, occ = _median_ms(lambda: model.infer(x), lambda: ex.explain_tensors(x, where), runs=max(3, runs // 5))
    model.close()
    return {"model": path.name, "runtime": model.info.runtime, "window": ex.layer, "forward_ms": forward,
            "occlusion_ms": occ, "ratio": occ / forward}


def speed(runs: int) -> None:
    from bench_engine import build_mobilenet_sized

    with tempfile.TemporaryDirectory() as d:
        big = build_mobilenet_sized(Path(d), sidecar=True)
        r = speed_of(big, runs)
        print(f"== Grad-CAM, one 224x224 picture, {r['model']} (MobileNetV2-sized, random weights), at {r['layer']}")
        print(f"forward pass (KerasRuntime, tf.function) {r['forward_ms']:.1f} ms; Grad-CAM {r['gradcam_ms']:.1f} ms "
              f"-> ratio {r['ratio']:.2f} (target <= 3: {'met' if r['ratio'] <= 3 else 'NOT met'}); with the map "
              f"brought back to the picture {r['gradcam_mapped_ms']:.1f} ms ({r['ratio_mapped']:.2f}x)")
        o = occlusion_of(big, runs)
        print(f"occlusion ({o['window']}) through {o['runtime']}: {o['occlusion_ms']:.0f} ms = "
              f"{o['ratio']:.0f} forward passes of {o['forward_ms']:.1f} ms")
    r = speed_of(DEMO, runs)
    print(f"\n== the demo model {r['model']} at {r['layer']}: forward {r['forward_ms']:.2f} ms, Grad-CAM "
          f"{r['gradcam_ms']:.2f} ms -> ratio {r['ratio']:.2f}")


def live(seconds: float, paced: bool) -> None:
    import numpy as np
    from bench_live import live_window, stall_probe

    app, window, panel, pump = live_window(DEMO)
    made: list = []
    window.controller.live_explained.connect(made.append)

    def phase(secs: float) -> tuple[float, np.ndarray]:
        """Inference fps over ``secs`` and how late each 5 ms GUI timer tick was meanwhile (ms)."""
        n0, t0 = panel.pipeline.frames_inferred, time.monotonic()
        gaps = stall_probe(secs)
        return (panel.pipeline.frames_inferred - n0) / (time.monotonic() - t0), gaps

    panel.start(str(VIDEO), throttle=paced)
    pump(lambda: panel.pipeline.frames_inferred >= 50, 60)
    fps_off, stall_off = phase(seconds)
    panel.heat.controls.toggle.setChecked(True)
    pump(lambda: len(made) >= 3, 300)  # the explainer is built (Keras loaded on demand, compiled)
    m0 = len(made)
    fps_on, stall_on = phase(seconds)
    heat_rate = (len(made) - m0) / seconds
    panel.set_paused(True)  # the same frame and heatmap: what the layer adds to one repaint of the video

    def repaint_ms(layer_on: bool) -> float:
        panel.heat.item.setVisible(layer_on)
        return _median_ms(lambda: panel.view.viewport().repaint(), runs=40)[0]

    paint_off, paint_on = repaint_ms(False), repaint_ms(True)
    panel.set_paused(False)
    shot = ROOT / "tests" / "artifacts" / "explain" / "bench_live.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(shot))
    panel.stop()
    window.close()
    app.processEvents()
    ratio = fps_on / fps_off if fps_off else float("nan")
    p99_off, p99_on = float(np.percentile(stall_off, 99)), float(np.percentile(stall_on, 99))
    print(f"\n== live, demo model, sample video {'paced' if paced else 'unthrottled'}, {seconds:g} s per phase")
    print(f"inference fps without explanations {fps_off:.1f}, with {fps_on:.1f} -> ratio {ratio:.2f} "
          f"(target >= 0.7: {'met' if ratio >= 0.7 else 'NOT met'}); {heat_rate:.1f} heatmaps/s")
    print(f"GUI event-loop stall p99 without {p99_off:.1f} ms, with {p99_on:.1f} ms (max {float(stall_on.max()):.1f}; "
          f"target p99 <= 50: {'met' if p99_on <= 50 else 'NOT met'}); screenshot {shot}")
    print(f"one repaint of the video view: {paint_off:.2f} ms without the heatmap layer, {paint_on:.2f} ms with it")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", default="all", choices=("all", "speed", "live"))
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--paced", action="store_true", help="live: the video at its own frame rate")
    args = ap.parse_args()
    if args.what in ("all", "speed"):
        speed(args.runs)
    if args.what == "live":
        live(args.seconds, args.paced)
    elif args.what == "all":
        if not os.environ.get("DISPLAY"):
            print("\n(no DISPLAY: live part skipped; run under Xvfb: xvfb-run -a python bench/bench_explain.py live)")
            return 0
        for extra in ([], ["--paced"]):  # each in a fresh process (no TensorFlow in the GUI process)
            subprocess.run([sys.executable, __file__, "live", "--seconds", str(args.seconds), *extra], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
