"""The real main window on the Live tab under Xvfb: demo model, sample video, plot drawn.

Runs ``bench/bench_live.py gui`` (the same driver the benchmark uses) as a subprocess on a private
X server; it plays the sample video through the live pipeline for a few seconds, then saves a
screenshot of the window and a JSON report. The test checks the screenshot as an image: the video
frame is drawn, the label box is over it, and the confidence plot has coloured lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from livepredict.ui.plots import PALETTE

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "e2e"
DEMO = ROOT / "models" / "shapes.keras"
VIDEO = ROOT / "resources" / "samples" / "shapes.avi"

pytestmark = pytest.mark.e2e


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])


def test_live_tab_under_xvfb_draws_video_overlay_and_plot(xvfb, tmp_path):
    assert DEMO.exists() and VIDEO.exists()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "live.png"
    shot.unlink(missing_ok=True)
    report = tmp_path / "live.json"
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env.update(QT_QPA_PLATFORM="xcb", DISPLAY=xvfb, LIVEPREDICT_SETTINGS_DIR=str(tmp_path / "settings"),
               LIVEPREDICT_LOG_DIR=str(tmp_path / "logs"))
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_live.py"), "gui", "--seconds", "4",
                          "--screenshot", str(shot), "--report", str(report)],
                         capture_output=True, text=True, env=env, timeout=240, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "QThread" not in out.stderr
    r = json.loads(report.read_text())
    assert r["frames_inferred"] > 10 and r["display_ticks"] > 10
    assert r["timing_strip"]["latency_ms"].endswith("ms")

    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    h, w = img.shape[:2]
    assert h > 500 and w > 1000 and img.std() > 20
    left, right = img[:, : w // 2], img[:, w // 2:]
    # The video frame: a picture (not a flat or black area) fills most of the left half.
    video = left[int(h * 0.15): int(h * 0.8), 20: w // 2 - 20]
    assert video.std() > 15 and (video.max(axis=2) < 20).mean() < 0.5
    # The confidence plot: 1 px lines in the palette's colours on the right half.
    line_pixels = sum(int((np.abs(right - _rgb(c)).max(axis=2) <= 30).sum()) for c in PALETTE[:6])
    assert line_pixels > 300, f"only {line_pixels} plot-line pixels in {shot}"
    # The label box: a dark translucent box with white text at the top-left of the video.
    box = left[int(h * 0.12): int(h * 0.3), : w // 4]
    assert (box.max(axis=2) < 130).mean() > 0.05 and (box.min(axis=2) > 225).sum() > 30
