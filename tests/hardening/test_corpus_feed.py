"""The feed cases of the bad-input corpus, sent by a real websockets client to a real
``livepredict serve`` process with a token: each is answered with an error message holding the
expected sentence, the connection stays usable (a ping still gets its pong), the process exits 0 on
SIGTERM, and the token is written neither to its output nor to its log file."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import make_corpus as mc
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[2]
FEED_CASES = [c for c in mc.CASES if c.feed is not None]
TOKEN = "s3cret-Token-4711"


async def _exchange(url: str, inputs: dict[str, Path]) -> dict[str, dict]:
    answers: dict[str, dict] = {}
    async with connect(url, max_size=None) as ws:
        await asyncio.wait_for(ws.recv(), 60)  # hello
        for case in FEED_CASES:
            await ws.send(case.feed(inputs))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if msg["type"] in ("error", "result"):
                    break
            answers[case.id] = msg
            await ws.send(json.dumps({"type": "ping", "id": case.id}))
            while True:
                pong = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if pong["type"] == "pong":
                    break
            assert pong["id"] == case.id
    return answers


def test_feed_refuses_every_bad_message_and_never_logs_the_token(corpus_inputs, tmp_path):
    logs = tmp_path / "logs"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "desktop"), "LIVEPREDICT_LOG_DIR": str(logs)}
    proc = subprocess.Popen([sys.executable, "-m", "livepredict", "serve", str(corpus_inputs["good"]), "--port", "0",
                             "--token", TOKEN], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:"), proc.stderr.read()
        answers = asyncio.run(asyncio.wait_for(_exchange(url, {**corpus_inputs, "tmp": tmp_path}), 300))
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    for case in FEED_CASES:
        msg = answers[case.id]
        assert msg["type"] == "error", (case.id, msg)
        assert case.expect.lower() in msg["message"].lower(), (case.id, msg["message"])
        assert msg["message"].count(". ") == 0 and "\n" not in msg["message"], msg["message"]
    assert "Traceback" not in err
    # the printed address carries the token for the user; nothing else may
    shown = [line for line in (out + err).splitlines() if TOKEN in line]
    assert all(f"?token={TOKEN}" in line for line in shown), shown  # only inside the address given to the user
    for f in logs.rglob("*") if logs.exists() else []:
        if f.is_file():
            assert TOKEN not in f.read_text(errors="replace"), f
