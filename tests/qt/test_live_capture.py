"""CaptureWorker: real video files in a capture thread, the watchdog, reconnection with back-off."""

from __future__ import annotations

import os
import threading

import pytest
from helpers.faults import FaultScript, FaultSource, SlowFileSource
from helpers.video import frame_index, write_video

from livepredict.core.latest import Latest
from livepredict.sources import make_source
from livepredict.sources.video import VideoSource
from livepredict.threads.capture_worker import CAPTURE_NICE, CaptureWorker


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("cap") / "clip.avi", frames=30, fps=30.0)


@pytest.fixture
def workers():
    made: list[CaptureWorker] = []
    yield made
    for w in made:
        w.stop(timeout=2.0)


def _worker(workers, source, **kw) -> CaptureWorker:
    w = CaptureWorker(source, Latest(), **kw)
    workers.append(w)
    return w


def test_video_runs_to_the_end_nobody_taking(qtbot, video, workers):
    """Nobody takes: every frame but the newest is dropped and counted; latency cannot build up."""
    w = _worker(workers, make_source(str(video), throttle=False))
    events: list[str] = []
    w.ended.connect(events.append)
    w.stopped.connect(lambda: events.append("stopped"))
    with qtbot.waitSignal(w.stopped, timeout=10000):
        w.start()
    assert events == ["End of video clip.avi (30 frames).", "stopped"]
    assert w.frames_read == 30
    assert w.frames_dropped == 29 and w.mailbox.dropped_count == 29
    newest = w.mailbox.take()
    assert newest is w.latest_frame and frame_index(newest.image) == 29
    assert not w.running


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="thread priorities are a POSIX notion")
def test_only_a_free_running_reader_gives_way_to_the_gui(qtbot, video, workers):
    """A throttled file reads at its own pace flat out between frames and is niced; an unthrottled
    file waits for the slots to take each frame, so the frames it reads are all needed: not niced."""
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    nice = {}
    for throttle in (True, False):
        w = _worker(workers, make_source(str(video), throttle=throttle, loop=True))
        w.start()
        qtbot.waitUntil(lambda w=w: w.frames_read >= 2, timeout=5000)
        nice[throttle] = os.getpriority(os.PRIO_PROCESS, w._thread.native_id) - base
        w.stop(timeout=2.0)
    assert nice == {True: CAPTURE_NICE, False: 0}


def test_frame_available_is_payload_free_and_consumer_gets_every_frame(qtbot, video, workers):
    """A consumer that takes on every wake-up sees frames in order, never a queued backlog."""
    w = _worker(workers, make_source(str(video)))  # paced at 30 fps: the consumer keeps up
    got: list[int] = []

    def take():
        f = w.mailbox.take()
        if f is not None:
            got.append(f.index)

    w.frame_available.connect(take)
    with qtbot.waitSignal(w.ended, timeout=10000):
        w.start()
    assert got == sorted(set(got)) and got[-1] == 29
    assert len(got) + w.frames_dropped == 30


def test_missing_file_fails_without_reconnecting(qtbot, tmp_path, workers):
    src = VideoSource(tmp_path / "gone.avi")
    w = _worker(workers, src, backoff=(0.01,))
    with qtbot.waitSignal(w.failed, timeout=5000) as blocker:
        w.start()
    assert blocker.args == [f"No video file at {tmp_path / 'gone.avi'}; check the path."]
    assert w.reconnects == 0 and not w.running


def test_watchdog_notices_a_blocked_read_and_reconnects(qtbot, video, workers):
    script = FaultScript(fault_at=5, mode="block")
    w = _worker(workers, FaultSource(video, script=script), stall_timeout=0.3, backoff=(0.05,))
    statuses: list[str] = []
    w.status_changed.connect(statuses.append)
    try:
        with qtbot.waitSignal(w.opened, timeout=5000):
            w.start()
        qtbot.waitUntil(script.blocked.is_set, timeout=5000)
        # The watchdog abandons the stuck thread, reports, and reconnects to a fresh clone.
        with qtbot.waitSignal(w.opened, timeout=5000) as reopened:
            pass
        assert reopened.args == ["Test camera"]
        assert w.stalls == 1 and w.reconnects == 1
        assert statuses[0].startswith("Test camera stopped responding (nothing for ")
        assert statuses[0].endswith("; reconnecting in 0.05 s (attempt 1).")
        assert statuses[-1] == "Reconnected to Test camera."
        before = w.frames_read
        qtbot.waitUntil(lambda: w.frames_read >= before + 10, timeout=5000)
    finally:
        assert w.stop(timeout=2.0)
        script.release.set()
    # The abandoned thread returns from its blocked read, sees it is stale, closes its source.
    qtbot.waitUntil(lambda: 0 in script.closed_instances, timeout=5000)


def test_slow_file_read_is_waited_for_not_abandoned(qtbot, video, workers):
    """A file read that takes longer than the stall limit (a loaded machine) is reported once and
    waited for: playback goes on from the same thread, nothing is reopened or ended."""
    script = FaultScript(fault_at=5, mode="block")
    w = _worker(workers, SlowFileSource(video, script=script), stall_timeout=0.3, backoff=(0.05,))
    statuses: list[str] = []
    w.status_changed.connect(statuses.append)
    failed: list[str] = []
    w.failed.connect(failed.append)
    try:
        with qtbot.waitSignal(w.opened, timeout=5000):
            w.start()
        qtbot.waitUntil(script.blocked.is_set, timeout=5000)
        qtbot.waitUntil(lambda: w.slow_reads == 1, timeout=5000)
        assert statuses == [statuses[0]] and "is reading slowly" in statuses[0]
        script.release.set()
        before = w.frames_read
        qtbot.waitUntil(lambda: w.frames_read >= before + 10, timeout=5000)
        assert w.stalls == 0 and w.reconnects == 0 and script.opens == 1 and not failed
    finally:
        script.release.set()
        assert w.stop(timeout=2.0)


def test_failed_read_retries_with_back_off(qtbot, video, workers):
    """Read fails (unplugged), two reopen attempts fail (no camera), the third one works."""
    script = FaultScript(fault_at=3, mode="fail", failing_reopens=2)
    w = _worker(workers, FaultSource(video, script=script), backoff=(0.02, 0.04, 0.08))
    statuses: list[str] = []
    w.status_changed.connect(statuses.append)
    w.start()
    qtbot.waitUntil(lambda: "Reconnected to Test camera." in statuses, timeout=5000)
    assert statuses[:3] == [
        "Test camera stopped sending frames; check that it is still plugged in; reconnecting in "
        "0.02 s (attempt 1).",
        "No camera found at index 0; plug one in or pick another from the camera list; reconnecting "
        "in 0.04 s (attempt 2).",
        "No camera found at index 0; plug one in or pick another from the camera list; reconnecting "
        "in 0.08 s (attempt 3).",
    ]
    assert w.reconnects == 3 and script.opens == 4
    qtbot.waitUntil(lambda: w.frames_read > 10, timeout=5000)


def test_gives_up_after_max_attempts(qtbot, video, workers):
    script = FaultScript(fault_at=2, mode="fail", failing_reopens=99)
    w = _worker(workers, FaultSource(video, script=script), backoff=(0.01,), max_attempts=2)
    with qtbot.waitSignal(w.failed, timeout=5000) as blocker:
        w.start()
    assert blocker.args == ["No camera found at index 0; plug one in or pick another from the camera "
                            "list; gave up after 2 reconnection attempts."]
    assert not w.running


def test_stop_never_waits_forever_on_a_blocked_read(qtbot, video, workers):
    script = FaultScript(fault_at=1, mode="block")
    w = _worker(workers, FaultSource(video, script=script), stall_timeout=60)
    w.start()
    qtbot.waitUntil(script.blocked.is_set, timeout=5000)
    with qtbot.waitSignal(w.stopped, timeout=1000):
        assert w.stop(timeout=0.1) is False  # abandoned, not joined forever
    script.release.set()
    qtbot.waitUntil(lambda: 0 in script.closed_instances, timeout=5000)
    assert script.opens == 1  # no reconnection after an explicit stop


def test_pause_holds_the_video_position(qtbot, video, workers):
    w = _worker(workers, make_source(str(video), throttle=False))
    w.set_paused(True)
    with qtbot.waitSignal(w.opened, timeout=5000):
        w.start()
    assert w.paused and w.frames_read == 0
    w.set_paused(False)
    with qtbot.waitSignal(w.ended, timeout=5000):
        pass
    assert w.frames_read == 30
