"""A single-slot mailbox: the newest item wins, older unread items are dropped and counted."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Latest(Generic[T]):
    """Thread-safe one-slot mailbox (DESIGN §1).

    ``put`` overwrites the slot; an item that was never taken counts as dropped. ``take`` empties
    the slot and returns the item or None. Frames are never queued, so latency cannot build up.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.taken = threading.Event()  # set by ``take``; a fan-out shares one among its boxes
        self._item: T | None = None
        self._has = False
        self.put_count = 0
        self.taken_count = 0
        self.dropped_count = 0

    def put(self, item: T) -> bool:
        """Store ``item``; returns True if an unread item was overwritten (dropped)."""
        self.taken.clear()
        return self.store(item)

    def store(self, item: T) -> bool:
        """``put`` without resetting ``taken`` (a fan-out resets its shared event once per item)."""
        with self._lock:
            dropped = self._has
            if dropped:
                self.dropped_count += 1
            self._item = item
            self._has = True
            self.put_count += 1
            return dropped

    def take(self) -> T | None:
        with self._lock:
            if not self._has:
                return None
            item, self._item, self._has = self._item, None, False
            self.taken_count += 1
        self.taken.set()
        return item

    def wait_taken(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for a ``take`` since the last ``put`` (a reader that can wait for
        its consumer, such as a video file read unthrottled, decodes no frame only to drop it)."""
        return self.taken.wait(timeout)

    def peek(self) -> T | None:
        with self._lock:
            return self._item if self._has else None

    def clear(self) -> None:
        with self._lock:
            self._item, self._has = None, False

    def __bool__(self) -> bool:
        with self._lock:
            return self._has
