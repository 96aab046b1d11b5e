"""Bounds on what is read from a model file before anything parses it.

A damaged or hostile file can claim a model description far larger than any real model's: a
``.keras`` archive whose ``config.json`` unpacks to a gigabyte of spaces, an ``.h5`` whose
``model_config`` attribute is 50 MB. Parsing such a description took minutes and many gigabytes
here. The sizes are read from the zip directory when the format is sniffed (nothing is unpacked), and
from the raw HDF5 attribute where it is read, before any JSON parsing; either is refused in one
sentence. Real descriptions are small: a ResNet152 config is about 0.6 MB, the
largest keras.applications network under 2 MB.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from livepredict.core.errors import ModelLoadError

MAX_DESCRIPTION_BYTES = 16 << 20  # config.json / model_config / metadata.json
MAX_MEMBERS = 10_000  # a .keras archive holds a handful of files
# Keras's own extraction guard (saving_lib): a member past 256 MiB that expands more than 100x is a bomb.
# Checked here, before Keras runs, so a refused archive leaves nothing behind (Keras's asset store made
# an empty temporary folder before its own check refused it) and the message is one sentence.
BOMB_FLOOR_BYTES = 1 << 28
BOMB_EXPANSION = 100


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB"


def _too_big(path: Path, what: str, size: int) -> ModelLoadError:
    return ModelLoadError(f"{path.name} declares a {_mb(size)} {what}, more than the {_mb(MAX_DESCRIPTION_BYTES)} "
                          "any real model needs; the file is damaged or not a model, get it again.")


def check_keras_archive(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a ``.keras`` zip (``infos``: its directory) whose description members are implausibly large,
    too many, or named outside the archive."""
    if len(infos) > MAX_MEMBERS:
        raise ModelLoadError(f"{path.name} holds {len(infos):,} files, far more than a Keras model; the file "
                             "is damaged or not a model, get it again.")
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
            raise ModelLoadError(f"{path.name} holds a file named {name!r} that points outside the archive; "
                                 "a Keras model never does, so it was not opened.")
        if name.endswith(".json") and info.file_size > MAX_DESCRIPTION_BYTES:
            raise _too_big(path, f"description ({name})", info.file_size)
        if info.file_size > BOMB_FLOOR_BYTES and info.file_size > BOMB_EXPANSION * info.compress_size:
            raise ModelLoadError(f"{path.name} holds {name!r}, which unpacks to {_mb(info.file_size)} from "
                                 f"{_mb(info.compress_size)} on disk (a decompression bomb); it was not opened.")


def check_h5_description(path: Path, raw: bytes | str) -> None:
    """Refuse an ``.h5`` whose ``model_config`` (``raw``, read but not yet parsed) is implausibly large.

    Called where the description is read (``legacy.read_h5_config``), not when the format is sniffed:
    a warm start from the cache never reads it, nor imports h5py."""
    if len(raw) > MAX_DESCRIPTION_BYTES:
        raise _too_big(path, "model description (model_config)", len(raw))
