import threading

import numpy as np
import pytest

from livepredict.core.history import History
from livepredict.core.labels import parse_labels
from livepredict.core.latest import Latest
from livepredict.core.types import PreprocessSpec


def test_latest_newest_wins_and_counts_drops():
    box: Latest[int] = Latest()
    assert box.take() is None
    for i in range(5):
        box.put(i)
    assert box.take() == 4
    assert box.dropped_count == 4
    assert box.take() is None


def test_latest_concurrent_producers_lose_nothing_but_stale():
    box: Latest[int] = Latest()
    taken = []

    def produce():
        for i in range(1000):
            box.put(i)

    ts = [threading.Thread(target=produce) for _ in range(4)]
    for t in ts:
        t.start()
    while any(t.is_alive() for t in ts):
        x = box.take()
        if x is not None:
            taken.append(x)
    for t in ts:
        t.join()
    last = box.take()
    n_taken = len(taken) + (last is not None)
    assert box.put_count == 4000
    assert box.dropped_count + n_taken == 4000


def test_history_ring_keeps_last_rows_in_order():
    h = History(capacity=4, width=2)
    for i in range(10):
        h.append(float(i), [i, -i])
    t, v = h.view()
    assert t.tolist() == [6, 7, 8, 9]
    assert v[:, 0].tolist() == [6, 7, 8, 9]
    t2, _ = h.view(last=2)
    assert t2.tolist() == [8, 9]
    assert h.total == 10 and len(h) == 4


def test_history_append_does_not_allocate_new_buffers():
    h = History(capacity=8, width=3)
    buf = h._v
    for i in range(100):
        h.append(i, np.arange(3))
    assert h._v is buf


def test_preprocess_spec_roundtrip_and_validation():
    s = PreprocessSpec(size=(96, 128), resize="center-crop", interpolation="lanczos", scale="-1..1")
    assert PreprocessSpec.from_json(s.to_json()) == s
    with pytest.raises(ValueError, match="std"):
        PreprocessSpec(scale="mean-std", mean=(0.5,), std=(0.0,))
    with pytest.raises(ValueError, match="unknown preprocess keys"):
        PreprocessSpec.from_json({"size": [2, 2], "colour": "rgb"})
    with pytest.raises(ValueError):
        PreprocessSpec(resize="stretch")


def test_parse_labels_plain_and_teachable_machine():
    assert parse_labels("cat\ndog\n\n") == ["cat", "dog"]
    assert parse_labels("0 Cats\n1 Big Dogs\n") == ["Cats", "Big Dogs"]
    # numbers that are not a 0..n-1 index stay part of the label
    assert parse_labels("7 up\n3 musketeers") == ["7 up", "3 musketeers"]
