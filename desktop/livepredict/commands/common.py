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


class _NoBar:
    """What a command's progress bar is when nobody sees one (stderr is a pipe or a file)."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None

    def clear(self) -> None:
        return None


def progress_bar(total: int):
    """A tqdm bar of ``total`` pictures on stderr at a terminal; elsewhere a bar that does nothing,
    and tqdm (25-45 ms of imports) is not imported at all."""
    if not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="img", file=sys.stderr, leave=False)


def open_for_cli(args: argparse.Namespace, convert: str = "inline"):
    from livepredict.inference.loader import open_model

    return open_model(args.model, trust=args.trust, status=status_printer(), output=getattr(args, "output", None),
                      convert=convert)


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def finish(args: argparse.Namespace, results) -> int:
    """Print the JSON (with --json) and the failure count; the exit code of a classify run."""
    from livepredict.core.results import prediction_json

    if args.json:
        print_json([prediction_json(r, args.top) for r in results])
    failed = sum(1 for r in results if r.error)
    if failed:
        print(f"livepredict: {failed} of {len(results)} files could not be classified (see their errors).",
              file=sys.stderr)
        if failed == len(results):
            return 2  # nothing could be classified: scripts must see it (partial runs keep exit 0)
    return 0


def format_prediction(pred) -> str:
    """One line of ``classify`` output: path, best label and score, the others in brackets (or the error)."""
    from livepredict.core.results import summary_text

    if pred.error:
        return f"{pred.path}\terror: {pred.error}"
    if (summary := summary_text(pred.result)) is not None:  # a detector's or segmenter's result
        return f"{pred.path}\t{summary}"
    best, *rest = pred.top
    others = ", ".join(f"{lbl} {s:.3f}" for lbl, s in rest)
    return f"{pred.path}\t{best[0]} {best[1]:.3f}" + (f"\t({others})" if others else "")
