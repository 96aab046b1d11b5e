"""Huge pictures: classified through reduced-size decoding; decompression bombs refused in one sentence."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from livepredict.core.errors import ImageReadError
from livepredict.sources.images import MAX_PIXELS, needed_size, read_image


def test_needed_size_never_enlarges():
    assert needed_size((4000, 3000), (224, 224), "squash") == (224, 224)
    assert needed_size((4000, 3000), (224, 224), "center-crop") == (299, 224)
    assert needed_size((4000, 3000), (224, 224), "letterbox") == (224, 168)
    assert needed_size((100, 80), (224, 224), "center-crop") == (100, 80)  # small pictures stay whole


def test_64_megapixel_png_is_classified_reduced(tmp_path):
    """8000x8000 (a phone camera's size) was refused at 50 MP; now it is decoded and reduced."""
    p = tmp_path / "big.png"
    Image.new("RGB", (8000, 8000), (200, 30, 20)).save(p, compress_level=1)
    img = read_image(p, reduce_for=((16, 16), "squash"))
    assert img.shape[2] == 3 and 16 <= img.shape[0] < 32 and 16 <= img.shape[1] < 32
    assert tuple(int(v) for v in img[5, 5]) == (200, 30, 20)


def test_big_jpeg_uses_dct_scaling_down_to_what_the_model_needs(tmp_path):
    p = tmp_path / "photo.jpg"
    Image.new("RGB", (6000, 4000), (20, 40, 220)).save(p, quality=85)
    img = read_image(p, reduce_for=((224, 224), "center-crop"))
    assert img.shape[0] >= 224 and img.shape[1] >= 336 and img.shape[0] < 4000 // 4  # 1/8 scale, then reduce
    assert abs(int(img[100, 100, 2]) - 220) < 8
    assert read_image(p).shape[:2] == (2731, 4096)  # without a model: bounded to a 4096 side, as before


def test_rotated_jpeg_is_reduced_along_the_right_axes(tmp_path):
    p = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned by 90 degrees: 4000 wide on disk, 4000 tall on screen
    Image.new("RGB", (4000, 1000), (0, 200, 0)).save(p, quality=85, exif=exif)
    img = read_image(p, reduce_for=((224, 64), "squash"))
    assert img.shape[0] > img.shape[1] and img.shape[0] >= 224 and img.shape[1] >= 64


def _png_header_only(path, width, height):
    """A PNG whose header declares ``width`` x ``height`` RGB pixels over a few bytes of data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def test_declared_size_far_beyond_the_data_is_refused(tmp_path):
    p = _png_header_only(tmp_path / "bomb.png", 15000, 15000)  # 225 MP, under the cap, in 100 bytes
    with pytest.raises(ImageReadError, match=r"declares 15000x15000 pixels but holds only .* decompression bomb"):
        read_image(p, reduce_for=((224, 224), "squash"))


def test_more_than_250_megapixels_is_refused(tmp_path):
    p = _png_header_only(tmp_path / "huge.png", 17000, 15000)  # 255 MP
    assert 17000 * 15000 > MAX_PIXELS
    with pytest.raises(ImageReadError, match=r"255 megapixels\), too large to decode safely \(the limit is 250"):
        read_image(p)
    assert np.isfinite(MAX_PIXELS)
