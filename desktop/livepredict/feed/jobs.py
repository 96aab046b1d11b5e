"""``classify`` requests: admitted or refused at once, decoded off the loop, answered by the
thread that owns the model.

The feed never touches a model. :class:`Classifier` refuses a request at once (``no-classifier``,
``busy``) or decodes its image on a small decode thread and hands a :class:`ClassifyJob` to the
*classify handler* its owner supplies; the handler queues the job to the model's thread (in the app
and in ``livepredict serve``: the inference worker, through ``threads/feed_bridge.py``), which later
calls ``job.resolve(prediction)`` or ``job.fail(sentence)``. Every request gets exactly one reply
with its id: ``result``, or ``error`` (``busy``, ``no-classifier``, ``bad-image``,
``classify-failed``, ``timeout``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from livepredict.core.memory import release_freed_memory
from livepredict.core.types import Prediction
from livepredict.feed import protocol as P
from livepredict.feed.clients import Client

log = logging.getLogger(__name__)

MAX_CLIENT_INFLIGHT = 2  # classify requests one client may have waiting
MAX_TOTAL_INFLIGHT = 8  # classify requests waiting across all clients
MAX_INFLIGHT_PIXELS = 100_000_000  # decoded pixels held for the model across all requests (~300 MB RGB)


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


class Classifier:
    """The feed's side of classify requests (loop thread), for every client of one server."""

    def __init__(self, handler: ClassifyHandler | None, *, timeout: float, max_pixels: int,
                 model: Callable[[], str]) -> None:
        self.handler = handler
        self.timeout = float(timeout)
        self.max_pixels = int(max_pixels)
        self._model = model
        self.inflight = 0
        self.pixels = 0  # decoded pixels reserved by requests in flight (MAX_INFLIGHT_PIXELS)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    def open(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="livepredict-feed-decode")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def submit(self, client: Client, req: P.ClassifyRequest) -> None:
        """Answer at once when the request cannot be taken; else start it as a task of ``client``."""
        rid = req.request_id
        if self.handler is None:
            client.reply(P.error_message("no-classifier", "No model is ready to classify images; open a "
                                                          "model in the app or use livepredict serve.", rid))
            return
        if client.inflight >= MAX_CLIENT_INFLIGHT or self.inflight >= MAX_TOTAL_INFLIGHT:
            client.reply(P.error_message("busy", "Too many classify requests are waiting; wait for a result "
                                                 "before sending the next one.", rid))
            return
        client.inflight += 1
        self.inflight += 1
        task = asyncio.create_task(self._run(client, req, self.handler))
        client.tasks.add(task)
        task.add_done_callback(client.tasks.discard)

    async def _reserve(self, loop: asyncio.AbstractEventLoop, req: P.ClassifyRequest) -> int:
        """Reserve the decoded size of ``req``'s picture (read from its header) within the budget, or
        answer ``busy``: many huge pictures at once wait their turn instead of filling memory."""
        pixels = await loop.run_in_executor(self._pool, P.image_pixels, req.image_bytes)
        if not pixels or pixels > self.max_pixels:
            return 0  # decode_image gives the one-sentence answer for a bad or too large picture
        if self.pixels and self.pixels + pixels > MAX_INFLIGHT_PIXELS:
            raise P.ProtocolError("busy", "The server is holding other large pictures; wait for a result "
                                          "before sending the next one.", req.request_id)
        self.pixels += pixels
        return pixels

    async def _run(self, client: Client, req: P.ClassifyRequest, handler: ClassifyHandler) -> None:
        rid = req.request_id
        loop = asyncio.get_running_loop()
        fut: asyncio.Future | None = None
        reserved = 0
        try:
            reserved = await self._reserve(loop, req)
            rgb = await loop.run_in_executor(
                self._pool, functools.partial(P.decode_image, req.image_bytes, max_pixels=self.max_pixels))
            k = req.top_k or client.options.top_k
            fut = loop.create_future()
            handler(ClassifyJob(rgb, k, rid, loop, fut))
            pred = await asyncio.wait_for(fut, self.timeout)
            client.reply(P.result_message(rid, pred, k, model=self._model()))
        except P.ProtocolError as e:
            client.reply(P.error_message(e.code, e.message, rid))
        except TimeoutError:
            client.reply(P.error_message("timeout", f"The model did not answer within {self.timeout:g} "
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
            self.pixels -= reserved
            rgb = None
            if reserved >= P.LARGE_PICTURE and self._pool is not None:  # preprocessing's copies are free now
                loop.run_in_executor(self._pool, release_freed_memory)
            client.inflight -= 1
            self.inflight -= 1
