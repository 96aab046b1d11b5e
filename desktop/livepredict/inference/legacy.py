"""Repairs for Keras-2 era ``.h5`` files that Keras 3 refuses.

Keras 2 wrote config keys Keras 3 no longer accepts, e.g. ``groups`` on ``DepthwiseConv2D``
(every Teachable Machine export), ``batch_input_shape``/``ragged`` on ``InputLayer`` and
``time_major`` on recurrent layers. :func:`repair_config` drops or renames the known ones;
:func:`repair_from_error` drops whatever keys a Keras "Unrecognized keyword arguments" error names.
The repaired config is written into a temporary copy of the file; the user's file is never changed.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path
from typing import Any

from livepredict.inference.limits import check_h5_description

# class name -> keys Keras 3 refuses (dropped)
DROP_KEYS: dict[str, tuple[str, ...]] = {
    "DepthwiseConv2D": ("groups",),
    "InputLayer": ("ragged",),
    "LSTM": ("time_major",),
    "GRU": ("time_major",),
    "SimpleRNN": ("time_major",),
}
RENAME_KEYS: dict[str, dict[str, str]] = {
    "InputLayer": {"batch_input_shape": "batch_shape"},
}
_UNRECOGNISED = re.compile(r"Unrecognized keyword arguments passed to (\w+): (\{.*?\})", re.S)


def _walk(node: Any, fn) -> None:
    if isinstance(node, dict):
        if "class_name" in node and isinstance(node.get("config"), dict):
            fn(node["class_name"], node["config"])
        for v in node.values():
            _walk(v, fn)
    elif isinstance(node, list):
        for v in node:
            _walk(v, fn)


def repair_config(config: dict[str, Any], drop: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """Fix ``config`` in place; returns what was changed (e.g. ``"DepthwiseConv2D: dropped groups"``)."""
    drop = drop if drop is not None else DROP_KEYS
    done: set[str] = set()

    def fix(cls: str, cfg: dict[str, Any]) -> None:
        for key in drop.get(cls, ()):
            if key in cfg:
                del cfg[key]
                done.add(f"{cls}: dropped {key}")
        for old, new in RENAME_KEYS.get(cls, {}).items():
            if old in cfg:
                value = cfg.pop(old)
                cfg.setdefault(new, value)
                done.add(f"{cls}: renamed {old} to {new}")

    _walk(config, fix)
    return sorted(done)


def keys_from_error(message: str) -> dict[str, tuple[str, ...]]:
    """``{"DepthwiseConv2D": ("groups",)}`` from a Keras "Unrecognized keyword arguments" error."""
    out: dict[str, tuple[str, ...]] = {}
    for cls, body in _UNRECOGNISED.findall(message):
        try:
            keys = tuple(ast.literal_eval(body).keys())
        except (ValueError, SyntaxError):
            keys = tuple(re.findall(r"'(\w+)'\s*:", body))
        if keys:
            out[cls] = tuple(sorted(set(out.get(cls, ())) | set(keys)))
    return out


def read_h5_config(path: str | Path) -> tuple[dict[str, Any] | None, str | None]:
    """(model_config, keras_version) of an .h5 file, or (None, None) when it has no model config."""
    import h5py

    with h5py.File(path, "r") as f:
        raw = f.attrs.get("model_config")
        ver = f.attrs.get("keras_version")
    if raw is None:
        return None, None
    check_h5_description(Path(path), raw)  # before any parsing: a 50 MB description took 17 GB to parse
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    if isinstance(ver, bytes):
        ver = ver.decode("utf-8")
    return json.loads(raw), (str(ver) if ver is not None else None)


def write_repaired_copy(src: str | Path, dst: str | Path, config: dict[str, Any]) -> Path:
    """Copy ``src`` to ``dst`` and replace its ``model_config`` attribute with ``config``."""
    import h5py

    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        f.attrs["model_config"] = json.dumps(config)
    return Path(dst)
