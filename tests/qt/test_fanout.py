"""The capture's fan-out mailbox: a frame landing in any empty slot asks for a wake-up, and a file
read unthrottled can wait for a slot to take its frame."""

from livepredict.core.latest import Latest
from livepredict.threads.pipeline import FanOut


def test_a_frame_in_any_empty_slot_needs_a_wake_up():
    a, b = Latest(), Latest()
    fan = FanOut([a, b])
    assert fan.put(1) is False  # both were empty
    assert fan.put(2) is True  # both held an unread frame: a wake-up is already on its way
    assert a.take() == 2
    assert fan.put(3) is False  # slot a was empty again: it must be woken, though b drops
    assert b.dropped_count == 2 and a.dropped_count == 1


def test_wait_taken_returns_once_any_slot_takes():
    a, b = Latest(), Latest()
    fan = FanOut([a, b])
    fan.put(1)
    assert fan.wait_taken(0.0) is False
    b.take()
    assert fan.wait_taken(0.0) is True
    fan.put(2)
    assert fan.wait_taken(0.0) is False
