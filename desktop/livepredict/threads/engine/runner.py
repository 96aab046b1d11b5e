"""One task runner for everything longer than one frame (DESIGN §9, "Tasks").

A task is a generator of steps: each ``next()`` does one small piece of work (a chunk of a folder,
a display tick of tokens, one forecast step) and yields the results it made (a list of payloads).
The runner steps it through the thread's event loop, so other requests (a new model, live frames,
cancel, shutdown) are handled between steps; it paces the steps (``Task.pace_s``), checks
``Task.is_cancelled`` before each one, and turns an exception into the task's error result
(``Task.on_error``), which names the real cause.

Tasks run in lanes: the tasks of one lane run one after another (first in, first out; ``replace``
drops the running one instead), tasks of different lanes interleave (e.g. a folder in each slot).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from livepredict.threads.engine.guard import error_parts

log = logging.getLogger(__name__)

Schedule = Callable[[float, Callable[[], None]], None]


class Task:
    """A long job, stepped by the runner. Subclasses implement ``steps`` (and may override the rest)."""

    lane = "task"

    def steps(self) -> Iterator[Sequence[Any]]:
        raise NotImplementedError

    def is_cancelled(self) -> bool:
        return False

    def pace_s(self) -> float:
        """Seconds to wait before the next step (0: as soon as the event loop is free)."""
        return 0.0

    def on_cancel(self) -> Sequence[Any]:
        """Results to emit when the task is cancelled between steps (or at shutdown)."""
        return ()

    def on_error(self, message: str, details: str) -> Sequence[Any]:
        """Results to emit when a step raised (``message`` names the cause)."""
        return ()


@dataclass
class _Running:
    task: Task
    steps: Iterator[Sequence[Any]] | None = None


def qt_schedule(context: Any) -> Schedule:
    """Schedule through ``context``'s thread's event loop (a QTimer single shot)."""
    from PySide6.QtCore import QTimer

    def schedule(delay_s: float, fn: Callable[[], None]) -> None:
        QTimer.singleShot(max(0, round(delay_s * 1000.0)), context, fn)

    return schedule


class TaskRunner:
    """Steps tasks on the thread that owns ``schedule``'s event loop; results go to ``emit``.

    ``stopping()`` true: nothing more is scheduled (shutdown). Without a thread (unit tests),
    pass a ``schedule`` that records the callbacks and call them by hand.
    """

    def __init__(self, emit: Callable[[Any], None], schedule: Schedule,
                 stopping: Callable[[], bool] = lambda: False) -> None:
        self._emit = emit
        self._schedule = schedule
        self._stopping = stopping
        self._lanes: dict[str, deque[_Running]] = {}
        self._pending: dict[str, int] = {}  # lane -> token of its scheduled step
        self._tokens = 0

    def submit(self, task: Task, *, replace: bool = False) -> None:
        """Queue ``task`` in its lane (``replace``: drop the lane's tasks silently first)."""
        lane = self._lanes.setdefault(task.lane, deque())
        if replace:
            self.drop(task.lane)
        lane.append(_Running(task))
        self._wake(task.lane, 0.0, force=replace)  # a replacing run starts now, not after the old pace

    def drop(self, lane: str) -> None:
        """End ``lane``'s tasks silently (e.g. the runs of a generator that is being replaced)."""
        queue = self._lanes.get(lane)
        while queue:
            self._close(queue.popleft())

    def active(self, lane: str) -> Task | None:
        queue = self._lanes.get(lane)
        return queue[0].task if queue else None

    def cancel_all(self) -> None:
        """Cancel every task (shutdown): each emits its cancel results."""
        for queue in self._lanes.values():
            while queue:
                run = queue.popleft()
                self._close(run)
                self._emit_all(run.task.on_cancel())

    def _wake(self, lane: str, delay_s: float, force: bool = False) -> None:
        if (lane in self._pending and not force) or self._stopping():
            return
        self._tokens += 1
        token = self._pending[lane] = self._tokens
        self._schedule(delay_s, lambda: self._fire(lane, token))

    def _fire(self, lane: str, token: int) -> None:
        if self._pending.get(lane) == token:  # else superseded by a newer wake of this lane
            self.step(lane)

    def step(self, lane: str) -> None:
        """Run one step of ``lane``'s first task, then schedule the next step (never raises)."""
        self._pending.pop(lane, None)
        queue = self._lanes.get(lane)
        if not queue:
            return
        run = queue[0]
        task = run.task
        done = True
        try:
            if task.is_cancelled():
                self._close(run)
                self._emit_all(task.on_cancel())
            else:
                if run.steps is None:
                    run.steps = iter(task.steps())
                self._emit_all(next(run.steps))
                done = False
        except StopIteration:
            pass
        except Exception as e:  # noqa: BLE001 - a step never lets an exception escape the event loop
            message, details = error_parts(e)
            log.warning("%s failed: %s\n%s", type(task).__name__, message, details)
            self._close(run)
            self._emit_all(task.on_error(message, details))
        if done and queue and queue[0] is run:
            queue.popleft()
        if queue:
            self._wake(lane, 0.0 if done else task.pace_s())

    def _emit_all(self, results: Sequence[Any]) -> None:
        for r in results:
            self._emit(r)

    @staticmethod
    def _close(run: _Running) -> None:
        if run.steps is not None and hasattr(run.steps, "close"):
            run.steps.close()  # type: ignore[union-attr]
