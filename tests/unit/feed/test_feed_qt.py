"""The feed panel and the FeedController with the real inference worker (pytest-qt, offscreen).

A real websockets client runs on its own thread; the test waits with qtbot.waitUntil. Every test
here runs under the Qt leak check of tests/qt (no QThread running, QTimer active or window open
afterwards).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading

import pytest
from feedkit import recv
from helpers.qt_fixtures import qt_leak_check  # noqa: F401  (autouse here: the leak check of tests/qt)
from PIL import Image
from PySide6.QtGui import QGuiApplication
from websockets.asyncio.client import connect

from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.guard import THREAD_GUARD
from livepredict.threads.feed_bridge import FeedController
from livepredict.ui.feed_panel import FeedDialog, FeedPanel


def test_panel_asks_to_start_and_shows_address_token_and_command(qtbot):
    panel = FeedPanel()
    qtbot.addWidget(panel)
    assert not panel.enabled.isChecked() and panel.address.text().startswith("off")
    assert panel.command.text() == "python examples/feed_client.py ws://127.0.0.1:8765"
    with qtbot.waitSignal(panel.start_requested) as blocker:
        panel.enabled.setChecked(True)
    assert blocker.args == ["127.0.0.1", 8765, ""]
    assert not panel.host.isEnabled()  # settings are locked while starting/running
    panel.set_running("ws://127.0.0.1:8765")
    assert panel.address.text() == "ws://127.0.0.1:8765" and "http://127.0.0.1:8765/" in panel.page.text()
    panel.copy_command.click()
    assert QGuiApplication.clipboard().text() == panel.command.text()
    panel.set_network_urls(["ws://192.168.1.20:8765"])
    assert panel.network.text() == "from other machines: ws://192.168.1.20:8765"
    panel.set_clients(3, 1200)
    assert panel.clients.text() == "3 clients connected · 1,200 messages sent"
    with qtbot.waitSignal(panel.stop_requested):
        panel.enabled.setChecked(False)
    panel.set_stopped("The feed is off.")
    assert panel.host.isEnabled() and panel.clients.text() == "" and panel.message.text() == "The feed is off."
    assert panel.network.text() == ""


def test_panel_makes_a_token_for_a_network_address_and_shows_failures(qtbot):
    panel = FeedPanel()
    qtbot.addWidget(panel)
    panel.host.setText("0.0.0.0")
    panel.port.setValue(9000)
    with qtbot.waitSignal(panel.start_requested) as blocker:
        panel.enabled.setChecked(True)
    host, port, token = blocker.args
    assert (host, port) == ("0.0.0.0", 9000) and len(token) >= 12 and panel.token.text() == token
    assert panel.command.text() == f"python examples/feed_client.py ws://127.0.0.1:9000 --token {token}"
    panel.set_failed("Port 9000 is in use; pick another port.")
    assert not panel.enabled.isChecked() and panel.message.text() == "Port 9000 is in use; pick another port."


def _client_thread(url: str, work) -> dict:
    """Run ``work(ws)`` on a fresh thread with its own asyncio loop; returns a result holder."""
    holder: dict = {}

    async def main():
        async with connect(url) as ws:
            holder["hello"] = await recv(ws)
            holder["result"] = await work(ws)

    def run():
        try:
            asyncio.run(asyncio.wait_for(main(), 60))
        except BaseException as e:  # noqa: BLE001 - reported by the test
            holder["error"] = e

    threading.Thread(target=run, daemon=True).start()
    return holder


def test_feed_controller_classifies_on_the_inference_thread_and_stops(qtbot, controller, feed_model_files):
    model_path = feed_model_files[0]
    dialog = FeedDialog()
    qtbot.addWidget(dialog)
    panel = dialog.panel
    ctl = FeedController()
    ctl.attach(controller)
    panel.start_requested.connect(ctl.start)
    panel.stop_requested.connect(ctl.stop)
    ctl.started.connect(panel.set_running)
    ctl.stopped.connect(panel.set_stopped)
    ctl.failed.connect(panel.set_failed)
    ctl.clients_changed.connect(panel.set_clients)

    with qtbot.waitSignal(controller.model_loaded, timeout=60_000):
        controller.open_model(model_path)
    qtbot.waitUntil(lambda: ctl._model == "colors", timeout=5000)  # via model_loaded

    panel.port.setValue(0)  # a free port
    with qtbot.waitSignal(ctl.started, timeout=10_000):
        panel.enabled.setChecked(True)
    assert ctl.running and panel.running and panel.address.text() == ctl.server.url

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (240, 10, 10)).save(buf, format="PNG")
    calls_before = len(THREAD_GUARD.calls)

    async def classify(ws):
        await ws.send(json.dumps({"type": "classify", "id": 1, "image": base64.b64encode(buf.getvalue()).decode()}))
        while True:
            m = await recv(ws)
            if m["type"] in ("result", "error"):
                return m

    holder = _client_thread(ctl.server.url, classify)
    qtbot.waitUntil(lambda: "result" in holder or "error" in holder, timeout=30_000)
    assert "error" not in holder, holder.get("error")
    assert holder["hello"]["model"] == "colors" and holder["hello"]["labels"] == ["red", "green", "blue"]
    assert holder["result"]["type"] == "result" and holder["result"]["top"][0]["label"] == "red"
    feed_calls = [c for c in THREAD_GUARD.calls[calls_before:] if c[0] == "feed classify"]
    assert feed_calls and not any(main for *_, main in feed_calls)  # never on the GUI thread
    assert threading.main_thread().name not in {name for _, name, _, _ in feed_calls}

    qtbot.waitUntil(lambda: "messages sent" in panel.clients.text(), timeout=5000)
    with qtbot.waitSignal(ctl.stopped, timeout=10_000):
        panel.enabled.setChecked(False)
    assert not ctl.running and panel.message.text() == "The feed is off."


def test_feed_controller_reports_a_busy_port_in_one_sentence(qtbot, feed):
    busy = feed()
    panel = FeedPanel()
    qtbot.addWidget(panel)
    ctl = FeedController()
    panel.start_requested.connect(ctl.start)
    ctl.failed.connect(panel.set_failed)
    panel.port.setValue(busy.port)
    with qtbot.waitSignal(ctl.failed, timeout=10_000) as blocker:
        panel.enabled.setChecked(True)
    assert str(busy.port) in blocker.args[0] and not ctl.running and not panel.enabled.isChecked()
    ctl.shutdown()


@pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen: raise(), size hints
def test_main_window_feed_action_opens_the_panel_and_closing_stops_the_feed(qtbot, isolated_settings):
    from livepredict.settings import Settings
    from livepredict.ui.main_window import MainWindow

    controller = InferenceController()
    window = MainWindow(controller, Settings())
    qtbot.addWidget(window)
    window.show()
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert window.feed_action in view_menu.actions()
    window.feed_action.trigger()
    dialog = window.findChild(FeedDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.panel.port.setValue(0)
    with qtbot.waitSignal(window.feed.controller.started, timeout=10_000):
        dialog.panel.enabled.setChecked(True)
    url = window.feed.controller.server.url
    closed: dict = {}

    async def watch(ws):
        try:
            while True:
                await ws.recv()
        except Exception as e:  # noqa: BLE001 - the close is what we wait for
            closed["code"] = getattr(getattr(e, "rcvd", None), "code", None)

    holder = _client_thread(url, watch)
    qtbot.waitUntil(lambda: "hello" in holder, timeout=10_000)
    qtbot.waitUntil(lambda: window.feed.indicator.text() == "Feed on · 1 client", timeout=5000)
    assert window.feed.indicator.isVisible()
    window.close()
    qtbot.waitUntil(lambda: "code" in closed, timeout=10_000)
    assert closed["code"] == 1001 and not window.feed.controller.running
    assert not controller.thread.isRunning()


@pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen: raise(), size hints
def test_live_panel_predictions_reach_a_feed_client(qtbot, isolated_settings, feed_model_files):
    """The whole app path: video → capture → inference worker → feed (published on the worker)."""
    from livepredict.settings import Settings
    from livepredict.ui.main_window import MainWindow

    model_path, video, _ = feed_model_files
    controller = InferenceController()
    window = MainWindow(controller, Settings())
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(controller.model_loaded, timeout=60_000):
        window.open_model(model_path)
    window.feed_action.trigger()
    panel = window.findChild(FeedDialog).panel
    panel.port.setValue(0)
    with qtbot.waitSignal(window.feed.controller.started, timeout=10_000):
        panel.enabled.setChecked(True)

    async def five(ws):
        got = []
        while len(got) < 5:
            m = await recv(ws)
            if m["type"] == "prediction":
                got.append(m)
        return got

    holder = _client_thread(window.feed.controller.server.url, five)
    qtbot.waitUntil(lambda: "hello" in holder, timeout=10_000)
    window.show_panel("Live")
    live = window.panel("Live")
    assert live.start(str(video))
    qtbot.waitUntil(lambda: "result" in holder or "error" in holder, timeout=30_000)
    assert "error" not in holder, holder.get("error")
    got = holder["result"]
    frames = [m["frame_index"] for m in got]
    assert frames == sorted(frames) and len(set(frames)) == 5
    assert all(m["model"] == "colors" and m["top"] and "clip.avi" in m["source"] for m in got)
    assert all(m["capture_ts"] <= m["infer_end_ts"] <= m["publish_ts"] for m in got)
    live.stop()
    window.close()
    assert not window.feed.controller.running and not controller.thread.isRunning()


def test_generated_text_reaches_a_feed_client(qtbot, controller, tmp_path_factory):
    """A real (tiny) text generator on the inference thread; its chunks become generation messages."""
    from helpers.models import build_text_generator

    vocab = list("abcdefghij") + [" ", "."]
    folder = tmp_path_factory.mktemp("feed_gen")
    path = folder / "chars.keras"
    build_text_generator(vocab=len(vocab)).save(path)
    (folder / "chars.keras.livepredict.json").write_text(json.dumps({"vocab": vocab}), encoding="utf-8")

    ctl = FeedController()
    ctl.attach(controller)
    with qtbot.waitSignal(controller.model_loaded, timeout=60_000):
        controller.open_model(path)
    with qtbot.waitSignal(controller.generator_ready, timeout=60_000):
        controller.prepare_generator()
    with qtbot.waitSignal(ctl.started, timeout=10_000):
        ctl.start("127.0.0.1", 0, "")
    chunks: list = []
    controller.text_chunk.connect(chunks.append)

    async def until_done(ws):
        got = []
        while not got or not got[-1]["done"]:
            m = await recv(ws)
            if m["type"] == "generation":
                got.append(m)
        return got

    holder = _client_thread(ctl.server.url, until_done)
    qtbot.waitUntil(lambda: "hello" in holder, timeout=10_000)
    controller.start_text("abc", 40, 1.0, 0, 1.0, seed=3)
    qtbot.waitUntil(lambda: "result" in holder or "error" in holder, timeout=30_000)
    assert "error" not in holder, holder.get("error")
    got = holder["result"]
    qtbot.waitUntil(lambda: bool(chunks) and chunks[-1].finished, timeout=5000)
    made = "".join(c.text for c in chunks)
    assert len(made) >= 40 and "".join(m["token"] for m in got) == made
    assert all(m["model"] == "chars" for m in got) and [m["seq"] for m in got] == sorted(m["seq"] for m in got)
    ctl.stop()
