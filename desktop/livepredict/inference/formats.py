"""Which kind of model file a path is, from its bytes (no TensorFlow)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from livepredict.core.errors import ModelLoadError
from livepredict.core.paths import not_a_file
from livepredict.inference import limits

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _head(path: Path, n: int = 2048) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def detect_format(path: str | Path) -> str:
    """``keras`` | ``h5`` | ``savedmodel`` | ``tflite`` from the file's bytes (and its name).

    Raises ModelLoadError with one sentence for a missing, empty, unreadable or non-model path.
    """
    p = Path(path)
    try:
        exists = p.exists()
    except OSError:
        exists = False
    if not exists:
        raise ModelLoadError(f"No model file or folder at {p}; check the path.")
    if p.is_dir():
        if (p / "saved_model.pb").is_file() or (p / "saved_model.pbtxt").is_file():
            return "savedmodel"
        raise ModelLoadError(f"{p} is a folder but not a SavedModel (it has no saved_model.pb); pick a "
                             ".keras, .h5 or .tflite file, or a SavedModel folder.")
    special = not_a_file(p)
    if special is not None:
        raise ModelLoadError(f"{p} is {special}, not a model file; pick a .keras, .h5 or .tflite file or a "
                             "SavedModel folder.")
    try:
        size = p.stat().st_size
        head = _head(p)
    except PermissionError:
        raise ModelLoadError(f"Permission denied reading {p}; check the file's permissions.") from None
    except OSError as e:
        raise ModelLoadError(f"Cannot read {p} ({e.strerror or e}); check the path.") from e
    if size == 0:
        raise ModelLoadError(f"{p} is empty (0 bytes); the download or copy probably failed, get the "
                             "file again.")
    ext = p.suffix.lower()
    if head.startswith(b"PK"):
        if not zipfile.is_zipfile(p):
            raise ModelLoadError(f"{p} is a truncated or damaged .keras archive; save or copy the model "
                                 "again.")
        with zipfile.ZipFile(p) as z:
            members = z.infolist()
        if "config.json" not in {m.filename for m in members}:
            raise ModelLoadError(f"{p} is a zip file but not a Keras model (no config.json inside); pick "
                                 "a file saved with model.save('name.keras').")
        limits.check_keras_archive(p, members)  # the sizes the zip directory declares, nothing unpacked
        return "keras"
    if any(head[o:o + 8] == HDF5_MAGIC for o in (0, 512, 1024)):
        return "h5"
    if head[4:8] == b"TFL3":
        return "tflite"
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        raise ModelLoadError(f"{p} is an HTML page, not a model (probably an error page saved instead of "
                             "the download); download the model file itself.")
    kind = {".keras": "Keras", ".h5": "HDF5", ".hdf5": "HDF5", ".tflite": "LiteRT"}.get(ext)
    if kind:
        raise ModelLoadError(f"{p} is not a valid {kind} model file (its content is not in that format); "
                             "check that it was saved or downloaded completely.")
    raise ModelLoadError(f"{p} is not a model Live Predict can open; pick a .keras, .h5 or .tflite file "
                         "or a SavedModel folder.")
