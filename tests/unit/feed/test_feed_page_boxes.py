"""examples/feed_page.html draws a detector's boxes: headless Chromium opens the page from the feed,
a detection is published, and the screenshot shows the box outline at the box's size (in the
picture's aspect), in its label colour."""

from __future__ import annotations

import shutil
import subprocess
import time

import numpy as np
import pytest
from feedkit import ROOT
from PIL import Image

from livepredict.core.types import Detection, Detections, Prediction

BROWSER = shutil.which("chromium-headless-shell") or shutil.which("chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
RED = np.array([0xE6, 0x19, 0x4B])


def _browser(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BROWSER, "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--virtual-time-budget=4000", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed; run packaging/linux/system-deps.sh")
def test_feed_page_draws_the_boxes(feed):
    srv = feed(host="127.0.0.1", token="t", model="shapes")
    now = time.monotonic()
    det = Detections(items=(Detection("square", 0.9, (100.0, 75.0, 300.0, 225.0), 1),), labels=("circle", "square"),
                     image_size=(300, 400))
    srv.publish_prediction(Prediction(top=det.top, result=det, frame_index=7, capture_ts=now - 0.01,
                                      infer_end_ts=now, source="cam"))
    url = f"http://127.0.0.1:{srv.port}/?token=t"
    for _ in range(4):
        dom = _browser("--dump-dom", url).stdout
        if 'data-boxes="1"' in dom:
            break
    assert 'data-boxes="1"' in dom and '<div id="label">square</div>' in dom
    shot = ARTIFACTS / "feed_page_boxes.png"
    for _ in range(4):
        shot.unlink(missing_ok=True)
        _browser(f"--screenshot={shot}", "--window-size=700,900", url)
        img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
        red = np.abs(img - RED).sum(axis=2) < 40
        if red.sum() > 200:
            break
    ys, xs = np.nonzero(red)
    # the canvas is 560 px wide for a 400 px wide picture: the 200x150 box is drawn 280x210 (+ line width)
    width, height = xs.max() - xs.min(), ys.max() - ys.min() - 20  # the label tag sits 20 px above the box
    assert width == pytest.approx(280, abs=6) and height == pytest.approx(210, abs=6)
