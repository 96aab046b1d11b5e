"""Every tab in a real window under Xvfb, at 1024x700 and 1920x1080, light and dark (``tour.py``).

The screenshots go to ``tests/artifacts/e2e/tour/``. The test checks them as images: each has the
window's size, none is blank, and dark really is darker than light for every tab. Each was looked at.
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

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "artifacts" / "e2e" / "tour"
SIZES = ("1024x700", "1920x1080")

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tour(xvfb_hd, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tour")
    for old in OUT.glob("*.png"):
        old.unlink()
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env.update(QT_QPA_PLATFORM="xcb", DISPLAY=xvfb_hd, LIVEPREDICT_SETTINGS_DIR=str(tmp / "settings"),
               LIVEPREDICT_LOG_DIR=str(tmp / "logs"), PYTHONPATH=str(ROOT / "desktop"))
    out = subprocess.run([sys.executable, str(ROOT / "tests" / "e2e" / "tour.py"), str(OUT), *SIZES],
                         capture_output=True, text=True, env=env, timeout=400, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr and "QThread" not in out.stderr
    return json.loads((OUT / "tour.json").read_text())


def image(shot: dict) -> np.ndarray:
    return np.asarray(Image.open(shot["path"]).convert("RGB")).astype(int)


def test_every_tab_at_both_sizes_in_both_themes(tour):
    names = {s["name"] for s in tour}
    assert {"classify-empty", "classify", "live", "model", "generate-text", "generate-forecast"} <= names
    assert len(tour) == len(names) * 2 * len(SIZES)
    looks: dict[tuple[str, str], dict[str, float]] = {}
    for shot in tour:
        img = image(shot)
        assert img.shape[:2] == (shot["size"][1], shot["size"][0]), shot["path"]
        assert img.std() > 6, f"{shot['path']} is nearly blank"  # an empty tab is sparse, not blank
        looks.setdefault((shot["name"], "x".join(map(str, shot["size"]))), {})[shot["theme"]] = float(img.mean())
    for key, by_theme in looks.items():
        assert by_theme["light"] > by_theme["dark"] + 40, key

