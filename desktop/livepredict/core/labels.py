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
    return read_labels_checked(path)[0]


def read_labels_checked(path: str | Path) -> tuple[list[str], list[str]]:
    """(labels, warnings): a file that is not UTF-8 or names a label twice loads, with a warning."""
    p = Path(path)
    raw = p.read_bytes()
    warnings: list[str] = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        warnings.append(f"{p.name} is not UTF-8 text; characters it could not read show as \ufffd (save it as "
                        "UTF-8).")
    labels = parse_labels(text)
    seen: dict[str, int] = {}
    twice = [name for i, name in enumerate(labels) if seen.setdefault(name, i) != i]
    if twice:
        names = ", ".join(repr(n) for n in dict.fromkeys(twice))
        warnings.append(f"{p.name} names {names} more than once, so those classes cannot be told apart; "
                        "give each class its own name.")
    return labels, warnings


def default_labels(n: int) -> list[str]:
    return [f"class {i}" for i in range(n)]
