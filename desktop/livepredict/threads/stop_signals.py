"""SIGINT and SIGTERM while a headless command runs a Qt event loop: a clean stop, not an exception.

Python runs a signal handler between bytecodes of the main thread, which during ``QEventLoop.exec``
means inside some Qt callback: an exception raised there cannot unwind the command. So the handler
only records the signal and calls ``on_stop`` (set a flag, poke the loop); the loop's own timer
notices it. Installed on the main thread only; ``restore()`` puts the previous handlers back.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any


class StopSignals:
    def __init__(self, on_stop: Callable[[], None] | None = None) -> None:
        self.signalled = 0  # the signal number received, 0 for none
        self._on_stop = on_stop
        self._previous: dict[int, Any] = {}

    def install(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: object) -> None:
        self.signalled = signum
        if self._on_stop is not None:
            self._on_stop()

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
