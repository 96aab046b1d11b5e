"""A fault-injection source: a real video file that, like a camera being unplugged, fails or
blocks mid-stream. This is the one fake in the live tests: a driver call that blocks forever
cannot be produced for real on a machine without a camera."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from livepredict.core.errors import SourceError
from livepredict.sources.base import Source, SourceLost
from livepredict.sources.video import VideoSource


class FaultScript:
    """Shared by a FaultSource and its clones (one per reconnection).

    The first instance delivers ``fault_at`` frames, then ``mode`` happens: "block" (read never
    returns until ``release`` is set) or "fail" (read raises SourceLost). The next
    ``failing_reopens`` opens fail like an absent camera; later instances are healthy.
    """

    def __init__(self, fault_at: int = 5, mode: str = "block", failing_reopens: int = 0) -> None:
        assert mode in ("block", "fail")
        self.fault_at = fault_at
        self.mode = mode
        self.failing_reopens = failing_reopens
        self.instances = 0
        self.opens = 0
        self.release = threading.Event()
        self.blocked = threading.Event()
        self.closed_instances: list[int] = []
        self.lock = threading.Lock()


class FaultSource(Source):
    kind = "camera"
    is_live = True

    def __init__(self, path: str | Path, *, script: FaultScript, mirror: bool = False) -> None:
        super().__init__(mirror=mirror, path=str(path), script=script)
        self.script = script
        with script.lock:
            self.number = script.instances
            script.instances += 1
        self.inner = VideoSource(path, loop=True, throttle=False, mirror=mirror)

    @property
    def description(self) -> str:
        return "Test camera"

    @property
    def fps(self) -> float | None:
        return None

    def _open(self) -> None:
        with self.script.lock:
            self.script.opens += 1
            failing = 0 < self.number <= self.script.failing_reopens
        if failing:
            raise SourceError("No camera found at index 0; plug one in or pick another from the camera list.")
        self.inner.open()

    def _read_image(self) -> np.ndarray:
        if self.number == 0 and self.frames_read >= self.script.fault_at:
            if self.script.mode == "fail":
                raise SourceLost("Test camera stopped sending frames; check that it is still plugged in.")
            self.script.blocked.set()
            self.script.release.wait()
            raise SourceLost("Test camera came back after being abandoned.")
        return self.inner.read().image

    def _close(self) -> None:
        self.inner.close()
        with self.script.lock:
            self.script.closed_instances.append(self.number)


class SlowFileSource(FaultSource):
    """A video *file* whose read at ``fault_at`` takes long (a busy machine), then goes on: frames
    resume once ``release`` is set. Not a device, so nothing should be abandoned."""

    kind = "video"
    is_live = False

    @property
    def description(self) -> str:
        return "clip.avi"

    def _read_image(self) -> np.ndarray:
        if self.frames_read == self.script.fault_at and not self.script.release.is_set():
            self.script.blocked.set()
            self.script.release.wait()
        return self.inner.read().image
