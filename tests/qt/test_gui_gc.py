"""Cyclic garbage is collected on the GUI thread only while the app's collector runs."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from livepredict.ui.gui_gc import GuiThreadCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it
        self.qt = QObject()  # what Qt must not see destroyed off its thread


def _cycle_dropped_on_a_worker(deaths: list[str]) -> None:
    """Make a cycle, drop it on another thread, then allocate there past gen-0's threshold."""
    box: dict = {}

    def work() -> None:
        node = box.pop("node")
        weakref.finalize(node, lambda: deaths.append(threading.current_thread().name))
        del node
        junk = [[i] for i in range(gc.get_threshold()[0] * 20)]  # allocations trigger collections
        del junk

    box["node"] = Node()
    t = threading.Thread(target=work, name="worker")
    t.start()
    t.join(30)


def test_without_the_collector_a_worker_thread_frees_qt_objects():
    """The hazard itself: automatic collection runs on whichever thread allocates."""
    assert gc.isenabled()
    gc.collect()
    deaths: list[str] = []
    _cycle_dropped_on_a_worker(deaths)
    assert deaths == ["worker"]


def test_with_the_collector_cycles_die_on_the_gui_thread(qtbot):
    gc.collect()
    collector = GuiThreadCollector(interval_ms=20)
    try:
        assert not gc.isenabled()
        deaths: list[str] = []
        _cycle_dropped_on_a_worker(deaths)
        assert deaths == []  # nothing collected on the worker
        qtbot.waitUntil(lambda: deaths == ["MainThread"], timeout=5000)
        assert sum(collector.collections) >= 1
    finally:
        collector.stop()
    assert gc.isenabled()


def test_the_collector_waits_while_a_model_loads(qtbot):
    """Inside ``gc_defer.deferred()`` (a model load on the inference thread) the GUI's timer does not
    collect; once the stretch and its grace period are over, the waiting cycle dies on the GUI thread."""
    from livepredict.core import gc_defer

    gc.collect()
    collector = GuiThreadCollector(interval_ms=20)
    try:
        deaths: list[str] = []
        loading = threading.Event()
        done = threading.Event()

        def load() -> None:
            with gc_defer.deferred():
                loading.set()
                done.wait(30)

        t = threading.Thread(target=load, name="inference")
        t.start()
        assert loading.wait(30)
        _cycle_dropped_on_a_worker(deaths)
        held = [[i] for i in range(gc.get_threshold()[0] * 5)]  # gen 0 well above its threshold
        for _ in range(2 * collector._every):  # two seconds' ticks, the once-a-second one included
            collector.check()
        assert deaths == [] and collector.collections == [0, 0, 0]
        del held
        done.set()
        t.join(30)
        qtbot.waitUntil(lambda: deaths == ["MainThread"], timeout=5000)  # after GRACE_S
    finally:
        collector.stop()
    assert gc.isenabled()
