"""Every CLI case of the bad-input corpus, run as a real ``livepredict`` process: it exits non-zero
with exactly one line on stderr (no traceback) holding the expected sentence fragment."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import make_corpus as mc
import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI_CASES = [c for c in mc.CASES if c.argv]


def test_corpus_is_large_and_covers_every_kind():
    assert len(mc.CASES) >= 40
    assert len({c.id for c in mc.CASES}) == len(mc.CASES)
    kinds = {c.kind for c in mc.CASES}
    assert kinds == {"model", "sidecar", "image", "video", "cli", "feed"}
    assert all(c.expect for c in mc.CASES)


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "desktop"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "livepredict", *cmd], capture_output=True, text=True, env=env,
                          timeout=240, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def cli_results(corpus_inputs, tmp_path_factory):
    """All CLI cases, two processes at a time (the machine has two cores)."""
    root = tmp_path_factory.mktemp("corpus_cli")
    jobs = {}
    for case in CLI_CASES:
        path = mc.build(case, root / case.id, corpus_inputs)
        jobs[case.id] = mc.argv(case, path, corpus_inputs)
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(jobs, pool.map(_run, jobs.values()), strict=True))
    return done


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_cli_refuses_in_one_sentence(case, cli_results):
    r = cli_results[case.id]
    err = r.stderr
    assert "Traceback" not in err + r.stdout, err
    if case.warning:  # the model still opens; the warning is part of what `info` prints
        assert r.returncode == 0 and case.expect in r.stdout, (r.stdout, err)
        return
    assert r.returncode != 0, f"exit 0 for {case.id}: {err!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"{len(lines)} lines on stderr: {err!r}"
    assert lines[0].startswith("livepredict"), err
    # classify prints each file's error beside its path on stdout; the summary goes to stderr
    assert case.expect.lower() in (err + r.stdout).lower(), f"expected {case.expect!r} in {err!r} / {r.stdout!r}"
