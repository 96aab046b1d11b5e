"""What the headless commands share: status lines on a terminal, opening a model, JSON on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable


def status_printer() -> Callable[[str], None] | None:
    """Loading progress on stderr for people at a terminal (not for scripts and pipes)."""
    if not sys.stderr.isatty():
        return None
    return lambda text: print(f"livepredict: {text}", file=sys.stderr, flush=True)


def open_for_cli(args: argparse.Namespace, convert: str = "inline", helper_nice: int | None = None):
    from livepredict.inference.loader import open_model

    return open_model(args.model, trust=args.trust, status=status_printer(), output=getattr(args, "output", None),
                      convert=convert, helper_nice=helper_nice)


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")

