"""One capture thread per source, writing frames into a single-slot mailbox (DESIGN §1, §6).

The capture loop runs on a plain *daemon* thread rather than a QThread on purpose:
``cv2.VideoCapture.read()`` can block forever on a dead device, and a thread stuck there must be
abandonable. A QThread that never finishes aborts the process at exit ("QThread: Destroyed while
thread is still running"); a daemon thread does not. The controller (this QObject) lives in the
thread that created it (the GUI thread, or the main thread of the headless command) and never
joins the capture thread without a timeout.

Frames never travel as signal payloads: the loop overwrites ``mailbox`` (a ``core.latest.Latest``)
and emits the payload-free ``frame_available``. The signal is coalesced: it is emitted when a frame
lands in an *empty* slot (a frame already waiting means a wake-up is already on its way), plus a
heart-beat every 0.25 s so a consumer that forgot to ``take()`` cannot stall the pipeline.

A watchdog timer notices a read (or open) that blocks for longer than ``stall_timeout``; a read
that fails raises ``SourceLost``. Either way the UI is told in one sentence and a fresh
``source.clone()`` is opened on a new thread after a back-off (0.5, 1, 2, 4, 8 s by default). A
thread abandoned mid-read closes its own source if the read ever returns.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from livepredict.core.errors import SourceError
from livepredict.core.latest import Latest
from livepredict.core.types import Frame
from livepredict.sources.base import EndOfStream, Source, SourceLost

log = logging.getLogger(__name__)

DEFAULT_BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)
PACED_WAIT_S = 0.05  # an unthrottled file waits at most this long for a slot to take its last frame
CAPTURE_NICE = 5  # a capture thread not paced by its slots (a camera, a throttled file) gives way to the GUI


def lower_thread_priority(nice: int) -> None:
    """Lower the OS priority of the calling thread only (Linux threads have their own ids)."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError:
        pass


class CaptureWorker(QObject):
    """Reads ``source`` on its own thread into ``mailbox``.

    Signals:
        frame_available(): a frame is waiting in the mailbox (no payload; coalesced).
        opened(str): the source opened (again, after a reconnection); carries its description.
        status_changed(str): one sentence for a status line: a stall, a reconnection attempt, a
            successful reconnection.
        failed(str): one sentence; the source could not be opened or stopped for good. The
            worker has stopped.
        ended(str): a finite source (video without loop) ran out. The worker has stopped.
        stopped(): emitted once when the worker stops for any reason (failed, ended, stop()).

    Counters (read them from any thread): ``frames_read``, ``frames_dropped`` (frames this worker
    overwrote before anyone took them), ``reconnects``, ``stalls``; ``capture_fps()``;
    ``latest_frame`` (the newest Frame, for display; never mutated).
    """

    frame_available = Signal()
    opened = Signal(str)
    status_changed = Signal(str)
    failed = Signal(str)
    ended = Signal(str)
    stopped = Signal()

    # thread → controller (queued; the int is the generation of the reporting thread)
    _thread_opened = Signal(int, str)
    _thread_failed = Signal(int, str, bool, bool)  # gen, message, was_open, retryable
    _thread_ended = Signal(int, str)

    def __init__(self, source: Source, mailbox: Latest[Frame] | None = None, *,
                 stall_timeout: float = 3.0, open_timeout: float = 12.0,
                 backoff: tuple[float, ...] = DEFAULT_BACKOFF, max_attempts: int | None = None,
                 reconnect: bool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.mailbox: Latest[Frame] = mailbox if mailbox is not None else Latest()
        self.stall_timeout = float(stall_timeout)
        self.open_timeout = float(open_timeout)
        self.backoff = tuple(backoff) or DEFAULT_BACKOFF
        self.max_attempts = max_attempts
        # Reconnect after a fault by default for live sources (cameras, streams) only.
        self.reconnect = source.is_live if reconnect is None else bool(reconnect)

        self.frames_read = 0
        self.frames_dropped = 0
        self.reconnects = 0
        self.stalls = 0
        self.latest_frame: Frame | None = None
        self.last_error: str = ""
        self.description = source.description

        self._gen = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._busy_since: float | None = None  # monotonic start of the open/read in progress
        self._busy_open = False
        self._attempt = 0
        self._slow_read_noted: float | None = None
        self.slow_reads = 0
        self._running = False
        self._last_emit = 0.0
        self._stamps = np.zeros(32, dtype=np.float64)
        self._nstamps = 0

        self._watchdog = QTimer(self)
        self._watchdog.setInterval(200)
        self._watchdog.timeout.connect(self._check_stall)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._reconnect_now)
        qc = Qt.ConnectionType.QueuedConnection
        self._thread_opened.connect(self._on_thread_opened, qc)
        self._thread_failed.connect(self._on_thread_failed, qc)
        self._thread_ended.connect(self._on_thread_ended, qc)

    # ---------------------------------------------------------------- control (owner thread)
    @property
    def running(self) -> bool:
        return self._running

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._stop.clear()
        self._attempt = 0
        self._spawn(self.source)
        self._watchdog.start()

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop capturing. Waits at most ``timeout`` s for the thread; returns True if it ended
        (a thread blocked in a driver call is abandoned: it is a daemon and closes its source if
        the call ever returns)."""
        return self._halt(timeout, announce=True)

    def _halt(self, timeout: float, announce: bool) -> bool:
        was_running = self._running
        self._running = False
        self._watchdog.stop()
        self._retry.stop()
        self._stop.set()
        self._resume.set()
        self._gen += 1
        self.source.interrupt()
        thread, self._thread = self._thread, None
        ended = True
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            ended = not thread.is_alive()
            if not ended:
                log.warning("capture thread for %s did not stop within %.1f s; abandoned",
                            self.description, timeout)
        if was_running and announce:
            self.stopped.emit()
        return ended

    def set_paused(self, paused: bool) -> None:
        """Pause reading (a video keeps its position; a camera is simply not read)."""
        if paused:
            self._resume.clear()
        else:
            self._resume.set()

    def set_mirror(self, mirror: bool) -> None:
        self.source.mirror = bool(mirror)  # read per frame by the source; clones inherit it

    def capture_fps(self) -> float:
        """Frames per second over the last ~32 reads (0 when nothing arrived for 2 s)."""
        n = min(self._nstamps, len(self._stamps))
        if n < 2:
            return 0.0
        ts = self._stamps[:n]
        newest, oldest = float(ts.max()), float(ts.min())
        if time.monotonic() - newest > 2.0 or newest <= oldest:
            return 0.0
        return (n - 1) / (newest - oldest)

    # ---------------------------------------------------------------- capture thread
    def _spawn(self, source: Source) -> None:
        self._gen += 1
        self.source = source
        self._busy_since = time.monotonic()
        self._busy_open = True
        t = threading.Thread(target=self._run, args=(self._gen, source), daemon=True,
                             name=f"capture-{source.kind}")
        self._thread = t
        t.start()

    def _run(self, gen: int, source: Source) -> None:
        was_open = False
        # A reader paced by its slots reads only frames they will take: at full priority, or the
        # inference thread finishes a round before the next frame is there and idles.
        lower_thread_priority(0 if source.paced_by_reader else CAPTURE_NICE)
        try:
            self._busy_since, self._busy_open = time.monotonic(), True
            source.open()
            was_open = True
            if gen != self._gen:
                return
            self._busy_since = None
            self._thread_opened.emit(gen, source.description)
            put, stamps = self.mailbox.put, self._stamps
            paced = source.paced_by_reader  # an unthrottled file waits for a slot to take its frame
            while not self._stop.is_set():
                if not self._resume.is_set():
                    self._resume.wait(0.1)
                    continue
                self._busy_since, self._busy_open = time.monotonic(), False
                frame = source.read()
                self._busy_since = None
                if gen != self._gen or self._stop.is_set():
                    break  # abandoned by the watchdog or stopped while reading
                self.frames_read += 1
                stamps[self._nstamps % len(stamps)] = frame.capture_ts
                self._nstamps += 1
                self.latest_frame = frame
                dropped = put(frame)
                if dropped:
                    self.frames_dropped += 1
                now = frame.capture_ts
                if not dropped or now - self._last_emit > 0.25:
                    self._last_emit = now
                    self.frame_available.emit()
                if dropped and paced:
                    self.mailbox.wait_taken(PACED_WAIT_S)
        except EndOfStream as e:
            if gen == self._gen:
                self._thread_ended.emit(gen, str(e))
        except SourceError as e:
            if gen == self._gen:
                self._thread_failed.emit(gen, str(e), was_open, isinstance(e, SourceLost) or was_open)
        except Exception as e:  # noqa: BLE001 - a capture thread must never die silently
            log.exception("capture thread crashed")
            if gen == self._gen:
                self._thread_failed.emit(
                    gen, f"Reading from {source.description} failed ({type(e).__name__}: {e}); try "
                    "opening it again.", was_open, False)
        finally:
            if gen == self._gen:
                self._busy_since = None
            source.close()

    # ---------------------------------------------------------------- controller slots
    def _current(self, gen: int) -> bool:
        return self._running and gen == self._gen

    @Slot(int, str)
    def _on_thread_opened(self, gen: int, description: str) -> None:
        if not self._current(gen):
            return
        self.description = description
        if self._attempt:
            self.status_changed.emit(f"Reconnected to {description}.")
        self._attempt = 0
        self.opened.emit(description)

    @Slot(int, str, bool, bool)
    def _on_thread_failed(self, gen: int, message: str, was_open: bool, retryable: bool) -> None:
        if not self._current(gen):
            return
        self.last_error = message
        if self.reconnect and (retryable or self._attempt > 0):
            self._schedule_reconnect(message)
        else:
            self._finish(self.failed, message)

    @Slot(int, str)
    def _on_thread_ended(self, gen: int, message: str) -> None:
        if self._current(gen):
            self._finish(self.ended, message)

    @Slot()
    def _check_stall(self) -> None:
        since = self._busy_since
        if since is None or not self._running:
            return
        limit = self.open_timeout if self._busy_open else self.stall_timeout
        fps = self.source.fps
        if fps and not self._busy_open:
            limit = max(limit, 2.5 / fps)  # a slow slideshow is not a stall
        waited = time.monotonic() - since
        if waited < limit:
            return
        if not self._busy_open and not self.source.is_live:
            # A file or folder read is never stuck for good: it is the machine being busy. Say so
            # once per slow read and keep waiting; abandoning it would end playback for nothing.
            if self._slow_read_noted != since:
                self._slow_read_noted = since
                self.slow_reads += 1
                self.status_changed.emit(f"{self.description} is reading slowly (nothing for "
                                         f"{waited:.1f} s); the machine may be busy. Still waiting.")
            return
        self.stalls += 1
        what = "did not open" if self._busy_open else "stopped responding"
        message = f"{self.description} {what} (nothing for {waited:.1f} s)."
        self.last_error = message
        # Abandon the blocked thread: it is a daemon and closes its source if the call returns.
        self._gen += 1
        self._busy_since = None
        self.source.interrupt()
        self._thread = None
        if self.reconnect or self.source.is_live:
            self._schedule_reconnect(message)
        else:
            self._finish(self.failed, message + " Open it again to retry.")

    def _schedule_reconnect(self, reason: str) -> None:
        self._attempt += 1
        if self.max_attempts is not None and self._attempt > self.max_attempts:
            self._finish(self.failed, f"{reason.rstrip('.')}; gave up after {self.max_attempts} "
                         "reconnection attempts.")
            return
        delay = self.backoff[min(self._attempt - 1, len(self.backoff) - 1)]
        self.status_changed.emit(f"{reason.rstrip('.')}; reconnecting in {delay:g} s "
                                 f"(attempt {self._attempt}).")
        self._retry.start(int(delay * 1000))

    @Slot()
    def _reconnect_now(self) -> None:
        if not self._running:
            return
        self.reconnects += 1
        self._spawn(self.source.clone())

    def _finish(self, signal, message: str) -> None:
        was_running = self._running
        self._halt(0.5, announce=False)
        signal.emit(message)
        if was_running:
            self.stopped.emit()
