"""GUI start-up: QApplication and main window first, the inference thread after."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    print("livepredict: the desktop window is not available yet; use `livepredict info MODEL`.", file=sys.stderr)
    return 2
