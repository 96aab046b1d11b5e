"""The real app as a subprocess (offscreen, with private settings, logs and cache), driven from tests:
wait for what it logs, close it with SIGTERM (which closes the window as the user would)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def app_env(tmp_path: Path, extra: dict | None = None) -> dict[str, str]:
    """The environment of an app run under ``tmp_path``: offscreen, nothing of the user's touched."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", LIVEPREDICT_SETTINGS_DIR=str(tmp_path / "settings"),
               LIVEPREDICT_LOG_DIR=str(tmp_path / "logs"), LIVEPREDICT_CACHE_DIR=str(tmp_path / "cache"))
    env.update(extra or {})
    return env


class App:
    """``livepredict ARGS`` offscreen with private settings, logs and cache."""

    def __init__(self, args: list, tmp_path: Path) -> None:
        self.logs = tmp_path / "logs"
        env = app_env(tmp_path)
        self.proc = subprocess.Popen([sys.executable, "-m", "livepredict", *map(str, args)], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err = ""

    def log(self) -> str:
        return "".join(f.read_text(errors="replace") for f in sorted(self.logs.glob("*.log*")))

    def wait_log(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            assert time.monotonic() < deadline, f"the app never logged {text!r}:\n{self.log()}"
            with pytest.raises(subprocess.TimeoutExpired):  # still running while we wait
                self.proc.wait(timeout=0.1)

    def close(self) -> tuple[int, float]:
        """SIGTERM; returns (exit code, seconds from the signal to the process's end)."""
        t = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        finally:
            took = time.monotonic() - t
            self.kill()
        return rc, took

    def kill(self) -> None:
        """End the process if it still runs and collect its stderr (once)."""
        if self.proc.poll() is None:
            self.proc.kill()
        if not self.proc.stderr.closed:
            _, self.err = self.proc.communicate()

    def assert_clean_exit(self, rc: int, took: float) -> None:
        assert rc == 0, self.err[-3000:]
        assert took < 2.0, f"the process took {took:.2f} s to exit"
        assert "Traceback" not in self.err and "QThread: Destroyed" not in self.err, self.err[-3000:]
        assert "exit (inference thread stopped: True" in self.log()
