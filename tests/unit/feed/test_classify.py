"""classify requests answered by a real tiny Keras model on the app's inference thread.

The model (tests/helpers/models.py colour classifier: red/green/blue) is opened by the app's
``InferenceController`` and its jobs reach the worker through the app's ``FeedController``, never
the asyncio thread: the server only decodes the image and hands the job over.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading

import pytest
from feedkit import TIMEOUT, recv, run
from PIL import Image
from websockets.asyncio.client import connect

from livepredict.feed import protocol as P
from livepredict.feed.server import MAX_CLIENT_INFLIGHT
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.guard import THREAD_GUARD
from livepredict.threads.feed_bridge import FeedController


def png(color, size=(40, 30), fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture(scope="module")
def color_model_path(feed_model_files):
    return feed_model_files[0]


@pytest.fixture(scope="module")
def bridge(qapp, color_model_path):
    """The app's model owner (an InferenceController: the inference thread) with the colour model
    open, and the app's FeedController that queues the feed's classify jobs to it."""
    from PySide6.QtCore import QEventLoop, QTimer

    controller = InferenceController()
    ctl = FeedController()
    ctl.attach(controller)
    loop = QEventLoop()
    loaded: list = []
    controller.model_loaded.connect(lambda m: (loaded.append(m), loop.quit()))
    controller.load_failed.connect(lambda f: (loaded.append(f), loop.quit()))
    QTimer.singleShot(120_000, loop.quit)
    controller.open_model(color_model_path)
    loop.exec()
    assert loaded and hasattr(loaded[0], "info"), loaded
    yield ctl
    assert controller.shutdown(5000)


def test_classify_json_and_binary_requests_get_real_answers(feed, bridge):
    srv = feed(model="colors")
    bridge.adopt(srv)
    calls_before = len(THREAD_GUARD.calls)

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            await ws.send(json.dumps({"type": "classify", "id": "r", "top_k": 2,
                                      "image": base64.b64encode(png((250, 10, 10))).decode()}))
            red = await recv(ws)
            await ws.send(P.pack_binary({"type": "classify", "id": 2}, png((5, 240, 5), fmt="JPEG")))
            green = await recv(ws)
            await ws.send(json.dumps({"type": "classify", "id": "bad", "image": base64.b64encode(b"junk").decode()}))
            bad = await recv(ws)
            return red, green, bad

    red, green, bad = run(go(), timeout=120)
    assert red["type"] == "result" and red["id"] == "r" and red["model"] == "colors"
    assert [t["label"] for t in red["top"]][:1] == ["red"] and len(red["top"]) == 2 and red["top"][0]["score"] > 0.9
    assert green["id"] == 2 and green["top"][0]["label"] == "green" and len(green["top"]) == 3
    assert bad["type"] == "error" and bad["code"] == "bad-image" and bad["id"] == "bad"
    # both answers came from the inference thread: the one that opened the model, not this one
    opened = [c for c in THREAD_GUARD.calls if c[0] == "open_model"][-1]
    classified = [c for c in THREAD_GUARD.calls[calls_before:] if c[0] == "feed classify"]
    assert len(classified) == 2 and {c[2] for c in classified} == {opened[2]} != {threading.get_ident()}


def test_classify_without_a_model_and_when_busy(feed, bridge):
    srv = feed()
    jobs = []
    all_held = threading.Event()

    def slow_handler(job):  # holds jobs until released: makes "busy" deterministic
        jobs.append(job)
        if len(jobs) == MAX_CLIENT_INFLIGHT:
            all_held.set()

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            img = base64.b64encode(png((0, 0, 255))).decode()
            await ws.send(json.dumps({"type": "classify", "id": 0, "image": img}))
            none = await recv(ws)
            srv.set_classify_handler(slow_handler)
            for i in range(MAX_CLIENT_INFLIGHT + 1):
                await ws.send(json.dumps({"type": "classify", "id": i + 1, "image": img}))
            busy = await recv(ws)
            assert await asyncio.get_running_loop().run_in_executor(None, all_held.wait, TIMEOUT)
            for job in jobs:  # now let the real model answer the held jobs
                bridge.submit_job(job)
            answers = [await recv(ws, TIMEOUT) for _ in range(MAX_CLIENT_INFLIGHT)]
            return none, busy, answers

    none, busy, answers = run(go(), timeout=120)
    assert none["code"] == "no-classifier" and none["id"] == 0
    assert busy["code"] == "busy" and busy["id"] == MAX_CLIENT_INFLIGHT + 1
    assert sorted(a["id"] for a in answers) == list(range(1, MAX_CLIENT_INFLIGHT + 1))
    assert all(a["type"] == "result" and a["top"][0]["label"] == "blue" for a in answers)


def test_example_client_classify_sends_its_own_file(feed, bridge, tmp_path):
    import subprocess
    import sys

    from feedkit import ROOT

    srv = feed(model="colors")
    bridge.adopt(srv)
    image = tmp_path / "green.png"
    image.write_bytes(png((0, 200, 0)))
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "feed_client.py"), srv.url,
                           "--classify", str(image), "--top-k", "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    label, score = done.stdout.split()
    assert label == "green" and float(score) > 0.9


def test_a_burst_of_a_thousand_requests_gets_a_reply_for_every_id(feed, bridge):
    """A client sends 1,000 classify requests before reading anything: every id is answered once,
    with a real result (the model on the inference thread) or "busy" (more than 2 were waiting)."""
    srv = feed(model="colors")
    bridge.adopt(srv)
    n = 1000
    image = base64.b64encode(png((0, 0, 250), size=(16, 16))).decode()

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            for i in range(n):
                await ws.send(json.dumps({"type": "classify", "id": i, "image": image, "top_k": 1}))
            return [await recv(ws, 60) for _ in range(n)]

    replies = run(go(), timeout=180)
    assert sorted(r["id"] for r in replies) == list(range(n))
    results = [r for r in replies if r["type"] == "result"]
    busy = [r for r in replies if r["type"] == "error"]
    assert results and all(r["top"][0]["label"] == "blue" for r in results)
    assert {r["code"] for r in busy} <= {"busy"} and len(results) + len(busy) == n
