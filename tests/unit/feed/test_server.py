"""The feed server with real websockets clients on loopback (free ports)."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import time

import numpy as np
import pytest
from feedkit import TIMEOUT, decode, prediction, recv, recv_until, run
from PIL import Image
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from livepredict.core.types import Prediction
from livepredict.feed import protocol as P
from livepredict.feed.server import REPLY_BYTES, FeedError, FeedServer, is_loopback


def png(color, size=(20, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


# ------------------------------------------------------------------ basics

def test_hello_then_predictions_with_every_field(feed):
    srv = feed(model="shapes", labels=("circle", "square", "star"))

    async def go():
        async with connect(srv.url) as ws:
            hello = await recv(ws)
            assert hello["type"] == "hello" and hello["model"] == "shapes"
            assert hello["labels"] == ["circle", "square", "star"] and hello["options"]["top_k"] == 5
            sent = [prediction(i, source="cam0") for i in range(3)]
            got = []
            for p in sent:
                seq = srv.publish_prediction(p)
                msg = await recv_until(ws, "prediction")
                assert msg["seq"] == seq
                got.append(msg)
            return sent, got

    sent, got = run(go())
    for p, m in zip(sent, got, strict=True):
        assert m["frame_index"] == p.frame_index and m["source"] == "cam0" and m["model"] == "shapes"
        assert [t["label"] for t in m["top"]] == [lbl for lbl, _ in p.top]
        assert m["top"][0]["score"] == pytest.approx(p.score, abs=1e-6)
        assert m["capture_ts"] == pytest.approx(p.capture_ts, abs=1e-5)
        assert m["infer_end_ts"] == pytest.approx(p.infer_end_ts, abs=1e-5)
        assert m["latency_ms"] == pytest.approx((p.infer_end_ts - p.capture_ts) * 1000, abs=0.01)
        assert m["infer_end_ts"] <= m["publish_ts"] <= time.monotonic()
        assert m["missed"] == 0
    assert [m["seq"] for m in got] == sorted(m["seq"] for m in got)


def test_subscribe_top_k_and_binary_tensor_frames(feed):
    srv = feed()

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            await ws.send(json.dumps({"type": "subscribe", "id": "s", "top_k": 1, "tensors": True}))
            sub = await recv(ws)
            assert sub == {"type": "subscribed", "options": {"top_k": 1, "tensors": True, "max_rate": None,
                                                             "predictions": True, "generation": True,
                                                             "pull": False, "heatmaps": False}}
            scores = np.array([0.1, 0.6, 0.3], np.float32)
            seq = srv.publish_prediction(prediction(0, scores=scores))
            msg = await recv(ws)
            assert msg["type"] == "prediction" and msg["seq"] == seq and len(msg["top"]) == 1
            frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
            assert isinstance(frame, bytes)
            header, arr = decode(frame)
            assert header["seq"] == seq and header["shape"] == [3] and header["dtype"] == "float32"
            np.testing.assert_array_equal(arr, scores)
            # a stand-alone tensor (e.g. a forecaster's output)
            big = np.arange(12, dtype=np.int32).reshape(3, 4)
            srv.publish_tensor(big, name="forecast")
            header, arr = decode(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert header["name"] == "forecast"
            np.testing.assert_array_equal(arr, big)
            # tensors off again: the next prediction comes alone
            await ws.send(json.dumps({"type": "subscribe", "tensors": False}))
            await recv_until(ws, "subscribed")
            srv.publish_prediction(prediction(1))
            srv.publish_status("running", "still here")
            assert (await recv(ws))["type"] in ("prediction", "status")
            assert (await recv(ws))["type"] in ("prediction", "status")

    run(go())


def test_max_rate_spaces_predictions_and_counts_the_rest_as_missed(feed):
    srv = feed()

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            await ws.send(json.dumps({"type": "subscribe", "max_rate": 4}))
            await recv_until(ws, "subscribed")
            srv.publish_prediction(prediction(0))
            first = await recv_until(ws, "prediction")
            t_first = time.monotonic()
            for i in range(1, 11):
                srv.publish_prediction(prediction(i))
            second = await recv_until(ws, "prediction")
            gap = time.monotonic() - t_first
            return first, second, gap

    first, second, gap = run(go())
    assert gap >= 0.2  # 4 per second: 0.25 s apart (lower bound only; a busy machine is later)
    assert second["seq"] == first["seq"] + 10  # the newest one
    assert second["missed"] == 9


def test_pull_mode_sends_the_newest_prediction_only_when_asked(feed):
    srv = feed()

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            await ws.send(json.dumps({"type": "subscribe", "pull": True}))
            assert (await recv(ws))["options"]["pull"] is True
            for i in range(10):
                srv.publish_prediction(prediction(i))
            await ws.send(json.dumps({"type": "ping", "id": "p"}))
            assert (await recv(ws))["type"] == "pong"  # nothing was pushed meanwhile
            await ws.send(json.dumps({"type": "next"}))
            newest = await recv(ws)
            await ws.send(json.dumps({"type": "next"}))  # nothing newer yet: answered by the next one
            await ws.send(json.dumps({"type": "ping", "id": "q"}))
            assert (await recv(ws))["type"] == "pong"
            srv.publish_prediction(prediction(10))
            later = await recv(ws)
            return newest, later

    newest, later = run(go())
    assert newest["type"] == "prediction" and newest["seq"] == 10 and newest["missed"] == 9
    assert later["seq"] == 11 and later["missed"] == 0


def test_generation_tokens_arrive_in_order(feed):
    srv = feed(model="chars")

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            for i, ch in enumerate("hello"):
                srv.publish_generation(token=ch, index=i, done=i == 4)
            msgs = [await recv_until(ws, "generation") for _ in range(5)]
            srv.publish_generation(value=[1.5, 2.5], index=0, done=True)
            return msgs, await recv_until(ws, "generation")

    msgs, forecast = run(go())
    assert "".join(m["token"] for m in msgs) == "hello"
    assert [m["index"] for m in msgs] == list(range(5)) and msgs[-1]["done"] and not msgs[0]["done"]
    assert forecast["value"] == [1.5, 2.5] and forecast["model"] == "chars"


def test_generation_messages_a_slow_client_lost_are_counted_in_missed(feed):
    """A client that reads nothing while 3,000 tokens are made keeps the newest GENERATION_QUEUE;
    when it reads, ``missed`` says how many it lost just before each message (seq gaps agree)."""
    srv = feed(model="chars")
    n = 3000

    async def go():
        loop = asyncio.get_running_loop()
        async with connect(srv.url, max_queue=1, close_timeout=0.5) as ws:
            await recv(ws)
            for i in range(n):
                await loop.run_in_executor(None, lambda i=i: srv.publish_generation(token="x", done=i == n - 1))
            got = []
            while not got or not got[-1]["done"]:
                got.append(await recv_until(ws, "generation"))
            return got

    got = run(go(), timeout=120)
    seqs = [m["seq"] for m in got]
    assert seqs[-1] == n and sum(m["missed"] for m in got) == n - len(got) > 0
    assert all(m["missed"] == seq - prev - 1 for m, seq, prev in zip(got, seqs, [0] + seqs, strict=False))


def test_clients_hear_when_the_model_changes(feed):
    srv = feed(model="first")

    async def go():
        async with connect(srv.url) as ws:
            hello = await recv(ws)
            await asyncio.get_running_loop().run_in_executor(None, srv.set_model, "second", ("x", "y"))
            return hello, await recv(ws)

    hello, status = run(go())
    assert hello["model"] == "first"
    assert status["type"] == "status" and status["state"] == "model" and status["model"] == "second"


def test_new_client_gets_the_current_prediction_at_once(feed):
    srv = feed()

    async def go():
        # a first client makes sure the prediction reached the loop
        async with connect(srv.url) as a:
            await recv(a)
            seq = srv.publish_prediction(prediction(5))
            await recv_until(a, "prediction")
            async with connect(srv.url) as b:
                assert (await recv(b))["type"] == "hello"
                msg = await recv(b)
                return seq, msg

    seq, msg = run(go())
    assert msg["type"] == "prediction" and msg["seq"] == seq and msg["frame_index"] == 5


def test_publishing_without_a_running_server_is_harmless():
    srv = FeedServer(port=0)
    assert srv.publish_prediction(prediction(0)) == 1
    srv.publish_generation(token="x")
    srv.publish_tensor(np.zeros(3))
    srv.publish_status("stopped", "nothing")
    assert srv.stats()["clients"] == 0
    srv.stop()


def test_stop_closes_clients_with_going_away(feed):
    srv = feed()

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            await asyncio.get_running_loop().run_in_executor(None, srv.stop)
            with pytest.raises(ConnectionClosed) as e:
                await asyncio.wait_for(ws.recv(), TIMEOUT)
            return e.value.rcvd.code if e.value.rcvd else None

    assert run(go()) == 1001
    assert not srv.running


def test_port_in_use_is_one_sentence(feed):
    srv = feed()
    with pytest.raises(FeedError) as e:
        FeedServer(port=srv.port).start()
    msg = str(e.value)
    assert str(srv.port) in msg and "another port" in msg and msg.count(".") >= 1 and "\n" not in msg


def test_plain_http_serves_the_example_page_and_explains_itself(feed):
    srv = feed()

    def get(path: str) -> tuple[int, bytes]:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body, head

    status, body, head = get("/")
    assert status == 200 and b"text/html" in head and b"<html" in body.lower() and b"WebSocket" in body
    status, body, _ = get("/anything")
    assert status == 426 and srv.url.encode() in body


# ------------------------------------------------------------------ security rules

@pytest.mark.parametrize("host", ["0.0.0.0", "", "192.168.1.20", "::"])
def test_network_host_without_token_refuses_to_start(host):
    with pytest.raises(FeedError) as e:
        FeedServer(host=host, port=0)
    assert "token" in str(e.value) and "127.0.0.1" in str(e.value)


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.1.2.3")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback("10.0.0.1")


def test_token_by_query_or_bearer_header_and_refusals(feed):
    srv = feed(host="0.0.0.0", token="s3cret-token")
    base = f"ws://127.0.0.1:{srv.port}"

    async def status_of(url, **kw):
        try:
            async with connect(url, **kw) as ws:
                return (await recv(ws))["type"]
        except InvalidStatus as e:
            return e.response.status_code

    async def go():
        return [
            await status_of(base),
            await status_of(base + "/?token=wrong"),
            await status_of(base, additional_headers={"Authorization": "Bearer nope"}),
            await status_of(base + "/?token=s3cret-token"),
            await status_of(base, additional_headers={"Authorization": "Bearer s3cret-token"}),
            await status_of(srv.client_url()),
        ]

    assert run(go()) == [401, 401, 401, "hello", "hello", "hello"]
    assert srv.stats()["refused"] == 3


def test_browser_origins_other_than_our_own_are_refused(feed):
    srv = feed(allowed_origins=["https://robot.example"])

    async def status_of(origin):
        try:
            async with connect(srv.url, origin=origin) as ws:
                return (await recv(ws))["type"]
        except InvalidStatus as e:
            return e.response.status_code

    async def go():
        return [await status_of(o) for o in (
            "https://evil.example", "http://127.0.0.1:1", "null",
            f"http://127.0.0.1:{srv.port}", f"http://localhost:{srv.port}", "https://robot.example", None)]

    assert run(go()) == [403, 403, 403, "hello", "hello", "hello", "hello"]


# ------------------------------------------------------------------ bad input

def test_malformed_input_gets_errors_and_the_connection_keeps_working(feed):
    srv = feed()
    bad = [
        ("{oops", "bad-json"),
        ('{"type": "dance"}', "unknown-type"),
        ('["subscribe"]', "bad-message"),
        ('{"type": "subscribe", "top_k": -3, "id": 7}', "bad-message"),
        (b"\x89PNG\r\n\x1a\n not a frame", "bad-binary"),
        (b"LPF1\xff\xff\xff\xff", "bad-binary"),
        (P.pack_binary({"type": "subscribe"}, b""), "bad-binary"),  # only classify goes as binary
        ('{"type": "classify", "id": "x", "image": "!!!"}', "bad-image"),
        ('{"type": "classify", "id": "y", "image": "/etc/passwd"}', "bad-image"),
    ]

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            errors = []
            for data, _ in bad:
                await ws.send(data)
                errors.append(await recv(ws))
            await ws.send(json.dumps({"type": "ping", "id": 1}))
            pong = await recv(ws)
            srv.publish_prediction(prediction(0))
            pred = await recv(ws)
            return errors, pong, pred

    errors, pong, pred = run(go())
    assert [e["code"] for e in errors] == [code for _, code in bad]
    assert all(e["type"] == "error" and e["message"].endswith(".") for e in errors)
    assert errors[3]["id"] == 7 and errors[7]["id"] == "x"
    assert pong["type"] == "pong" and pong["id"] == 1
    assert pred["type"] == "prediction"


def test_oversize_message_closes_only_that_client(feed):
    srv = feed(max_message_bytes=64 * 1024)

    async def go():
        async with connect(srv.url) as other:
            await recv(other)
            async with connect(srv.url, max_size=None) as big:
                assert (await recv(big))["max_message_bytes"] == 64 * 1024
                await big.send("x" * (200 * 1024))
                with pytest.raises(ConnectionClosed) as e:
                    while True:
                        await asyncio.wait_for(big.recv(), TIMEOUT)
                code = e.value.rcvd.code if e.value.rcvd else None
            srv.publish_prediction(prediction(1))
            return code, await recv(other)

    code, msg = run(go())
    assert code == 1009  # message too big
    assert msg["type"] == "prediction" and srv.running


def test_a_flood_from_a_client_that_does_not_read_is_paused_not_dropped(feed):
    """8,000 bad messages and a ping from a client that reads nothing: the server stops reading it
    once its unread answers fill REPLY_BYTES (bounded memory), and when the client reads, every
    message has its answer, the ping's last."""
    srv = feed()
    n = 8000

    async def go():
        loop = asyncio.get_running_loop()
        # A small receive buffer, so the kernel cannot absorb the answers (loopback autotuning grows
        # buffers to megabytes here, which hid the server's own limit on some runs).
        sock = socket.create_connection(("127.0.0.1", srv.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        sock.setblocking(False)
        async with connect(srv.url, sock=sock, max_queue=1, close_timeout=0.5) as ws:
            for _ in range(n):
                await ws.send("{bad")
            await ws.send(json.dumps({"type": "ping", "id": "last"}))
            before = None
            deadline = loop.time() + 30  # well before the server's keep-alive gives up on a silent client
            while loop.time() < deadline:  # until the server has stopped reading: its answers fill every buffer
                await asyncio.sleep(0.1)
                paused = (await loop.run_in_executor(None, srv.stats))["per_client"][0]
                if before is not None and paused["errors"] == before["errors"] and paused["read_pauses"]:
                    break
                before = paused
            answers = [await recv(ws) for _ in range(n + 2)]  # hello, n errors, pong
            return paused, answers

    paused, answers = run(go())
    assert paused["read_pauses"] >= 1 and paused["errors"] < n
    assert REPLY_BYTES <= paused["queued_reply_bytes"] < REPLY_BYTES + 1024
    assert answers[0]["type"] == "hello" and answers[-1] == {**answers[-1], "type": "pong", "id": "last"}
    assert [a["code"] for a in answers[1:-1]] == ["bad-json"] * n


# ------------------------------------------------------------------ many and slow clients

def test_twenty_clients_each_get_every_prediction(feed):
    srv = feed(max_clients=20)
    n_clients, n_preds = 20, 30

    async def go():
        loop = asyncio.get_running_loop()
        arrived = [0] * (n_preds + 1)  # arrived[0]: hellos; arrived[seq]: clients that got seq
        events = [asyncio.Event() for _ in range(n_preds + 1)]

        def tick(i: int) -> None:
            arrived[i] += 1
            if arrived[i] == n_clients:
                events[i].set()

        async def client():
            async with connect(srv.url) as ws:
                await recv(ws)
                tick(0)
                got = []
                while len(got) < n_preds:
                    m = await recv(ws)
                    assert m["type"] == "prediction"
                    got.append((m["seq"], m["missed"]))
                    tick(m["seq"])
                return got

        tasks = [asyncio.create_task(client()) for _ in range(n_clients)]
        await asyncio.wait_for(events[0].wait(), TIMEOUT)
        for i in range(n_preds):
            # lock-step: the next prediction once every client has the previous one
            seq = await loop.run_in_executor(None, srv.publish_prediction, prediction(i))
            await asyncio.wait_for(events[seq].wait(), TIMEOUT)
        return await asyncio.gather(*tasks)

    async def one_too_many():
        while srv.client_count:  # the twenty above are gone
            await asyncio.sleep(0.01)
        async with connect(srv.url) as first:
            await recv(first)
            holders = [await connect(srv.url) for _ in range(n_clients - 1)]
            try:
                with pytest.raises(InvalidStatus) as e:
                    await connect(srv.url)
                return e.value.response.status_code, e.value.response.body.decode()
            finally:
                for ws in holders:
                    await ws.close()

    results = run(go())
    assert len(results) == n_clients
    for got in results:
        assert got == [(seq, 0) for seq in range(1, n_preds + 1)]
    st = srv.stats()
    assert st["published"] == n_preds
    status, body = run(one_too_many())
    assert status == 503 and "20 clients" in body


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_a_client_that_never_reads_costs_bounded_memory_and_slows_nobody(feed):
    srv = feed()
    n = 600
    tensor = np.random.default_rng(0).random(32768).astype(np.float32)  # 128 KiB per frame

    async def go():
        loop = asyncio.get_running_loop()
        async with connect(srv.url, max_queue=1, close_timeout=0.5) as slow, connect(srv.url) as fast:
            await recv(slow)
            await slow.send(json.dumps({"type": "subscribe", "tensors": True}))
            await recv_until(slow, "subscribed")
            await recv(fast)
            # from here on `slow` does not read until the end
            rss0 = _rss_bytes()
            seen = []
            for i in range(n):
                seq = await loop.run_in_executor(None, lambda i=i: srv.publish_prediction(
                    prediction(i), tensor=tensor))
                m = await recv(fast)
                assert m["type"] == "prediction" and m["seq"] == seq
                seen.append(m["missed"])
            rss1 = _rss_bytes()
            st = await loop.run_in_executor(None, srv.stats)
            # now the slow client catches up: it ends with the newest prediction and the count it missed
            got, missed = [], 0
            while not got or got[-1] != n:
                msg = await asyncio.wait_for(slow.recv(), TIMEOUT)
                if isinstance(msg, str):
                    m, _ = decode(msg)
                    if m["type"] == "prediction":
                        got.append(m["seq"])
                        missed += m["missed"]
                else:
                    decode(msg)
            return seen, rss1 - rss0, st, got, missed

    seen, growth, st, got, missed = run(go(), timeout=120)
    assert seen == [0] * n  # the reading client got every prediction, none missed
    slow = max(st["per_client"], key=lambda c: c["missed_total"])
    assert slow["missed_total"] > n // 2
    assert slow["write_buffer_bytes"] <= 256 * 1024
    assert growth < 40 * 1024 * 1024, f"server memory grew by {growth / 2**20:.0f} MiB"  # unbounded: > 75 MiB
    assert got[-1] == n and len(got) + missed == n


def test_odd_predictions_are_still_valid_json(feed):
    """NaN scores and timings, an error prediction and non-string labels: every message validates."""
    srv = feed()
    nan = float("nan")
    odd = [
        Prediction(top=(("a", nan), ("b", float("inf"))), scores=np.array([nan, 1.0], np.float32),
                   infer_ms=nan, capture_ts=nan, infer_end_ts=float("inf")),
        Prediction(top=(), error="The model produced NaN or infinite scores for this frame."),
        Prediction(top=((np.str_("c"), np.float32(0.5)),), frame_index=3),
    ]

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            got = []
            for p in odd:
                srv.publish_prediction(p)
                got.append(await recv_until(ws, "prediction"))
            return got

    a, b, c = run(go())
    assert [t["score"] for t in a["top"]] == [None, None] and a["latency_ms"] is None and a["capture_ts"] == 0.0
    assert b["top"] == [] and b["error"].startswith("The model produced NaN")
    assert c["top"] == [{"label": "c", "score": 0.5}]


def test_page_served_under_a_network_address_may_connect_when_a_token_is_set(feed):
    srv = feed(host="0.0.0.0", token="tok")
    loopback_only = feed()

    async def status_of(server, origin, host_header, token="tok"):
        # the browser's view: it opened the page at host_header; the TCP connection goes to loopback
        sock = socket.create_connection(("127.0.0.1", server.port))
        try:
            async with connect(f"ws://{host_header}/?token={token}", origin=origin, sock=sock) as ws:
                return (await recv(ws))["type"]
        except InvalidStatus as e:
            return e.response.status_code

    async def go():
        lan = f"192.168.7.9:{srv.port}"
        return [
            await status_of(srv, f"http://{lan}", lan),  # the page we served, opened via the LAN address
            await status_of(srv, "http://evil.example", lan),  # another site
            await status_of(srv, f"http://{lan}", lan, token="wrong"),  # right origin, wrong token
            # without a token the Host rule is off (DNS rebinding): only our loopback origins
            await status_of(loopback_only, f"http://rebind.example:{loopback_only.port}",
                            f"rebind.example:{loopback_only.port}", token=""),
        ]

    assert run(go()) == ["hello", 403, 401, 403]


def test_duplicate_headers_are_refused(feed):
    srv = feed(token="tok")

    def handshake(extra: str) -> bytes:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT) as s:
            s.sendall((f"GET /?token=tok HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
            return s.recv(4096)

    assert handshake("").startswith(b"HTTP/1.1 101")
    refused = handshake("Origin: http://evil.example\r\nOrigin: http://127.0.0.1\r\n")
    assert refused.startswith(b"HTTP/1.1 400") and b"Origin header appears more than once" in refused


def test_network_urls_reach_the_feed_from_this_machine(feed):
    srv = feed(host="0.0.0.0", token="tok")
    urls = srv.network_urls()
    assert all(u.startswith("ws://") and not u.startswith("ws://127.") for u in urls)
    assert feed().network_urls() == []  # loopback only: nothing to show

    async def go():
        kinds = []
        for url in urls:
            async with connect(url + "/?token=tok") as ws:
                kinds.append((await recv(ws))["type"])
        return kinds

    assert run(go()) == ["hello"] * len(urls)


def test_a_handshake_without_a_host_header_is_refused(feed):
    srv = feed()

    def handshake(host_line: str) -> bytes:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT) as s:
            s.sendall((f"GET / HTTP/1.1\r\n{host_line}Upgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
            return s.recv(4096)

    assert handshake(f"Host: 127.0.0.1:{srv.port}\r\n").startswith(b"HTTP/1.1 101")
    refused = handshake("")
    assert refused.startswith(b"HTTP/1.1 400") and b"no Host header" in refused
