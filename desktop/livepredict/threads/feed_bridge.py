"""Wires the WebSocket feed (``feed.server``, no Qt) to the app's inference thread and the UI.

``FeedController`` lives in the GUI thread and owns the :class:`~livepredict.feed.server.FeedServer`
(which runs its own asyncio thread). Data never passes through the GUI thread:

- live predictions: the inference worker's ``live_prediction_ready`` is connected with a
  *direct* connection to :meth:`FeedController.publish_live`, so publishing (a non-blocking
  hand-off) happens on the inference thread itself, as soon as a frame is inferred;
- classify requests from clients: the feed calls our handler on its asyncio thread; the handler
  emits ``_feed_job_requested``, queued into the worker's ``classify_feed_job`` slot, so the model
  runs on the inference thread; the worker resolves the job (thread-safe) when done;
- the model name and labels follow ``model_loaded`` (queued to the GUI thread).

Headless (``livepredict serve``), the same wiring: ``commands.live.serve_live`` runs the live pipeline
(``commands.live.run_live``) and publishes from the inference thread; :func:`serve_classify_requests`
(no source) opens the model with the same ``InferenceController`` (so the same inference thread)
and answers classify requests until SIGINT or SIGTERM.

Signals:
    started(str url): the feed listens at ``url``.
    reachable_at(list): other addresses (``ws://LAN-IP:PORT``) when bound to all interfaces.
    stopped(str message): the feed is off (message may be empty).
    failed(str message): one sentence; the feed could not start and is off.
    clients_changed(int clients, int delivered): polled once a second while running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QTimer, Signal, Slot

from livepredict.core.errors import LivePredictError, UnsupportedModelError
from livepredict.core.types import IMAGE_TASKS
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.stop_signals import StopSignals

log = logging.getLogger(__name__)


class FeedController(QObject):
    started = Signal(str)
    reachable_at = Signal(list)  # other addresses (LAN) when bound to all interfaces; after started
    stopped = Signal(str)
    failed = Signal(str)
    clients_changed = Signal(int, int)

    _feed_job_requested = Signal(object)  # any thread → worker.classify_feed_job (queued)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server: Any = None
        self._model = ""
        self._labels: tuple[str, ...] = ()
        self._worker: Any = None
        self._last_counts = (-1, -1)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._poll)

    # ---------------------------------------------------------------- wiring

    def attach(self, inference: Any) -> None:
        """Connect to an ``InferenceController`` (its worker publishes and classifies)."""
        worker = getattr(inference, "worker", inference)
        self._worker = worker
        live = getattr(worker, "live_prediction_ready", None)
        if live is not None:
            live.connect(self.publish_live, Qt.ConnectionType.DirectConnection)
        # The controller's own model_loaded (emitted in the GUI thread when it handles the worker's),
        # not the worker's: a model that loaded while this bridge was being made is then still seen.
        loaded = getattr(inference, "model_loaded", None)
        if loaded is not None:
            loaded.connect(self.on_model_loaded)
        for name, target in (("text_chunk", self.publish_text_chunk), ("forecast_step", self.publish_forecast_step),
                             ("live_explained", self.publish_heatmap)):
            signal = getattr(worker, name, None)
            if signal is not None:  # generation results, published on the inference thread too
                signal.connect(target, Qt.ConnectionType.DirectConnection)
        slot = getattr(worker, "classify_feed_job", None)
        if slot is not None:
            self._feed_job_requested.connect(slot, Qt.ConnectionType.QueuedConnection)

    # ---------------------------------------------------------------- control (GUI thread)

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.running

    @property
    def server(self) -> Any:
        return self._server

    @Slot(str, int, str)
    def start(self, host: str, port: int, token: str) -> None:
        from livepredict.feed.server import FeedServer

        self.stop(quiet=True)
        try:
            server = FeedServer(host=host, port=port, token=token or None, model=self._model,
                                labels=self._labels)
            self.adopt(server)
            server.start()
        except LivePredictError as e:
            self._server = None
            self.failed.emit(str(e))
            return
        except Exception as e:  # noqa: BLE001 - a slot never lets an exception escape
            self._server = None
            log.exception("feed start failed")
            self.failed.emit(f"The feed could not start ({type(e).__name__}); try another port.")
            return
        self._last_counts = (-1, -1)
        self._timer.start()
        self.started.emit(server.url)
        self.reachable_at.emit(server.network_urls())

    def adopt(self, server: Any) -> None:
        """Publish through ``server`` (a FeedServer, started or not) and let the inference worker
        answer its classify requests. ``start`` uses it; ``livepredict serve`` calls it directly."""
        self._server = server
        if self._model and not server.model:
            server.set_model(self._model, self._labels)
        if self._worker is not None and hasattr(self._worker, "classify_feed_job"):
            server.set_classify_handler(self.submit_job)

    @Slot()
    def stop(self, quiet: bool = False) -> None:
        server, self._server = self._server, None
        self._timer.stop()
        if server is None:
            return
        server.publish_status("stopped", "The feed was turned off in the app.")
        server.stop()
        if not quiet:
            self.stopped.emit("The feed is off.")

    @Slot()
    def shutdown(self) -> None:
        """Stop without signals (window closing)."""
        self.blockSignals(True)
        try:
            self.stop(quiet=True)
        finally:
            self.blockSignals(False)

    # ---------------------------------------------------------------- data (inference thread)

    @Slot(object, int)
    def publish_live(self, prediction: Any, generation: int = 0) -> None:
        """Direct connection: runs on the inference thread; a non-blocking hand-off to the feed."""
        server = self._server
        if server is not None:
            try:
                server.publish_prediction(prediction)
            except Exception:  # noqa: BLE001 - the feed must never break inference
                log.exception("feed publish failed")

    @Slot(object)
    def publish_heatmap(self, live: Any) -> None:
        """Direct connection (inference thread): a live frame's explanation heatmap (``LiveHeatmap``)."""
        server = self._server
        if server is None or live.heatmap is None:
            return
        try:
            server.publish_heatmap(live.heatmap, frame_index=live.frame_index, capture_ts=live.capture_ts,
                                   made_ts=live.made_ts, frame_shape=tuple(live.frame_shape))
        except Exception:  # noqa: BLE001 - the feed must never break inference
            log.exception("feed publish failed")

    @Slot(object)
    def publish_text_chunk(self, chunk: Any) -> None:
        """Direct connection (inference thread): the text made since the previous chunk."""
        server = self._server
        if server is None or (not chunk.text and not chunk.finished):
            return
        try:
            server.publish_generation(token=chunk.text, index=max(0, int(chunk.total) - 1), done=bool(chunk.finished))
        except Exception:  # noqa: BLE001 - the feed must never break generation
            log.exception("feed publish failed")

    @Slot(object)
    def publish_forecast_step(self, step: Any) -> None:
        """Direct connection (inference thread): one forecast step (the next ``horizon`` values)."""
        server = self._server
        if server is None:
            return
        try:
            values = [float(v) for v in np.ravel(np.asarray(step.forecast, dtype=np.float64))]
            server.publish_generation(value=values, index=int(step.index), done=bool(step.finished))
        except Exception:  # noqa: BLE001 - the feed must never break generation
            log.exception("feed publish failed")

    def submit_job(self, job: Any) -> None:
        """A classify handler (any thread, normally the feed's): queue ``job`` to the inference thread."""
        self._feed_job_requested.emit(job)

    # ---------------------------------------------------------------- GUI-thread bookkeeping

    @Slot(object)
    def on_model_loaded(self, loaded: Any) -> None:
        info = getattr(loaded, "info", None)
        if info is None:
            return
        self._model = info.name or Path(info.path).stem
        self._labels = tuple(info.labels)
        if self._server is not None:
            self._server.set_model(self._model, self._labels)

    @Slot()
    def _poll(self) -> None:
        server = self._server
        if server is None:
            return
        counts = (server.client_count, server.delivered)
        if counts != self._last_counts:
            self._last_counts = counts
            self.clients_changed.emit(*counts)


# ------------------------------------------------------------------ headless: serve without a source

class _HeadlessServe(QObject):
    """The main thread's side of ``serve`` without a source: an InferenceController whose worker
    answers the feed's classify requests, and an event loop that ends on SIGINT/SIGTERM."""

    def __init__(self, on_status: Callable[[str], None] | None) -> None:
        super().__init__()
        self.loop = QEventLoop()
        self.controller = InferenceController()
        self.bridge = FeedController(self)
        self.bridge.attach(self.controller)  # classify jobs go to the worker's classify_feed_job slot
        self.loaded: Any = None
        self.failed: Any = None
        self.stop = StopSignals()
        self.controller.model_loaded.connect(self._on_loaded)
        self.controller.load_failed.connect(self._on_failed)
        self._on_status = on_status
        if on_status is not None:
            self.controller.status_changed.connect(self._status)
        self._tick = QTimer(self)
        self._tick.setInterval(100)  # Python runs signal handlers only between bytecodes
        self._tick.timeout.connect(self._check)
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self.loop.quit)

    @Slot(object)
    def _on_loaded(self, loaded: Any) -> None:
        self.loaded = loaded
        self.loop.quit()

    @Slot(object)
    def _on_failed(self, failed: Any) -> None:
        self.failed = failed
        self.loop.quit()

    @Slot(str)
    def _status(self, text: str) -> None:
        self._on_status(text)

    @Slot()
    def _check(self) -> None:
        if self.stop.signalled:
            self.loop.quit()

    def run(self, timeout_s: float | None = None) -> None:
        """Run the event loop until a signal (or ``timeout_s``, or a slot quits it)."""
        if self.stop.signalled:
            return
        if timeout_s is not None:
            self._deadline.start(int(timeout_s * 1000))
        self._tick.start()
        self.loop.exec()
        self._tick.stop()
        self._deadline.stop()

    def open(self, model: str, trust: bool, timeout_s: float) -> Any:
        """Open ``model`` on the inference thread; its ModelInfo, or a LivePredictError."""
        self.controller.open_model(model, trust=trust)
        self.run(timeout_s)
        if self.failed is not None:
            hint = " Run again with --trust if you trust this model." if self.failed.needs_trust else ""
            raise LivePredictError(self.failed.message + hint, self.failed.details)
        if self.loaded is None:
            if self.stop.signalled:
                raise KeyboardInterrupt
            raise LivePredictError(f"Opening {model} took longer than {timeout_s:.0f} s; try again.")
        info = self.loaded.info
        if info.task not in IMAGE_TASKS or info.preprocess is None:
            raise UnsupportedModelError(f"{Path(model).name} is a {info.task}, not an image classifier; serve "
                                        "classifies the pictures clients send, so it needs a model that takes images.")
        return info

    def close(self) -> None:
        self._tick.stop()
        self._deadline.stop()
        self.controller.shutdown(3000)
        self.stop.restore()


def serve_classify_requests(model: str | Path, feed: Any, *, trust: bool = False,
                            on_status: Callable[[str], None] | None = None,
                            on_ready: Callable[[str], None] | None = None, load_timeout: float = 600.0) -> None:
    """``livepredict serve MODEL`` without a source: open ``model`` on the app's inference thread,
    start ``feed`` (a FeedServer) answering classify requests there, call ``on_ready(model name)``,
    then serve until SIGINT or SIGTERM. Raises a LivePredictError (one sentence) if the model cannot
    be opened or does not take images; the feed is started only once the model is ready."""
    app = QCoreApplication.instance() or QCoreApplication([])
    headless = _HeadlessServe(on_status)
    headless.stop.install()
    try:
        info = headless.open(str(model), trust, load_timeout)
        name = info.name or Path(model).stem
        feed.set_model(name, info.labels)
        headless.bridge.adopt(feed)
        feed.start()
        if on_ready is not None:
            on_ready(name)
        headless.run()
    finally:
        feed.set_classify_handler(None)  # requests from now on: "no-classifier", not a stopped worker
        headless.close()
        headless.deleteLater()
        del app
