"""No cyclic garbage collection while a model loads, nor just after (its first prediction comes then).

Importing TensorFlow and loading a Keras model allocate hundreds of thousands of objects in a few
seconds. Python's collector, seeing its thresholds crossed again and again, scans them over and over
while they are still being built (7 full and 84 middle-generation collections for ``import
tensorflow`` + one small model: ~0.6 s of a ~5 s load, measured on a 2-core machine); in the app the
GUI thread's collector (``ui.gui_gc``) does the same scans from the GUI thread, holding the GIL the
loading thread needs. Almost all of those objects live as long as the process, so the scans find
little to free.

``deferred()`` marks such a stretch: automatic collection is off inside it (and switched back on
after if it was on: the CLI), and ``deferring()`` tells a timer-driven collector to wait until the
stretch is over plus a grace period, so the first prediction after the load does not wait for the
one collection that then sweeps the whole load's allocations. Nesting and several threads are fine.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Iterator

GRACE_S = 1.0  # after a load: its first prediction (and the GUI showing it) before any collection

_lock = threading.Lock()
_depth = 0
_reenable = False
_ended = float("-inf")


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """No automatic collection inside (a model load); ``deferring()`` is True until GRACE_S after."""
    global _depth, _reenable, _ended
    with _lock:
        if _depth == 0:
            _reenable = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _ended = time.monotonic()
                if _reenable:
                    gc.enable()
                _reenable = False


def deferring(grace_s: float = GRACE_S) -> bool:
    """True while a ``deferred()`` stretch runs in any thread, and for ``grace_s`` seconds after it."""
    with _lock:
        return _depth > 0 or time.monotonic() - _ended < grace_s
