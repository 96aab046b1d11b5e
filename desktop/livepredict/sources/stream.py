"""Network streams: RTSP, HTTP(S) MJPEG or video URLs, RTMP, UDP (through FFmpeg)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np

from livepredict.sources.base import CvCaptureSource, EndOfStream, Pacer, SourceError, SourceLost, bgr_to_rgb

STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt", "rtp")
OPEN_TIMEOUT_MS = 5000
READ_TIMEOUT_MS = 5000

_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


def is_stream_url(text: str) -> bool:
    m = _SCHEME_RE.match(text.strip())
    return m is not None and m.group(1).lower() in STREAM_SCHEMES


def redact(url: str) -> str:
    """Hide a password in ``scheme://user:password@host`` (descriptions end up on screen/logs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        netloc = f"{parts.username}:***@{host}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


class StreamSource(CvCaptureSource):
    """A URL read through FFmpeg with open/read time-outs.

    A live stream (no known length) is never throttled. A finite video served over HTTP is paced
    at its own frame rate like a file when ``throttle`` is on.
    """

    kind = "stream"

    def __init__(self, url: str, *, throttle: bool = True, mirror: bool = False,
                 open_timeout_ms: int = OPEN_TIMEOUT_MS, read_timeout_ms: int = READ_TIMEOUT_MS) -> None:
        super().__init__(mirror=mirror, url=url, throttle=throttle, open_timeout_ms=open_timeout_ms,
                         read_timeout_ms=read_timeout_ms)
        self.url = url.strip()
        self.throttle = bool(throttle)
        self.open_timeout_ms = int(open_timeout_ms)
        self.read_timeout_ms = int(read_timeout_ms)
        self.frame_count: int | None = None
        self._pacer: Pacer | None = None

    @property
    def is_live(self) -> bool:  # type: ignore[override]
        return self.frame_count is None

    @property
    def description(self) -> str:
        return redact(self.url)

    def _open(self) -> None:
        if not is_stream_url(self.url):
            raise SourceError(f"{redact(self.url)} is not a stream address; use rtsp://, http:// or "
                              "https:// URLs.")
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self.open_timeout_ms,
                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, self.read_timeout_ms]
        cap = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"Could not connect to {redact(self.url)}; check the address and that the "
                              "stream is running.")
        if not self._probe(cap):
            cap.release()
            raise SourceError(f"Connected to {redact(self.url)} but it sends no video frames; check that "
                              "the address points to a video stream.")
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if count and np.isfinite(count) and count > 0 else None
        self._pacer = Pacer(self._fps) if (self.throttle and self.frame_count and self._fps) else None
        self._cap = cap

    def _read_image(self) -> np.ndarray:
        img = self._grab_bgr()
        if img is None:
            if self.frame_count is not None:
                raise EndOfStream(f"End of stream {redact(self.url)}.")
            raise SourceLost(f"The stream {redact(self.url)} stopped sending frames; check the network "
                             "and the camera or server.")
        if self._pacer is not None:
            self._pacer.wait(self._interrupt)
        return bgr_to_rgb(img, self.mirror)
