"""Fixtures for the feed tests (helpers live in feedkit.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from feedkit import feed_fixture, feed_model_files_fixture  # noqa: E402, F401  (fixtures)
from helpers.qt_fixtures import controller, isolated_settings  # noqa: E402, F401  (a real inference controller; settings and logs under tmp_path)
