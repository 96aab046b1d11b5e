"""The only package that imports OpenCV: cameras, video files, streams and image files.

``open_source(text)`` decides from what the user typed or picked:

- ``0``, ``1``, ``camera:1``, ``cam1``, ``/dev/video2``  → a camera by index;
- ``rtsp://…``, ``http(s)://…``, ``rtmp://…``, ``udp://…`` → a network stream;
- a folder, or an image file                              → a slideshow of images;
- any other existing file (``.avi``, ``.mp4``, …)         → a video file.

``make_source`` builds the same object without opening it (capture threads open it themselves,
because opening a camera or connecting to a stream may block). Submodules are imported lazily so
``import livepredict.sources.images`` stays cheap.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from livepredict.core.errors import SourceError

if TYPE_CHECKING:
    from livepredict.sources.base import Source

IMAGE_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm", ".avif",
})
_CAMERA_RE = re.compile(r"^(?:(?:camera|cam|webcam)\s*:?\s*)?(\d{1,3})$", re.IGNORECASE)
_DEV_RE = re.compile(r"^/dev/video(\d+)$")

__all__ = ["IMAGE_EXTENSIONS", "SourceError", "camera_index", "list_cameras", "make_source", "open_source"]


def camera_index(text: str) -> int | None:
    """The camera index ``text`` names (``"0"``, ``"camera:1"``, ``"/dev/video2"``), else None."""
    t = text.strip()
    m = _CAMERA_RE.match(t) or _DEV_RE.match(t)
    return int(m.group(1)) if m else None


def make_source(text: str, *, mirror: bool = False, loop: bool = False, throttle: bool = True,
                resolution: tuple[int, int] | None = None, interval: float = 1.0) -> Source:
    """Build (not open) the source ``text`` names. Raises SourceError with one sentence."""
    text = (text or "").strip()
    if not text:
        raise SourceError("No source given; type a camera number, a video file, a folder of images or "
                          "a stream URL.")
    index = camera_index(text)
    if index is not None and not Path(text).exists():
        from livepredict.sources.camera import CameraSource

        return CameraSource(index, resolution=resolution, mirror=mirror)

    from livepredict.sources.stream import _SCHEME_RE, is_stream_url

    if is_stream_url(text):
        from livepredict.sources.stream import StreamSource

        return StreamSource(text, throttle=throttle, mirror=mirror)
    m = _SCHEME_RE.match(text)
    if m and m.group(1).lower() == "file":
        text = text[len("file://"):]
    elif m:
        raise SourceError(f"Unsupported address scheme {m.group(1)}://; use rtsp://, http:// or https://.")

    path = Path(text).expanduser()
    if not path.exists():
        raise SourceError(f"No camera, file or folder named {text}; check the path or pick a camera "
                          "from the list.")
    if path.is_dir() or path.suffix.lower() in IMAGE_EXTENSIONS:
        from livepredict.sources.slideshow import SlideshowSource

        return SlideshowSource(path, interval=interval, loop=loop,
                               throttle=throttle, mirror=mirror)
    from livepredict.sources.video import VideoSource

    return VideoSource(path, loop=loop, throttle=throttle, mirror=mirror)


def open_source(text: str, **options) -> Source:
    """Build and open the source ``text`` names (see the module docstring); one-sentence errors.

    Options: ``mirror``, ``loop``, ``throttle`` (False = read files as fast as they decode),
    ``resolution`` (camera, ``(w, h)``), ``interval`` (slideshow seconds per image).
    """
    return make_source(text, **options).open()


def list_cameras(max_index: int = 10):
    """Cameras that open and deliver a frame (see :func:`livepredict.sources.camera.list_cameras`)."""
    from livepredict.sources.camera import list_cameras as _list

    return _list(max_index)
