"""classify requests answered by a real tiny Keras model that lives on its own thread.

The model (tests/helpers/models.py colour classifier: red/green/blue) is opened by a
``ModelThread``, never on the asyncio thread: the server only decodes the image and hands the job
over, as the app's inference worker does.
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
from livepredict.feed.server import MAX_CLIENT_INFLIGHT, ModelThread


def png(color, size=(40, 30), fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture(scope="module")
def color_model_path(feed_model_files):
    return feed_model_files[0]


@pytest.fixture(scope="module")
def model_thread(color_model_path):
    from livepredict.inference.loader import open_model

    opened_on: list[str] = []

    def opener():
        opened_on.append(threading.current_thread().name)
        return open_model(color_model_path, runtime="keras", use_cache=False)

    mt = ModelThread(opener).start(timeout=120)
    mt.opened_on = opened_on
    yield mt
    mt.stop()


def test_classify_json_and_binary_requests_get_real_answers(feed, model_thread):
    srv = feed(model="colors")
    srv.set_classify_handler(model_thread.submit)
    assert model_thread.opened_on == ["livepredict-model"]

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


def test_classify_without_a_model_and_when_busy(feed, model_thread):
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
                model_thread.submit(job)
            answers = [await recv(ws, TIMEOUT) for _ in range(MAX_CLIENT_INFLIGHT)]
            return none, busy, answers

    none, busy, answers = run(go(), timeout=120)
    assert none["code"] == "no-classifier" and none["id"] == 0
    assert busy["code"] == "busy" and busy["id"] == MAX_CLIENT_INFLIGHT + 1
    assert sorted(a["id"] for a in answers) == list(range(1, MAX_CLIENT_INFLIGHT + 1))
    assert all(a["type"] == "result" and a["top"][0]["label"] == "blue" for a in answers)


def test_example_client_classify_sends_its_own_file(feed, model_thread, tmp_path):
    import subprocess
    import sys

    from feedkit import ROOT

    srv = feed(model="colors")
    srv.set_classify_handler(model_thread.submit)
    image = tmp_path / "green.png"
    image.write_bytes(png((0, 200, 0)))
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "feed_client.py"), srv.url,
                           "--classify", str(image), "--top-k", "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    label, score = done.stdout.split()
    assert label == "green" and float(score) > 0.9
