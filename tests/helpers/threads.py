"""Deterministic concurrency for Qt tests: keep the inference thread busy until the test says so."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Slot


class ThreadHold(QObject):
    """Moved to the inference thread; a queued call to ``hold`` keeps that thread busy until
    ``release`` is set (``holding`` tells the test the thread is held)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.holding = threading.Event()

    @Slot()
    def hold(self) -> None:
        self.holding.set()
        self.release.wait(30)
