"""The thread guard: which thread imported TensorFlow and which made each engine call (DESIGN §1).

``THREAD_GUARD`` records the thread of every engine call made on the inference thread (wrap the call
in ``with engine_call("what"):``), and ``install_import_watch()`` records which thread first imports
tensorflow/keras/LiteRT. The app writes both to ``$LIVEPREDICT_THREAD_REPORT`` at exit when that
variable is set (tests use it). ``error_parts`` turns any exception into (one sentence, details).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import logging
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import Any

from livepredict.core.errors import LivePredictError

log = logging.getLogger(__name__)

_WATCHED = ("tensorflow", "keras", "ai_edge_litert")


class ThreadGuard:
    """Records the thread of every engine call (name, thread name, ident, is-main-thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[tuple[str, str, int, bool]] = []
        self.imports: dict[str, tuple[str, bool]] = {}

    def record(self, what: str) -> None:
        t = threading.current_thread()
        main = t is threading.main_thread()
        with self._lock:
            if len(self.calls) < 10_000:
                self.calls.append((what, t.name, t.ident or 0, main))
        if main:
            log.error("engine call %r made on the main (GUI) thread", what)

    def record_import(self, name: str) -> None:
        t = threading.current_thread()
        with self._lock:
            self.imports.setdefault(name, (t.name, t is threading.main_thread()))

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": [{"what": w, "thread": n, "ident": i, "main": m} for w, n, i, m in self.calls],
                "imports": {k: {"thread": n, "main": m} for k, (n, m) in self.imports.items()},
                "main_thread_calls": sum(1 for *_, m in self.calls if m),
            }


THREAD_GUARD = ThreadGuard()


@contextlib.contextmanager
def engine_call(what: str) -> Iterator[None]:
    """Wrap every call into the engine (TensorFlow, LiteRT, the model) so the guard sees its thread."""
    THREAD_GUARD.record(what)
    yield


class _ImportWatch(importlib.abc.MetaPathFinder):
    """A finder that never finds anything: it only notes which thread imports TF first."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        top = fullname.partition(".")[0]
        if top in _WATCHED and top not in THREAD_GUARD.imports:
            THREAD_GUARD.record_import(top)
        return None


def install_import_watch() -> None:
    if not any(isinstance(f, _ImportWatch) for f in sys.meta_path):
        sys.meta_path.insert(0, _ImportWatch())


def error_parts(e: BaseException) -> tuple[str, str]:
    """(one sentence for the user, details for the log): a LivePredictError's own sentence, or one
    that names the exception's type and text (the real cause), with the traceback as details."""
    if isinstance(e, LivePredictError):
        return e.message, e.details or ""
    return (f"Something went wrong ({type(e).__name__}: {e}); see the log file for details.",
            "".join(traceback.format_exception(e)))
