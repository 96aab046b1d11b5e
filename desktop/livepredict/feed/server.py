"""The WebSocket feed server: ``websockets`` (asyncio API) in its own plain thread (DESIGN §1).

Threads and ownership:

- The server runs an asyncio loop on a daemon thread it starts itself (``start()``/``stop()``).
  No Qt here: the GUI wires it up through ``threads/`` (or app code).
- ``publish_prediction``, ``publish_generation``, ``publish_tensor`` and ``publish_status`` may be
  called from any thread (normally the inference thread). They never block on the network: they
  append a frozen record to a bounded hand-off queue under a lock and, when that queue was empty,
  wake the loop with one ``call_soon_threadsafe``. JSON encoding happens later, in the loop thread,
  and only for messages a client actually gets.
- Each client has a sender task and a newest-wins slot per stream (prediction, tensor, status); a
  client that reads slowly gets the newest prediction when it is ready, with ``missed`` saying how
  many it did not get. Generation tokens go into a small bounded queue per client (oldest dropped
  and counted). Memory per client is bounded whatever the client does.
- ``classify`` requests never touch the model here: the image is decoded on a small decode thread,
  then handed to the *classify handler* the owner supplies (``set_classify_handler``), which queues
  the job to the thread that owns the model and later calls ``job.resolve(prediction)`` or
  ``job.fail(sentence)`` from there: in the app and in ``livepredict serve`` (with or without a
  source) that is the inference worker, through ``threads/feed_bridge.py``.

Security: binds to 127.0.0.1 by default; any other host requires a token (refused otherwise). A
token, when set, must come as ``?token=`` or ``Authorization: Bearer``; a browser ``Origin`` that
is not allowed is refused at the handshake. Nothing a client sends is ever opened as a path.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import functools
import hmac
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from livepredict import __version__
from livepredict.core.errors import LivePredictError
from livepredict.core.types import Prediction
from livepredict.feed import protocol as P

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024
MAX_CLIENT_INFLIGHT = 2  # classify requests one client may have waiting
MAX_TOTAL_INFLIGHT = 8  # classify requests waiting across all clients
REPLY_QUEUE = 64  # replies (results, errors) buffered per client; oldest dropped beyond
GENERATION_QUEUE = 256  # generation messages buffered per client; oldest dropped beyond
HANDOFF_QUEUE = 4096  # records waiting for the loop; oldest dropped (counted) beyond
WRITE_LIMIT = 4 * 1024  # bytes buffered in user space per client before send() waits
SOCKET_SNDBUF = 8 * 1024  # kernel send buffer per client (Linux doubles it): a slow reader's backlog stays small


def default_page() -> Path:
    """examples/feed_page.html in the source tree or in the frozen bundle (same layout)."""
    from livepredict import data_dir

    return Path(data_dir()) / "examples" / "feed_page.html"


class FeedError(LivePredictError):
    """The feed could not start (port in use, no token for a network address, ...)."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost"; False for "", 0.0.0.0 and real addresses."""
    h = (host or "").strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


# ------------------------------------------------------------------ classify jobs

class ClassifyJob:
    """One classify request handed to the model's owner. Resolve it exactly once, from any thread.

    ``image`` is RGB uint8 HxWx3 (already decoded), ``top_k`` how many labels to return.
    """

    __slots__ = ("image", "top_k", "request_id", "_loop", "_future", "created")

    def __init__(self, image: np.ndarray, top_k: int, request_id: Any,
                 loop: asyncio.AbstractEventLoop, future: asyncio.Future) -> None:
        self.image = image
        self.top_k = top_k
        self.request_id = request_id
        self._loop = loop
        self._future = future
        self.created = time.monotonic()

    def _set(self, ok: bool, value: Any) -> None:
        def apply() -> None:
            if not self._future.done():
                if ok:
                    self._future.set_result(value)
                else:
                    self._future.set_exception(value)
        try:
            self._loop.call_soon_threadsafe(apply)
        except RuntimeError:  # loop closed: the server stopped, nobody waits any more
            pass

    def resolve(self, prediction: Prediction) -> None:
        self._set(True, prediction)

    def fail(self, message: str) -> None:
        self._set(False, P.ProtocolError("classify-failed", str(message), self.request_id))

    @property
    def cancelled(self) -> bool:
        return self._future.done()


ClassifyHandler = Callable[[ClassifyJob], None]


# ------------------------------------------------------------------ records (frozen hand-off)

class _PredRecord:
    """A published prediction; its JSON is built lazily in the loop thread, once per top-k."""

    __slots__ = ("seq", "pred", "model", "publish_ts", "wall", "tensor", "_fields", "_json", "_tensor")

    def __init__(self, seq: int, pred: Prediction, model: str, tensor: np.ndarray | None) -> None:
        self.seq = seq
        self.pred = pred
        self.model = model
        self.publish_ts = time.monotonic()
        self.wall = time.time()
        self.tensor = tensor
        self._fields: dict[str, Any] | None = None
        self._json: dict[int, str] = {}
        self._tensor: bytes | None = None

    def encode(self, k: int, missed: int) -> str:
        base = self._json.get(k)
        if base is None:
            if self._fields is None:
                self._fields = P.prediction_fields(self.seq, self.pred, model=self.model,
                                                   publish_ts=self.publish_ts, wall_time=self.wall)
            d = dict(self._fields)
            d["top"] = P.top_list(self.pred, k)
            base = P.dumps(d)[:-1]
            self._json[k] = base
        return f'{base},"missed":{int(missed)}}}'

    def tensor_bytes(self) -> bytes | None:
        if self.tensor is None:
            return None
        if self._tensor is None:
            self._tensor = P.tensor_frame(self.seq, self.tensor, name="output")
        return self._tensor


@dataclass(frozen=True)
class _TensorRecord:
    seq: int
    data: bytes


@dataclass(frozen=True)
class _TextRecord:
    kind: str  # "generation" | "status" | "model"
    text: str


# ------------------------------------------------------------------ per-client state

class _Client:
    __slots__ = ("ws", "cid", "options", "wake", "replies", "pred", "tensor", "status", "gen",
                 "missed", "missed_total", "gen_missed", "sent", "sent_predictions", "inflight",
                 "last_pred_sent", "rate_timer", "tasks", "errors", "remote", "connected_at", "credits")

    def __init__(self, ws, cid: int) -> None:
        self.ws = ws
        self.cid = cid
        self.options = P.ClientOptions()
        self.wake = asyncio.Event()
        self.replies: collections.deque[str] = collections.deque(maxlen=REPLY_QUEUE)
        self.pred: _PredRecord | None = None
        self.tensor: _TensorRecord | None = None
        self.status: str | None = None
        self.gen: collections.deque[str] = collections.deque(maxlen=GENERATION_QUEUE)
        self.missed = 0
        self.missed_total = 0
        self.gen_missed = 0
        self.sent = 0
        self.sent_predictions = 0
        self.inflight = 0
        self.last_pred_sent = 0.0
        self.rate_timer: asyncio.TimerHandle | None = None
        self.tasks: set[asyncio.Task] = set()
        self.errors = 0
        self.remote = str(getattr(ws, "remote_address", "") or "")
        self.connected_at = time.monotonic()
        self.credits = 0  # pull mode: predictions the client asked for with "next"

    def reply(self, msg: dict[str, Any]) -> None:
        self.replies.append(P.dumps(msg))
        self.wake.set()

    def write_buffer(self) -> int:
        transport = getattr(self.ws, "transport", None)
        try:
            return int(transport.get_write_buffer_size()) if transport is not None else 0
        except Exception:  # noqa: BLE001 - closed transport
            return 0


# ------------------------------------------------------------------ the server

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
        self.host = (host or "").strip()
        if not self.host:
            self.host = "0.0.0.0"
        self.port = int(port)
        self.token = token or None
        if self.token is None and not is_loopback(self.host):
            raise FeedError(f"Serving on {self.host} exposes predictions to the network, so it needs a "
                            "token; pass --token (or set one in the feed panel) or bind to 127.0.0.1.")
        if not 0 <= self.port <= 65535:
            raise FeedError(f"Port {self.port} is not a valid port; use a number from 1 to 65535 (0 picks "
                            "a free one).")
        self.allowed_origins = {o.rstrip("/") for o in (allowed_origins or ())}
        self.max_message_bytes = int(max_message_bytes)
        self.max_pixels = int(max_pixels)
        self.max_clients = int(max_clients)
        self.model = model
        self.labels = tuple(labels)
        self.classify_timeout = float(classify_timeout)
        self.page = page if page is not None else default_page()
        self._classify_handler = classify_handler

        self._lock = threading.Lock()
        self._handoff: collections.deque[Any] = collections.deque()
        self._wake_pending = False
        self._handoff_dropped = 0
        self._seq = 0
        self._gen_seq = 0
        self._tensor_seq = 0

        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._clients: dict[int, _Client] = {}
        self._next_cid = 0
        self._inflight_total = 0
        self._last_pred: _PredRecord | None = None
        self._decode_pool: concurrent.futures.ThreadPoolExecutor | None = None
        self.published = 0
        self.delivered = 0
        self.refused = 0

    # ---------------------------------------------------------------- life cycle

    @property
    def running(self) -> bool:
        return self._loop is not None and self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        """The address clients connect to (host as bound; ``ws://127.0.0.1:PORT``)."""
        host = self.host
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"ws://{host}:{self.port}"

    def network_urls(self) -> list[str]:
        """Addresses other machines can use when bound to all interfaces (``0.0.0.0``/``::``):
        this machine's outward-facing IPv4 address (found without sending a packet). Else []."""
        if self.host not in ("0.0.0.0", "::"):
            return [] if is_loopback(self.host) else [self.url]
        found: list[str] = []
        for probe in ("192.0.2.1", "10.255.255.255"):  # documentation / private ranges: never contacted
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.connect((probe, 9))
                    ip = s.getsockname()[0]
            except OSError:
                continue
            if ip and not ip.startswith("127.") and f"ws://{ip}:{self.port}" not in found:
                found.append(f"ws://{ip}:{self.port}")
        return found

    def client_url(self) -> str:
        """``url`` with ``?token=`` when a token is set (what a client needs)."""
        return self.url + (f"/?token={self.token}" if self.token else "")

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
            if self._decode_pool is not None:
                self._decode_pool.shutdown(wait=False, cancel_futures=True)
                self._decode_pool = None

    async def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        from websockets.asyncio.server import serve

        self._stop = asyncio.Event()
        self._decode_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="livepredict-feed-decode")
        try:
            server = await serve(
                self._handler, self.host, self.port,
                process_request=self._process_request,
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
            self.port = int(server.sockets[0].getsockname()[1])
        self._loop = loop
        self._started.set()
        with self._lock:
            pending = bool(self._handoff)
        if pending:
            self._drain()
        try:
            await self._stop.wait()
        finally:
            with self._lock:
                self._wake_pending = True  # refuse further wake-ups while closing
            server.close()
            try:
                await asyncio.wait_for(server.wait_closed(), 3.0)
            except TimeoutError:
                pass

    # ---------------------------------------------------------------- handshake rules

    def _own_origins(self) -> set[str]:
        hosts = {"127.0.0.1", "localhost", "[::1]"}
        if self.host not in ("0.0.0.0", "::"):
            hosts.add(f"[{self.host}]" if ":" in self.host else self.host)
        return {f"http://{h}:{self.port}" for h in hosts} | {f"https://{h}:{self.port}" for h in hosts}

    def origin_allowed(self, origin: str | None, host_header: str | None = None) -> bool:
        """No Origin (not a browser), our own origins, the allowed ones, or — when a token is set —
        the page we served ourselves under the address the browser used (Origin host = Host header;
        without a token that rule would open the door to DNS rebinding, so it is not applied)."""
        if origin is None:
            return True
        origin = origin.strip().rstrip("/")
        if "*" in self.allowed_origins or origin in self.allowed_origins or origin in self._own_origins():
            return True
        if self.token is not None and host_header:
            scheme, _, netloc = origin.partition("://")
            return scheme in ("http", "https") and netloc.lower() == host_header.strip().lower()
        return False

    def token_ok(self, query_token: str | None, authorization: str | None) -> bool:
        if self.token is None:
            return True
        given = query_token
        if given is None and authorization:
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() == "bearer":
                given = value.strip()
        if given is None:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    def _process_request(self, connection, request):
        parts = urlsplit(request.path)
        query = parse_qs(parts.query)
        headers = {}
        for name in ("Upgrade", "Origin", "Host", "Authorization"):
            values = request.headers.get_all(name)
            if len(values) > 1:
                self.refused += 1
                return connection.respond(HTTPStatus.BAD_REQUEST, f"The {name} header appears more than once.\n")
            headers[name] = values[0] if values else None
        is_upgrade = "websocket" in (headers["Upgrade"] or "").lower()
        if not is_upgrade:
            return self._http(connection, parts.path)
        origin = headers["Origin"]
        if not self.origin_allowed(origin, headers["Host"]):
            self.refused += 1
            return connection.respond(HTTPStatus.FORBIDDEN,
                                      f"Origin {origin} is not allowed; open the page from {self.url.replace('ws', 'http', 1)}/ "
                                      "or add the origin to the allowed origins.\n")
        tokens = query.get("token")
        if not self.token_ok(tokens[-1] if tokens else None, headers["Authorization"]):
            self.refused += 1
            return connection.respond(HTTPStatus.UNAUTHORIZED,
                                      "Missing or wrong token; pass ?token=... or an "
                                      "'Authorization: Bearer ...' header.\n")
        if len(self._clients) >= self.max_clients:
            self.refused += 1
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE,
                                      f"The feed already serves {self.max_clients} clients; close one and "
                                      "try again.\n")
        return None

    def _http(self, connection, path: str):
        """Plain HTTP: ``/`` serves the example page (it then connects back over WebSocket)."""
        if path in ("/", "/index.html") and self.page is not None and Path(self.page).is_file():
            response = connection.respond(HTTPStatus.OK, "")
            body = Path(self.page).read_bytes()
            response.body = body
            del response.headers["Content-Type"]
            del response.headers["Content-Length"]
            response.headers["Content-Type"] = "text/html; charset=utf-8"
            response.headers["Content-Length"] = str(len(body))
            response.headers["Cache-Control"] = "no-store"
            return response
        if path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return connection.respond(HTTPStatus.UPGRADE_REQUIRED,
                                  f"This is the Live Predict feed: connect a WebSocket client to {self.url}.\n")

    # ---------------------------------------------------------------- connections

    async def _handler(self, ws) -> None:
        from websockets.exceptions import ConnectionClosed

        self._next_cid += 1
        client = _Client(ws, self._next_cid)
        self._clients[client.cid] = client
        sock = ws.transport.get_extra_info("socket") if ws.transport is not None else None
        if sock is not None:
            try:  # without this, loopback autotuning lets megabytes of stale messages queue up
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_SNDBUF)
            except OSError:
                pass
        client.reply(P.hello_message(model=self.model, labels=self.labels, options=client.options.to_json(),
                                     max_message_bytes=self.max_message_bytes,
                                     server=f"livepredict {__version__}"))
        if self._last_pred is not None:  # a new client sees the current answer at once
            client.pred = self._last_pred
        sender = asyncio.create_task(self._sender(client))
        try:
            async for message in ws:
                self._receive(client, message)
        except ConnectionClosed:
            pass
        finally:
            self._clients.pop(client.cid, None)
            if client.rate_timer is not None:
                client.rate_timer.cancel()
            sender.cancel()
            for t in list(client.tasks):
                t.cancel()

    def _receive(self, client: _Client, message: str | bytes) -> None:
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
            client.options.apply(req)
            if not client.options.predictions:
                client.pred = None
            if not client.options.tensors:
                client.tensor = None
            client.reply(P.subscribed_message(client.options.to_json()))
        elif isinstance(req, P.ClassifyRequest):
            task = asyncio.create_task(self._classify(client, req))
            client.tasks.add(task)
            task.add_done_callback(client.tasks.discard)

    async def _classify(self, client: _Client, req: P.ClassifyRequest) -> None:
        rid = req.request_id
        handler = self._classify_handler
        if handler is None:
            client.reply(P.error_message("no-classifier", "No model is ready to classify images; open a "
                                                          "model in the app or use livepredict serve.", rid))
            return
        if client.inflight >= MAX_CLIENT_INFLIGHT or self._inflight_total >= MAX_TOTAL_INFLIGHT:
            client.reply(P.error_message("busy", "Too many classify requests are waiting; wait for a result "
                                                 "before sending the next one.", rid))
            return
        client.inflight += 1
        self._inflight_total += 1
        loop = asyncio.get_running_loop()
        fut: asyncio.Future | None = None
        try:
            rgb = await loop.run_in_executor(
                self._decode_pool, functools.partial(P.decode_image, req.image_bytes, max_pixels=self.max_pixels))
            k = req.top_k or client.options.top_k
            fut = loop.create_future()
            handler(ClassifyJob(rgb, k, rid, loop, fut))
            pred = await asyncio.wait_for(fut, self.classify_timeout)
            client.reply(P.result_message(rid, pred, k, model=self.model))
        except P.ProtocolError as e:
            client.reply(P.error_message(e.code, e.message, rid))
        except TimeoutError:
            client.reply(P.error_message("timeout", f"The model did not answer within {self.classify_timeout:g} "
                                                    "seconds; try again later.", rid))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a handler fault is reported to that client only
            log.exception("classify request failed")
            client.reply(P.error_message("classify-failed", f"Classification failed ({type(e).__name__}); "
                                                            "check the image and the model.", rid))
        finally:
            if fut is not None and not fut.done():
                fut.cancel()
            client.inflight -= 1
            self._inflight_total -= 1

    # ---------------------------------------------------------------- sending

    def _next(self, client: _Client) -> str | bytes | None:
        """The next message for ``client``: replies, status, generation, prediction (+ tensor)."""
        if client.replies:
            return client.replies.popleft()
        if client.status is not None:
            s, client.status = client.status, None
            return s
        if client.gen:
            return client.gen.popleft()
        if client.tensor is not None:
            t, client.tensor = client.tensor, None
            return t.data
        rec = client.pred
        if rec is not None and client.options.pull and client.credits <= 0:
            rec = None  # pull mode: wait for the client's next "next"
        if rec is not None:
            rate = client.options.max_rate
            now = time.monotonic()
            if rate:
                due = client.last_pred_sent + 1.0 / rate
                if now < due:
                    if client.rate_timer is None:
                        client.rate_timer = asyncio.get_running_loop().call_at(
                            asyncio.get_running_loop().time() + (due - now), self._rate_due, client)
                    return None
            client.pred = None
            if client.options.pull:
                client.credits -= 1
            missed, client.missed = client.missed, 0
            client.last_pred_sent = now
            client.sent_predictions += 1
            if client.options.tensors:
                data = rec.tensor_bytes()
                if data is not None:
                    client.tensor = _TensorRecord(rec.seq, data)
            return rec.encode(client.options.top_k, missed)
        return None

    @staticmethod
    def _rate_due(client: _Client) -> None:
        client.rate_timer = None
        client.wake.set()

    async def _sender(self, client: _Client) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                await client.wake.wait()
                client.wake.clear()
                while True:
                    try:
                        msg = self._next(client)
                    except Exception:  # noqa: BLE001 - one unencodable record must not silence a client
                        log.exception("feed message could not be encoded; skipped")
                        continue
                    if msg is None:
                        break
                    await client.ws.send(msg)
                    client.sent += 1
                    self.delivered += 1
        except ConnectionClosed:
            pass

    # ---------------------------------------------------------------- publishing (any thread)

    def _post(self, record: Any) -> None:
        with self._lock:
            if len(self._handoff) >= HANDOFF_QUEUE:
                self._handoff.popleft()
                self._handoff_dropped += 1
            self._handoff.append(record)
            if self._wake_pending or self._loop is None:
                return
            self._wake_pending = True
            loop = self._loop
        try:
            loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # loop closed between the check and the call
            pass

    def _drain(self) -> None:
        """Loop thread: move hand-off records into the clients' slots and wake their senders."""
        with self._lock:
            records = list(self._handoff)
            self._handoff.clear()
            self._wake_pending = False
            dropped, self._handoff_dropped = self._handoff_dropped, 0
        clients = list(self._clients.values())
        if dropped:
            for c in clients:
                c.missed += dropped
                c.missed_total += dropped
        for rec in records:
            if isinstance(rec, _PredRecord):
                self._last_pred = rec
                for c in clients:
                    if not c.options.predictions:
                        continue
                    if c.pred is not None:
                        c.missed += 1
                        c.missed_total += 1
                    c.pred = rec
                    c.wake.set()
            elif isinstance(rec, _TensorRecord):
                for c in clients:
                    if c.options.tensors:
                        c.tensor = rec
                        c.wake.set()
            elif isinstance(rec, _TextRecord):
                if rec.kind == "generation":
                    for c in clients:
                        if c.options.generation:
                            if len(c.gen) == c.gen.maxlen:
                                c.gen_missed += 1
                            c.gen.append(rec.text)
                            c.wake.set()
                elif rec.kind == "status":
                    for c in clients:
                        c.status = rec.text
                        c.wake.set()

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
        if not self.running:
            return seq
        self._post(_PredRecord(seq, prediction, self.model if model is None else model,
                               prediction.scores if tensor is None else tensor))
        return seq

    def publish_generation(self, *, token: str | None = None, value: float | list[float] | None = None,
                           index: int | None = None, done: bool = False, text: str | None = None,
                           model: str | None = None) -> int:
        """Queue one generated token (text models) or value (forecasters); returns its sequence."""
        with self._lock:
            self._gen_seq += 1
            seq = self._gen_seq
        if not self.running:
            return seq
        msg = P.generation_message(seq, model=self.model if model is None else model,
                                   index=seq - 1 if index is None else index, token=token, value=value,
                                   done=done, text=text)
        self._post(_TextRecord("generation", P.dumps(msg)))
        return seq

    def publish_tensor(self, array: np.ndarray, *, name: str = "output", seq: int | None = None) -> int:
        """Queue a raw tensor (binary frame) for clients that subscribed to tensors."""
        if seq is None:
            with self._lock:
                self._tensor_seq += 1
                seq = self._tensor_seq
        if self.running:
            self._post(_TensorRecord(seq, P.tensor_frame(seq, np.array(array, copy=True), name=name)))
        return seq

    def publish_status(self, state: str, message: str, *, source: str = "") -> None:
        """Tell clients what the app is doing ("running", "stopped", "ended", "error")."""
        if self.running:
            self._post(_TextRecord("status", P.dumps(P.status_message(state, message, model=self.model,
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
        self._classify_handler = handler

    # ---------------------------------------------------------------- introspection (any thread)

    def _call(self, fn: Callable[[], Any], timeout: float = 2.0) -> Any:
        loop = self._loop
        if loop is None:
            return fn()
        fut = concurrent.futures.Future()

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
            return {
                "clients": len(self._clients),
                "published": self.published,
                "delivered": self.delivered,
                "refused": self.refused,
                "per_client": [{
                    "id": c.cid, "remote": c.remote, "sent": c.sent, "sent_predictions": c.sent_predictions,
                    "missed_total": c.missed_total, "generation_missed": c.gen_missed,
                    "queued_replies": len(c.replies), "queued_generation": len(c.gen),
                    "write_buffer_bytes": c.write_buffer(), "errors": c.errors,
                    "options": c.options.to_json(),
                } for c in self._clients.values()],
            }
        if not self.running:
            return {"clients": 0, "published": self.published, "delivered": self.delivered,
                    "refused": self.refused, "per_client": []}
        return self._call(collect)

    @property
    def client_count(self) -> int:
        return len(self._clients)
