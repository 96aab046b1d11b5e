"""Paths that are not regular files (named pipes, devices, folders) are refused at once, never read.

Reading a FIFO blocks until a writer appears: before these checks a model, picture, sidecar or
video given as a FIFO hung the app forever. Each test uses a real FIFO and a short timeout, so a
regression fails (the timeout) instead of hanging the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from livepredict.core.errors import ImageReadError, ModelLoadError, SidecarError, SourceError
from livepredict.core.paths import not_a_file

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fifo(tmp_path):
    def make(name: str):
        p = tmp_path / name
        os.mkfifo(p)
        return p

    return make


def test_kinds(tmp_path, fifo):
    f = tmp_path / "plain.txt"
    f.write_text("x")
    assert not_a_file(f) is None
    assert not_a_file(tmp_path / "missing") is None  # the reader's own message says "no file"
    assert not_a_file(fifo("p")) == "a named pipe (FIFO)"
    assert not_a_file(tmp_path) == "a folder"
    assert not_a_file("/dev/null") == "a character device"


@pytest.mark.parametrize("name", ["model.keras", "model.h5", "model.tflite", "model"])
def test_a_fifo_model_is_refused(fifo, name):
    from livepredict.inference.loader import detect_format

    with pytest.raises(ModelLoadError, match="named pipe"):
        detect_format(fifo(name))


def test_a_fifo_picture_is_refused_and_one_in_a_folder_is_one_failed_item(tmp_path, fifo):
    from livepredict.sources.images import collect_image_paths, read_image

    with pytest.raises(ImageReadError, match=r"named pipe \(FIFO\), not an image file"):
        read_image(fifo("photo.png"))
    (tmp_path / "sub").mkdir()
    os.mkfifo(tmp_path / "sub" / "frame.jpg")
    (found,) = collect_image_paths([tmp_path / "sub"])
    with pytest.raises(ImageReadError, match="named pipe"):
        read_image(found)


def test_a_fifo_video_is_refused(fifo):
    from livepredict.sources import open_source

    with pytest.raises(SourceError, match="named pipe"):
        open_source(str(fifo("clip.avi")))


def test_a_fifo_sidecar_is_refused(tmp_path, fifo):
    from livepredict.inference.sidecar import read_sidecar

    model = tmp_path / "m.keras"
    model.write_bytes(b"PK")
    fifo("m.keras.livepredict.json")
    with pytest.raises(SidecarError, match="named pipe"):
        read_sidecar(model)


def test_cli_refuses_a_fifo_model_in_one_line(fifo):
    p = fifo("model.keras")
    out = subprocess.run([sys.executable, "-m", "livepredict", "info", str(p)], capture_output=True,
                         text=True, timeout=50)
    assert out.returncode == 2
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "named pipe" in lines[0] and "Traceback" not in out.stderr


def test_a_fifo_vocabulary_is_refused(fifo):
    from livepredict.inference.generation import read_vocab_file

    with pytest.raises(SidecarError, match="named pipe"):
        read_vocab_file(fifo("vocab.txt"))
