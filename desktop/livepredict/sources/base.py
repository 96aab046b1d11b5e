"""The Source interface shared by cameras, video files, streams and image slideshows.

A ``Source`` hands out :class:`~livepredict.core.types.Frame` objects: RGB uint8 HxWx3, a running
index and a monotonic capture time. OpenCV delivers BGR: the conversion to RGB happens once, here
(:func:`bgr_to_rgb`), and nowhere else in the application.

Life cycle: ``open()`` (may block: a camera warming up, a stream connecting), ``read()`` repeatedly
(blocks until the next frame; a video file is paced at its own frame rate unless unthrottled),
``close()``. All three are called from the same thread (the capture thread owns the device);
``interrupt()`` is the only method meant to be called from another thread: it cuts a pacing wait
short so a stop request is honoured promptly. ``clone()`` makes a fresh, unopened source with the
same settings, which is how a capture worker reconnects after a fault.

Faults are :class:`SourceError` with one sentence (what failed and what to do).
:class:`EndOfStream` means a finite source ran out (not a fault); :class:`SourceLost` means a
source that was working stopped delivering frames (unplugged camera, dropped stream) and
reconnecting may help.
"""

from __future__ import annotations

import os
import threading
import time
from abc import ABC, abstractmethod
from typing import Any

# Quiet OpenCV's and FFmpeg's own console chatter (we report faults as one sentence instead).
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_VIDEOIO_DEBUG", "0")

import cv2  # noqa: E402  (environment above must be set before the import)
import numpy as np  # noqa: E402

from livepredict.core.errors import SourceError  # noqa: E402
from livepredict.core.types import Frame  # noqa: E402

try:  # pragma: no cover - depends on the OpenCV build
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
except Exception:  # noqa: BLE001
    pass

__all__ = ["EndOfStream", "Pacer", "Source", "SourceError", "SourceLost", "bgr_to_rgb"]


class EndOfStream(SourceError):
    """A finite source (video file, slideshow without loop) has no more frames. Not a fault."""


class SourceLost(SourceError):
    """A source that was delivering frames stopped (unplugged, stream dropped, read failed).

    Reconnecting (a fresh ``clone()``) may bring it back; capture workers retry with back-off.
    """


def bgr_to_rgb(image: np.ndarray, mirror: bool = False) -> np.ndarray:
    """The one place where OpenCV's BGR (or gray / BGRA) becomes RGB uint8 HxWx3.

    Always returns a new C-contiguous array (a frozen Frame must not share memory with a decoder
    buffer that the next read overwrites).
    """
    if image.dtype != np.uint8:
        if np.issubdtype(image.dtype, np.integer) and image.dtype.itemsize == 2:
            image = (image >> 8).astype(np.uint8)
        else:
            image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 1:
        rgb = cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    else:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if mirror:
        rgb = cv2.flip(rgb, 1)
    return rgb


class Pacer:
    """Hands out frames at ``fps``: ``wait()`` sleeps until the next frame is due.

    If the consumer falls behind by more than ``max_lag`` seconds the schedule restarts from now
    instead of bursting to catch up (a paused or slow reader must not cause a flood of frames).
    """

    def __init__(self, fps: float, max_lag: float = 0.25) -> None:
        self.period = 1.0 / fps if fps and fps > 0 else 0.0
        self.max_lag = max_lag
        self._next: float | None = None

    def reset(self) -> None:
        self._next = None

    def wait(self, interrupt: threading.Event) -> None:
        if self.period <= 0:
            return
        now = time.monotonic()
        if self._next is None or now - self._next > self.max_lag:
            self._next = now
        delay = self._next - now
        if delay > 0:
            interrupt.wait(delay)
        self._next += self.period


class Source(ABC):
    """A camera, video, stream or slideshow that produces RGB frames.

    Attributes every source has:
      ``kind``: "camera" | "video" | "stream" | "slideshow";
      ``is_live``: True when frames come from the world in real time (camera, live stream) —
        they cannot be paused or replayed and a fault is worth reconnecting;
      ``fps``: the nominal frame rate (None when unknown);
      ``description``: short human text, e.g. "Camera 0 (640x480)" or "shapes.avi";
      ``mirror``: flip frames left-right (may be toggled while running);
      ``frames_read``: frames returned by ``read()`` so far;
      ``paced_by_reader``: True when the next frame can wait for whoever consumes them (a file or a
        finite stream read unthrottled): the capture then decodes no frame only to drop it.
    """

    kind: str = "source"
    is_live: bool = False
    throttle: bool = True  # files and finite streams: paced at their own frame rate

    @property
    def paced_by_reader(self) -> bool:
        return not self.is_live and not self.throttle

    def __init__(self, *, mirror: bool = False, **params: Any) -> None:
        self._params: dict[str, Any] = dict(params, mirror=mirror)
        self.mirror = bool(mirror)
        self.frames_read = 0
        self._opened = False
        self._interrupt = threading.Event()

    # -- to implement ----------------------------------------------------------------------
    @abstractmethod
    def _open(self) -> None:
        """Acquire the device/file; raise SourceError with one sentence on failure."""

    @abstractmethod
    def _read_image(self) -> np.ndarray:
        """Return the next RGB uint8 image (already mirrored if asked); raise SourceError."""

    @abstractmethod
    def _close(self) -> None:
        """Release the device/file. Must not raise."""

    @property
    @abstractmethod
    def description(self) -> str: ...

    # -- public ----------------------------------------------------------------------------
    @property
    def fps(self) -> float | None:
        return None

    @property
    def is_open(self) -> bool:
        return self._opened

    def open(self) -> Source:
        """Open the source (idempotent). Returns self so ``src = make(...).open()`` reads well."""
        if not self._opened:
            self._interrupt.clear()
            self._open()
            self._opened = True
        return self

    def read(self) -> Frame:
        """Block until the next frame and return it (RGB uint8, fresh array)."""
        if not self._opened:
            self.open()
        image = self._read_image()
        frame = Frame(image=image, index=self.frames_read, capture_ts=time.monotonic(),
                      source=self.description)
        self.frames_read += 1
        return frame

    def close(self) -> None:
        if self._opened:
            self._opened = False
            try:
                self._close()
            except Exception:  # noqa: BLE001 - closing must never raise
                pass

    def interrupt(self) -> None:
        """Thread-safe: cut short a pacing wait (used when stopping). Does not close anything."""
        self._interrupt.set()

    def clone(self) -> Source:
        """A fresh, unopened source with the same settings (used to reconnect)."""
        params = dict(self._params)
        params["mirror"] = self.mirror
        return type(self)(**params)

    def frames(self):
        """Iterate frames until the source ends (EndOfStream); other faults propagate."""
        while True:
            try:
                yield self.read()
            except EndOfStream:
                return

    def __enter__(self) -> Source:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description!r}>"


class CvCaptureSource(Source):
    """Common code for everything read through ``cv2.VideoCapture`` (camera, file, stream).

    Real video files go through exactly this path too, which is how the tests exercise the code
    a camera uses on a machine without one.
    """

    def __init__(self, *, mirror: bool = False, **params: Any) -> None:
        super().__init__(mirror=mirror, **params)
        self._cap: cv2.VideoCapture | None = None
        self._pending: np.ndarray | None = None  # first frame read while probing in _open
        self._fps: float | None = None
        self._size: tuple[int, int] | None = None  # (width, height)

    @property
    def fps(self) -> float | None:
        return self._fps

    @property
    def size(self) -> tuple[int, int] | None:
        return self._size

    def _probe(self, cap: cv2.VideoCapture) -> bool:
        """Read one frame to prove the capture delivers; keep it for the first ``read()``."""
        ok, img = cap.read()
        if not ok or img is None or img.size == 0:
            return False
        self._pending = img
        self._size = (int(img.shape[1]), int(img.shape[0]))
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._fps = fps if np.isfinite(fps) and 0.5 <= fps <= 1000 else None
        return True

    def _grab_bgr(self) -> np.ndarray | None:
        if self._pending is not None:
            img, self._pending = self._pending, None
            return img
        assert self._cap is not None
        ok, img = self._cap.read()
        if not ok or img is None or img.size == 0:
            return None
        return img

    def _close(self) -> None:
        cap, self._cap = self._cap, None
        self._pending = None
        if cap is not None:
            cap.release()
