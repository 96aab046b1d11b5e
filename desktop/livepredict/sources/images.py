"""Image files: read one safely as RGB uint8, or collect the image files under paths.

Pillow decodes (it reads only the header first, so a huge image is refused before its pixels are
allocated; JPEGs that are merely big are decoded downscaled with ``draft``). Every failure is an
:class:`ImageReadError` with one sentence naming the file and what to do.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from livepredict.core.errors import ImageReadError
from livepredict.core.paths import special_kind
from livepredict.sources import IMAGE_EXTENSIONS

MAX_PIXELS = 250_000_000  # declared size above this is refused before any pixel is decoded
MAX_SIDE = 4096  # JPEGs larger than this are decoded downscaled (draft mode), memory stays bounded
# A picture's data cannot be smaller than this many bytes per declared pixel: deflate (PNG) packs at
# most ~1032:1 and a pixel has at least 1 bit; a JPEG needs at least a bit or two per 8x8 block (with
# a wide margin for arithmetic coding). A header declaring far more pixels than its data can hold is
# a damaged file or a decompression bomb.
_MIN_BYTES_PER_PIXEL = {"PNG": 1 / (8 * 1100), "JPEG": 1 / 20000}
_FORMATS = "PNG, JPEG, BMP, GIF, WebP, AVIF or TIFF"
_SWAPS_AXES = (5, 6, 7, 8)  # EXIF orientations that turn the picture by 90 degrees


def _name(path: Path) -> str:
    return str(path)


def needed_size(size: tuple[int, int], target: tuple[int, int], mode: str = "squash") -> tuple[int, int]:
    """The smallest (width, height) a ``size`` = (width, height) picture may be decoded at so that
    resizing it to ``target`` = (height, width) with ``mode`` never enlarges it."""
    w, h = size
    th, tw = target
    if mode == "squash":
        return min(w, tw), min(h, th)
    f = max(th / h, tw / w) if mode == "center-crop" else min(th / h, tw / w)
    f = min(1.0, f)
    return max(1, math.ceil(w * f - 1e-6)), max(1, math.ceil(h * f - 1e-6))


def read_image(path: str | os.PathLike, *, reduce_for: tuple[tuple[int, int], str] | None = None) -> np.ndarray:
    """The image at ``path`` as an RGB uint8 array HxWx3 (first frame of an animation).

    Grayscale, palette, CMYK, 16-bit and RGBA images are converted (alpha is dropped, as Keras'
    ``load_img`` does); EXIF orientation is applied. ``reduce_for`` = ((height, width), resize
    mode) of the model input: a picture far larger than that is decoded at a reduced size (JPEG:
    DCT scaling by 1/2, 1/4 or 1/8; other formats: ``Image.reduce`` right after decoding), never
    below what resizing to the input needs. Raises ImageReadError with one sentence.
    """
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    st = _checked_stat(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning, palette transparency notes
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # ours: refused below, before decoding
            with Image.open(p) as img:
                _refuse_bombs(p, img, st.st_size)
                return _decode(img, reduce_for)
    except ImageReadError:
        raise
    except Image.DecompressionBombError:
        raise ImageReadError(f"{_name(p)} is too large to decode safely (more than "
                             f"{MAX_PIXELS // 1_000_000} megapixels); scale it down first.") from None
    except UnidentifiedImageError:
        raise ImageReadError(f"{_name(p)} is not an image Live Predict can read; pick a {_FORMATS} "
                             "file.") from None
    except PermissionError:
        raise ImageReadError(f"Permission denied reading {_name(p)}; check its permissions.") from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise ImageReadError(f"{_name(p)} is truncated or damaged and cannot be decoded; re-export or "
                             "replace it.", details=f"{type(e).__name__}: {e}") from e
    except MemoryError:
        raise ImageReadError(f"Not enough memory to decode {_name(p)}; scale it down first.") from None


def _checked_stat(p: Path) -> os.stat_result:
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ImageReadError(f"No file at {_name(p)}; check the path.") from None
    except PermissionError:
        raise ImageReadError(f"Permission denied reading {_name(p)}; check its permissions.") from None
    except OSError as e:
        raise ImageReadError(f"Cannot read {_name(p)} ({e.strerror or e}); check the path.") from e
    if p.is_dir():
        if not os.access(p, os.R_OK | os.X_OK):
            raise ImageReadError(f"Permission denied listing the folder {_name(p)}; check its permissions.")
        raise ImageReadError(f"{_name(p)} is a folder, not an image; give the images inside it or the "
                             "folder itself to classify.")
    kind = special_kind(st)
    if kind is not None:
        raise ImageReadError(f"{_name(p)} is {kind}, not an image file; pick a {_FORMATS} file.")
    if st.st_size == 0:
        raise ImageReadError(f"{_name(p)} is empty (0 bytes); pick a {_FORMATS} image.")
    return st


def _refuse_bombs(p: Path, img, file_size: int) -> None:
    """Refuse a declared size beyond ``MAX_PIXELS``, or far beyond what the file's data can hold."""
    w, h = img.size
    if w * h > MAX_PIXELS:
        raise ImageReadError(f"{_name(p)} is {w}x{h} pixels ({w * h / 1e6:.0f} megapixels), too large to decode "
                             f"safely (the limit is {MAX_PIXELS // 1_000_000} megapixels); scale it down first.")
    least = _MIN_BYTES_PER_PIXEL.get(img.format or "")
    if least is not None and file_size < w * h * least:
        raise ImageReadError(f"{_name(p)} declares {w}x{h} pixels but holds only {file_size:,} bytes, far "
                             "too little for that size: it is damaged or a decompression bomb, and was "
                             "not decoded.")


def _decode(img, reduce_for: tuple[tuple[int, int], str] | None) -> np.ndarray:
    from PIL import Image, ImageOps

    w, h = img.size
    want: tuple[int, int] | None = None
    if reduce_for is not None:
        (th, tw), mode = reduce_for
        swap = _orientation(img) in _SWAPS_AXES
        need = needed_size((h, w) if swap else (w, h), (th, tw), mode)
        want = (need[1], need[0]) if swap else need
    big = max(w, h) > MAX_SIDE
    if img.format == "JPEG" and (want is not None or big):
        if want is None:
            f = MAX_SIDE / max(w, h)  # DCT scaling: decodes at 1/2, 1/4 or 1/8 size
            want = (max(1, int(w * f)), max(1, int(h * f)))
        img.draft("RGB", want)  # the smallest scale at least ``want`` in both directions
    if getattr(img, "n_frames", 1) > 1:
        img.seek(0)
    img.load()
    if reduce_for is not None and want is not None:
        k = min(img.size[0] // want[0], img.size[1] // want[1])
        if k >= 2:  # still far larger than needed: shrink by whole factors now (box filter)
            img = img.reduce(k)
    elif big and img.format == "JPEG" and max(img.size) > MAX_SIDE:
        img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    img = ImageOps.exif_transpose(img) or img
    return _to_rgb(img)


def _orientation(img) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - an unreadable EXIF block means no rotation
        return 1


def _to_rgb(img) -> np.ndarray:
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(img, dtype=np.float32)
        top = float(a.max()) if a.size else 0.0
        if top > 255.0:  # 16-bit (or wider) samples: keep the high byte's range
            a = a * (255.0 / (65535.0 if top <= 65535.0 else top))
        elif mode == "F" and top <= 1.0:
            a = a * 255.0
        g = np.clip(np.rint(a), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(g[:, :, None], 3, axis=2))
    if mode != "RGB":
        img = img.convert("RGB")
    return np.array(img, dtype=np.uint8)


def _walk(folder: Path, seen: set[str] | None = None) -> Iterable[Path]:
    """Image files under ``folder``, sorted by name at each level, hidden entries skipped.

    A sub-folder that cannot be listed is yielded itself, so the caller reports it as one item.
    Symbolic links are followed, but no folder is visited twice (no endless loops).
    """
    seen = set() if seen is None else seen
    real = os.path.realpath(folder)
    if real in seen:
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except PermissionError:
        yield folder
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(path, seen)
        elif path.suffix.lower() in IMAGE_EXTENSIONS:
            yield path


def read_pictures(paths: Iterable[str | os.PathLike], limit: int,
                  reduce_for: tuple[tuple[int, int], str] | None = None) -> list[np.ndarray]:
    """Up to ``limit`` of the pictures at ``paths``, decoded in order; unreadable ones are skipped
    (calibration and probe sets: a bad file costs one picture, not the set)."""
    from livepredict.core.errors import LivePredictError

    out: list[np.ndarray] = []
    for p in paths:
        if len(out) >= limit:
            break
        try:
            out.append(read_image(p, reduce_for=reduce_for))
        except LivePredictError:
            continue
    return out


def collect_image_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files and folders (recursive) in input order; files given by name are kept whatever their type.

    Raises ImageReadError for a path that does not exist or a folder that cannot be listed.
    """
    out: list[Path] = []
    for raw in paths:
        p = Path(raw).expanduser()
        try:
            exists = p.exists()
        except PermissionError:
            raise ImageReadError(f"Permission denied reaching {p}; check the permissions of its folders.") from None
        if not exists:
            raise ImageReadError(f"No file or folder at {p}; check the path.")
        if p.is_dir():
            try:
                with os.scandir(p) as it:
                    next(it, None)
            except PermissionError:
                raise ImageReadError(f"Permission denied listing the folder {p}; check its permissions.") from None
            out.extend(_walk(p))
        else:
            out.append(p)
    return out
