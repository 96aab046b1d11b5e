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


def _serve(*args: str, env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "desktop"), **(env or {})}
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
                await ws.send(json.dumps({"type": "classify", "id": "q", "image": _png((0, 0, 250))}))
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


def test_serve_without_a_source_classifies_on_the_one_inference_thread_and_stops_on_sigterm(
        feed_model_files, tmp_path):
    """No source: the app's InferenceController owns the model, as with --source. A .keras model and
    an empty cache make the server import TensorFlow and convert: the thread report shows that
    every engine call and every TensorFlow import happened on one thread, not the main one."""
    import signal

    from livepredict.feed import protocol as P

    report = tmp_path / "threads.json"
    proc = _serve(str(feed_model_files[0]), "--port", "0", env={
        "LIVEPREDICT_CACHE_DIR": str(tmp_path / "cache"), "LIVEPREDICT_THREAD_REPORT": str(report)})
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:"), proc.stderr.read()

        async def go():
            async with connect(url) as ws:
                hello = await recv(ws, 60)
                await ws.send(json.dumps({"type": "classify", "id": 5, "image": _png((0, 230, 0))}))
                await ws.send(P.pack_binary({"type": "classify", "id": "b", "top_k": 1},
                                            base64.b64decode(_png((240, 0, 0)))))
                replies = [await recv(ws, 60) for _ in range(2)]  # at most 2 may wait: a 3rd now is "busy"
                await ws.send(json.dumps({"type": "classify", "id": "bad", "image": "bm90IGFuIGltYWdl"}))
                replies.append(await recv(ws, 60))
                return hello, {json.dumps(m["id"]): m for m in replies}

        hello, replies = run(go(), timeout=120)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert hello["model"] == "colors" and hello["labels"] == ["red", "green", "blue"]
    green, red, bad = replies["5"], replies['"b"'], replies['"bad"']
    assert green["type"] == "result" and green["top"][0]["label"] == "green" and len(green["top"]) == 3
    assert red["type"] == "result" and [t["label"] for t in red["top"]] == ["red"]
    assert bad["type"] == "error" and bad["code"] == "bad-image"
    assert proc.returncode == 0 and "classify requests only" in err and "Traceback" not in err
    threads = json.loads(report.read_text())
    calls = threads["calls"]
    assert [c["what"] for c in calls].count("feed classify") == 2 and calls[0]["what"] == "open_model"
    assert len({c["ident"] for c in calls}) == 1 and threads["main_thread_calls"] == 0
    engine_thread = calls[0]["thread"]
    assert engine_thread != threads["main_thread"]
    assert set(threads["imports"]) >= {"tensorflow", "keras"}
    assert {v["thread"] for v in threads["imports"].values()} == {engine_thread}


def _png(color) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()
