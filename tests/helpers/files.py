"""Real awkward files for the bad-input tests: huge PNGs written cheaply, permission denial as root."""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_huge_png(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """A valid 1-bit grayscale PNG of ``width`` x ``height`` written row by row (a few hundred KB,
    without ever holding the pixels in memory)."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + packed bits
    comp = zlib.compressobj(9)
    parts = []
    block = row * 256
    full, rest = divmod(height, 256)
    for _ in range(full):
        parts.append(comp.compress(block))
    parts.append(comp.compress(row * rest))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(_chunk(b"IHDR", ihdr))
        f.write(_chunk(b"IDAT", b"".join(parts)))
        f.write(_chunk(b"IEND", b""))
    return path


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    """Run the block as the ``nobody`` user when the tests run as root (root ignores permissions)."""
    if os.name != "posix" or os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
