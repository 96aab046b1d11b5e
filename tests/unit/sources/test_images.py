"""Reading image files safely and collecting them from folders (real files of every awkward kind)."""

from __future__ import annotations

import resource
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from helpers.files import unprivileged, write_huge_png
from PIL import Image

from livepredict.core.errors import ImageReadError
from livepredict.sources.images import collect_image_paths, read_image


@pytest.fixture(scope="module")
def pics(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pics")
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    out = {}

    def save(name, img, **kw):
        out[name] = d / name
        img.save(out[name], **kw)

    save("rgb.png", Image.fromarray(rgb))
    save("gray.png", Image.fromarray(rgb[:, :, 0]))
    save("rgba.png", Image.fromarray(np.dstack([rgb, np.full((12, 10), 7, np.uint8)]), "RGBA"))
    save("cmyk.jpg", Image.fromarray(rgb).convert("CMYK"), quality=95)
    g16 = (np.arange(120, dtype=np.uint16).reshape(12, 10) * 500).astype(np.uint16)
    save("gray16.png", Image.fromarray(g16))  # mode I;16
    frames = [Image.fromarray(np.full((12, 10, 3), c, np.uint8)) for c in (255, 0)]
    out["anim.gif"] = d / "anim.gif"
    frames[0].save(out["anim.gif"], save_all=True, append_images=frames[1:], duration=100, loop=0)
    save("palette.png", Image.fromarray(rgb).convert("P"))
    good = (d / "rgb.png").read_bytes()
    (d / "truncated.png").write_bytes(good[: len(good) // 2])
    out["truncated.png"] = d / "truncated.png"
    (d / "empty.png").write_bytes(b"")
    out["empty.png"] = d / "empty.png"
    (d / "notes.txt").write_text("not an image")
    out["notes.txt"] = d / "notes.txt"
    (d / "fake.jpg").write_bytes(rng.bytes(500))
    out["fake.jpg"] = d / "fake.jpg"
    out["rgb_array"] = rgb
    return out


def test_rgb_png_round_trips(pics):
    img = read_image(pics["rgb.png"])
    assert img.dtype == np.uint8 and img.shape == (12, 10, 3)
    np.testing.assert_array_equal(img, pics["rgb_array"])


def test_grayscale_palette_rgba_cmyk_become_rgb(pics):
    rgb = pics["rgb_array"]
    gray = read_image(pics["gray.png"])
    assert gray.shape == (12, 10, 3) and (gray[:, :, 0] == rgb[:, :, 0]).all() and (gray[:, :, 2] == rgb[:, :, 0]).all()
    np.testing.assert_array_equal(read_image(pics["rgba.png"]), rgb)  # alpha dropped, colours kept
    assert read_image(pics["palette.png"]).shape == (12, 10, 3)
    cmyk = read_image(pics["cmyk.jpg"])
    assert cmyk.shape == (12, 10, 3) and np.abs(cmyk.astype(int) - rgb).mean() < 40


def test_16_bit_keeps_its_range(pics):
    img = read_image(pics["gray16.png"])
    assert img.shape == (12, 10, 3) and img.dtype == np.uint8
    assert img.max() == round(119 * 500 * 255 / 65535) and img.min() == 0


def test_animation_gives_its_first_frame(pics):
    img = read_image(pics["anim.gif"])
    assert img.shape == (12, 10, 3) and (img == 255).all()


@pytest.mark.parametrize(("name", "fragment"), [
    ("truncated.png", "is truncated or damaged"),
    ("empty.png", "is empty (0 bytes)"),
    ("notes.txt", "is not an image Live Predict can read"),
    ("fake.jpg", "is not an image Live Predict can read"),
])
def test_bad_files_fail_with_one_sentence(pics, name, fragment):
    with pytest.raises(ImageReadError) as e:
        read_image(pics[name])
    assert fragment in str(e.value) and name in str(e.value) and "\n" not in str(e.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageReadError, match="No file at"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(ImageReadError, match="is a folder, not an image"):
        read_image(tmp_path)


def test_huge_png_is_refused_with_bounded_memory(tmp_path):
    path = write_huge_png(tmp_path / "huge.png")
    assert path.stat().st_size < 2_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ImageReadError, match="20000x20000|too large"):
        read_image(path)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 50_000  # 400 megapixels were never decoded


def test_big_jpeg_is_decoded_downscaled(tmp_path):
    p = tmp_path / "wide.jpg"
    Image.new("RGB", (9000, 600), (10, 200, 30)).save(p, quality=80)
    img = read_image(p)
    assert max(img.shape[:2]) <= 4096 and img.shape[1] > img.shape[0]
    assert abs(int(img[300 * img.shape[0] // 600, 10, 1]) - 200) < 8


def test_collect_keeps_input_order_and_recurses(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "sub").mkdir()
    for rel in ("b/2.png", "b/1.jpg", "b/sub/0.png", "b/readme.md", "b/.hidden.png", "a.png"):
        (tmp_path / rel).write_bytes(b"x")
    got = collect_image_paths([tmp_path / "b", tmp_path / "a.png", tmp_path / "b" / "readme.md"])
    rel = [str(p.relative_to(tmp_path)) for p in got]
    assert rel == ["b/1.jpg", "b/2.png", "b/sub/0.png", "a.png", "b/readme.md"]


def test_collect_refuses_missing_paths(tmp_path):
    with pytest.raises(ImageReadError, match="No file or folder at .*nothing"):
        collect_image_paths([tmp_path / "nothing"])


def test_folder_without_permission():
    root = Path(tempfile.mkdtemp())
    try:
        root.chmod(0o755)
        locked = root / "locked"
        locked.mkdir()
        (locked / "x.png").write_bytes(b"x")
        locked.chmod(0)
        with unprivileged():
            with pytest.raises(ImageReadError, match="Permission denied listing the folder"):
                collect_image_paths([locked])
            with pytest.raises(ImageReadError, match="Permission denied"):
                read_image(locked / "x.png")
    finally:
        (root / "locked").chmod(0o755)
        shutil.rmtree(root)


def test_symlink_loops_are_walked_once(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(b"x")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a", target_is_directory=True)
    assert [p.name for p in collect_image_paths([tmp_path])] == ["x.png"]
