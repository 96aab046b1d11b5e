"""Real video files for tests, written with cv2.VideoWriter (MJPG in AVI).

Each frame carries its own index as 10 black/white vertical bars (robust to JPEG), plus a pure red
block in the top-left corner so a test can tell RGB from BGR. ``frame_index(rgb)`` reads it back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BITS = 10


def make_frame(i: int, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """An RGB uint8 frame (h, w, 3) encoding ``i``."""
    w, h = size
    img = np.full((h, w, 3), 40, np.uint8)
    bar = w // BITS
    for b in range(BITS):
        if (i >> b) & 1:
            img[h // 2:, b * bar:(b + 1) * bar] = 230
    img[: h // 4, : w // 4] = (255, 0, 0)  # red in RGB
    return img


def frame_index(rgb: np.ndarray) -> int:
    h, w = rgb.shape[:2]
    bar = w // BITS
    lower = rgb[h // 2:, :, 1].astype(np.float32)  # green channel: unaffected by the red block
    i = 0
    for b in range(BITS):
        if lower[:, b * bar + 2:(b + 1) * bar - 2].mean() > 135:
            i |= 1 << b
    return i


def write_video(path: str | Path, frames: int = 30, fps: float = 30.0,
                size: tuple[int, int] = (160, 120)) -> Path:
    import cv2

    path = Path(path)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened(), "cv2.VideoWriter could not open an MJPG/AVI file"
    try:
        for i in range(frames):
            writer.write(cv2.cvtColor(make_frame(i, size), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


COLORS = {"red": (220, 30, 20), "green": (10, 200, 40), "blue": (30, 20, 230)}


def color_of(i: int, segment: int = 10) -> str:
    """The colour name of frame ``i`` in a video made by :func:`write_color_video`."""
    return list(COLORS)[(i // segment) % len(COLORS)]


def write_color_video(path: str | Path, frames: int = 60, fps: float = 30.0, segment: int = 10,
                      size: tuple[int, int] = (64, 48)) -> Path:
    """Solid red, green, blue segments of ``segment`` frames each: the tests' colour classifier
    (tests/helpers/models.py) must answer ``color_of(frame.index)`` for every frame."""
    import cv2

    path = Path(path)
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened(), "cv2.VideoWriter could not open an MJPG/AVI file"
    try:
        for i in range(frames):
            rgb = np.broadcast_to(np.array(COLORS[color_of(i, segment)], np.uint8), (h, w, 3))
            writer.write(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


class MjpegServer:
    """A real HTTP MJPEG stream (multipart/x-mixed-replace) on 127.0.0.1, like an IP camera.

    Sends ``frames`` JPEG frames (made by :func:`make_frame`) to each client, then closes the
    connection (a stream that drops). ``url`` is valid inside the ``with`` block. Files under
    ``files`` are served as-is at ``/<name>`` (an HTTP video file).
    """

    def __init__(self, frames: int = 20, files: dict[str, Path] | None = None) -> None:
        self.frames = frames
        self.files = dict(files or {})
        self._server = None
        self._thread = None

    def __enter__(self) -> MjpegServer:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import cv2

        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                name = self.path.lstrip("/")
                if name in owner.files:
                    data = Path(owner.files[name]).read_bytes()
                    self.send_response(200)
                    self.send_header("Content-Type", "video/x-msvideo")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if name != "video":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    for i in range(owner.frames):
                        bgr = cv2.cvtColor(make_frame(i), cv2.COLOR_RGB2BGR)
                        jpg = cv2.imencode(".jpg", bgr)[1].tobytes()
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(jpg)).encode() + b"\r\n\r\n" + jpg + b"\r\n")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return self.base + "/video"

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def closed_port() -> int:
    """A local TCP port with nothing listening (bound then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
