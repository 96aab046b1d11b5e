"""``classify`` on a model seen for the first time: Keras first, LiteRT once its check passed.

The command prints the switch (or why it stays on Keras) as one line on stderr, and says so when it
ends before the helper process has finished (the helper keeps going and fills the cache).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from livepredict.inference.handover import converting, poll  # small: no TensorFlow, no Qt


def convert_mode() -> str:
    from livepredict.inference.background import default_mode

    return default_mode()


def switch_if_ready(model: Any, bar: Any) -> None:
    """Move ``model`` onto LiteRT if its background conversion has just finished (prints one line,
    the command's ``progress_bar`` cleared first)."""
    done = poll(model)
    if done is None:
        return
    bar.clear()
    print(f"livepredict: {done.message}", file=sys.stderr, flush=True)


def announce_pending(model: Any) -> None:
    if converting(model):
        print("livepredict: the LiteRT conversion goes on in a helper process; the next run of this model "
              "uses it.", file=sys.stderr, flush=True)


YIELD_WHEN_LEFT_S = 10.0


class HelperYield:
    """Hands a new model's conversion helper down to the least priority once what is left of the
    folder will be done on Keras in under ``YIELD_WHEN_LEFT_S``: LiteRT could not pay its conversion
    back by then, and the helper's share of the cores would only slow the folder down (it finishes
    after the command). A large folder keeps the helper's share until LiteRT takes over. Measured on
    a new MobileNetV2-sized model: 600 photos 20.5-22.6 s with the helper's share to the end, 18.6-18.8 s
    handed down; 2,400 photos keep the share and switch to LiteRT mid-run."""

    def __init__(self, model: Any, total: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.model = model
        self.total = int(total)
        self.yielded = False
        self._since: tuple[float, int] | None = None  # (when, pictures done) after the first chunk

    def after(self, done: int) -> None:
        """Call after each chunk with the pictures done so far."""
        if self.yielded or not converting(self.model):
            return
        now = self._clock()
        if self._since is None:  # the first chunk carries the start-up: the rate counts from here
            self._since = (now, done)
        t0, n0 = self._since
        if done >= self.total:
            left = 0.0
        elif done > n0 and now > t0:
            left = (self.total - done) * (now - t0) / (done - n0)
        else:
            return  # no rate yet
        if left < YIELD_WHEN_LEFT_S:
            self.yielded = self.model.pending.yield_cores()
