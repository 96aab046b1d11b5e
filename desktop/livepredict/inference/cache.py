"""Cache of verified LiteRT conversions and model descriptions (the warm start).

Entries live in ``<cache dir>/models/<key>/`` with ``entry.json`` (the description, the runtime
check, timings) and ``model.tflite``. The key hashes the model file's content (every file of a
SavedModel folder) with the app and TensorFlow versions, so a changed file, a new app or a new
TensorFlow never reuses an old conversion. Storing an entry removes older entries made from the
same path. The cache dir is ``$LIVEPREDICT_CACHE_DIR`` or the platform's user cache dir.

An entry is checked when it is read: ``entry.json`` must parse and hold the keys the loader needs,
and ``model.tflite`` must have the size and sha256 written with it. A damaged entry (a truncated or
bit-flipped file, a half-written JSON) is removed, reported once through ``on_damaged`` and then
rebuilt by the caller. Entries are written in a temporary folder renamed into place, so two
processes filling the same entry at once both succeed (the second rename loses harmlessly).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from livepredict import __version__

FORMAT = 4  # 2: model.tflite carries its size and sha256; 3: the description is a ModelStructure; 4: outputs named after their layers
REQUIRED_KEYS = ("source", "format", "structure", "chosen", "has_tflite", "key")
MAX_ENTRY_JSON = 16 << 20  # a description is a few hundred KB at most; refuse to parse more
MAX_ENTRIES = 64  # least recently stored entries beyond this are removed
_CHUNK = 1 << 20

log = logging.getLogger(__name__)


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


class DamagedEntry(ValueError):
    """A cache entry that exists but cannot be trusted (the message says why)."""


def _read_entry(d: Path, key: str, check: Callable[[dict[str, Any]], object] | None = None
                ) -> tuple[dict[str, Any], bytes | None] | None:
    """The checked entry in ``d``; None when there is none (or of another format version)."""
    jf = d / "entry.json"
    try:
        if jf.stat().st_size > MAX_ENTRY_JSON:
            raise DamagedEntry(f"entry.json is larger than {MAX_ENTRY_JSON >> 20} MB")
        text = jf.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise DamagedEntry(f"entry.json is unreadable ({type(e).__name__})") from e
    try:
        entry = json.loads(text)
    except ValueError as e:
        raise DamagedEntry("entry.json is not valid JSON") from e
    if not isinstance(entry, dict):
        raise DamagedEntry("entry.json is not an object")
    if entry.get("format_version") != FORMAT:
        return None
    missing = [k for k in REQUIRED_KEYS if k not in entry]
    if missing:
        raise DamagedEntry(f"entry.json lacks {', '.join(missing)}")
    if entry["key"] != key:
        raise DamagedEntry("entry.json belongs to another model")
    if check is not None:
        try:
            check(entry)
        except Exception as e:  # noqa: BLE001 - any failure to read it back means the entry is unusable
            raise DamagedEntry(f"its description cannot be read back ({type(e).__name__})") from e
    if not entry["has_tflite"]:
        return entry, None
    try:
        blob = (d / "model.tflite").read_bytes()
    except OSError as e:
        raise DamagedEntry(f"model.tflite is unreadable ({type(e).__name__})") from e
    if len(blob) != entry.get("tflite_size") or hashlib.sha256(blob).hexdigest() != entry.get("tflite_sha256"):
        raise DamagedEntry("model.tflite does not match its checksum (truncated or changed)")
    return entry, blob


def load(key: str, on_damaged: Callable[[str], None] | None = None,
         check: Callable[[dict[str, Any]], object] | None = None) -> tuple[dict[str, Any], bytes | None] | None:
    """``(entry, tflite bytes or None)`` for ``key``, or None when missing, stale or damaged.

    ``check(entry)`` is the caller's own reading of the entry (it raises if it cannot use it). A
    damaged entry is deleted (so the next open rebuilds it) and ``on_damaged`` gets one sentence.
    """
    d = _models_dir() / key
    try:
        return _read_entry(d, key, check)
    except DamagedEntry as e:
        shutil.rmtree(d, ignore_errors=True)
        message = f"The cached conversion of this model was damaged ({e}); it was removed and is rebuilt now."
        log.warning("cache entry %s: %s", key, e)
        if on_damaged is not None:
            on_damaged(message)
        return None


def store(key: str, entry: dict[str, Any], tflite: bytes | None) -> Path | None:
    """Write an entry atomically; returns its folder (None if the cache is not writable)."""
    root = _models_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        entry = dict(entry, format_version=FORMAT, has_tflite=tflite is not None, key=key)
        if tflite is not None:
            entry.update(tflite_size=len(tflite), tflite_sha256=hashlib.sha256(tflite).hexdigest())
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        try:
            if tflite is not None:
                (tmp / "model.tflite").write_bytes(tflite)
            (tmp / "entry.json").write_text(json.dumps(entry, indent=1), encoding="utf-8")
            final = root / key
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            try:
                os.replace(tmp, final)
            except OSError:
                if not (final / "entry.json").is_file():
                    raise
                # another process renamed the same entry into place first: theirs is as good
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
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
