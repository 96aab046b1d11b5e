"""Live-frame inference: each slot takes the newest frame from its own mailbox (DESIGN §1, §9).

The capture thread overwrites a ``core.latest.Latest`` mailbox per slot and emits a payload-free
``frame_available``; the worker's ``take_live_frame`` calls ``LiveInference.take`` when it is free,
which infers the NEWEST frame waiting for each slot; frames that arrived meanwhile were overwritten
(dropped and counted by that slot's mailbox).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from livepredict.core.types import Prediction
from livepredict.threads.engine.decode import decode_frame
from livepredict.threads.engine.guard import engine_call, error_parts
from livepredict.threads.engine.slots import ModelSlots

log = logging.getLogger(__name__)

LIVE_BUDGET_S = 0.05  # keep taking newest frames for up to this long before returning to the event loop


@dataclass
class _Feed:
    mailbox: Any  # core.latest.Latest[Frame]
    top_k: int
    last_error: str = ""


class LiveInference:
    """Live inference of every attached slot.

    ``emit_prediction(pred, load_id, slot)`` and ``emit_failure(message, slot)`` report results
    (a failure is reported once until a frame succeeds again). ``gate`` is held while frames are
    taken and inferred: a test or bench may hold it to pause live inference deterministically.
    """

    def __init__(self, models: ModelSlots, emit_prediction: Callable[[Prediction, int, str], None],
                 emit_failure: Callable[[str, str], None], stopping: Callable[[], bool]) -> None:
        self.models = models
        self._emit_prediction = emit_prediction
        self._emit_failure = emit_failure
        self._stopping = stopping
        self.feeds: dict[str, _Feed] = {}
        self._order: tuple[tuple[str, _Feed], ...] = ()  # the feeds, as taken per frame
        self.gate = threading.Lock()
        self.taken = 0  # frames taken from the mailboxes
        self.skipped = 0  # taken while no image model was open in that slot
        self.skipped_in: dict[str, int] = {}  # the same, per slot (an empty compare slot is not the main one's loss)
        self.errors = 0
        self.explainer: Any = None  # threads.engine.explain.LiveExplainer: explains a frame now and then

    def attach(self, slot: str, mailbox: Any, top_k: int) -> None:
        """Take ``slot``'s live frames from ``mailbox`` (None: stop live inference in that slot)."""
        if mailbox is None:
            self.feeds.pop(slot, None)
        else:
            self.feeds[slot] = _Feed(mailbox, max(1, int(top_k)))
        self._order = tuple(self.feeds.items())

    def take(self) -> None:
        """Infer the newest frame waiting for each slot, while new ones keep arriving, for up to
        ``LIVE_BUDGET_S`` (this saves an event round trip per frame)."""
        if not self.feeds or self._stopping():
            return
        deadline = time.monotonic() + LIVE_BUDGET_S
        while True:
            with self.gate:
                # Every slot takes its newest frame before any is inferred: the models see the same
                # frame (their results pair up frame by frame) and each gets its turn in every round.
                # (None: an older wake-up, the newest frame was already taken)
                took = [(slot, feed, frame) for slot, feed in self._order
                        if (frame := feed.mailbox.take()) is not None]
                self.taken += len(took)
                for slot, feed, frame in took:
                    self._infer(slot, feed, frame)
            if not took or self._stopping() or time.monotonic() > deadline:
                return

    def _infer(self, slot: str, feed: _Feed, frame: Any) -> None:
        model, load_id = self.models.active(slot)
        if model is None:
            self.skipped += 1
            self.skipped_in[slot] = self.skipped_in.get(slot, 0) + 1
            return
        try:
            t0 = time.monotonic()
            with engine_call("live preprocess"):
                x = model.preprocess(frame.image)
            t1 = time.monotonic()
            with engine_call("live infer"):
                out = model.infer_all(x[None])
            t2 = time.monotonic()
            result = decode_frame(model, [o[0] for o in out], feed.top_k, frame.image)
            t3 = time.monotonic()
        except Exception as e:  # noqa: BLE001 - reported once as a live failure
            self.errors += 1
            message, details = error_parts(e)
            if message != feed.last_error:
                feed.last_error = message
                log.warning("live inference failed in slot %s: %s %s", slot, message, details)
                self._emit_failure(message, slot)
            return
        feed.last_error = ""
        self._emit_prediction(Prediction(
            top=result.top, scores=result.scores, result=result, preprocess_ms=(t1 - t0) * 1000.0,
            infer_ms=(t2 - t1) * 1000.0, frame_index=frame.index, capture_ts=frame.capture_ts,
            infer_start_ts=t0, infer_end_ts=t3, source=frame.source), load_id, slot)
        if self.explainer is not None and self.explainer.requests:
            self.explainer.after_frame(slot, load_id, frame, x)
