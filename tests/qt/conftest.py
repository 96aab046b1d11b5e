"""Qt test fixtures: fail a test that leaves a QThread running, a QTimer active or a window open
(``helpers/qt_fixtures.py``, shared with the hardening and feed Qt tests); settings go to a temporary
location (``isolated_settings``); ``window`` is the real main window.
"""

from __future__ import annotations

import pytest
from helpers import qt_fixtures

# the shared fixtures, for every test below tests/qt (the leak check is autouse)
qt_leak_check = qt_fixtures.qt_leak_check
isolated_settings = qt_fixtures.isolated_settings
controller = qt_fixtures.controller


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_leaks: skip the thread/timer/window leak check")


@pytest.fixture
def window(qtbot, isolated_settings):
    """The real main window with its own inference thread; closed (thread stopped) afterwards."""
    from livepredict.settings import Settings
    from livepredict.threads.engine.controller import InferenceController
    from livepredict.ui.main_window import MainWindow

    controller = InferenceController()
    w = MainWindow(controller, Settings())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    assert not controller.thread.isRunning()
