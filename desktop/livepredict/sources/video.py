"""Video files: played at their own frame rate (or as fast as they decode), optional loop."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from livepredict.core.paths import not_a_file
from livepredict.sources.base import CvCaptureSource, EndOfStream, Pacer, SourceError, bgr_to_rgb

VIDEO_EXTENSIONS = frozenset({
    ".avi", ".mp4", ".m4v", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".ogv",
    ".3gp", ".ts", ".mts", ".mjpg", ".mjpeg", ".gif", ".y4m",
})
DEFAULT_FPS = 25.0


class VideoSource(CvCaptureSource):
    """A video file. ``throttle=True`` paces frames at the file's own rate (like a player);
    ``throttle=False`` reads as fast as the file decodes (benchmarks, ``--unthrottled``)."""

    kind = "video"
    is_live = False

    def __init__(self, path: str | Path, *, loop: bool = False, throttle: bool = True,
                 mirror: bool = False) -> None:
        super().__init__(mirror=mirror, path=str(path), loop=loop, throttle=throttle)
        self.path = Path(path)
        self.loop = bool(loop)
        self.throttle = bool(throttle)
        self.frame_count: int | None = None
        self._pos = 0  # frames decoded in the current pass
        self._pacer = Pacer(DEFAULT_FPS)

    @property
    def description(self) -> str:
        return self.path.name

    def _open(self) -> None:
        if not self.path.exists():
            raise SourceError(f"No video file at {self.path}; check the path.")
        kind = not_a_file(self.path)
        if kind is not None:
            raise SourceError(f"{self.path} is {kind}, not a video file; pick a video file.")
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not cap.isOpened() or not self._probe(cap):
            cap.release()
            raise SourceError(f"Could not decode the video {self.path.name}; the file may be corrupt "
                              "or in an unsupported format.")
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if count and np.isfinite(count) and count > 0 else None
        self._cap = cap
        self._pos = 0
        self._pacer = Pacer(self._fps or DEFAULT_FPS)

    @property
    def fps(self) -> float | None:
        return self._fps or (DEFAULT_FPS if self._opened else None)

    def _rewind(self) -> bool:
        assert self._cap is not None
        if self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            img = self._grab_bgr()
            if img is not None:
                self._pending = img
                return True
        # Some containers do not seek: reopen the file instead.
        self._cap.release()
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        self._cap = cap
        return cap.isOpened() and self._probe(cap)

    def _read_image(self) -> np.ndarray:
        img = self._grab_bgr()
        if img is None:
            if self.loop and self._pos > 0:
                self._pos = 0
                if not self._rewind():
                    raise SourceError(f"Could not rewind the video {self.path.name} to loop it; the file "
                                      "may be damaged.")
                img = self._grab_bgr()
            if img is None:
                total = self.frame_count
                if self._pos == 0 and self.frames_read == 0:
                    raise SourceError(f"Could not decode the video {self.path.name}; the file may be "
                                      "corrupt or in an unsupported format.")
                if total and self._pos < 0.95 * total - 1:
                    raise EndOfStream(f"The video {self.path.name} ended early at frame {self._pos} of "
                                      f"{total}; the file may be truncated.")
                raise EndOfStream(f"End of video {self.path.name} ({self._pos} frames).")
        self._pos += 1
        if self.throttle:
            self._pacer.wait(self._interrupt)
        return bgr_to_rgb(img, self.mirror)
