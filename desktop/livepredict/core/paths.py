"""Checks made on every path before it is opened, without blocking.

Opening a named pipe (FIFO) for reading waits until a writer appears, and reading a character
device can stream forever: a model, picture, sidecar, label file or video given as such a path
would hang the app. ``os.stat`` never blocks on them, so every reader calls :func:`not_a_file`
first and refuses such a path in one sentence.
"""

from __future__ import annotations

import os
import stat

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def special_kind(st: os.stat_result) -> str | None:
    """What the stat result describes when it is not a regular file (None for a regular file)."""
    if stat.S_ISREG(st.st_mode):
        return None
    for test, name in _KINDS:
        if test(st.st_mode):
            return name
    return "not a regular file"


def not_a_file(path: str | os.PathLike) -> str | None:
    """``"a named pipe (FIFO)"``, ``"a folder"``, … when ``path`` exists but is not a regular file.

    None for a regular file (symbolic links are followed) and for a path that cannot be stat'ed:
    the caller's own open reports a missing or unreadable file as it always did.
    """
    try:
        return special_kind(os.stat(path))
    except OSError:
        return None
