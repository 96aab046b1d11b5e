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
source while running. ``run_live`` is the headless command's engine.
"""

from __future__ import annotations

import csv
import logging
import math
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QTimer, Signal, Slot

from livepredict.core.errors import LivePredictError, SourceError, UnsupportedModelError
from livepredict.core.latest import Latest
from livepredict.core.types import CAMERA_RESOLUTIONS, CameraInfo, Frame, Prediction, Task
from livepredict.threads.capture_worker import CaptureWorker
from livepredict.threads.inference_worker import InferenceController, LoadFailed, ModelLoaded

log = logging.getLogger(__name__)

TRACE_COLUMNS = ("frame", "capture_ts", "infer_start_ts", "infer_end_ts", "label", "score")
SUMMARY_KEYS = ("frames_read", "frames_inferred", "frames_dropped", "inference_fps", "preprocess_ms_p50",
                "infer_ms_p50", "latency_ms_p50", "latency_ms_p95")
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


def percentile(values, q: float) -> float | None:
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


class LivePipeline(QObject):
    """Wires a source's CaptureWorker and the InferenceWorker through one Latest mailbox.

    Signals:
        prediction_ready(object): a Prediction for a live frame, from the model that is open now
            (results of a replaced model are dropped). Emitted in this object's thread: as each
            result arrives, or in drain mode (``drain=True``, for windows) from ``drain()``.
        source_opened(str): the source opened (or re-opened after a fault); its description.
        source_status(str): one sentence: stalled, reconnecting, reconnected.
        source_failed(str): one sentence: the source could not be opened or gave up.
        source_ended(str): a finite source ran out (end of video).
        inference_failed(str): one sentence: live frames cannot be inferred (e.g. not an image model).
        flushed(): every frame handed to the worker so far has been handled (see ``flush``).
    """

    prediction_ready = Signal(object)
    source_opened = Signal(str)
    source_status = Signal(str)
    source_failed = Signal(str)
    source_ended = Signal(str)
    inference_failed = Signal(str)
    flushed = Signal()

    def __init__(self, controller: InferenceController, *, top_k: int = 5, stall_timeout: float = 3.0,
                 backoff: tuple[float, ...] | None = None, drain: bool = False,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.top_k = int(top_k)
        self.stall_timeout = stall_timeout
        self.backoff = backoff
        self.mailbox: Latest[Frame] = Latest()
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
        self._pending: deque[tuple[Prediction, int]] = deque(maxlen=DRAIN_MAX)
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
        self.mailbox.clear()
        if not self._attached:
            self.controller.attach_live(self.mailbox, self.top_k)
            self._attached = True
        kw: dict[str, Any] = {"stall_timeout": self.stall_timeout}
        if self.backoff:
            kw["backoff"] = self.backoff
        cap = CaptureWorker(source, self.mailbox, parent=self, **kw)
        cap.frame_available.connect(self.controller.worker.take_live_frame)
        cap.opened.connect(self.source_opened)
        cap.status_changed.connect(self.source_status)
        cap.failed.connect(self.source_failed)
        cap.ended.connect(self.source_ended)
        self.capture = cap
        cap.start()
        return cap

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
            self.controller.attach_live(self.mailbox, self.top_k)

    def flush(self) -> None:
        """Ask the worker to report (``flushed``) once it has handled every frame posted so far."""
        self.controller.live_flush_requested.emit()

    def close(self, timeout: float = 0.5) -> None:
        """Stop the source and detach the worker from the mailbox (the controller stays open)."""
        self.stop_source(timeout)
        if self._attached:
            self.controller.attach_live(None, self.top_k)
            self._attached = False

    # ---------------------------------------------------------------- figures
    @property
    def frames_read(self) -> int:
        return self.frames_read_before + (self.capture.frames_read if self.capture else 0)

    @property
    def frames_dropped(self) -> int:
        """Frames overwritten in the mailbox before the worker was free, plus frames taken while no
        image model was open."""
        return self.mailbox.dropped_count + int(self.controller.worker.live_skipped)

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
    def _park(self, pred: Prediction, generation: int) -> None:
        """Runs in the inference thread (direct connection): park the result, nothing else."""
        with self._pending_lock:
            self._pending.append((pred, generation))

    def drain(self) -> int:
        """Take the parked results (drain mode) and emit ``prediction_ready`` for each, in this
        thread; call it from a display timer. Returns how many were delivered."""
        with self._pending_lock:
            items = list(self._pending)
            self._pending.clear()
        for pred, generation in items:
            self._on_prediction(pred, generation)
        return len(items)

    @Slot(object, int)
    def _on_prediction(self, pred: Prediction, generation: int) -> None:
        if generation != self.controller.active_generation:
            return  # a result of the model that was just replaced
        self.last_received_ts = time.monotonic()
        self.frames_inferred += 1
        self.last = pred
        self._infer_times[self._n_infer % len(self._infer_times)] = pred.infer_end_ts
        self._n_infer += 1
        self.prediction_ready.emit(pred)

    @Slot(str)
    def _on_inference_failed(self, message: str) -> None:
        self.inference_failed.emit(message)

    @Slot()
    def _on_flushed(self) -> None:
        self.flushed.emit()


# ------------------------------------------------------------------ headless (livepredict live)

class _Waiter(QObject):
    """Runs a nested event loop until ``done`` (checked on every event and every 50 ms)."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = QEventLoop()
        self.timer = QTimer(self)
        self.timer.setInterval(50)  # lets Python handle Ctrl+C while Qt runs the loop
        self.timer.timeout.connect(self._tick)
        self.check: Callable[[], bool] = lambda: False

    @Slot()
    def _tick(self) -> None:
        if self.check():
            self.loop.quit()

    def wait(self, check: Callable[[], bool], timeout: float | None = None) -> bool:
        self.check = check
        deadline = None if timeout is None else time.monotonic() + timeout
        if check():
            return True
        if deadline is not None:
            inner = check
            self.check = lambda: inner() or time.monotonic() > deadline
        self.timer.start()
        self.loop.exec()
        self.timer.stop()
        return check()

    def poke(self) -> None:
        """Re-check now (call from slots that change what ``check`` looks at)."""
        if self.loop.isRunning() and self.check():
            self.loop.quit()


def run_live(model: str | Path, source: str, *, frames: int | None = None, unthrottled: bool = False,
             trace: str | Path | None = None, trust: bool = False, top_k: int = 5, loop: bool = False,
             on_prediction: Callable[[Prediction, float], None] | None = None,
             on_status: Callable[[str], None] | None = None, load_timeout: float = 600.0,
             on_started: Callable[[InferenceController, Any], None] | None = None) -> dict[str, Any]:
    """Run the live pipeline without a window; returns the JSON summary (``SUMMARY_KEYS``).

    Stops after ``frames`` inferred frames, at the end of a finite source, or on Ctrl+C. Raises a
    LivePredictError (one sentence) if the model or the source cannot be opened. ``latency`` is
    capture → result delivered to this thread; ``on_prediction(pred, latency_ms)`` sees each one.
    """
    from livepredict.sources import make_source

    if frames is not None and frames <= 0:
        raise LivePredictError("--frames must be a positive number of frames.")
    src = make_source(source, throttle=not unthrottled, loop=loop)  # bad text fails before the model loads
    app = QCoreApplication.instance() or QCoreApplication([])
    controller = InferenceController()
    waiter = _Waiter()
    state: dict[str, Any] = {"loaded": None, "failed": None, "end": None, "error": None, "flushed": False,
                             "interrupted": False}
    rows: list[tuple[int, float, float, float, str, float]] = []
    pre_ms: list[float] = []
    inf_ms: list[float] = []
    lat_ms: list[float] = []
    trace_file = None
    writer = None
    pipeline: LivePipeline | None = None
    previous_sigint = None

    def on_loaded(loaded: ModelLoaded) -> None:
        state["loaded"] = loaded
        waiter.poke()

    def on_failed(failed: LoadFailed) -> None:
        state["failed"] = failed
        waiter.poke()

    def status(text: str) -> None:
        if on_status:
            on_status(text)

    try:
        if trace is not None:
            try:
                trace_file = open(trace, "w", newline="", encoding="utf-8")  # noqa: SIM115
            except OSError as e:
                raise LivePredictError(f"Cannot write the trace file {trace} ({e.strerror}); pick another "
                                       "path.") from None
            writer = csv.writer(trace_file)
            writer.writerow(TRACE_COLUMNS)

        controller.model_loaded.connect(on_loaded)
        controller.load_failed.connect(on_failed)
        controller.status_changed.connect(status)
        controller.open_model(str(model), trust=trust)
        waiter.wait(lambda: state["loaded"] is not None or state["failed"] is not None, timeout=load_timeout)
        if state["failed"] is not None:
            f: LoadFailed = state["failed"]
            if f.needs_trust:
                raise LivePredictError(f"{f.message} Run again with --trust if you trust this model.")
            raise LivePredictError(f.message, f.details)
        if state["loaded"] is None:
            raise LivePredictError(f"Opening {model} took longer than {load_timeout:.0f} s; try again.")
        info = state["loaded"].info
        if info.task != Task.IMAGE_CLASSIFIER or info.preprocess is None:
            raise UnsupportedModelError(f"{Path(model).name} is a {info.task}, not an image classifier; live "
                                        "mode needs a model that takes images.")

        pipeline = LivePipeline(controller, top_k=top_k)
        if on_started is not None:  # e.g. `livepredict serve` attaches the feed: on_started(controller, info)
            on_started(controller, info)

        user_cb = on_prediction

        def record(pred: Prediction) -> None:
            if frames is not None and len(lat_ms) >= frames:
                return
            latency = (pipeline.last_received_ts - pred.capture_ts) * 1000.0
            pre_ms.append(pred.preprocess_ms)
            inf_ms.append(pred.infer_ms)
            lat_ms.append(latency)
            rows.append((pred.frame_index, pred.capture_ts, pred.infer_start_ts, pred.infer_end_ts, pred.label,
                         pred.score))
            if writer is not None:
                writer.writerow((pred.frame_index, f"{pred.capture_ts:.6f}", f"{pred.infer_start_ts:.6f}",
                                 f"{pred.infer_end_ts:.6f}", pred.label, f"{pred.score:.6f}"))
            if user_cb is not None:
                user_cb(pred, latency)
            if frames is not None and len(lat_ms) >= frames:
                state["end"] = state["end"] or "frames"
                waiter.poke()

        def source_failed(message: str) -> None:
            state["error"] = message
            state["end"] = state["end"] or "failed"
            waiter.poke()

        def source_ended(message: str) -> None:
            status(message)
            state["end"] = state["end"] or "ended"
            waiter.poke()

        def inference_failed(message: str) -> None:
            state["error"] = message
            state["end"] = state["end"] or "inference"
            waiter.poke()

        pipeline.prediction_ready.connect(record)
        pipeline.source_failed.connect(source_failed)
        pipeline.source_ended.connect(source_ended)
        pipeline.source_status.connect(status)
        pipeline.inference_failed.connect(inference_failed)
        pipeline.flushed.connect(lambda: (state.__setitem__("flushed", True), waiter.poke()))

        def sigint(_signum, _frame) -> None:
            state["interrupted"] = True
            state["end"] = state["end"] or "interrupted"

        if threading.current_thread() is threading.main_thread():
            previous_sigint = signal.signal(signal.SIGINT, sigint)

        pipeline.set_source(src)
        waiter.wait(lambda: state["end"] is not None)
        pipeline.stop_source(timeout=1.0)
        if state["end"] in ("ended", "frames", "interrupted"):
            # Let the worker finish the frame it holds and the last one waiting in the mailbox.
            pipeline.flush()
            waiter.wait(lambda: state["flushed"], timeout=30.0)
        if state["end"] == "failed" or (state["end"] == "inference" and not lat_ms):
            raise (SourceError if state["end"] == "failed" else LivePredictError)(state["error"])
        n = len(lat_ms)
        read = pipeline.frames_read
        if n >= 2:
            span = rows[-1][3] - rows[0][2]
            fps = n / span if span > 0 else 0.0
        else:
            fps = 0.0
        summary: dict[str, Any] = {
            "frames_read": int(read),
            "frames_inferred": int(n),
            "frames_dropped": int(max(0, read - n)),
            "inference_fps": round(fps, 3),
            "preprocess_ms_p50": _r(percentile(pre_ms, 50)),
            "infer_ms_p50": _r(percentile(inf_ms, 50)),
            "latency_ms_p50": _r(percentile(lat_ms, 50)),
            "latency_ms_p95": _r(percentile(lat_ms, 95)),
        }
        return summary
    finally:
        if previous_sigint is not None:
            signal.signal(signal.SIGINT, previous_sigint)
        if pipeline is not None:
            pipeline.close(timeout=1.0)
        controller.shutdown(3000)
        if trace_file is not None:
            trace_file.close()
        del app


def _r(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else round(v, 3)
