"""A tiny stand-in for TensorFlow Serving's REST API, for tests without docker: it loads an exported
SavedModel with TensorFlow and answers ``POST /v1/models/NAME[/versions/V]:predict`` in the row
format (``instances``, ``{"b64": ...}`` decoded for string inputs) as the real server does."""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_PREDICT = re.compile(r"^/v1/models/([^/:]+)(?:/versions/(\d+))?:predict$")


def _decode(value):
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    return value


def _plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class ServingStandIn:
    """Serves ``base/NAME/VERSION`` SavedModels (the newest version unless one is asked for)."""

    def __init__(self, base: Path) -> None:
        import tensorflow as tf

        self.tf = tf
        self.base = Path(base)
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                m = _PREDICT.match(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, answer = outer.predict(m.group(1), m.group(2), body) if m else (404, {"error": "not found"})
                data = json.dumps(answer).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def predict(self, name: str, version: str | None, body: dict) -> tuple[int, dict]:
        tf = self.tf
        folder = self.base / name
        versions = sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) if folder.is_dir() else []
        if not versions or (version and int(version) not in versions):
            return 404, {"error": f"Servable not found for request: Specific({name}, {version})"}
        with self.lock:
            sig = tf.saved_model.load(str(folder / str(version or versions[-1]))).signatures[
                body.get("signature_name", "serving_default")]
        (key,) = sig.structured_input_signature[1]
        rows = [_decode(r[key] if isinstance(r, dict) and key in r else r) for r in body["instances"]]
        out = sig(**{key: tf.constant(rows)})
        names = sorted(out)
        cols = {n: _plain(out[n].numpy().tolist()) for n in names}
        return 200, {"predictions": [{n: cols[n][i] for n in names} for i in range(len(rows))]}

    def __enter__(self) -> ServingStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
