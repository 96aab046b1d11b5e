#!/usr/bin/env python3
"""Live soak: the real window on the Live tab, the sample video looped unthrottled through the demo
model until 100,000 frames have been captured; resident memory is sampled along the way.

    xvfb-run -a .venv/bin/python bench/soak_live.py [--frames 100000] [--json]

Prints RSS after the warm-up (first 5 % of the frames) and at the end, the growth between the two
(target < 20 MB), the largest event-loop stall seen by a 50 ms watchdog timer, and the frame counts.
Nothing is asserted; this runs outside ``make test`` (it takes minutes).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_live import DEMO, VIDEO, live_window, rss_mb  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--model", default=str(DEMO))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from PySide6.QtCore import QElapsedTimer, QTimer

    app, window, panel, pump = live_window(Path(args.model))
    clock = QElapsedTimer()
    clock.start()
    state = {"last": clock.elapsed(), "worst": 0}

    def watch() -> None:
        now = clock.elapsed()
        state["worst"] = max(state["worst"], now - state["last"] - 50)
        state["last"] = now

    watchdog = QTimer()
    watchdog.setInterval(50)
    watchdog.timeout.connect(watch)
    watchdog.start()

    t0 = time.monotonic()
    panel.start(str(VIDEO), throttle=False)
    samples: list[tuple[int, float]] = []
    warm = max(1000, args.frames // 20)
    pump(lambda: panel.pipeline.frames_read >= warm, 3600)
    samples.append((panel.pipeline.frames_read, rss_mb()))
    step = max(1000, args.frames // 20)
    while panel.pipeline.frames_read < args.frames:
        target = min(args.frames, panel.pipeline.frames_read + step)
        if not pump(lambda t=target: panel.pipeline.frames_read >= t, 3600):
            break
        samples.append((panel.pipeline.frames_read, rss_mb()))
    wall = time.monotonic() - t0
    watchdog.stop()
    result = {
        "frames_read": panel.pipeline.frames_read,
        "frames_inferred": panel.pipeline.frames_inferred,
        "frames_dropped": panel.pipeline.frames_dropped,
        "seconds": round(wall, 1),
        "rss_mb_after_warmup": round(samples[0][1], 1),
        "rss_mb_end": round(samples[-1][1], 1),
        "rss_mb_growth": round(samples[-1][1] - samples[0][1], 1),
        "rss_mb_max": round(max(m for _, m in samples), 1),
        "worst_event_loop_stall_ms": int(state["worst"]),
        "samples": [(f, round(m, 1)) for f, m in samples],
    }
    window.close()
    app.processEvents()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['frames_read']:,} frames read, {result['frames_inferred']:,} inferred, "
              f"{result['frames_dropped']:,} dropped in {result['seconds']} s")
        print(f"RSS after warm-up {result['rss_mb_after_warmup']} MB, at the end {result['rss_mb_end']} MB: growth "
              f"{result['rss_mb_growth']} MB (target < 20: {'met' if result['rss_mb_growth'] < 20 else 'NOT met'}); "
              f"max {result['rss_mb_max']} MB")
        print(f"worst event-loop stall seen by a 50 ms watchdog: {result['worst_event_loop_stall_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
