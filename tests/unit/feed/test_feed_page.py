"""examples/feed_page.html in headless Chromium, served by the feed itself, fed a real prediction.

Needs ``chromium-headless-shell`` (or ``chromium``), installed by packaging/linux/system-deps.sh.
The page's DOM is dumped and a screenshot is taken; the test reads the label, the confidence and
the width of the green bar from the screenshot's pixels.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import numpy as np
import pytest
from feedkit import ROOT
from PIL import Image

from livepredict.core.types import Prediction

BROWSER = shutil.which("chromium-headless-shell") or shutil.which("chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"


def _browser(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BROWSER, "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--virtual-time-budget=4000", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed; run packaging/linux/system-deps.sh")
def test_feed_page_shows_live_label_and_confidence_bar(feed):
    srv = feed(host="127.0.0.1", token="page-token", model="shapes")
    now = time.monotonic()
    srv.publish_prediction(Prediction(top=(("triangle", 0.75), ("square", 0.2), ("circle", 0.05)),
                                      frame_index=42, capture_ts=now - 0.02, infer_end_ts=now,
                                      source="shapes.avi"))
    url = f"http://127.0.0.1:{srv.port}/?token=page-token"

    # The page gets its prediction over a real socket, which virtual time does not wait for: on a
    # busy machine the browser may finish first, so each capture is tried up to 4 times.
    for _ in range(4):
        dom = _browser("--dump-dom", url).stdout
        if "triangle" in dom:
            break
    assert '<div id="label">triangle</div>' in dom
    assert "confidence 75.0 %" in dom and "frame 42" in dom and 'aria-valuenow="0.750"' in dom

    shot = ARTIFACTS / "feed_page.png"
    green_rgb = np.array([0x4C, 0xAF, 0x7A])
    for _ in range(4):
        shot.unlink(missing_ok=True)
        _browser(f"--screenshot={shot}", "--window-size=700,400", url)
        img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
        green = (np.abs(img - green_rgb).sum(axis=2) < 30)
        rows = np.where(green.sum(axis=1) > 50)[0]
        if rows.size >= 10:
            break
    assert rows.size >= 10, "no confidence bar in the screenshot"
    track = (np.abs(img[rows[rows.size // 2]] - np.array([0x2A, 0x2E, 0x37])).sum(axis=1) < 30)
    filled = green[rows[rows.size // 2]].sum()
    assert filled / (filled + track.sum()) == pytest.approx(0.75, abs=0.03)

    # without the token the page cannot connect and says so
    for _ in range(4):
        dom = _browser("--dump-dom", f"http://127.0.0.1:{srv.port}/").stdout
        if "disconnected" in dom:
            break
    assert "disconnected (" in dom and '<div id="label">–</div>' in dom and "triangle" not in dom
    assert srv.stats()["refused"] >= 1
