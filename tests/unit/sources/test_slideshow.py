"""A folder of real image files as a live source."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.video import frame_index, make_frame
from PIL import Image

from livepredict.core.errors import SourceError
from livepredict.sources import open_source
from livepredict.sources.base import EndOfStream
from livepredict.sources.slideshow import SlideshowSource


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "shots"
    d.mkdir()
    for i in range(3):
        Image.fromarray(make_frame(i + 1)).save(d / f"img_{i}.png")
    (d / "notes.txt").write_text("not an image")
    return d


def test_folder_plays_in_order_and_ends(folder):
    src = open_source(str(folder), throttle=False)
    assert isinstance(src, SlideshowSource) and src.kind == "slideshow" and not src.is_live
    frames = list(src.frames())
    src.close()
    assert [frame_index(f.image) for f in frames] == [1, 2, 3]
    assert frames[0].image.dtype == np.uint8 and frames[0].image.shape == (120, 160, 3)
    assert tuple(frames[0].image[3, 3]) == (255, 0, 0)  # RGB, straight from the file


def test_loop_and_unreadable_files_are_skipped(folder):
    (folder / "img_1.png").write_bytes(b"\x89PNG broken")
    src = open_source(str(folder), throttle=False, loop=True)
    got = [frame_index(src.read().image) for _ in range(5)]
    src.close()
    assert got == [1, 3, 1, 3, 1]
    assert src.skipped and src.skipped[0][0].endswith("img_1.png")


def test_interval_paces_images(folder):
    src = SlideshowSource(folder, interval=0.1)
    stamps = [f.capture_ts for f in src.frames()]
    src.close()
    assert stamps[-1] - stamps[0] >= 2 * 0.1 * 0.95


def test_empty_folder_and_all_broken(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match="No images found in"):
        open_source(str(empty))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.png").write_bytes(b"nope")
    src = open_source(str(broken), throttle=False)
    with pytest.raises(SourceError) as e:
        src.read()
    assert str(e.value) == "None of the 1 images could be read; check the files."
    assert not isinstance(e.value, EndOfStream)


def test_single_image_file(tmp_path):
    p = tmp_path / "one.png"
    Image.fromarray(make_frame(7)).save(p)
    src = open_source(str(p), loop=True, throttle=False, mirror=True)
    a, b = src.read(), src.read()
    src.close()
    assert frame_index(a.image[:, ::-1]) == 7 and b.index == 1
    assert src.description == "one.png"
