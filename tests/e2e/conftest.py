"""A private Xvfb server per test session: it picks a free display itself (-displayfd) and is killed after."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


@pytest.fixture(scope="session")
def xvfb():
    yield from _xvfb("1280x800x24")


@pytest.fixture(scope="session")
def xvfb_hd():
    """A private X server whose screen holds a 1920x1080 window."""
    yield from _xvfb("1920x1080x24")


def _xvfb(screen: str):
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.fail("Xvfb is not installed; run packaging/linux/system-deps.sh", pytrace=False)
    r, w = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(w), "-screen", "0", screen, "-nolisten", "tcp",
                             "-noreset"], pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        with os.fdopen(r) as f:
            number = f.readline().strip()  # written by Xvfb once it accepts connections
        if not number.isdigit():
            pytest.fail("Xvfb did not start", pytrace=False)
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
