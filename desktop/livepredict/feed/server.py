"""The WebSocket feed server: ``websockets`` (asyncio API) in its own plain thread (DESIGN §1).

Threads and ownership:

- The server runs an asyncio loop on a daemon thread it starts itself (``start()``/``stop()``).
  No Qt here: the GUI wires it up through ``threads/`` (or app code).
- ``publish_prediction``, ``publish_generation``, ``publish_tensor`` and ``publish_status`` may be
  called from any thread (normally the inference thread). They never block on the network: they
  hand a frozen record over (``records.py``) and wake the loop only when it was idle. JSON
  encoding happens later, in the loop thread, and only for messages a client actually gets.
- Each client has a sender task, newest-wins slots and bounded queues (``clients.py``); every
  message that asks for an answer gets one (a client that does not read its answers is read no
  further until it does).
- ``classify`` requests never touch the model here (``jobs.py``): the image is decoded on a small
  decode thread, then handed to the *classify handler* the owner supplies
  (``set_classify_handler``), which queues the job to the thread that owns the model and later
  calls ``job.resolve(prediction)`` or ``job.fail(sentence)`` from there: in the app and in
  ``livepredict serve`` (with or without a source) that is the inference worker, through
  ``threads/feed_bridge.py``.

Security (``handshake.py``): binds to 127.0.0.1 by default; any other host requires a token
(refused otherwise). A token, when set, must come as ``?token=`` or ``Authorization: Bearer``; a
browser ``Origin`` that is not allowed is refused at the handshake. Nothing a client sends is ever
opened as a path.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from livepredict import __version__
from livepredict.core.errors import LivePredictError
from livepredict.core.types import Prediction
from livepredict.feed import protocol as P
from livepredict.feed.clients import GENERATION_QUEUE, REPLY_BYTES, Client, deliver, sender
from livepredict.feed.handshake import Handshake, default_page, is_loopback
from livepredict.feed.jobs import (
    MAX_CLIENT_INFLIGHT,
    MAX_TOTAL_INFLIGHT,
    Classifier,
    ClassifyHandler,
    ClassifyJob,
)
from livepredict.feed.records import (
    HANDOFF_QUEUE,
    Handoff,
    HeatmapRecord,
    PredictionRecord,
    Record,
    TensorRecord,
    TextRecord,
    generation_record,
)
from livepredict.feed.vision import vision_tensor

__all__ = [
    "DEFAULT_HOST", "DEFAULT_MAX_MESSAGE_BYTES", "DEFAULT_PORT", "GENERATION_QUEUE", "HANDOFF_QUEUE",
    "MAX_CLIENT_INFLIGHT", "MAX_TOTAL_INFLIGHT", "REPLY_BYTES", "WRITE_LIMIT", "ClassifyHandler",
    "ClassifyJob", "FeedError", "FeedServer", "default_page", "is_loopback",
]

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024
WRITE_LIMIT = 4 * 1024  # bytes buffered in user space per client before send() waits


class FeedError(LivePredictError):
    """The feed could not start (port in use, no token for a network address, ...)."""


class FeedServer:
    """Serves predictions to WebSocket clients from its own asyncio thread.

    ``FeedServer(host="127.0.0.1", port=8765, token=None, allowed_origins=None)``; ``port=0``
    picks a free port (read ``.port`` after ``start()``). ``allowed_origins``: browser origins
    accepted besides the server's own (``http://127.0.0.1:PORT``, ``http://localhost:PORT``);
    ``"*"`` accepts any. Clients without an ``Origin`` header (scripts, robots) are accepted.
    """

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, token: str | None = None,
                 allowed_origins: Iterable[str] | None = None, *,
                 max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, model: str = "",
                 labels: Iterable[str] = (), classify_handler: ClassifyHandler | None = None,
                 classify_timeout: float = 30.0, page: Path | None = None,
                 max_pixels: int = 40_000_000, max_clients: int = 64) -> None:
        host = (host or "").strip() or "0.0.0.0"
        token = token or None
        if token is None and not is_loopback(host):
            raise FeedError(f"Serving on {host} exposes predictions to the network, so it needs a "
                            "token; pass --token (or set one in the feed panel) or bind to 127.0.0.1.")
        if not 0 <= int(port) <= 65535:
            raise FeedError(f"Port {int(port)} is not a valid port; use a number from 1 to 65535 (0 picks "
                            "a free one).")
        self._gate = Handshake(host, int(port), token, allowed_origins, max_clients=int(max_clients), page=page,
                               client_count=lambda: len(self._clients))
        self.max_message_bytes = int(max_message_bytes)
        self.model = model
        self.labels = tuple(labels)
        self._classifier = Classifier(classify_handler, timeout=classify_timeout, max_pixels=max_pixels,
                                      model=lambda: self.model)
        self._lock = threading.Lock()  # the sequence counters
        self._handoff = Handoff()
        self._seq = 0
        self._gen_seq = 0
        self._tensor_seq = 0
        self._heat_seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._clients: dict[int, Client] = {}
        self._next_cid = 0
        self._last_pred: PredictionRecord | None = None
        self.published = 0
        self.delivered = 0

    # ---------------------------------------------------------------- address (see handshake.py)

    @property
    def host(self) -> str:
        return self._gate.host

    @property
    def port(self) -> int:
        return self._gate.port

    @property
    def token(self) -> str | None:
        return self._gate.token

    @property
    def refused(self) -> int:
        """Handshakes refused (bad token, origin, duplicate headers, too many clients)."""
        return self._gate.refused

    @property
    def url(self) -> str:
        """The address clients connect to (host as bound; ``ws://127.0.0.1:PORT``)."""
        return self._gate.url

    def network_urls(self) -> list[str]:
        """Addresses other machines can use (when bound to all interfaces or a LAN address)."""
        return self._gate.network_urls()

    def client_url(self) -> str:
        """``url`` with ``?token=`` when a token is set (what a client needs)."""
        return self.url + (f"/?token={self.token}" if self.token else "")

    # ---------------------------------------------------------------- life cycle

    @property
    def running(self) -> bool:
        return self._loop is not None and self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> FeedServer:
        """Bind and serve on the feed thread; raises FeedError (one sentence) if binding fails."""
        if self.running:
            return self
        self._started.clear()
        self._start_error = None
        self._thread = threading.Thread(target=self._run, name="livepredict-feed", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise FeedError("The feed did not start in time; try again or pick another port.")
        if self._start_error is not None:
            err, self._start_error = self._start_error, None
            self._thread.join(timeout)
            self._thread = None
            if isinstance(err, LivePredictError):
                raise err
            raise FeedError(f"The feed could not listen on {self.host}:{self.port} ({err}); pick another "
                            "port or address.", details=repr(err)) from err
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close every connection (code 1001) and end the feed thread; safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is not None and self._stop is not None:
            try:
                loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:
                pass
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main(loop))
        except BaseException as e:  # noqa: BLE001 - reported to start() or logged
            if not self._started.is_set():
                self._start_error = e
                self._started.set()
            else:
                log.exception("feed thread ended with an error")
        finally:
            self._loop = None
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
            self._classifier.close()

    async def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        from websockets.asyncio.server import serve

        self._stop = asyncio.Event()
        self._classifier.open()
        try:
            server = await serve(
                self._handler, self.host, self.port,
                process_request=self._gate.process_request,
                compression=None,
                max_size=self.max_message_bytes,
                max_queue=4,
                write_limit=WRITE_LIMIT,
                ping_interval=20, ping_timeout=20, close_timeout=2,
                server_header=f"livepredict/{__version__}",
                logger=logging.getLogger("livepredict.feed.websockets"),
            )
        except OSError as e:
            hint = "pick another port" if getattr(e, "errno", None) in (98, 48, 10048) else "check the address"
            raise FeedError(f"The feed could not listen on {self.host}:{self.port} ({e.strerror or e}); "
                            f"{hint}.", details=repr(e)) from e
        if self.port == 0:
            self._gate.port = int(server.sockets[0].getsockname()[1])
        self._loop = loop
        self._started.set()
        if self._handoff.open():
            self._drain()
        try:
            await self._stop.wait()
        finally:
            self._handoff.close()  # no further wake-ups while closing
            server.close()
            try:
                await asyncio.wait_for(server.wait_closed(), 3.0)
            except TimeoutError:
                pass

    # ---------------------------------------------------------------- connections (loop thread)

    async def _handler(self, ws) -> None:
        from websockets.exceptions import ConnectionClosed

        self._next_cid += 1
        client = Client(ws, self._next_cid)
        self._clients[client.cid] = client
        client.tune_socket()
        client.reply(P.hello_message(model=self.model, labels=self.labels, options=client.options.to_json(),
                                     max_message_bytes=self.max_message_bytes,
                                     server=f"livepredict {__version__}"))
        if self._last_pred is not None:  # a new client sees the current answer at once
            client.pred = self._last_pred
        sending = asyncio.create_task(sender(client, self._count_sent))
        try:
            async for message in ws:
                self._receive(client, message)
                await client.wait_for_room()  # its answers wait unread: read no more until they go
        except ConnectionClosed:
            pass
        finally:
            self._clients.pop(client.cid, None)
            sending.cancel()
            client.close()

    def _count_sent(self) -> None:
        self.delivered += 1

    def _receive(self, client: Client, message: str | bytes) -> None:
        try:
            req = P.parse_text(message) if isinstance(message, str) else P.parse_binary(message)
        except P.ProtocolError as e:
            client.errors += 1
            client.reply(P.error_message(e.code, e.message, e.request_id))
            return
        if isinstance(req, P.Next):
            client.credits = min(client.credits + 1, P.MAX_CREDITS)
            client.wake.set()
        elif isinstance(req, P.Ping):
            client.reply(P.pong_message(req.request_id))
        elif isinstance(req, P.Subscribe):
            client.subscribe(req)
        elif isinstance(req, P.ClassifyRequest):
            self._classifier.submit(client, req)

    def _drain(self) -> None:
        """Loop thread: move hand-off records into the clients' slots and wake their senders."""
        records, dropped = self._handoff.take()
        newest = deliver(records, dropped, list(self._clients.values()))
        if newest is not None:
            self._last_pred = newest

    # ---------------------------------------------------------------- publishing (any thread)

    def _post(self, record: Record) -> None:
        loop = self._loop
        if self._handoff.post(record) and loop is not None:
            try:
                loop.call_soon_threadsafe(self._drain)
            except RuntimeError:  # loop closed between the check and the call
                pass

    def publish_prediction(self, prediction: Prediction, *, model: str | None = None,
                           tensor: np.ndarray | None = None) -> int:
        """Queue a prediction for every client (never blocks); returns its sequence number.

        ``tensor`` (default: ``prediction.scores``) is what clients that subscribed to tensors get
        as a binary frame; it must not be mutated afterwards (payloads are frozen, DESIGN §6).
        """
        with self._lock:
            self._seq += 1
            self.published += 1
            seq = self._seq
        if self.running:
            if tensor is None and (mask := vision_tensor(prediction)) is not None:
                tensor = mask[0]  # a segmenter's binary frame holds its class-id mask
            self._post(PredictionRecord(seq, prediction, self.model if model is None else model,
                                        prediction.scores if tensor is None else tensor))
        return seq

    def publish_generation(self, *, token: str | None = None, value: float | list[float] | None = None,
                           index: int | None = None, done: bool = False, text: str | None = None,
                           model: str | None = None) -> int:
        """Queue one generated token (text models) or value (forecasters); returns its sequence."""
        with self._lock:
            self._gen_seq += 1
            seq = self._gen_seq
        if self.running:
            msg = P.generation_message(seq, model=self.model if model is None else model,
                                       index=seq - 1 if index is None else index, token=token, value=value,
                                       done=done, text=text)
            self._post(generation_record(msg))
        return seq

    def publish_tensor(self, array: np.ndarray, *, name: str = "output", seq: int | None = None) -> int:
        """Queue a raw tensor (binary frame) for clients that subscribed to tensors."""
        if seq is None:
            with self._lock:
                self._tensor_seq += 1
                seq = self._tensor_seq
        if self.running:
            self._post(TensorRecord(seq, P.tensor_frame(seq, np.array(array, copy=True), name=name)))
        return seq

    def publish_heatmap(self, heat: Any, *, frame_index: int, capture_ts: float, made_ts: float,
                        frame_shape: tuple[int, int] | None = None) -> int:
        """Queue an explanation heatmap of a live frame (binary ``heatmap`` frame) for the clients that
        subscribed with ``heatmaps: true``; a client gets the newest one, never a backlog."""
        with self._lock:
            self._heat_seq += 1
            seq = self._heat_seq
        if self.running:
            self._post(HeatmapRecord(seq, P.heatmap_frame(seq, heat, frame_index=frame_index, capture_ts=capture_ts,
                                                          made_ts=made_ts, frame_shape=frame_shape)))
        return seq

    def publish_status(self, state: str, message: str, *, source: str = "") -> None:
        """Tell clients what the app is doing ("running", "stopped", "ended", "error")."""
        if self.running:
            self._post(TextRecord("status", P.dumps(P.status_message(state, message, model=self.model,
                                                                     source=source))))

    def set_model(self, name: str, labels: Iterable[str] = ()) -> None:
        """The model whose predictions are published (sent in ``hello`` and ``prediction``);
        connected clients are told with a ``status`` message (state "model")."""
        changed = name != self.model
        self.model = name
        self.labels = tuple(labels)
        if changed and name:
            self.publish_status("model", f"{name} is open.")

    def set_classify_handler(self, handler: ClassifyHandler | None) -> None:
        """``handler(job)`` must return at once (queue the job to the model's thread)."""
        self._classifier.handler = handler

    # ---------------------------------------------------------------- introspection (any thread)

    def _call(self, fn: Callable[[], Any], timeout: float = 2.0) -> Any:
        loop = self._loop
        if loop is None:
            return fn()
        fut: concurrent.futures.Future = concurrent.futures.Future()

        def run() -> None:
            try:
                fut.set_result(fn())
            except BaseException as e:  # noqa: BLE001
                fut.set_exception(e)
        loop.call_soon_threadsafe(run)
        return fut.result(timeout)

    def stats(self) -> dict[str, Any]:
        """Counters for a status line and tests: clients, messages, per-client buffers."""
        def collect() -> dict[str, Any]:
            return {"clients": len(self._clients), "published": self.published, "delivered": self.delivered,
                    "refused": self.refused, "per_client": [c.stats() for c in self._clients.values()]}
        if not self.running:
            return {"clients": 0, "published": self.published, "delivered": self.delivered,
                    "refused": self.refused, "per_client": []}
        return self._call(collect)

    @property
    def client_count(self) -> int:
        return len(self._clients)
