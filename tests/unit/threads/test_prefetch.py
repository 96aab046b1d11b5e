"""Prefetch: pictures prepared in a pool of threads, handed back chunk by chunk in input order."""

from __future__ import annotations

import threading

from livepredict.threads.prefetch import Prefetch, Prepared


def test_chunks_come_back_in_order_and_are_prepared_in_pool_threads():
    names: set[str] = set()

    def prepare(x):
        names.add(threading.current_thread().name)
        return Prepared(x, error="odd" if x % 2 else None)

    got = [[(p.item, p.error) for p in chunk] for chunk in Prefetch(range(10), 4, prepare, threads=2)]
    assert got == [[(i, "odd" if i % 2 else None) for i in range(s, min(s + 4, 10))] for s in (0, 4, 8)]
    assert names and all(n.startswith("decode") for n in names)


def test_closing_early_drops_what_is_queued():
    started = []
    gate = threading.Event()

    def prepare(x):
        started.append(x)
        if x >= 2:
            gate.wait(5)
        return Prepared(x)

    ahead = Prefetch(range(100), 2, prepare, threads=1, ahead=1)
    first = next(iter(ahead))
    assert [p.item for p in first] == [0, 1]
    ahead.close()
    gate.set()
    assert len(started) < 10  # the rest of the 100 items were never prepared
