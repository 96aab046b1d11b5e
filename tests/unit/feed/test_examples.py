"""examples/feed_client.py run as a real subprocess against a real feed."""

from __future__ import annotations

import subprocess
import sys
import time

from feedkit import ROOT

from livepredict.core.types import Prediction

CLIENT = ROOT / "examples" / "feed_client.py"


def _client(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CLIENT), *args], capture_output=True, text=True, timeout=60)


def test_example_client_prints_live_predictions_and_reports_refusal(feed):
    srv = feed(token="tok", model="shapes")
    now = time.monotonic()
    srv.publish_prediction(Prediction(top=(("triangle", 0.75), ("square", 0.2), ("circle", 0.05)), frame_index=7,
                                      capture_ts=now - 0.0123, infer_end_ts=now, source="cam"))
    # the client connects after the prediction was published: a new client gets the current one
    done = _client(srv.url, "--token", "tok", "--count", "1", "--top-k", "2")
    assert done.returncode == 0, done.stderr
    assert "model shapes" in done.stderr
    assert done.stdout.strip() == "#1 frame 7  triangle 0.750  (square 0.200)  latency 12.3 ms  missed 0"

    refused = _client(srv.url, "--token", "wrong", "--count", "1")
    assert refused.returncode == 2 and "refused (401)" in refused.stderr and "token" in refused.stderr


def test_example_client_in_pull_mode_gets_the_newest(feed):
    srv = feed(model="shapes")
    for i in range(5):
        now = time.monotonic()
        srv.publish_prediction(Prediction(top=(("star", 0.9),), frame_index=i, capture_ts=now, infer_end_ts=now))
    done = _client(srv.url, "--pull", "--count", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("#5 frame 4  star 0.900")
