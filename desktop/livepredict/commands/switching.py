"""``classify`` on a model seen for the first time: Keras first, LiteRT once its check passed.

The command prints the switch (or why it stays on Keras) as one line on stderr, and says so when it
ends before the helper process has finished (the helper keeps going and fills the cache).
"""

from __future__ import annotations

import sys
from typing import Any


def convert_mode() -> str:
    from livepredict.inference.background import default_mode

    return default_mode()


def switch_if_ready(model: Any, bar: Any = None) -> None:
    """Move ``model`` onto LiteRT if its background conversion has just finished (prints one line)."""
    from livepredict.inference.handover import poll

    done = poll(model)
    if done is None:
        return
    if bar is not None:
        bar.clear()
    print(f"livepredict: {done.message}", file=sys.stderr, flush=True)


def announce_pending(model: Any) -> None:
    from livepredict.inference.handover import converting

    if converting(model):
        print("livepredict: the LiteRT conversion goes on in a helper process; the next run of this model "
              "uses it.", file=sys.stderr, flush=True)
