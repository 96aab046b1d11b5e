"""The real app in a real X server: launched as a subprocess on the demo model with sample images.

The app saves screenshots once its results are in (LIVEPREDICT_SCREENSHOT): the window itself, the
model panel and the whole X screen. The test checks them as images: not blank, one card per image
with its top-1 bar drawn in the theme's accent colour, and the light/dark looks really differ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "e2e"
SAMPLES = ROOT / "resources" / "samples" / "images"
DEMO = ROOT / "models" / "shapes.keras"
PICK = ["circle_01.png", "square_02.png", "triangle_03.png", "star_paper_01.jpg", "hexagon_paper_02.jpg",
        "cross_04.png", "circle_paper_02.jpg", "star_02.png"]
ACCENT = {"light": (0x2F, 0x6F, 0xD0), "dark": (0x5B, 0x9B, 0xFF)}

pytestmark = pytest.mark.e2e


def launch(display, tmp_path, theme, shot, extra=()):
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",)}
    env.update(QT_QPA_PLATFORM="xcb", DISPLAY=display, LIVEPREDICT_SETTINGS_DIR=str(tmp_path / "settings"),
               LIVEPREDICT_LOG_DIR=str(tmp_path / "logs"), LIVEPREDICT_SCREENSHOT=str(shot),
               LIVEPREDICT_QUIT_WHEN_DONE="1", LIVEPREDICT_STARTUP_REPORT=str(tmp_path / f"startup-{theme}.json"),
               LIVEPREDICT_T0=repr(time.time()))
    args = [sys.executable, "-m", "livepredict", str(DEMO), *[str(SAMPLES / n) for n in PICK], "--theme", theme,
            "--top", "3", *extra]
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=240, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "QThread" not in out.stderr and "Traceback" not in out.stderr
    return json.loads((tmp_path / f"startup-{theme}.json").read_text())


def accent_bars(img: np.ndarray, rgb: tuple[int, int, int]) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of accent-coloured bars (the top-1 bar of every card)."""
    mask = (np.abs(img[..., :3].astype(int) - np.array(rgb)).max(axis=2) <= 12).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    return [tuple(stats[i][:4]) for i in range(1, n) if stats[i][2] >= 8 and 5 <= stats[i][3] <= 12]


def test_window_under_xvfb_draws_cards_light_and_dark(xvfb, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    looks = {}
    for theme in ("light", "dark"):
        shot = ARTIFACTS / f"classify-{theme}.png"
        for p in (shot, shot.with_name(shot.stem + "-model.png"), shot.with_name(shot.stem + "-screen.png")):
            p.unlink(missing_ok=True)
        report = launch(xvfb, tmp_path, theme, shot)
        assert 0 < report["window_shown"] and report["model_ready"] <= report["first_result"]
        img = np.asarray(Image.open(shot).convert("RGB"))
        assert img.shape[0] > 400 and img.shape[1] > 700
        assert img.std() > 20  # not blank
        bars = accent_bars(img, ACCENT[theme])
        # one top-1 bar per card (the selected tab underline is thinner and not counted)
        assert len(bars) >= len(PICK), f"{len(bars)} accent bars for {len(PICK)} images in {shot}"
        looks[theme] = float(img.mean())
        model = np.asarray(Image.open(shot.with_name(shot.stem + "-model.png")).convert("RGB"))
        assert model.std() > 15
        screen = np.asarray(Image.open(shot.with_name(shot.stem + "-screen.png")).convert("RGB"))
        assert screen.shape[:2] == (800, 1280)
        assert len(accent_bars(screen, ACCENT[theme])) >= len(PICK)  # the X server really shows the cards
    assert looks["light"] > 180 > 90 > looks["dark"]
