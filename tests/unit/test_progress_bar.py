"""The headless commands' progress bar: tqdm at a terminal, nothing (not even its import) in a pipe."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from livepredict.commands.common import progress_bar
with progress_bar(3) as bar:
    for _ in range(3):
        bar.update(1)
    bar.clear()
print("tqdm" in sys.modules)
"""


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT / "desktop"))


def test_in_a_pipe_there_is_no_bar_and_no_tqdm():
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert done.stderr == ""


def test_at_a_terminal_the_bar_counts_pictures():
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 columns wide
    shown = b""
    try:
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT], env=_env(), stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)  # the child holds the terminal now: reading ends when it exits
        while True:
            try:
                got = os.read(master, 4096)
            except OSError:  # EIO: the child's end is closed, everything was read
                break
            if not got:
                break
            shown += got
        out, _ = proc.communicate(timeout=60)
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert out.decode().strip() == "True"
    assert b"0/3" in shown and b"img/s" in shown  # drawn at the start (tqdm redraws at most every 0.1 s)
