"""Image files: read one safely as RGB uint8, or collect the image files under paths.

Pillow decodes (it reads only the header first, so a huge image is refused before its pixels are
allocated; JPEGs that are merely big are decoded downscaled with ``draft``). Every failure is an
:class:`ImageReadError` with one sentence naming the file and what to do.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from livepredict.core.errors import ImageReadError
from livepredict.core.paths import special_kind
from livepredict.sources import IMAGE_EXTENSIONS

MAX_PIXELS = 50_000_000  # decoded full size above this is refused (JPEG: decoded downscaled instead)
MAX_SIDE = 4096  # JPEGs larger than this are decoded downscaled (draft mode), memory stays bounded
_FORMATS = "PNG, JPEG, BMP, GIF, WebP, AVIF or TIFF"


def _name(path: Path) -> str:
    return str(path)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """The image at ``path`` as an RGB uint8 array HxWx3 (first frame of an animation).

    Grayscale, palette, CMYK, 16-bit and RGBA images are converted (alpha is dropped, as Keras'
    ``load_img`` does); EXIF orientation is applied. Raises ImageReadError with one sentence.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    p = Path(path)
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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning, palette transparency notes
            with Image.open(p) as img:
                w, h = img.size
                big = max(w, h) > MAX_SIDE
                if img.format == "JPEG" and big:
                    f = MAX_SIDE / max(w, h)  # DCT scaling: decodes at 1/2, 1/4 or 1/8 size
                    img.draft("RGB", (max(1, int(w * f)), max(1, int(h * f))))
                    w, h = img.size
                if w * h > MAX_PIXELS:
                    raise ImageReadError(
                        f"{_name(p)} is {w}x{h} pixels, more than the {MAX_PIXELS // 1_000_000}-megapixel "
                        "limit; scale it down first.")
                if getattr(img, "n_frames", 1) > 1:
                    img.seek(0)
                img.load()
                if big and img.format == "JPEG" and max(img.size) > MAX_SIDE:
                    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
                img = ImageOps.exif_transpose(img) or img
                return _to_rgb(img)
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
