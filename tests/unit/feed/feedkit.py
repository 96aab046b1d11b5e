"""Feed test helpers: a started FeedServer on a free loopback port, real websockets clients and a
JSON Schema check applied to every message a client receives (docs/feed.schema.json)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from livepredict.core.types import Prediction
from livepredict.feed import protocol as P
from livepredict.feed.server import FeedServer

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "docs" / "feed.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(SCHEMA)
_SERVER = jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/server_message"})
_CLIENT = jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/client_message"})

TIMEOUT = 10.0


def check_server_message(msg: dict) -> dict:
    """Validate one server → client message (or binary-frame header) against the schema."""
    _SERVER.validate(msg)
    return msg


def check_client_message(msg: dict) -> dict:
    _CLIENT.validate(msg)
    return msg


def decode(message: str | bytes) -> tuple[dict, np.ndarray | None]:
    """Schema-checked message; for a binary frame, its header and the tensor it carries."""
    if isinstance(message, bytes):
        header, arr = P.parse_tensor_frame(message)
        return check_server_message(header), arr
    return check_server_message(json.loads(message)), None


async def recv(ws, timeout: float = TIMEOUT) -> dict:
    msg, _ = decode(await asyncio.wait_for(ws.recv(), timeout))
    return msg


async def recv_until(ws, kind: str, timeout: float = TIMEOUT) -> dict:
    """Next message of type ``kind`` (others, e.g. hello, are validated and skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        msg = await recv(ws, max(0.01, deadline - time.monotonic()))
        if msg["type"] == kind:
            return msg


def prediction(i: int = 0, labels=("circle", "square", "star"), *, scores=None, source="test") -> Prediction:
    s = np.asarray(scores if scores is not None else np.roll(np.array([0.7, 0.2, 0.1]), i % 3), np.float32)
    order = np.argsort(-s)
    now = time.monotonic()
    return Prediction(top=tuple((labels[j], float(s[j])) for j in order), scores=s, preprocess_ms=0.5,
                      infer_ms=1.5, frame_index=i, capture_ts=now - 0.01, infer_start_ts=now - 0.002,
                      infer_end_ts=now, source=source)


@pytest.fixture(name="feed")
def feed_fixture():
    """Factory for started servers on free loopback ports; all stopped at teardown."""
    servers: list[FeedServer] = []

    def make(**kw) -> FeedServer:
        kw.setdefault("host", "127.0.0.1")
        kw.setdefault("port", 0)
        srv = FeedServer(**kw).start()
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.stop()
        assert not srv.running


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="session", name="feed_model_files")
def feed_model_files_fixture(model_files, tmp_path_factory):
    """The suite's tiny colour classifier (tests/helpers/models.py, labels red/green/blue) as .keras
    and .tflite files, and a 5 s video: ``(keras_path, video_path, tflite_path)``. Subprocesses use
    the .tflite file, which opens without TensorFlow (a fresh .keras file is converted first)."""
    from helpers.video import write_video

    folder = tmp_path_factory.mktemp("feed_video")
    return model_files["keras"], write_video(folder / "clip.avi", frames=150, fps=30.0), model_files["tflite"]
