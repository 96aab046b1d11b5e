"""``livepredict serve`` as a real process: a real model, a real video file, real websockets clients."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys

import pytest
from feedkit import ROOT, recv, run
from PIL import Image
from websockets.asyncio.client import connect


@pytest.fixture
def serve_inputs(feed_model_files):
    keras_path, video, tflite_path = feed_model_files
    return tflite_path, video


def _serve(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "desktop")}
    return subprocess.Popen([sys.executable, "-m", "livepredict", "serve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def test_serve_publishes_predictions_from_a_video_and_answers_classify(serve_inputs):
    model, video = serve_inputs
    proc = _serve(str(model), "--source", str(video), "--port", "0", "--frames", "60", "--token", "t0k")
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/?token=t0k"), proc.stderr.read()

        async def go():
            async with connect(url) as ws:
                hello = await recv(ws, 60)
                assert hello["model"] == "colors" and hello["labels"] == ["red", "green", "blue"]
                preds = []
                while len(preds) < 5:
                    m = await recv(ws, 30)
                    if m["type"] == "prediction":
                        preds.append(m)
                buf = io.BytesIO()
                Image.new("RGB", (16, 16), (0, 0, 250)).save(buf, format="PNG")
                await ws.send(json.dumps({"type": "classify", "id": "q",
                                          "image": base64.b64encode(buf.getvalue()).decode()}))
                while True:
                    m = await recv(ws, 30)
                    if m["type"] == "result":
                        return hello, preds, m

        hello, preds, result = run(go(), timeout=120)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    frames = [p["frame_index"] for p in preds]
    assert frames == sorted(frames) and len(set(frames)) == len(frames) and max(frames) < 150
    assert all(p["source"].endswith("clip.avi") or "clip.avi" in p["source"] for p in preds)
    assert all(p["capture_ts"] <= p["infer_end_ts"] <= p["publish_ts"] for p in preds)
    assert all(p["top"] and p["error"] is None for p in preds)
    assert [p["seq"] for p in preds] == sorted(p["seq"] for p in preds)
    assert result["id"] == "q" and result["top"][0]["label"] == "blue"
    assert "published " in err and "60 frames inferred" in err


def test_serve_refuses_bad_input_in_one_sentence(serve_inputs, tmp_path):
    model, _ = serve_inputs
    proc = _serve(str(model), "--host", "0.0.0.0", "--port", "0")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.count("\n") == 1 and "needs a token" in err and "Traceback" not in err
    proc = _serve(str(tmp_path / "missing.keras"), "--port", "0")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "Traceback" not in err and err.startswith("livepredict: ")
    proc = _serve(str(model), "--port", "0", "--source", str(tmp_path / "nothing.avi"))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "Traceback" not in err and "nothing.avi" in err


def test_serve_without_a_source_answers_classify_and_stops_on_sigterm(serve_inputs):
    import signal

    model, _ = serve_inputs
    proc = _serve(str(model), "--port", "0")
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:"), proc.stderr.read()

        async def go():
            async with connect(url) as ws:
                await recv(ws, 60)
                buf = io.BytesIO()
                Image.new("RGB", (16, 16), (0, 230, 0)).save(buf, format="PNG")
                await ws.send(json.dumps({"type": "classify", "id": 5, "image": base64.b64encode(buf.getvalue()).decode()}))
                return await recv(ws, 60)

        result = run(go(), timeout=120)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert result["type"] == "result" and result["id"] == 5 and result["top"][0]["label"] == "green"
    assert proc.returncode == 0 and "classify requests only" in err and "Traceback" not in err
