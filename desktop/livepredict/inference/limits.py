"""Bounds on what is read from a model file before anything parses it.

A damaged or hostile file can claim a model description far larger than any real model's: a
``.keras`` archive whose ``config.json`` unpacks to a gigabyte of spaces, an ``.h5`` whose
``model_config`` attribute is 50 MB. Parsing such a description took minutes and many gigabytes
here. The sizes are read from the zip directory (nothing is unpacked) and from the raw HDF5 attribute
(before any JSON parsing) and refused in one sentence. Real descriptions are small: a ResNet152 config is about 0.6 MB, the
largest keras.applications network under 2 MB.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from livepredict.core.errors import ModelLoadError

MAX_DESCRIPTION_BYTES = 16 << 20  # config.json / model_config / metadata.json
MAX_MEMBERS = 10_000  # a .keras archive holds a handful of files


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB"


def _too_big(path: Path, what: str, size: int) -> ModelLoadError:
    return ModelLoadError(f"{path.name} declares a {_mb(size)} {what}, more than the {_mb(MAX_DESCRIPTION_BYTES)} "
                          "any real model needs; the file is damaged or not a model, get it again.")


def check_keras_archive(path: Path) -> None:
    """Refuse a ``.keras`` zip whose description members are implausibly large or too many."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ModelLoadError(f"{path.name} holds {len(infos):,} files, far more than a Keras model; the file "
                             "is damaged or not a model, get it again.")
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
            raise ModelLoadError(f"{path.name} holds a file named {name!r} that points outside the archive; "
                                 "a Keras model never does, so it was not opened.")
        if name.endswith(".json") and info.file_size > MAX_DESCRIPTION_BYTES:
            raise _too_big(path, f"description ({info.filename})", info.file_size)


def check_h5_description(path: Path) -> None:
    """Refuse an ``.h5`` whose ``model_config`` attribute is implausibly large (before it is parsed)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            if "model_config" not in f.attrs:
                return
            # Keras stores it as a variable-length string, whose header does not say its length:
            # read the raw bytes (at most the file's size) and measure them before any parsing.
            raw = f.attrs["model_config"]
            size = len(raw) if isinstance(raw, bytes | str) else 0
    except OSError:
        return  # a damaged file: the loader's own open says so in its words
    if size > MAX_DESCRIPTION_BYTES:
        raise _too_big(path, "model description (model_config)", size)

