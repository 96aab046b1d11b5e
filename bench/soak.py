#!/usr/bin/env python3
"""Soak: the real main window on the Live tab, the sample video looping through the demo model,
until 500,000 GUI updates (display ticks of the live panel) or 2 hours, whichever comes first.

    .venv/bin/python bench/soak.py [--minutes 120] [--updates 500000] [--unthrottled]
                                   [--csv docs/soak.csv] [--plot docs/soak.png]

Runs under the current $DISPLAY, or starts a private Xvfb when there is none. The window runs in a
child process; every minute it appends a row to the CSV: elapsed minutes, resident memory (MB), GUI
updates so far, frames read / inferred / dropped, and the event-loop stall p99 and max of that minute
(a 10 ms precise timer in the GUI thread; stall = how late each tick was). At the end the parent
checks that the child was still alive and answering (it reports after its last minute, then closes
its window and exits 0), prints the figures and draws the curve (RSS and stall p99 over time) as a
PNG with pyqtgraph. Nothing is asserted: this is a measurement, outside ``make test``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
FIELDS = ("minute", "rss_mb", "gui_updates", "frames_read", "frames_inferred", "frames_dropped",
          "stall_ms_p99", "stall_ms_max")


def child(args: argparse.Namespace) -> int:
    """Runs the window; writes one JSON line per minute on stdout, then a final line."""
    import numpy as np
    from bench_live import DEMO, VIDEO, live_window, rss_mb
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    app, window, panel, pump = live_window(Path(args.model or DEMO))
    interval = 10
    clock = QElapsedTimer()
    clock.start()
    gaps: list[float] = []
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6 - interval)
        last[0] = now

    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(interval)
    probe.timeout.connect(tick)
    panel.start(str(VIDEO), throttle=not args.unthrottled)
    pump(lambda: panel.pipeline.frames_inferred >= 5, 120)
    probe.start()
    start = time.monotonic()
    ticks0 = panel._ticks
    deadline = start + args.minutes * 60.0
    minute = 0
    all_p99: list[float] = []

    def emit(kind: str, **extra) -> None:
        p = panel.pipeline
        print(json.dumps({"kind": kind, "minute": round((time.monotonic() - start) / 60.0, 2),
                          "rss_mb": round(rss_mb(), 1), "gui_updates": panel._ticks - ticks0,
                          "frames_read": p.frames_read, "frames_inferred": p.frames_inferred,
                          "frames_dropped": p.frames_dropped, **extra}), flush=True)

    while True:
        minute += 1
        end = min(deadline, start + minute * 60.0)
        pump(lambda e=end: time.monotonic() >= e or panel._ticks - ticks0 >= args.updates, 3600)
        g = np.clip(np.asarray(gaps[1:] or [0.0]), 0, None)
        gaps.clear()
        p99 = float(np.percentile(g, 99))
        all_p99.append(p99)
        emit("minute", stall_ms_p99=round(p99, 2), stall_ms_max=round(float(g.max()), 2))
        if time.monotonic() >= deadline or panel._ticks - ticks0 >= args.updates:
            break
    probe.stop()
    alive = window.isVisible() and panel.live
    emit("end", alive=bool(alive), live_status=panel.status.text())
    window.close()
    app.processEvents()
    return 0


def draw(rows: list[dict], path: Path, title: str) -> None:
    import pyqtgraph as pg
    import pyqtgraph.exporters
    from PySide6.QtWidgets import QApplication

    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # the parent draws without a window
    app = QApplication.instance() or QApplication([])  # exporters need one
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    win = pg.GraphicsLayoutWidget()
    win.resize(900, 560)
    x = [r["minute"] for r in rows]
    a = win.addPlot(row=0, col=0, title=title)
    a.setLabel("left", "resident memory", units="MB")
    a.plot(x, [r["rss_mb"] for r in rows], pen=pg.mkPen("#1f77b4", width=2), symbol="o", symbolSize=4)
    a.showGrid(x=True, y=True, alpha=0.3)
    b = win.addPlot(row=1, col=0)
    b.setLabel("left", "event-loop stall p99", units="ms")
    b.setLabel("bottom", "minutes")
    b.plot(x, [r["stall_ms_p99"] for r in rows], pen=pg.mkPen("#d62728", width=2), symbol="o", symbolSize=4)
    b.showGrid(x=True, y=True, alpha=0.3)
    b.setXLink(a)
    win.show()  # offscreen: lay the plots out at the window's size before exporting
    app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    pyqtgraph.exporters.ImageExporter(win.scene()).export(str(path))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=120.0, help="stop after this many minutes (default 120)")
    ap.add_argument("--updates", type=int, default=500_000, help="stop after this many GUI updates")
    ap.add_argument("--unthrottled", action="store_true", help="read the video as fast as it decodes")
    ap.add_argument("--model", default=None, help="model file (default: the bundled demo model)")
    ap.add_argument("--csv", default=str(ROOT / "docs" / "soak.csv"))
    ap.add_argument("--plot", default=str(ROOT / "docs" / "soak.png"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", QT_QPA_PLATFORM="xcb")
    xvfb = None
    if not env.get("DISPLAY"):
        if not shutil.which("Xvfb"):
            print("no $DISPLAY and no Xvfb: install xvfb (packaging/linux/system-deps.sh)", file=sys.stderr)
            return 2
        display = f":{90 + os.getpid() % 400}"
        xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env["DISPLAY"] = display
        time.sleep(1.0)  # a script, not a test: give the X server a moment to listen
    cmd = [sys.executable, __file__, "--child", "--minutes", str(args.minutes), "--updates", str(args.updates)]
    if args.unthrottled:
        cmd.append("--unthrottled")
    if args.model:
        cmd += ["--model", args.model]
    rows: list[dict] = []
    end: dict | None = None
    csv_path = Path(args.csv)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    try:
        with open(csv_path, "w", newline="") as f:
            out = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
            out.writeheader()
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            for line in proc.stdout:
                if not line.startswith("{"):
                    continue
                rec = json.loads(line)
                if rec["kind"] == "minute":
                    rows.append(rec)
                    out.writerow(rec)
                    f.flush()
                    print(f"{rec['minute']:7.2f} min  RSS {rec['rss_mb']:7.1f} MB  updates {rec['gui_updates']:>8,}  "
                          f"frames {rec['frames_inferred']:>8,}/{rec['frames_read']:>8,} "
                          f"(dropped {rec['frames_dropped']:,})  stall p99 {rec['stall_ms_p99']} ms", flush=True)
                else:
                    end = rec
            code = proc.wait()
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    if not rows:
        print("the soak child reported nothing", file=sys.stderr)
        return 1
    first = rows[0]["rss_mb"]
    result = {
        "minutes": round(rows[-1]["minute"], 1),
        "wall_minutes": round((time.monotonic() - t0) / 60.0, 1),
        "gui_updates": rows[-1]["gui_updates"],
        "frames_read": rows[-1]["frames_read"],
        "frames_inferred": rows[-1]["frames_inferred"],
        "frames_dropped": rows[-1]["frames_dropped"],
        "rss_mb_first_minute": first,
        "rss_mb_end": rows[-1]["rss_mb"],
        "rss_mb_max": max(r["rss_mb"] for r in rows),
        "rss_mb_growth_after_first_minute": round(rows[-1]["rss_mb"] - first, 1),
        "stall_ms_p99_median_of_minutes": sorted(r["stall_ms_p99"] for r in rows)[len(rows) // 2],
        "stall_ms_p99_worst_minute": max(r["stall_ms_p99"] for r in rows),
        "stall_ms_max": max(r["stall_ms_max"] for r in rows),
        "alive_at_end": bool(end and end.get("alive")),
        "exit_code": code,
        "csv": str(csv_path),
    }
    title = (f"Live soak: {result['gui_updates']:,} GUI updates, {result['minutes']} min"
             + (" (shortened run)" if result["minutes"] < 119 and result["gui_updates"] < args.updates else ""))
    try:
        plot = Path(args.plot)
        draw(rows, plot, title)
        result["plot"] = str(plot)
    except Exception as exc:  # the figures still count without the picture
        result["plot_error"] = str(exc)
    print(json.dumps(result, indent=2))
    return 0 if result["alive_at_end"] and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
