"""Explanation heatmaps on the feed: a binary ``heatmap`` frame (docs/feed.md) for clients that ask for it,
read by a real websockets client and checked against the schema."""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np
import pytest
from feedkit import TIMEOUT, decode, prediction, recv, recv_until, run
from helpers.qt_fixtures import qt_leak_check  # noqa: F401  (autouse here: the leak check of tests/qt)
from websockets.asyncio.client import connect

from livepredict.core.heatmap import Heatmap


def _heatmap(h: int = 480, w: int = 640) -> Heatmap:
    yy, xx = np.mgrid[0:h, 0:w]
    values = np.exp(-(((xx - 500) / 60.0) ** 2 + ((yy - 100) / 60.0) ** 2)).astype(np.float32)
    return Heatmap(values / values.max(), np.zeros((6, 6), np.float32), "star", 3, 0.91, "gradcam", "b4_relu", 2.0)


def test_heatmap_frames_go_to_clients_that_subscribed(feed):
    srv = feed()
    heat = _heatmap()

    async def go():
        async with connect(srv.url) as yes, connect(srv.url) as no:
            await recv(yes)
            await recv(no)
            await yes.send(json.dumps({"type": "subscribe", "heatmaps": True}))
            assert (await recv_until(yes, "subscribed"))["options"]["heatmaps"] is True
            now = time.monotonic()
            seq = srv.publish_heatmap(heat, frame_index=41, capture_ts=now - 0.05, made_ts=now)
            srv.publish_prediction(prediction(0))
            header, arr = decode(await asyncio.wait_for(yes.recv(), TIMEOUT))
            assert header["type"] == "heatmap" and header["seq"] == seq and header["frame_index"] == 41
            assert (header["label"], header["class_index"], header["method"], header["layer"]) == \
                ("star", 3, "gradcam", "b4_relu")
            assert header["frame_shape"] == [480, 640] and header["shape"] == [120, 160]
            assert arr.dtype == np.uint8 and arr.shape == (120, 160) and arr.max() >= 250
            r, c = np.unravel_index(int(np.argmax(arr)), arr.shape)
            assert abs(c * 4 + 2 - 500) <= 4 and abs(r * 4 + 2 - 100) <= 4  # the hot place, scaled to the frame
            assert (await recv(yes))["type"] == "prediction"
            assert (await recv(no))["type"] == "prediction"  # the other client got no heatmap first

    run(go())


@pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen: raise(), size hints
def test_live_heatmaps_reach_a_feed_client_through_the_app(qtbot, isolated_settings):
    """The whole app path: sample video → inference thread explains live frames → feed → a real client."""
    import threading
    from pathlib import Path

    from feedkit import ROOT

    from livepredict.feed import protocol as P
    from livepredict.settings import Settings
    from livepredict.threads.engine.controller import InferenceController
    from livepredict.ui.feed_panel import FeedDialog
    from livepredict.ui.main_window import MainWindow

    controller = InferenceController()
    window = MainWindow(controller, Settings())
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(controller.model_loaded, timeout=120_000):
        window.open_model(ROOT / "models" / "shapes.keras")
    window.feed_action.trigger()
    panel = window.findChild(FeedDialog).panel
    panel.port.setValue(0)
    with qtbot.waitSignal(window.feed.controller.started, timeout=10_000):
        panel.enabled.setChecked(True)
    holder: dict = {}

    async def main():
        async with connect(window.feed.controller.server.url) as ws:
            await recv(ws)
            await ws.send(json.dumps({"type": "subscribe", "heatmaps": True, "predictions": False}))
            await recv_until(ws, "subscribed")
            holder["ready"] = True
            while True:
                m = await asyncio.wait_for(ws.recv(), 60)
                if isinstance(m, bytes):
                    holder["frame"] = P.parse_tensor_frame(m)
                    return

    threading.Thread(target=lambda: asyncio.run(main()), daemon=True).start()
    qtbot.waitUntil(lambda: "ready" in holder, timeout=10_000)
    window.show_panel("Live")
    live = window.panel("Live")
    live.heat.controls.toggle.setChecked(True)
    assert live.start(str(Path(ROOT) / "resources" / "samples" / "shapes.avi"))
    qtbot.waitUntil(lambda: "frame" in holder, timeout=120_000)
    header, arr = holder["frame"]
    decode(P.pack_binary(header, arr.tobytes()))  # the header is schema-valid
    assert header["type"] == "heatmap" and header["method"] == "gradcam" and header["label"] in \
        ("circle", "square", "triangle", "star", "hexagon", "cross")
    assert arr.dtype == np.uint8 and arr.max() >= 250 and list(arr.shape) == header["shape"]
    live.stop()
    window.close()
    assert not window.feed.controller.running and not controller.thread.isRunning()
