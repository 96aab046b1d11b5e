"""The feed's wire protocol: JSON text messages plus one binary framing (docs/feed.md).

No Qt, no TensorFlow, no websockets here: pure functions that build outgoing messages and parse
incoming ones, so the protocol can be tested and documented on its own.

Binary frames (both directions) use one layout, little-endian throughout::

    bytes 0..3   b"LPF1"            magic
    bytes 4..7   uint32 (little)    N = length of the JSON header in bytes
    bytes 8..8+N UTF-8 JSON object  the header ("type" says what follows)
    bytes 8+N..  payload            raw bytes (server → client "tensor": the array's data in
                                    C order, little-endian; "heatmap": an explanation map as
                                    uint8, 255 = hottest; client → server "classify": an
                                    encoded image file, PNG/JPEG/BMP/WebP)

Nothing is ever pickled, and nothing a client sends is used as a file path.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from livepredict.core.types import Prediction
from livepredict.feed.vision import vision_fields

PROTOCOL_VERSION = 1
MAGIC = b"LPF1"
_HEADER = struct.Struct("<4sI")
MAX_HEADER_BYTES = 16 * 1024
MAX_TOP_K = 100
MAX_RATE = 1000.0
MAX_CREDITS = 4  # pull mode: "next" requests a client may have outstanding
TENSOR_DTYPES = ("float32", "float16", "float64", "uint8", "int8", "int16", "int32", "int64", "bool")

# Error codes sent in {"type": "error", "code": ...}.
ERROR_CODES = (
    "bad-json", "bad-message", "unknown-type", "bad-binary", "bad-image", "busy",
    "no-classifier", "classify-failed", "timeout",
)


class ProtocolError(ValueError):
    """A client message that cannot be used; ``code`` is one of ERROR_CODES, str() one sentence."""

    def __init__(self, code: str, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


# ------------------------------------------------------------------ encoding helpers

def dumps(obj: dict[str, Any]) -> str:
    """Compact JSON; NaN/inf are refused (every message must be valid JSON for any client)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def _finite(x: float) -> float | None:
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None


def _ts(x: float) -> float:
    x = float(x)
    return round(x, 6) if math.isfinite(x) and x >= 0 else 0.0


# ------------------------------------------------------------------ server → client

def hello_message(*, model: str, labels: tuple[str, ...] | list[str], options: dict[str, Any],
                  max_message_bytes: int, server: str) -> dict[str, Any]:
    return {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "server": server,
        "model": model,
        "labels": list(labels),
        "options": dict(options),
        "max_message_bytes": int(max_message_bytes),
        "clock": "monotonic",
        "now": _ts(time.monotonic()),
    }


def prediction_fields(seq: int, pred: Prediction, *, model: str, publish_ts: float,
                      wall_time: float) -> dict[str, Any]:
    """Everything of a ``prediction`` message except the per-client ``top`` and ``missed``."""
    latency_ms = (pred.infer_end_ts - pred.capture_ts) * 1000.0 if pred.capture_ts and pred.infer_end_ts else None
    return {
        "type": "prediction",
        "seq": int(seq),
        "source": pred.source or "",
        "frame_index": int(pred.frame_index),
        "model": model,
        "capture_ts": _ts(pred.capture_ts),
        "infer_start_ts": _ts(pred.infer_start_ts),
        "infer_end_ts": _ts(pred.infer_end_ts),
        "publish_ts": _ts(publish_ts),
        "wall_time": _ts(wall_time),
        "latency_ms": _finite(latency_ms) if latency_ms is not None else None,
        "preprocess_ms": _finite(pred.preprocess_ms),
        "infer_ms": _finite(pred.infer_ms),
        "error": pred.error,
        **vision_fields(pred),
    }


def top_list(pred: Prediction, k: int) -> list[dict[str, Any]]:
    return [{"label": str(lbl), "score": _finite(s)} for lbl, s in pred.top[:k]]


def result_message(request_id: Any, pred: Prediction, k: int, *, model: str) -> dict[str, Any]:
    return {
        "type": "result",
        "id": request_id,
        "model": model,
        "top": top_list(pred, k),
        "preprocess_ms": _finite(pred.preprocess_ms),
        "infer_ms": _finite(pred.infer_ms),
        "error": pred.error,
        **vision_fields(pred),
    }


def generation_message(seq: int, *, model: str, index: int, token: str | None = None,
                       value: float | list[float] | None = None, done: bool = False,
                       text: str | None = None, missed: int = 0, publish_ts: float | None = None
                       ) -> dict[str, Any]:
    if isinstance(value, list | tuple | np.ndarray):
        value = [_finite(v) for v in np.asarray(value, dtype=np.float64).ravel().tolist()]
    elif value is not None:
        value = _finite(value)
    return {
        "type": "generation",
        "seq": int(seq),
        "model": model,
        "index": int(index),
        "token": token,
        "value": value,
        "text": text,
        "done": bool(done),
        "publish_ts": _ts(publish_ts if publish_ts is not None else time.monotonic()),
        "missed": int(missed),
    }


def status_message(state: str, message: str, *, model: str = "", source: str = "") -> dict[str, Any]:
    return {"type": "status", "state": state, "message": message, "model": model, "source": source,
            "publish_ts": _ts(time.monotonic())}


def error_message(code: str, message: str, request_id: Any = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "id": request_id}


def subscribed_message(options: dict[str, Any]) -> dict[str, Any]:
    return {"type": "subscribed", "options": dict(options)}


def pong_message(request_id: Any) -> dict[str, Any]:
    return {"type": "pong", "id": request_id, "now": _ts(time.monotonic())}


def pack_binary(header: dict[str, Any], payload: bytes | memoryview) -> bytes:
    """One binary WebSocket message: magic, header length, JSON header, raw payload."""
    h = dumps(header).encode("utf-8")
    return b"".join((_HEADER.pack(MAGIC, len(h)), h, bytes(payload)))


def unpack_binary(data: bytes) -> tuple[dict[str, Any], memoryview]:
    """Split a binary message into (header, payload); ProtocolError("bad-binary") if malformed."""
    if len(data) < _HEADER.size:
        raise ProtocolError("bad-binary", "Binary message too short; start it with b'LPF1', a 4-byte "
                                          "little-endian header length and a JSON header.")
    magic, n = _HEADER.unpack_from(data, 0)
    if magic != MAGIC:
        raise ProtocolError("bad-binary", "Binary message does not start with b'LPF1'; see docs/feed.md "
                                          "for the binary framing.")
    if n > MAX_HEADER_BYTES or _HEADER.size + n > len(data):
        raise ProtocolError("bad-binary", "Binary message header length is larger than the message; "
                                          "check the 4-byte little-endian length after b'LPF1'.")
    try:
        header = json.loads(bytes(data[_HEADER.size:_HEADER.size + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ProtocolError("bad-binary", "Binary message header is not UTF-8 JSON; see docs/feed.md "
                                          "for the binary framing.") from None
    if not isinstance(header, dict):
        raise ProtocolError("bad-binary", "Binary message header must be a JSON object.")
    return header, memoryview(data)[_HEADER.size + n:]


def tensor_frame(seq: int, array: np.ndarray, *, name: str = "output") -> bytes:
    """A binary ``tensor`` message: header {type, seq, name, dtype, shape, byteorder, nbytes}."""
    a = np.asarray(array)
    if a.dtype.kind not in "biuf" or a.dtype.name not in TENSOR_DTYPES:
        a = a.astype(np.float32)
    a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("<"), copy=False))
    header = {"type": "tensor", "seq": int(seq), "name": name, "dtype": a.dtype.name,
              "shape": [int(d) for d in a.shape], "byteorder": "little", "nbytes": int(a.nbytes)}
    return pack_binary(header, a.tobytes(order="C"))


HEATMAP_SIDE = 160  # heatmaps are sent at most this many samples across (they are smooth maps)


def heatmap_frame(seq: int, heat: Any, *, frame_index: int, capture_ts: float, made_ts: float,
                  frame_shape: tuple[int, int] | None = None, max_side: int = HEATMAP_SIDE) -> bytes:
    """A binary ``heatmap`` message for ``heat`` (a ``core.heatmap.Heatmap`` over the whole frame, of
    ``frame_shape`` (h, w); default: the map's own): the map as uint8 (0..255), at most ``max_side`` across."""
    from livepredict.core.heatmap import resample

    values = np.asarray(heat.values, np.float32)
    h, w = values.shape
    scale = min(1.0, max_side / max(h, w))
    small = resample(values, (max(1, round(h * scale)), max(1, round(w * scale)))) if scale < 1 else values
    q = np.ascontiguousarray(np.clip(np.rint(small * 255.0), 0, 255).astype(np.uint8))
    header = {"type": "heatmap", "seq": int(seq), "frame_index": int(frame_index), "capture_ts": _ts(capture_ts),
              "made_ts": _ts(made_ts), "label": str(heat.label), "class_index": int(heat.class_index),
              "score": _finite(float(heat.score)), "method": str(heat.method), "layer": str(heat.layer),
              "dtype": "uint8", "shape": [int(d) for d in q.shape],
              "frame_shape": [int(d) for d in (frame_shape or (h, w))],
              "byteorder": "little", "nbytes": int(q.nbytes)}
    return pack_binary(header, q.tobytes(order="C"))


def parse_tensor_frame(data: bytes) -> tuple[dict[str, Any], np.ndarray]:
    """Client-side helper (used by the examples and tests): header and the array it carries."""
    header, payload = unpack_binary(data)
    if header.get("type") not in ("tensor", "heatmap"):
        raise ProtocolError("bad-binary", "Binary message is not a tensor or heatmap frame.")
    dt = np.dtype(header["dtype"]).newbyteorder("<")
    arr = np.frombuffer(payload, dtype=dt).reshape(header["shape"])
    return header, arr


# ------------------------------------------------------------------ client → server

@dataclass(frozen=True)
class Subscribe:
    top_k: int | None = None
    tensors: bool | None = None
    max_rate: float | None = None  # messages per second, None = as fast as predictions come
    predictions: bool | None = None
    generation: bool | None = None
    pull: bool | None = None
    heatmaps: bool | None = None
    unlimited: bool = False  # "max_rate": null was sent explicitly


@dataclass(frozen=True)
class ClassifyRequest:
    request_id: Any
    image_bytes: bytes
    top_k: int | None = None


@dataclass(frozen=True)
class Ping:
    request_id: Any = None


@dataclass(frozen=True)
class Next:
    """Pull mode: send me the newest prediction I have not had (now, or when the next one comes)."""

    request_id: Any = None


@dataclass
class ClientOptions:
    """What one client asked for (``subscribe``); defaults for a fresh connection."""

    top_k: int = 5
    tensors: bool = False
    max_rate: float | None = None
    predictions: bool = True
    generation: bool = True
    pull: bool = False
    heatmaps: bool = False  # explanation heatmaps of live frames, when the app makes them
    extra: dict[str, Any] = field(default_factory=dict)

    def apply(self, s: Subscribe) -> None:
        if s.top_k is not None:
            self.top_k = s.top_k
        if s.tensors is not None:
            self.tensors = s.tensors
        if s.max_rate is not None or s.unlimited:
            self.max_rate = s.max_rate
        if s.predictions is not None:
            self.predictions = s.predictions
        if s.generation is not None:
            self.generation = s.generation
        if s.pull is not None:
            self.pull = s.pull
        if s.heatmaps is not None:
            self.heatmaps = s.heatmaps

    def to_json(self) -> dict[str, Any]:
        return {"top_k": self.top_k, "tensors": self.tensors, "max_rate": self.max_rate,
                "predictions": self.predictions, "generation": self.generation, "pull": self.pull,
                "heatmaps": self.heatmaps}


def _request_id(msg: dict[str, Any]) -> Any:
    rid = msg.get("id")
    if rid is None or isinstance(rid, str | int) and not isinstance(rid, bool):
        if isinstance(rid, str) and len(rid) > 200:
            raise ProtocolError("bad-message", "The request id must be at most 200 characters.")
        return rid
    raise ProtocolError("bad-message", "The request id must be a string or an integer.")


def _top_k(value: Any, rid: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TOP_K:
        raise ProtocolError("bad-message", f"top_k must be an integer from 1 to {MAX_TOP_K}.", rid)
    return value


def _bool(value: Any, name: str, rid: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ProtocolError("bad-message", f"{name} must be true or false.", rid)


_SUBSCRIBE_KEYS = {"type", "id", "top_k", "tensors", "max_rate", "predictions", "generation", "pull", "heatmaps"}
_CLASSIFY_KEYS = {"type", "id", "image", "top_k"}


def _parse_subscribe(msg: dict[str, Any], rid: Any) -> Subscribe:
    unknown = sorted(set(msg) - _SUBSCRIBE_KEYS)
    if unknown:
        raise ProtocolError("bad-message", f"Unknown subscribe option {unknown[0]!r}; use top_k, tensors, "
                                           "max_rate, predictions, generation, pull or heatmaps.", rid)
    rate = msg.get("max_rate")
    if rate is not None:
        if (not isinstance(rate, int | float) or isinstance(rate, bool) or not math.isfinite(rate)
                or not 0 < rate <= MAX_RATE):
            raise ProtocolError("bad-message", f"max_rate must be a number of messages per second above 0 "
                                               f"and at most {MAX_RATE:g}, or null for no limit.", rid)
        rate = float(rate)
    return Subscribe(top_k=_top_k(msg.get("top_k"), rid), tensors=_bool(msg.get("tensors"), "tensors", rid),
                     max_rate=rate, predictions=_bool(msg.get("predictions"), "predictions", rid),
                     generation=_bool(msg.get("generation"), "generation", rid),
                     pull=_bool(msg.get("pull"), "pull", rid),
                     heatmaps=_bool(msg.get("heatmaps"), "heatmaps", rid),
                     unlimited="max_rate" in msg and rate is None)


def _parse_classify(msg: dict[str, Any], rid: Any, image: bytes | None) -> ClassifyRequest:
    unknown = sorted(set(msg) - _CLASSIFY_KEYS)
    if unknown:
        raise ProtocolError("bad-message", f"Unknown classify field {unknown[0]!r}; send id, image "
                                           "(base64) and top_k.", rid)
    if image is None:
        b64 = msg.get("image")
        if not isinstance(b64, str) or not b64:
            raise ProtocolError("bad-message", "A classify request needs \"image\": the image file encoded "
                                               "as base64 (or send it as a binary frame).", rid)
        if b64.startswith("data:") and "," in b64[:100]:
            b64 = b64.split(",", 1)[1]
        try:
            image = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError("bad-image", "The image is not valid base64; encode the image file's "
                                             "bytes with standard base64.", rid) from None
    elif "image" in msg:
        raise ProtocolError("bad-message", "A binary classify frame carries the image as its payload; "
                                           "leave \"image\" out of the header.", rid)
    if not image:
        raise ProtocolError("bad-image", "The image is empty; send the bytes of a PNG or JPEG file.", rid)
    return ClassifyRequest(request_id=rid, image_bytes=bytes(image), top_k=_top_k(msg.get("top_k"), rid))


def parse_text(text: str) -> Subscribe | ClassifyRequest | Ping | Next:
    """Parse one text message from a client; raises ProtocolError with one sentence."""
    try:
        msg = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ProtocolError("bad-json", "The message is not valid JSON; send one JSON object per "
                                        "message.") from None
    return parse_object(msg)


def parse_object(msg: Any, image: bytes | None = None) -> Subscribe | ClassifyRequest | Ping | Next:
    if not isinstance(msg, dict):
        raise ProtocolError("bad-message", "The message must be a JSON object with a \"type\".")
    kind = msg.get("type")
    rid = _request_id(msg)
    if kind == "subscribe" and image is None:
        return _parse_subscribe(msg, rid)
    if kind == "classify":
        return _parse_classify(msg, rid, image)
    if kind == "ping" and image is None:
        return Ping(rid)
    if kind == "next" and image is None:
        return Next(rid)
    if not isinstance(kind, str):
        raise ProtocolError("bad-message", "The message needs a \"type\" string: subscribe, classify, "
                                           "next or ping.", rid)
    shown = kind if len(kind) <= 40 else kind[:40] + "…"
    raise ProtocolError("unknown-type", f"Unknown message type {shown!r}; use subscribe, classify, "
                                        "next or ping.", rid)


def parse_binary(data: bytes) -> ClassifyRequest:
    """A binary frame from a client: only ``classify`` (header + encoded image) is accepted."""
    header, payload = unpack_binary(data)
    if header.get("type") != "classify":
        rid = header.get("id") if isinstance(header.get("id"), str | int) else None
        raise ProtocolError("bad-binary", "Only classify requests may be sent as binary frames; send "
                                          "subscribe, next and ping as JSON text.", rid)
    req = parse_object(header, image=bytes(payload))
    assert isinstance(req, ClassifyRequest)
    return req


LARGE_PICTURE = 8_000_000  # pixels: after decoding more, freed decoder memory is given back


def image_pixels(data: bytes) -> int | None:
    """The pixel count an encoded image declares in its header (nothing decoded), None if unreadable."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return int(im.size[0]) * int(im.size[1])
    except Exception:  # noqa: BLE001 - decode_image gives the sentence for a bad image
        return None


def decode_image(data: bytes, *, max_pixels: int = 40_000_000) -> np.ndarray:
    """Decode an encoded image (bytes from a client, never a path) to RGB uint8 HxWx3."""
    import io

    from PIL import Image, UnidentifiedImageError

    from livepredict.core.memory import release_freed_memory

    try:
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
            if w * h > max_pixels:
                raise ProtocolError("bad-image", f"The image is {w}x{h} pixels, more than the "
                                                 f"{max_pixels:,} allowed; send a smaller image.")
            im.draft("RGB", (4096, 4096))
            im.load()
            rgb_im = im if im.mode == "RGB" else im.convert("RGB")
            rgb = np.array(rgb_im, dtype=np.uint8)  # one copy out of Pillow
            del rgb_im
    except ProtocolError:
        raise
    except Image.DecompressionBombError:  # Pillow refuses far-too-large images before our own check
        raise ProtocolError("bad-image", f"The image has more than the {max_pixels:,} pixels allowed; send a "
                                         "smaller image.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ProtocolError("bad-image", "The image could not be decoded; send the bytes of a PNG, "
                                         "JPEG, BMP or WebP file.") from None
    if w * h >= LARGE_PICTURE:
        release_freed_memory()
    return rgb
