"""The live pipeline: a source's CaptureWorker → a Latest mailbox → the InferenceWorker.

::

    source ─► CaptureWorker (daemon thread) ─► Latest (1 slot) ─► frame_available (no payload)
                                                                     │ queued
                                          InferenceWorker.take_live_frame (inference QThread)
                                                                     │ live_prediction_ready
                                          LivePipeline.prediction_ready (this object's thread)

``LivePipeline`` lives in the thread that creates it (the GUI thread, or the main thread of the
headless ``livepredict live`` command under ``QCoreApplication``) and uses the app's one
``InferenceController``: the model, a model switch or a preprocessing change made through the
controller apply to live frames at once, without restarting anything. ``set_source`` switches the
source while running. With several model slots (``slots=("main", "b")``) each slot has its own
mailbox: the capture puts every frame into all of them, and each slot drops its own stale frames.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot

from livepredict.core.latest import Latest
from livepredict.core.types import CAMERA_RESOLUTIONS, CameraInfo, Frame, Prediction
from livepredict.threads.capture_worker import CaptureWorker
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.payloads import MAIN

log = logging.getLogger(__name__)

RESOLUTIONS = CAMERA_RESOLUTIONS
DRAIN_MAX = 4096  # results parked between two display ticks (drain mode); older ones are dropped
CameraEntry = CameraInfo  # re-exported for widgets (ui may not import sources)


class CameraScanner(QObject):
    """Lists the cameras that open, on a short-lived daemon thread (opening cameras is slow).

    Signals:
        cameras_listed(list): CameraEntry items (possibly empty).
    """

    cameras_listed = Signal(list)
    _found = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._found.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.scanning = False

    def scan(self) -> None:
        if self.scanning:
            return
        self.scanning = True
        threading.Thread(target=self._run, name="camera-scan", daemon=True).start()

    def _run(self) -> None:
        try:
            from livepredict.sources import list_cameras

            found = list_cameras()
        except Exception:  # noqa: BLE001 - a scan failure is "no cameras"
            log.exception("camera scan failed")
            found = []
        self._found.emit(found)

    @Slot(list)
    def _deliver(self, found: list) -> None:
        self.scanning = False
        self.cameras_listed.emit(found)


class FanOut:
    """The capture's mailbox when several slots watch one source: ``put`` stores the frame in every
    slot's own ``Latest`` (each counts the frames its slot had no time for)."""

    def __init__(self, boxes: Sequence[Latest[Frame]]) -> None:
        self.boxes = tuple(boxes)
        self.taken = threading.Event()  # set when any slot takes its frame
        for box in self.boxes:
            box.taken = self.taken

    def put(self, item: Frame) -> bool:
        """Returns True only if every slot's unread frame was overwritten: a frame landing in any
        empty mailbox needs a wake-up (the capture coalesces ``frame_available`` on this)."""
        self.taken.clear()
        dropped = True
        for box in self.boxes:
            dropped = box.store(item) and dropped
        return dropped

    def wait_taken(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for any slot to take a frame since the last ``put``."""
        return self.taken.wait(timeout)

    def clear(self) -> None:
        for box in self.boxes:
            box.clear()


class LivePipeline(QObject):
    """Wires a source's CaptureWorker and the InferenceWorker through one Latest mailbox.

    Signals:
        prediction_ready(object): a Prediction for a live frame, from the model that is open now in
            the first slot (results of a replaced model are dropped). Emitted in this object's
            thread: as each result arrives, or in drain mode (``drain=True``, for windows) from ``drain()``.
        slot_prediction_ready(str, object): the same, for every slot (slot name, Prediction).
        source_opened(str): the source opened (or re-opened after a fault); its description.
        source_status(str): one sentence: stalled, reconnecting, reconnected.
        source_failed(str): one sentence: the source could not be opened or gave up.
        source_ended(str): a finite source ran out (end of video).
        inference_failed(str): one sentence: live frames cannot be inferred (e.g. not an image model).
        flushed(): every frame handed to the worker so far has been handled (see ``flush``).
    """

    prediction_ready = Signal(object)
    slot_prediction_ready = Signal(str, object)
    source_opened = Signal(str)
    source_status = Signal(str)
    source_failed = Signal(str)
    source_ended = Signal(str)
    inference_failed = Signal(str)
    flushed = Signal()

    def __init__(self, controller: InferenceController, *, top_k: int = 5, stall_timeout: float = 3.0,
                 backoff: tuple[float, ...] | None = None, drain: bool = False,
                 slots: Sequence[str] = (MAIN,), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.top_k = int(top_k)
        self.stall_timeout = stall_timeout
        self.backoff = backoff
        self.slots = tuple(slots) or (MAIN,)
        self.mailboxes: dict[str, Latest[Frame]] = {slot: Latest() for slot in self.slots}
        self.mailbox = self.mailboxes[self.slots[0]]  # the first slot's: its figures are this pipeline's
        self.capture: CaptureWorker | None = None
        self.frames_inferred = 0
        self.frames_read_before = 0  # frames read by captures that were replaced
        self.last: Prediction | None = None
        self.last_received_ts = 0.0
        self._infer_times = np.zeros(32, dtype=np.float64)
        self._n_infer = 0
        self._attached = False
        worker = controller.worker
        qc = Qt.ConnectionType.QueuedConnection
        self.draining = bool(drain)
        self._pending: deque[tuple[Prediction, int, str]] = deque(maxlen=DRAIN_MAX)
        self._pending_lock = threading.Lock()
        if self.draining:
            # A window: results are parked by the inference thread and taken by the display timer
            # (``drain``), so a model running at hundreds of frames per second costs the GUI thread
            # no queued event per result (each one would also wait for the GIL).
            worker.live_prediction_ready.connect(self._park, Qt.ConnectionType.DirectConnection)
        else:
            worker.live_prediction_ready.connect(self._on_prediction, qc)
        worker.live_failed.connect(self._on_inference_failed, qc)
        worker.live_flushed.connect(self._on_flushed, qc)

    # ---------------------------------------------------------------- sources
    def set_source(self, source: Any, **options: Any) -> CaptureWorker:
        """Start reading ``source`` (a Source, or text for ``sources.make_source`` with ``options``),
        replacing the current one. Bad text raises SourceError now; opening happens on the capture
        thread and reports through ``source_opened`` / ``source_failed``."""
        if isinstance(source, str):
            from livepredict.sources import make_source

            source = make_source(source, **options)
        self.stop_source()
        for box in self.mailboxes.values():
            box.clear()
        if not self._attached:
            self._attach(self.top_k)
            self._attached = True
        kw: dict[str, Any] = {"stall_timeout": self.stall_timeout}
        if self.backoff:
            kw["backoff"] = self.backoff
        box: Any = self.mailbox if len(self.slots) == 1 else FanOut(list(self.mailboxes.values()))
        cap = CaptureWorker(source, box, parent=self, **kw)
        cap.frame_available.connect(self.controller.worker.take_live_frame)
        cap.opened.connect(self.source_opened)
        cap.status_changed.connect(self.source_status)
        cap.failed.connect(self.source_failed)
        cap.ended.connect(self.source_ended)
        self.capture = cap
        cap.start()
        return cap

    def _attach(self, top_k: int | None) -> None:
        """Point each slot's live inference at its mailbox (``top_k`` None: detach)."""
        for slot, box in self.mailboxes.items():
            self.controller.attach_live(box if top_k is not None else None, top_k or self.top_k, slot)

    def stop_source(self, timeout: float = 0.5) -> bool:
        """Stop the current capture (never waits more than ``timeout`` for its thread)."""
        cap, self.capture = self.capture, None
        if cap is None:
            return True
        ended = cap.stop(timeout)
        self.frames_read_before += cap.frames_read
        cap.frame_available.disconnect(self.controller.worker.take_live_frame)
        cap.deleteLater()
        return ended

    def set_paused(self, paused: bool) -> None:
        if self.capture is not None:
            self.capture.set_paused(paused)

    def set_mirror(self, mirror: bool) -> None:
        if self.capture is not None:
            self.capture.set_mirror(mirror)

    def set_top_k(self, k: int) -> None:
        self.top_k = max(1, int(k))
        if self._attached:
            self._attach(self.top_k)

    def flush(self) -> None:
        """Ask the worker to report (``flushed``) once it has handled every frame posted so far."""
        self.controller.live_flush_requested.emit()

    def close(self, timeout: float = 0.5) -> None:
        """Stop the source and detach the worker from the mailbox (the controller stays open)."""
        self.stop_source(timeout)
        if self._attached:
            self._attach(None)
            self._attached = False

    # ---------------------------------------------------------------- figures
    @property
    def frames_read(self) -> int:
        return self.frames_read_before + (self.capture.frames_read if self.capture else 0)

    @property
    def frames_dropped(self) -> int:
        """Frames overwritten in the first slot's mailbox before the worker was free, plus frames
        taken while no image model was open in that slot."""
        return self.mailbox.dropped_count + int(self.controller.worker.live.skipped_in.get(self.slots[0], 0))

    def dropped(self, slot: str) -> int:
        """Frames ``slot`` had no time for (overwritten in its own mailbox)."""
        return self.mailboxes[slot].dropped_count

    def latest_frame(self) -> Frame | None:
        return self.capture.latest_frame if self.capture is not None else None

    def capture_fps(self) -> float:
        return self.capture.capture_fps() if self.capture is not None else 0.0

    def inference_fps(self) -> float:
        n = min(self._n_infer, len(self._infer_times))
        if n < 2:
            return 0.0
        ts = self._infer_times[:n]
        newest, oldest = float(ts.max()), float(ts.min())
        if time.monotonic() - newest > 2.0 or newest <= oldest:
            return 0.0
        return (n - 1) / (newest - oldest)

    def reset_figures(self) -> None:
        self._n_infer = 0
        self.last = None

    # ---------------------------------------------------------------- results
    def _park(self, pred: Prediction, load_id: int, slot: str = MAIN) -> None:
        """Runs in the inference thread (direct connection): park the result, nothing else."""
        with self._pending_lock:
            self._pending.append((pred, load_id, slot))

    def drain(self) -> int:
        """Take the parked results (drain mode) and emit ``prediction_ready`` for each, in this
        thread; call it from a display timer. Returns how many were delivered."""
        with self._pending_lock:
            items = list(self._pending)
            self._pending.clear()
        for pred, load_id, slot in items:
            self._on_prediction(pred, load_id, slot)
        return len(items)

    @Slot(object, int, str)
    def _on_prediction(self, pred: Prediction, load_id: int, slot: str = MAIN) -> None:
        if slot not in self.mailboxes or load_id != self.controller.active_load_id_of(slot):
            return  # a result of the model that was just replaced (or of a slot we do not watch)
        self.slot_prediction_ready.emit(slot, pred)
        if slot != self.slots[0]:
            return
        self.last_received_ts = time.monotonic()
        self.frames_inferred += 1
        self.last = pred
        self._infer_times[self._n_infer % len(self._infer_times)] = pred.infer_end_ts
        self._n_infer += 1
        self.prediction_ready.emit(pred)

    @Slot(str, str)
    def _on_inference_failed(self, message: str, slot: str = MAIN) -> None:
        if slot in self.mailboxes:
            self.inference_failed.emit(message)

    @Slot()
    def _on_flushed(self) -> None:
        self.flushed.emit()
