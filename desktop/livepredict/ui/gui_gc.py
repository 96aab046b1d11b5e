"""Python's cyclic garbage collector, run on the GUI thread only.

The collector runs on whichever thread happens to allocate when a generation's threshold is crossed:
in this app usually the inference thread (TensorFlow tracing allocates a lot) or a feed thread. Any
Qt object that is part of a reference cycle is then destroyed on that thread, which Qt forbids
(warnings such as "QBasicTimer::start: Timers cannot be started from another thread", or a crash).
pyqtgraph's plot menus were one such case (see ``ui.plots.keep_menus_with``); this closes the whole
class: automatic collection is switched off and the same generational thresholds are checked by a
timer in the GUI thread (the approach of ``pyqtgraph.util.garbage_collector``, without importing
pyqtgraph at start-up). Collections cost the same as before (they hold the GIL wherever they run);
only the thread changes. While a model loads (``core.gc_defer``) the timer waits: the load's objects
are scanned once, after it and its first prediction, not again and again while they are built.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

from livepredict.core import gc_defer


class GuiThreadCollector(QObject):
    """Created in the GUI thread; ``stop()`` gives collection back to Python."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 250) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.collections = [0, 0, 0]
        self._ticks = 0
        self._every = max(1, 1000 // max(1, interval_ms))  # ticks per second
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setObjectName("gui-gc")
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    @Slot()
    def check(self) -> None:
        """Collect the generations whose thresholds are crossed, as the automatic collector would.

        The automatic collector fires at the peak of a burst of allocations; a timer sees the count
        after the burst has been freed, so the youngest generation is also collected once a second
        whatever the count (well under a millisecond): cycles dropped by other threads never wait
        for the net count to grow."""
        self._ticks += 1
        if gc_defer.deferring():  # a model is loading, or its first prediction is on the way
            return
        c0, c1, c2 = gc.get_count()
        if c0 <= self.threshold[0] and self._ticks % self._every:
            return
        generation = 0
        if c1 > self.threshold[1]:
            generation = 2 if c2 > self.threshold[2] else 1
        gc.collect(generation)
        self.collections[generation] += 1

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
