"""The one task runner, without a thread: a recording scheduler, tasks that are real generators."""

from __future__ import annotations

from collections.abc import Callable

from livepredict.threads.engine.runner import Task, TaskRunner


class Steps:
    """Runs the callbacks the runner schedules, by hand; remembers each delay."""

    def __init__(self) -> None:
        self.queue: list[tuple[float, Callable[[], None]]] = []
        self.delays: list[float] = []

    def __call__(self, delay_s: float, fn: Callable[[], None]) -> None:
        self.queue.append((delay_s, fn))
        self.delays.append(delay_s)

    def run(self, limit: int = 100) -> int:
        n = 0
        while self.queue and n < limit:
            _, fn = self.queue.pop(0)
            fn()
            n += 1
        return n


class Count(Task):
    def __init__(self, n: int, lane: str = "a", fail_at: int | None = None, pace: float = 0.0) -> None:
        self.n, self.lane, self.fail_at, self.pace = n, lane, fail_at, pace
        self.cancelled = False
        self.closed = False

    def steps(self):
        try:
            for i in range(self.n):
                if i == self.fail_at:
                    raise RuntimeError("invoke failed: injected")
                yield [(self.lane, i)]
        finally:
            self.closed = True

    def is_cancelled(self) -> bool:
        return self.cancelled

    def pace_s(self) -> float:
        return self.pace

    def on_cancel(self):
        return [(self.lane, "cancelled")]

    def on_error(self, message: str, details: str):
        return [(self.lane, message, "Traceback" in details)]


def make(stopping=lambda: False):
    out: list = []
    steps = Steps()
    return TaskRunner(out.append, steps, stopping), steps, out


def test_steps_one_at_a_time_through_the_scheduler_with_pacing():
    runner, steps, out = make()
    runner.submit(Count(3, pace=0.25))
    assert out == [] and len(steps.queue) == 1  # nothing runs inside submit
    steps.run(1)
    assert out == [("a", 0)]
    steps.run()
    assert out == [("a", 0), ("a", 1), ("a", 2)]
    assert steps.delays[1:3] == [0.25, 0.25]  # paced between steps
    assert runner.active("a") is None


def test_an_exception_becomes_the_error_result_that_names_the_cause():
    runner, steps, out = make()
    task = Count(5, fail_at=2)
    runner.submit(task)
    steps.run()
    assert out[:2] == [("a", 0), ("a", 1)]
    lane, message, has_traceback = out[2]
    assert "RuntimeError" in message and "invoke failed: injected" in message and has_traceback
    assert len(out) == 3 and task.closed and runner.active("a") is None


def test_cancel_is_checked_between_steps_and_the_generator_is_closed():
    runner, steps, out = make()
    task = Count(10)
    runner.submit(task)
    steps.run(2)
    task.cancelled = True
    steps.run()
    assert out == [("a", 0), ("a", 1), ("a", "cancelled")] and task.closed


def test_lanes_queue_in_order_and_interleave_with_each_other():
    runner, steps, out = make()
    runner.submit(Count(2, "a"))
    runner.submit(Count(1, "a"))  # waits for the first task of lane a
    runner.submit(Count(2, "b"))
    steps.run()
    assert [x for x in out if x[0] == "a"] == [("a", 0), ("a", 1), ("a", 0)]
    assert [x for x in out if x[0] == "b"] == [("b", 0), ("b", 1)]
    assert out.index(("b", 0)) < out.index(("a", 1))  # b did not wait for a


def test_replace_drops_the_running_task_silently_and_starts_now():
    runner, steps, out = make()
    old = Count(10, pace=5.0)
    runner.submit(old)
    steps.run(1)
    runner.submit(Count(1), replace=True)
    assert old.closed
    steps.run()
    assert out == [("a", 0), ("a", 0)]
    assert steps.delays[-1] == 0.0  # the new task did not wait for the old one's pace


def test_shutdown_cancels_every_task_and_schedules_nothing_more():
    stop = []
    runner, steps, out = make(lambda: bool(stop))
    runner.submit(Count(5, "a"))
    runner.submit(Count(5, "b"))
    steps.run(1)
    stop.append(True)
    runner.cancel_all()
    assert ("a", "cancelled") in out and ("b", "cancelled") in out
    steps.run()
    runner.submit(Count(1, "c"))
    assert steps.run() == 0


def test_every_task_payload_goes_out_on_a_declared_signal_and_start_up_imports_no_task_module():
    import subprocess
    import sys

    from PySide6.QtCore import Signal

    from livepredict.threads.engine import (
        evaluate,
        explain,
        export_task,
        int8_task,
        payloads,
        switching,
        worker,
    )

    payload_classes = (payloads.ImageResult, payloads.BatchProgress, payloads.BatchFinished, payloads.TextChunk,
                       payloads.ForecastStep, evaluate.EvalProgress, evaluate.EvalFinished, explain.ExplainResult,
                       explain.ExplainFinished, export_task.ExportProgress, export_task.ExportFinished,
                       switching.RuntimeSwitched, int8_task.Int8Progress, int8_task.Int8Ready)
    assert set(worker.TASK_SIGNALS) == {c.__name__ for c in payload_classes}
    assert all(isinstance(vars(worker.WorkerResults)[name], Signal) for name in worker.TASK_SIGNALS.values())
    code = ("import sys; import livepredict.threads.engine.controller; "
            "print(sorted(m for m in sys.modules if m.split('.')[-1] in "
            "('explain', 'evaluate', 'export_task', 'int8_task')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"  # made when their first request comes, not when the app starts
