"""Cache of verified LiteRT conversions and model descriptions (the warm start).

Entries live in ``<cache dir>/models/<key>/`` with ``entry.json`` (the description, the runtime
check, timings) and ``model.tflite``. The key hashes the model file's content (every file of a
SavedModel folder) with the app and TensorFlow versions, so a changed file, a new app or a new
TensorFlow never reuses an old conversion. Storing an entry removes older entries made from the
same path. The cache dir is ``$LIVEPREDICT_CACHE_DIR`` or the platform's user cache dir.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from livepredict import __version__

FORMAT = 1
MAX_ENTRIES = 64  # least recently stored entries beyond this are removed
_CHUNK = 1 << 20


def cache_dir() -> Path:
    env = os.environ.get("LIVEPREDICT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("livepredict", appauthor=False))


def _models_dir() -> Path:
    return cache_dir() / "models"


def content_hash(path: str | os.PathLike) -> str:
    """sha256 of a file, or of every file (relative name + bytes) under a folder."""
    p = Path(path)
    h = hashlib.sha256()

    def feed(f: Path) -> None:
        with open(f, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)

    if p.is_dir():
        for f in sorted(x for x in p.rglob("*") if x.is_file()):
            h.update(str(f.relative_to(p)).encode() + b"\0")
            feed(f)
            h.update(b"\0")
    else:
        feed(p)
    return h.hexdigest()


def entry_key(path: str | os.PathLike, tf_version: str) -> str:
    h = hashlib.sha256(f"{content_hash(path)}|app {__version__}|tf {tf_version}|fmt {FORMAT}".encode())
    return h.hexdigest()[:40]


def load(key: str) -> tuple[dict[str, Any], bytes | None] | None:
    """``(entry, tflite bytes or None)`` for ``key``, or None when missing or unreadable."""
    d = _models_dir() / key
    try:
        entry = json.loads((d / "entry.json").read_text(encoding="utf-8"))
        if entry.get("format_version") != FORMAT:
            return None
        blob = None
        if entry.get("has_tflite"):
            blob = (d / "model.tflite").read_bytes()
        return entry, blob
    except (OSError, ValueError):
        return None


def store(key: str, entry: dict[str, Any], tflite: bytes | None) -> Path | None:
    """Write an entry atomically; returns its folder (None if the cache is not writable)."""
    root = _models_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        entry = dict(entry, format_version=FORMAT, has_tflite=tflite is not None, key=key)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        if tflite is not None:
            (tmp / "model.tflite").write_bytes(tflite)
        (tmp / "entry.json").write_text(json.dumps(entry, indent=1), encoding="utf-8")
        final = root / key
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    except OSError:
        return None
    _drop_stale(root, key, entry.get("source"))
    _trim(root)
    return final


def _trim(root: Path, keep: int = MAX_ENTRIES) -> None:
    with contextlib.suppress(OSError):
        entries = [d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")]
        if len(entries) <= keep:
            return
        entries.sort(key=lambda d: d.stat().st_mtime)
        for d in entries[: len(entries) - keep]:
            shutil.rmtree(d, ignore_errors=True)


def _drop_stale(root: Path, key: str, source: str | None) -> None:
    if not source:
        return
    for d in root.iterdir():
        if d.name == key or d.name.startswith("."):
            continue
        with contextlib.suppress(OSError, ValueError):
            if json.loads((d / "entry.json").read_text(encoding="utf-8")).get("source") == source:
                shutil.rmtree(d, ignore_errors=True)


def clear() -> None:
    shutil.rmtree(_models_dir(), ignore_errors=True)
