"""A private Xvfb server per test session: it picks a free display itself (-displayfd) and is killed after."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


@pytest.fixture(scope="session")
def xvfb():
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.fail("Xvfb is not installed; run packaging/linux/system-deps.sh", pytrace=False)
    r, w = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp",
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
