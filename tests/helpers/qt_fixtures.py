"""Qt test fixtures shared by tests/qt, tests/hardening and the feed's Qt tests: fail a test that
leaves a QThread running, a QTimer active or a window open; settings under ``tmp_path``; a real
inference controller.

QThread.start and QTimer.start are wrapped (once, when this module is first imported, for the whole
test session) to remember every thread and timer started from Python; after each test (and after
pytest-qt has closed the widgets it was given) none may still be running. A conftest or a test
module imports the fixtures it wants (``qt_leak_check`` is autouse where it is imported).
"""

from __future__ import annotations

import weakref

import pytest
import shiboken6
from PySide6.QtCore import QSettings, QThread, QTimer
from PySide6.QtWidgets import QApplication

_threads: weakref.WeakSet = weakref.WeakSet()
_timers: weakref.WeakSet = weakref.WeakSet()
_orig_thread_start = QThread.start
_orig_timer_start = QTimer.start


def _thread_start(self, *args, **kwargs):
    _threads.add(self)
    return _orig_thread_start(self, *args, **kwargs)


def _timer_start(self, *args, **kwargs):
    _timers.add(self)
    return _orig_timer_start(self, *args, **kwargs)


QThread.start = _thread_start
QTimer.start = _timer_start


def _alive(obj) -> bool:
    try:
        return shiboken6.isValid(obj)
    except Exception:  # noqa: BLE001
        return False


def leaked_threads() -> list[str]:
    return [t.objectName() or repr(t) for t in list(_threads) if _alive(t) and t.isRunning()]


def leaked_timers() -> list[str]:
    out = []
    for t in list(_timers):
        if _alive(t) and t.isActive():
            parent = t.parent()
            out.append(f"{t.objectName() or 'QTimer'} (interval {t.interval()} ms, parent "
                       f"{type(parent).__name__ if parent is not None else None})")
    return out


def open_windows() -> list[str]:
    app = QApplication.instance()
    if app is None:
        return []
    return [f"{type(w).__name__} {w.windowTitle()!r}" for w in app.topLevelWidgets() if w.isVisible()]


@pytest.fixture(autouse=True)
def qt_leak_check(qapp, request):
    """Runs before qtbot is set up, so its checks run after qtbot has closed its widgets."""
    yield
    if request.node.get_closest_marker("allow_leaks"):
        return
    app = QApplication.instance()
    # Let deleteLater() and queued thread-finished notifications run.
    for _ in range(3):
        app.processEvents()
        app.sendPostedEvents(None, 0)
    problems = []
    if threads := leaked_threads():
        problems.append(f"QThread still running: {threads}")
    if timers := leaked_timers():
        problems.append(f"QTimer still active: {timers}")
    if windows := open_windows():
        problems.append(f"top-level window still open: {windows}")
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


@pytest.fixture
def isolated_settings(tmp_path, monkeypatch):
    """QSettings and the log file under ``tmp_path`` (never the user's real configuration)."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(tmp_path / "settings"))
    monkeypatch.setenv("LIVEPREDICT_SETTINGS_DIR", str(tmp_path / "settings"))
    monkeypatch.setenv("LIVEPREDICT_LOG_DIR", str(tmp_path / "logs"))
    return tmp_path / "settings"


@pytest.fixture
def controller(qtbot):
    """An inference controller with its own thread, shut down (and checked) afterwards."""
    from livepredict.threads.engine.controller import InferenceController

    c = InferenceController()
    yield c
    assert c.shutdown(5000)
