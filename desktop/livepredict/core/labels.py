"""Reading label files: plain one-per-line, or Teachable Machine's ``0 Cats`` lines."""

from __future__ import annotations

import re
from pathlib import Path

_TM_LINE = re.compile(r"^\s*(\d+)\s+(.+?)\s*$")


def parse_labels(text: str) -> list[str]:
    """Labels from text. If every non-empty line is ``<index> <name>`` the index is stripped."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    matches = [_TM_LINE.match(ln) for ln in lines]
    if lines and all(matches):
        ordered = sorted(((int(m.group(1)), m.group(2)) for m in matches if m), key=lambda p: p[0])
        if [i for i, _ in ordered] == list(range(len(ordered))):
            return [name for _, name in ordered]
    return lines


def read_labels(path: str | Path) -> list[str]:
    return parse_labels(Path(path).read_text(encoding="utf-8", errors="replace"))


def default_labels(n: int) -> list[str]:
    return [f"class {i}" for i in range(n)]
