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

Signals:
    started(str url): the feed listens at ``url``.
    reachable_at(list): other addresses (``ws://LAN-IP:PORT``) when bound to all interfaces.
    stopped(str message): the feed is off (message may be empty).
    failed(str message): one sentence; the feed could not start and is off.
    clients_changed(int clients, int delivered): polled once a second while running.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from livepredict.core.errors import LivePredictError

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
        loaded = getattr(worker, "model_loaded", None)
        if loaded is not None:
            loaded.connect(self.on_model_loaded)
        for name, target in (("text_chunk", self.publish_text_chunk), ("forecast_step", self.publish_forecast_step)):
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
            server.set_classify_handler(self._handle_job)

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

    def _handle_job(self, job: Any) -> None:
        """Feed thread: queue a classify job to the inference thread."""
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
