"""The headless ``livepredict live`` command (and ``serve --source``): the live pipeline without a window.

It sits above ``threads`` (like ``cli`` and ``app``): it runs a ``QCoreApplication`` event loop in
the main thread, opens the model through an ``InferenceController``, feeds a ``LivePipeline`` from
the source and returns a JSON summary (``SUMMARY_KEYS``); ``--trace`` writes one CSV row per frame.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QTimer, Slot

from livepredict.commands.common import print_json, status_printer
from livepredict.core.errors import LivePredictError, SourceError, UnsupportedModelError
from livepredict.core.outfile import CsvRows
from livepredict.core.results import BOX_COLUMNS, csv_rows, summary_text
from livepredict.core.types import IMAGE_TASKS, Detections, ModelInfo, Prediction
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.payloads import LoadFailed, ModelLoaded
from livepredict.threads.feed_bridge import FeedController
from livepredict.threads.pipeline import LivePipeline
from livepredict.threads.stop_signals import StopSignals

TRACE_COLUMNS = ("frame", "capture_ts", "infer_start_ts", "infer_end_ts", "label", "score")
SUMMARY_KEYS = ("frames_read", "frames_inferred", "frames_dropped", "inference_fps", "preprocess_ms_p50",
                "infer_ms_p50", "latency_ms_p50", "latency_ms_p95")


def percentile(values, q: float) -> float | None:
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def _r(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else round(v, 3)


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


class _Recorder:
    """The figures of one run: per-frame times, the trace file, the end reason."""

    def __init__(self, frames: int | None, trace: str | Path | None,
                 on_prediction: Callable[[Prediction, float], None] | None, waiter: _Waiter) -> None:
        self.frames, self.on_prediction, self.waiter = frames, on_prediction, waiter
        self.rows: list[tuple[int, float, float, float, str, float]] = []
        self.pre_ms: list[float] = []
        self.inf_ms: list[float] = []
        self.lat_ms: list[float] = []
        self.end: str | None = None
        self.error = ""
        self.flushed = False
        # rows reach a temporary file as they are made; it becomes the trace file when the run ends,
        # is stopped or fails (core.outfile), so an interrupted run keeps its rows
        self.writer: CsvRows | None = CsvRows(trace) if trace is not None else None
        self._header = False  # written with the first row: a detector's trace has box columns
        self.detections: dict[str, int] | None = None  # a detector's boxes per label over the run

    def close(self) -> None:
        if self.writer is not None:
            if not self._header:
                self.writer.row(TRACE_COLUMNS)
            self.writer.close()

    def _trace(self, pred: Prediction) -> None:
        assert self.writer is not None
        boxes = isinstance(pred.result, Detections)
        if not self._header:
            self.writer.row(TRACE_COLUMNS + (BOX_COLUMNS if boxes else ()))
            self._header = True
        times = (pred.frame_index, f"{pred.capture_ts:.6f}", f"{pred.infer_start_ts:.6f}", f"{pred.infer_end_ts:.6f}")
        for row in (csv_rows(pred.result) or []) if boxes else [[pred.label, f"{pred.score:.6f}"]]:
            self.writer.row((*times, *row))  # a detector: one row per detection (one empty row for none)

    def finish(self, why: str, error: str = "") -> None:
        if error:
            self.error = error
        self.end = self.end or why
        self.waiter.poke()

    def record(self, pred: Prediction, received_ts: float) -> None:
        if self.frames is not None and len(self.lat_ms) >= self.frames:
            return
        latency = (received_ts - pred.capture_ts) * 1000.0
        self.pre_ms.append(pred.preprocess_ms)
        self.inf_ms.append(pred.infer_ms)
        self.lat_ms.append(latency)
        self.rows.append((pred.frame_index, pred.capture_ts, pred.infer_start_ts, pred.infer_end_ts, pred.label,
                          pred.score))
        if isinstance(pred.result, Detections):
            self.detections = self.detections or {}
            for label, count in pred.result.counts().items():
                self.detections[label] = self.detections.get(label, 0) + count
        if self.writer is not None:
            self._trace(pred)
        if self.on_prediction is not None:
            self.on_prediction(pred, latency)
        if self.frames is not None and len(self.lat_ms) >= self.frames:
            self.finish("frames")

    def summary(self, frames_read: int) -> dict[str, Any]:
        n = len(self.lat_ms)
        fps = 0.0
        if n >= 2:
            span = self.rows[-1][3] - self.rows[0][2]
            fps = n / span if span > 0 else 0.0
        return {
            "frames_read": int(frames_read),
            "frames_inferred": int(n),
            "frames_dropped": int(max(0, frames_read - n)),
            "inference_fps": round(fps, 3),
            "preprocess_ms_p50": _r(percentile(self.pre_ms, 50)),
            "infer_ms_p50": _r(percentile(self.inf_ms, 50)),
            "latency_ms_p50": _r(percentile(self.lat_ms, 50)),
            "latency_ms_p95": _r(percentile(self.lat_ms, 95)),
            **({"detections": dict(self.detections)} if self.detections is not None else {}),
        }


def _open(controller: InferenceController, waiter: _Waiter, model: str | Path, trust: bool,
          load_timeout: float, stop: StopSignals) -> ModelInfo:
    """Open ``model`` and wait for it; its info, or a LivePredictError (one sentence)."""
    got: dict[str, Any] = {}

    def on_loaded(loaded: ModelLoaded) -> None:
        got["loaded"] = loaded
        waiter.poke()

    def on_failed(failed: LoadFailed) -> None:
        got["failed"] = failed
        waiter.poke()

    controller.model_loaded.connect(on_loaded)
    controller.load_failed.connect(on_failed)
    controller.open_model(str(model), trust=trust)
    waiter.wait(lambda: bool(got) or bool(stop.signalled), timeout=load_timeout)
    if stop.signalled and not got:
        raise KeyboardInterrupt  # stopped while the model was opening: nothing ran yet
    if "failed" in got:
        f: LoadFailed = got["failed"]
        if f.needs_trust:
            raise LivePredictError(f"{f.message} Run again with --trust if you trust this model.")
        raise LivePredictError(f.message, f.details)
    if "loaded" not in got:
        raise LivePredictError(f"Opening {model} took longer than {load_timeout:.0f} s; try again.")
    info = got["loaded"].info
    if info.task not in IMAGE_TASKS or info.preprocess is None:
        raise UnsupportedModelError(f"{Path(model).name} is a {info.task}, not an image classifier; live "
                                    "mode needs a model that takes images.")
    return info


def _connect(pipeline: LivePipeline, rec: _Recorder, status: Callable[[str], None]) -> None:
    def source_ended(message: str) -> None:
        status(message)
        rec.finish("ended")

    def flushed() -> None:
        rec.flushed = True
        rec.waiter.poke()

    pipeline.prediction_ready.connect(lambda pred: rec.record(pred, pipeline.last_received_ts))
    pipeline.source_failed.connect(lambda message: rec.finish("failed", message))
    pipeline.source_ended.connect(source_ended)
    pipeline.source_status.connect(status)
    pipeline.inference_failed.connect(lambda message: rec.finish("inference", message))
    pipeline.flushed.connect(flushed)


def _stream(pipeline: LivePipeline, src: Any, rec: _Recorder) -> None:
    """Run ``src`` through the pipeline until the run ends; raises if the source or inference failed."""
    pipeline.set_source(src)
    rec.waiter.wait(lambda: rec.end is not None)
    pipeline.stop_source(timeout=1.0)
    if rec.end in ("ended", "frames", "interrupted"):
        # Let the worker finish the frame it holds and the last one waiting in the mailbox.
        pipeline.flush()
        rec.waiter.wait(lambda: rec.flushed, timeout=30.0)
    if rec.end == "failed":
        raise SourceError(rec.error)
    if rec.end == "inference" and not rec.lat_ms:
        raise LivePredictError(rec.error)


def run_live(model: str | Path, source: str, *, frames: int | None = None, unthrottled: bool = False,
             trace: str | Path | None = None, trust: bool = False, top_k: int = 5, loop: bool = False,
             on_prediction: Callable[[Prediction, float], None] | None = None,
             on_status: Callable[[str], None] | None = None, load_timeout: float = 600.0,
             on_started: Callable[[InferenceController, Any], None] | None = None) -> dict[str, Any]:
    """Run the live pipeline without a window; returns the JSON summary (``SUMMARY_KEYS``).

    Stops after ``frames`` inferred frames, at the end of a finite source, or on Ctrl+C or SIGTERM. Raises a
    LivePredictError (one sentence) if the model or the source cannot be opened. ``latency`` is
    capture → result delivered to this thread; ``on_prediction(pred, latency_ms)`` sees each one.
    ``on_started(controller, info)`` runs once the model is open, before the source opens (``serve``
    attaches the feed there).
    """
    from livepredict.sources import make_source

    if frames is not None and frames <= 0:
        raise LivePredictError("--frames must be a positive number of frames.")
    src = make_source(source, throttle=not unthrottled, loop=loop)  # bad text fails before the model loads
    app = QCoreApplication.instance() or QCoreApplication([])
    controller = InferenceController()
    waiter = _Waiter()
    pipeline: LivePipeline | None = None
    rec: _Recorder | None = None

    def status(text: str) -> None:
        if on_status:
            on_status(text)

    def on_stop() -> None:  # SIGINT/SIGTERM: end the recording cleanly (summary, trace kept, exit 0)
        if rec is not None:
            rec.finish("interrupted")
        waiter.poke()

    stop = StopSignals(on_stop).install()
    try:
        rec = _Recorder(frames, trace, on_prediction, waiter)
        controller.status_changed.connect(status)
        info = _open(controller, waiter, model, trust, load_timeout, stop)
        pipeline = LivePipeline(controller, top_k=top_k)
        if on_started is not None:
            on_started(controller, info)
        _connect(pipeline, rec, status)
        _stream(pipeline, src, rec)
        return rec.summary(pipeline.frames_read)
    finally:
        stop.restore()
        if pipeline is not None:
            pipeline.close(timeout=1.0)
        controller.shutdown(3000)
        if rec is not None:
            rec.close()
        del app


def serve_live(model: str | Path, source: str, feed: Any, *, frames: int | None = None, trust: bool = False,
               on_status: Callable[[str], None] | None = None,
               on_ready: Callable[[str], None] | None = None) -> dict[str, Any]:
    """``livepredict serve MODEL --source SRC``: the headless live pipeline, every prediction
    published by the inference worker and classify requests answered by it; ``feed`` starts once
    the model is ready (then ``on_ready(model name)``). A finite source loops unless ``frames`` is
    given. Returns ``run_live``'s summary."""
    bridge: list[FeedController] = []

    def on_started(controller: InferenceController, info: Any) -> None:  # model loaded, source not open yet
        ctl = FeedController()
        ctl.attach(controller)
        name = info.name or Path(model).stem
        feed.set_model(name, info.labels)
        ctl.adopt(feed)
        feed.start()
        bridge.append(ctl)
        if on_ready is not None:
            on_ready(name)

    def status(text: str) -> None:
        if on_status is not None:
            on_status(text)
        feed.publish_status("running", text, source=source)

    try:
        return run_live(model, source, frames=frames, trust=trust, loop=frames is None, on_status=status,
                        on_started=on_started)
    finally:
        feed.set_classify_handler(None)


def cmd_live(args: argparse.Namespace) -> int:
    """The live pipeline without a window: one line per inferred frame (or a JSON summary)."""
    import logging


    if not args.debug and not logging.getLogger().handlers:
        logging.getLogger("livepredict").addHandler(logging.NullHandler())  # failures are raised, once

    def show(pred, latency_ms: float) -> None:
        if (summary := summary_text(pred.result)) is not None:  # a detector's or segmenter's frame
            print(f"frame {pred.frame_index:6d}  {summary}  preprocess {pred.preprocess_ms:6.2f} ms  inference "
                  f"{pred.infer_ms:6.2f} ms  latency {latency_ms:7.1f} ms", flush=True)
            return
        print(f"frame {pred.frame_index:6d}  {pred.label:<20} {pred.score:6.3f}  preprocess "
              f"{pred.preprocess_ms:6.2f} ms  inference {pred.infer_ms:6.2f} ms  latency {latency_ms:7.1f} ms",
              flush=True)

    summary = run_live(args.model, args.source, frames=args.frames, unthrottled=args.unthrottled,
                       trace=args.trace, trust=args.trust, on_prediction=None if args.json else show,
                       on_status=status_printer())
    if args.json:
        print_json({k: summary[k] for k in (*SUMMARY_KEYS, "detections") if k in summary})
    else:
        def fmt(v, unit=" ms"):
            return "n/a" if v is None else f"{v:.2f}{unit}"

        print(f"{summary['frames_inferred']} of {summary['frames_read']} frames inferred "
              f"({summary['frames_dropped']} dropped), {summary['inference_fps']:.1f} inferences/s; preprocess "
              f"{fmt(summary['preprocess_ms_p50'])}, inference {fmt(summary['infer_ms_p50'])}, latency p50 "
              f"{fmt(summary['latency_ms_p50'])}, p95 {fmt(summary['latency_ms_p95'])}.")
    return 0

