"""Video files through the same cv2.VideoCapture path a camera uses: real MJPG/AVI files."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.video import frame_index, make_frame, write_video

from livepredict.core.errors import SourceError
from livepredict.sources import open_source
from livepredict.sources.base import EndOfStream, bgr_to_rgb
from livepredict.sources.video import VideoSource


def _is_red(rgb: np.ndarray) -> bool:
    r, g, b = rgb.astype(int)
    return r > 200 and g < 60 and b < 60


def test_reads_every_frame_in_order_as_rgb(short_video):
    src = open_source(str(short_video), throttle=False)
    assert isinstance(src, VideoSource) and src.kind == "video" and not src.is_live
    assert src.fps == pytest.approx(30.0)
    assert src.size == (160, 120)
    assert src.description == "short.avi"
    frames = list(src.frames())
    src.close()
    assert [frame_index(f.image) for f in frames] == list(range(30))
    assert [f.index for f in frames] == list(range(30))
    first = frames[0]
    assert first.image.dtype == np.uint8 and first.image.shape == (120, 160, 3)
    assert first.image.flags.c_contiguous
    assert _is_red(first.image[5, 5]), "BGR was not converted to RGB"
    assert first.source == "short.avi"
    ts = [f.capture_ts for f in frames]
    assert ts == sorted(ts)
    # Each frame owns its pixels: a frozen Frame must not share a decoder buffer.
    assert not np.shares_memory(frames[0].image, frames[1].image)


def test_end_of_video_is_one_sentence(short_video):
    src = VideoSource(short_video, throttle=False).open()
    for _ in range(30):
        src.read()
    with pytest.raises(EndOfStream) as e:
        src.read()
    src.close()
    assert str(e.value) == "End of video short.avi (30 frames)."


def test_loop_rewinds_and_keeps_counting(short_video):
    src = open_source(str(short_video), loop=True, throttle=False)
    frames = [src.read() for _ in range(45)]
    src.close()
    assert [frame_index(f.image) for f in frames] == list(range(30)) + list(range(15))
    assert [f.index for f in frames] == list(range(45))


def test_native_rate_pacing(slow_video):
    """A throttled file plays at its own rate: 10 frames at 20 fps span at least ~0.45 s."""
    src = open_source(str(slow_video))
    stamps = [f.capture_ts for f in src.frames()]
    src.close()
    assert len(stamps) == 10
    assert stamps[-1] - stamps[0] >= 9 * 0.05 * 0.95


def test_interrupt_cuts_pacing_short(video_dir):
    """interrupt() (a stop request from another thread) ends the pacing wait at once."""
    path = write_video(video_dir / "one_fps.avi", frames=5, fps=1.0)
    src = open_source(str(path))
    src.read()
    src.interrupt()
    t = [src.read().capture_ts for _ in range(4)]
    src.close()
    assert t[-1] - t[0] < 1.0  # paced at 1 fps these three gaps would take 3 s


def test_mirror_flips_left_right(short_video):
    plain = VideoSource(short_video, throttle=False).open().read().image
    src = VideoSource(short_video, throttle=False, mirror=True).open()
    mirrored = src.read().image
    assert _is_red(mirrored[5, -6]) and not _is_red(mirrored[5, 5])
    np.testing.assert_array_equal(mirrored, plain[:, ::-1])
    src.mirror = False  # toggled while running
    assert _is_red(src.read().image[5, 5])
    src.close()


def test_clone_is_a_fresh_unopened_copy(short_video):
    src = VideoSource(short_video, loop=True, throttle=False, mirror=True).open()
    src.read()
    twin = src.clone()
    assert not twin.is_open and twin.loop and twin.mirror and not twin.throttle
    assert frame_index(twin.read().image[:, ::-1]) == 0
    src.close()
    twin.close()


def test_missing_file(tmp_path):
    with pytest.raises(SourceError) as e:
        open_source(str(tmp_path / "nothere.avi"))
    assert "No camera, file or folder named" in str(e.value)
    with pytest.raises(SourceError, match="No video file at"):
        VideoSource(tmp_path / "gone.avi").open()


def test_corrupt_video(tmp_path):
    bad = tmp_path / "corrupt.avi"
    bad.write_bytes(np.random.default_rng(0).integers(0, 255, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(SourceError) as e:
        open_source(str(bad))
    assert str(e.value) == ("Could not decode the video corrupt.avi; the file may be corrupt or in an "
                            "unsupported format.")


def test_truncated_video_says_so(tmp_path, video_dir):
    full = write_video(video_dir / "to_truncate.avi", frames=40, fps=30.0)
    data = full.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    src = open_source(str(cut), throttle=False)
    n = 0
    with pytest.raises(EndOfStream) as e:
        while True:
            src.read()
            n += 1
    src.close()
    assert 0 < n < 40
    assert "ended early" in str(e.value) and "truncated" in str(e.value)


def test_folder_is_not_a_video(tmp_path):
    with pytest.raises(SourceError, match="is a folder"):
        VideoSource(tmp_path).open()


def test_bgr_to_rgb_handles_gray_and_bgra():
    rgb = make_frame(3)
    bgr = rgb[:, :, ::-1].copy()
    np.testing.assert_array_equal(bgr_to_rgb(bgr), rgb)
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = bgr_to_rgb(gray)
    assert out.shape == (3, 4, 3) and (out[..., 0] == gray).all() and (out[..., 2] == gray).all()
    bgra = np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)])
    np.testing.assert_array_equal(bgr_to_rgb(bgra), rgb)
    np.testing.assert_array_equal(bgr_to_rgb(bgr, mirror=True), rgb[:, ::-1])
