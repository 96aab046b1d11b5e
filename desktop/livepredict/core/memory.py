"""Memory: giving freed memory back to the system after a large picture, and reading what the process holds.

Pillow decodes into blocks of up to 16 MB that, once freed, stay in the C heap (glibc keeps them
for reuse), so a server that decoded a few 36-megapixel pictures kept ~500 MB it no longer used.
``release_freed_memory`` asks glibc to return such free pages (``malloc_trim``); elsewhere it does
nothing. Call it after freeing something large, not per small picture (it walks the heap).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _trim():  # the libc function, or None where there is no glibc
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> bool:
    """Return free heap pages to the system; True when it could ask (glibc)."""
    fn = _trim()
    if fn is None:
        return False
    fn(0)
    return True


def resident_bytes() -> int | None:
    """This process's resident memory now (Linux ``/proc/self/statm``), None where it cannot be read."""
    import os

    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def size_text(n: float) -> str:
    """Bytes as "12.3 MB" / "850 KB"."""
    return f"{n / 1e6:.1f} MB" if abs(n) >= 1e5 else f"{n / 1e3:.0f} KB"
