"""open_source(text) decides camera / stream / slideshow / video from what the user typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.video import MjpegServer, closed_port, frame_index

from livepredict.core.errors import SourceError
from livepredict.sources import camera_index, make_source, open_source
from livepredict.sources.base import EndOfStream, SourceLost
from livepredict.sources.camera import CameraInfo, CameraSource, list_cameras
from livepredict.sources.stream import StreamSource, redact
from livepredict.sources.video import VideoSource


@pytest.mark.parametrize("text,index", [
    ("0", 0), (" 2 ", 2), ("camera:1", 1), ("cam1", 1), ("Camera 3", 3), ("/dev/video4", 4),
    ("webcam:0", 0), ("clip.avi", None), ("rtsp://h/1", None), ("1234", None),
])
def test_camera_index(text, index):
    assert camera_index(text) == index


def test_decides_kind_from_text(short_video, tmp_path):
    assert isinstance(make_source("0"), CameraSource)
    assert isinstance(make_source("rtsp://127.0.0.1:8554/cam"), StreamSource)
    assert isinstance(make_source("HTTPS://example.org/live.mjpg"), StreamSource)
    assert isinstance(make_source(str(short_video)), VideoSource)
    assert isinstance(make_source("file://" + str(short_video)), VideoSource)
    assert make_source(str(tmp_path)).kind == "slideshow"
    png = tmp_path / "a.png"
    png.write_bytes(b"")
    assert make_source(str(png)).kind == "slideshow"


def test_a_file_named_like_a_camera_index_is_a_file(short_video, tmp_path, monkeypatch):
    target = tmp_path / "0"
    target.write_bytes(Path(short_video).read_bytes())
    monkeypatch.chdir(tmp_path)
    assert isinstance(make_source("0"), VideoSource)


def test_make_source_does_not_open(short_video):
    src = make_source(str(short_video))
    assert not src.is_open


@pytest.mark.parametrize("text,message", [
    ("", "No source given; type a camera number, a video file, a folder of images or a stream URL."),
    ("   ", "No source given; type a camera number, a video file, a folder of images or a stream URL."),
    ("ftp://host/x.avi", "Unsupported address scheme ftp://; use rtsp://, http:// or https://."),
])
def test_bad_text(text, message):
    with pytest.raises(SourceError) as e:
        make_source(text)
    assert str(e.value) == message


def test_no_camera_at_index():
    index = 987
    assert not Path(f"/dev/video{index}").exists()
    with pytest.raises(SourceError) as e:
        open_source(str(index))
    assert str(e.value) in (
        f"No camera found at index {index}; plug one in or pick another from the camera list.",
        f"Camera {index} is busy or cannot be opened; close other apps using it and try again.",
    )


def test_list_cameras_lists_only_cameras_that_open():
    cams = list_cameras()
    assert isinstance(cams, list)
    for cam in cams:  # on a machine with cameras: each one really opens and has a size
        assert isinstance(cam, CameraInfo) and cam.width > 0 and cam.height > 0
        with open_source(str(cam.index)) as src:
            assert src.read().image.ndim == 3


def test_unreachable_url_is_one_sentence():
    url = f"http://127.0.0.1:{closed_port()}/video"
    with pytest.raises(SourceError) as e:
        open_source(url)
    assert str(e.value) == f"Could not connect to {url}; check the address and that the stream is running."
    rtsp = f"rtsp://127.0.0.1:{closed_port()}/cam"
    with pytest.raises(SourceError, match="Could not connect to rtsp://"):
        StreamSource(rtsp, open_timeout_ms=2000).open()


def test_http_mjpeg_stream_then_drop():
    """A real multipart MJPEG stream (an IP camera): frames arrive, then the server drops us."""
    with MjpegServer(frames=12) as server:
        src = open_source(server.url)
        assert isinstance(src, StreamSource) and src.is_live
        got = []
        with pytest.raises(SourceLost) as e:
            while True:
                got.append(frame_index(src.read().image))
        src.close()
    assert got == list(range(12))
    assert "stopped sending frames" in str(e.value)


def test_video_file_over_http_ends(short_video):
    with MjpegServer(files={"clip.avi": short_video}) as server:
        src = open_source(server.base + "/clip.avi", throttle=False)
        assert not src.is_live and src.frame_count == 30
        got = [frame_index(f.image) for f in src.frames()]
        src.close()
        with pytest.raises(SourceError, match="Could not connect"):
            open_source(server.base + "/missing.avi")
    assert got == list(range(30))


def test_end_of_stream_is_a_source_error():
    assert issubclass(EndOfStream, SourceError) and issubclass(SourceLost, SourceError)


def test_redact_hides_passwords():
    assert redact("rtsp://admin:secret@10.0.0.2:554/s1") == "rtsp://admin:***@10.0.0.2:554/s1"
    assert redact("http://cam.local/video") == "http://cam.local/video"
    src = make_source("rtsp://admin:secret@127.0.0.1:9/s1")
    assert "secret" not in src.description
