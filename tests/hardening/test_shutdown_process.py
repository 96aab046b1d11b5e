"""The real app as a process, closed from busy states: the window closes the normal way (SIGTERM →
window.close, as a session logout would) and the process exits in < 2 s with exit code 0.

States here: live on a looping video; the feed serving that video's predictions to a connected
WebSocket client; a folder batch. (Importing TensorFlow and loading: tests/qt/test_app_startup.py;
converting, generating and a camera blocked in read(): test_shutdown.py, in-process.)"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest
from helpers.app_process import App
from helpers.video import write_video
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_process(tmp_path):
    apps: list[App] = []

    def launch(*args) -> App:
        apps.append(App(list(args), tmp_path))
        return apps[-1]

    yield launch
    for a in apps:
        a.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_close_while_live_on_a_looping_video(app_process, corpus_inputs, tmp_path):
    video = write_video(tmp_path / "clip.avi", frames=40)
    app = app_process(corpus_inputs["good"], "--live", video)
    app.wait_log("live: first prediction")
    app.assert_clean_exit(*app.close())


def test_close_while_the_feed_serves_a_connected_client(app_process, corpus_inputs, tmp_path):
    from websockets.sync.client import connect

    video = write_video(tmp_path / "clip.avi", frames=40)
    port = free_port()
    app = app_process(corpus_inputs["good"], "--live", video, "--feed", port)
    app.wait_log("feed: serving at ws://127.0.0.1:")
    app.wait_log("live: first prediction")
    got: dict = {"messages": 0}

    def client() -> None:
        try:
            with connect(f"ws://127.0.0.1:{port}", open_timeout=30) as ws:
                got["hello"] = json.loads(ws.recv(timeout=30))
                while True:
                    ws.recv(timeout=30)
                    got["messages"] += 1
        except Exception as e:  # noqa: BLE001 - the close is what the test waits for
            got["closed"] = getattr(getattr(e, "rcvd", None), "code", type(e).__name__)

    reader = threading.Thread(target=client, daemon=True)
    reader.start()
    app.wait_log("feed: 1 client connected")
    rc, took = app.close()
    reader.join(10)
    app.assert_clean_exit(rc, took)
    assert got["hello"]["model"] and got["messages"] > 0
    assert got["closed"] == 1001  # "going away": the client is told, not cut off


def test_close_during_a_folder_batch(app_process, corpus_inputs, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    one = folder / "p000.jpg"
    Image.open(corpus_inputs["image"]).convert("RGB").resize((2400, 1800)).save(one, quality=95)
    for i in range(1, 200):  # links to one big photo: a few seconds of decoding in all
        os.link(one, folder / f"p{i:03d}.jpg")
    app = app_process(corpus_inputs["good"], folder)
    app.wait_log("ready:")
    rc, took = app.close()
    app.assert_clean_exit(rc, took)
    assert "finished, 200 of 200 images" not in app.log()  # closed during the batch, not after it
