"""One connected client: what waits for it, and its sender (all on the feed's asyncio thread).

Per client, memory is bounded whatever the client does:

- predictions, tensors and status use newest-wins slots: a slow client gets the newest prediction
  when it is ready, with ``missed`` counting what it did not get (``max_rate`` and pull mode too);
- generation messages wait in a queue of ``GENERATION_QUEUE`` (oldest dropped; the next one sent
  says how many in its ``missed``);
- replies (``hello``, ``result``, ``error``, ``busy``, ``pong``, ``subscribed``) are never dropped:
  they wait in a queue of up to ``REPLY_BYTES``; while it is full the server reads no further
  messages from that client (``wait_for_room``), so a client that sends faster than it reads is
  slowed down by TCP instead of losing answers.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from livepredict.feed import protocol as P
from livepredict.feed.records import HeatmapRecord, PredictionRecord, Record, TensorRecord

log = logging.getLogger(__name__)

REPLY_BYTES = 256 * 1024  # replies waiting per client; while more wait, that client's messages are not read
GENERATION_QUEUE = 256  # generation messages buffered per client; oldest dropped beyond
SOCKET_SNDBUF = 8 * 1024  # kernel send buffer per client (Linux doubles it): a slow reader's backlog stays small


class Client:
    """The state of one connection (loop thread only)."""

    __slots__ = ("ws", "cid", "options", "wake", "room", "replies", "reply_bytes", "pred", "tensor", "heat", "status",
                 "gen", "missed", "missed_total", "gen_missed", "gen_pending_missed", "sent", "sent_predictions", "inflight",
                 "last_pred_sent", "rate_timer", "tasks", "errors", "remote", "connected_at", "credits",
                 "read_pauses")

    def __init__(self, ws: Any, cid: int) -> None:
        self.ws = ws
        self.cid = cid
        self.options = P.ClientOptions()
        self.wake = asyncio.Event()
        self.room = asyncio.Event()  # set while the reply queue has room
        self.room.set()
        self.replies: collections.deque[str] = collections.deque()
        self.reply_bytes = 0
        self.pred: PredictionRecord | None = None
        self.tensor: TensorRecord | None = None
        self.heat: HeatmapRecord | None = None  # the newest heatmap not sent yet (older ones are replaced)
        self.status: str | None = None
        self.gen: collections.deque[str] = collections.deque(maxlen=GENERATION_QUEUE)
        self.missed = 0
        self.missed_total = 0
        self.gen_missed = 0
        self.gen_pending_missed = 0  # dropped since the last generation message sent
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
        self.read_pauses = 0  # times reading stopped because replies were waiting unread

    # ---------------------------------------------------------------- replies (never dropped)

    def reply(self, msg: dict[str, Any]) -> None:
        text = P.dumps(msg)
        self.replies.append(text)
        self.reply_bytes += len(text)
        if self.reply_bytes >= REPLY_BYTES:
            self.room.clear()
        self.wake.set()

    def _pop_reply(self) -> str:
        text = self.replies.popleft()
        self.reply_bytes -= len(text)
        if self.reply_bytes < REPLY_BYTES:
            self.room.set()
        return text

    async def wait_for_room(self) -> None:
        """Return once the reply queue has room (or the sender has ended)."""
        if not self.room.is_set():
            self.read_pauses += 1
            await self.room.wait()

    # ---------------------------------------------------------------- connection

    def tune_socket(self) -> None:
        transport = getattr(self.ws, "transport", None)
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            try:  # without this, loopback autotuning lets megabytes of stale messages queue up
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_SNDBUF)
            except OSError:
                pass

    def write_buffer(self) -> int:
        transport = getattr(self.ws, "transport", None)
        try:
            return int(transport.get_write_buffer_size()) if transport is not None else 0
        except Exception:  # noqa: BLE001 - closed transport
            return 0

    def close(self) -> None:
        """The connection ended: cancel its timer and tasks."""
        if self.rate_timer is not None:
            self.rate_timer.cancel()
        for t in list(self.tasks):
            t.cancel()

    def subscribe(self, req: P.Subscribe) -> None:
        self.options.apply(req)
        if not self.options.predictions:
            self.pred = None
        if not self.options.tensors:
            self.tensor = None
        self.reply(P.subscribed_message(self.options.to_json()))

    def stats(self) -> dict[str, Any]:
        return {
            "id": self.cid, "remote": self.remote, "sent": self.sent, "sent_predictions": self.sent_predictions,
            "missed_total": self.missed_total, "generation_missed": self.gen_missed,
            "queued_replies": len(self.replies), "queued_reply_bytes": self.reply_bytes,
            "read_pauses": self.read_pauses, "queued_generation": len(self.gen),
            "write_buffer_bytes": self.write_buffer(), "errors": self.errors, "options": self.options.to_json(),
        }

    # ---------------------------------------------------------------- what to send next

    def next_message(self) -> str | bytes | None:
        """The next message: replies, status, generation, tensor, then the prediction (if due)."""
        if self.replies:
            return self._pop_reply()
        if self.status is not None:
            s, self.status = self.status, None
            return s
        if self.gen:
            missed, self.gen_pending_missed = self.gen_pending_missed, 0
            return f'{self.gen.popleft()},"missed":{missed}}}'  # GenerationRecord text: no closing brace
        if self.tensor is not None:
            t, self.tensor = self.tensor, None
            return t.data
        if self.heat is not None:
            hm, self.heat = self.heat, None
            return hm.data
        rec = self.pred
        if rec is None or (self.options.pull and self.credits <= 0):
            return None  # nothing, or pull mode waiting for the client's next "next"
        now = time.monotonic()
        if self._rate_held(now):
            return None
        self.pred = None
        if self.options.pull:
            self.credits -= 1
        missed, self.missed = self.missed, 0
        self.last_pred_sent = now
        self.sent_predictions += 1
        if self.options.tensors:
            data = rec.tensor_bytes()
            if data is not None:
                self.tensor = TensorRecord(rec.seq, data)
        return rec.encode(self.options.top_k, missed)

    def _rate_held(self, now: float) -> bool:
        """``max_rate``: True while the next prediction is not due yet (a timer wakes the sender)."""
        rate = self.options.max_rate
        if not rate:
            return False
        due = self.last_pred_sent + 1.0 / rate
        if now >= due:
            return False
        if self.rate_timer is None:
            loop = asyncio.get_running_loop()
            self.rate_timer = loop.call_at(loop.time() + (due - now), self._rate_due)
        return True

    def _rate_due(self) -> None:
        self.rate_timer = None
        self.wake.set()


async def sender(client: Client, on_sent: Callable[[], None]) -> None:
    """Send what waits for ``client`` whenever it is woken, until the connection closes."""
    from websockets.exceptions import ConnectionClosed

    try:
        while True:
            await client.wake.wait()
            client.wake.clear()
            while True:
                try:
                    msg = client.next_message()
                except Exception:  # noqa: BLE001 - one unencodable record must not silence a client
                    log.exception("feed message could not be encoded; skipped")
                    continue
                if msg is None:
                    break
                await client.ws.send(msg)
                client.sent += 1
                on_sent()
    except ConnectionClosed:
        pass
    finally:
        client.room.set()  # a reader waiting for room goes on and sees the connection closed


def _offer(clients: list[Client], rec: Record, slot: str, option: str) -> None:
    """``rec`` into the one-record ``slot`` of every client whose ``option`` is on (newest wins)."""
    for c in clients:
        if getattr(c.options, option):
            setattr(c, slot, rec)
            c.wake.set()


def deliver(records: Iterable[Record], dropped: int, clients: list[Client]) -> PredictionRecord | None:
    """Loop thread: put records into the clients' slots and queues, wake their senders; returns
    the newest prediction among them (what a new client gets first). ``dropped``: records the
    hand-off lost, counted as missed by every client."""
    newest = None
    if dropped:
        for c in clients:
            c.missed += dropped
            c.missed_total += dropped
    for rec in records:
        if isinstance(rec, PredictionRecord):
            newest = rec
            for c in clients:
                if c.options.predictions:
                    if c.pred is not None:
                        c.missed += 1
                        c.missed_total += 1
                    c.pred = rec
                    c.wake.set()
        elif isinstance(rec, HeatmapRecord):
            _offer(clients, rec, "heat", "heatmaps")
        elif isinstance(rec, TensorRecord):
            _offer(clients, rec, "tensor", "tensors")
        elif rec.kind == "generation":
            for c in clients:
                if c.options.generation:
                    if len(c.gen) == c.gen.maxlen:
                        c.gen_missed += 1
                        c.gen_pending_missed += 1
                    c.gen.append(rec.text)
                    c.wake.set()
        elif rec.kind == "status":
            for c in clients:
                c.status = rec.text
                c.wake.set()
    return newest
