"""Names and versions of models exported for TensorFlow Serving (``OUT_DIR/NAME/VERSION``): plain rules
shared by the export (``inference.export``), the CLI and the export dialog."""

from __future__ import annotations

import re
from pathlib import Path

from livepredict.core.errors import LivePredictError

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_MODEL_SUFFIXES = (".keras", ".h5", ".hdf5", ".tflite")


def default_name(model_path: str) -> str:
    """A model name from the file name: letters, digits, '.', '_' and '-' only."""
    stem = Path(model_path).name
    for suffix in _MODEL_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-") or "model"


def parse_version(text: str | int) -> int:
    """A Serving version: a whole number (the folder name TF Serving reads); LivePredictError otherwise."""
    s = str(text).strip()
    if not s.isdigit() or len(s) > 18:
        raise LivePredictError(f"The version must be a whole number such as 1 (TensorFlow Serving reads the "
                               f"folder name as a number), not {str(text)!r}.")
    return int(s)


def check_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise LivePredictError(f"The model name {name!r} cannot be a folder name for TensorFlow Serving; use "
                               "letters, digits, '.', '_' or '-' (for example --name shapes).")
    return name
