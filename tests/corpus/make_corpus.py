#!/usr/bin/env python3
"""The bad-input corpus: every case a user or a peer can throw at Live Predict, written at test time.

Each :class:`Case` names one bad input, how to make it (files are written into a temporary folder
when the corpus is built; large ones such as a 20,000 x 20,000 PNG are generated, never committed),
how to feed it to the app, and a fragment of the one-sentence message the user must get.

Kinds:
- ``model``   a bad model file or folder: ``livepredict info {file}``; dropped on the window;
- ``sidecar`` a bad ``<model>.livepredict.json`` beside a copy of a good model: ``info``; dropped;
- ``image``   a bad image: ``livepredict classify {good} {file}``; dropped on the window;
- ``video``   a bad video or source: ``livepredict live {good} --source {file}``;
- ``cli``     bad command-line arguments;
- ``feed``    a bad message from a WebSocket client (``text`` or ``binary``), answered with an error
  message whose ``message`` holds the fragment.

Placeholders in ``argv``: ``{file}`` (the case's input), ``{good}`` (the tiny colour classifier as
.tflite: opens without TensorFlow), ``{good_keras}``, ``{textgen}`` (a tiny character LSTM with a
vocabulary), ``{forecaster}``, ``{lambda}`` (a model with a Lambda layer), ``{tmp}``.

    python tests/corpus/make_corpus.py OUT_DIR --good model.tflite   # write the files, print the table
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Maker = Callable[[Path, dict[str, Path]], Path | None]


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    expect: str
    argv: tuple[str, ...] = ()
    make: Maker | None = None
    drop: bool = False  # the input can be dropped on the desktop window
    ui_expect: str | None = None  # when the window says it in other words
    feed: Callable[[dict[str, Path]], str | bytes] | None = None
    needs: tuple[str, ...] = field(default_factory=tuple)  # inputs beyond {good}
    warning: bool = False  # the input still opens: exit 0, the sentence is a shown warning


# ---------------------------------------------------------------- writers

def _bytes(name: str, data: bytes) -> Maker:
    def make(d: Path, _inputs: dict[str, Path]) -> Path:
        p = d / name
        p.write_bytes(data)
        return p
    return make


def _truncated(name: str, src_key: str, keep: float = 0.5) -> Maker:
    def make(d: Path, inputs: dict[str, Path]) -> Path:
        data = inputs[src_key].read_bytes()
        p = d / name
        p.write_bytes(data[: max(1, int(len(data) * keep))])
        return p
    return make


def _zip(name: str, members: dict[str, bytes]) -> Maker:
    def make(d: Path, _inputs: dict[str, Path]) -> Path:
        p = d / name
        with zipfile.ZipFile(p, "w") as z:
            for k, v in members.items():
                z.writestr(k, v)
        return p
    return make


def _folder(name: str, files: dict[str, bytes] | None = None) -> Maker:
    def make(d: Path, _inputs: dict[str, Path]) -> Path:
        p = d / name
        p.mkdir()
        for k, v in (files or {}).items():
            (p / k).write_bytes(v)
        return p
    return make


def _missing(name: str) -> Maker:
    def make(d: Path, _inputs: dict[str, Path]) -> Path:
        return d / name
    return make


def _png(w: int = 8, h: int = 8) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 10, 200)).save(buf, format="JPEG")
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """A valid 1-bit PNG of width x height written row by row (a decompression bomb of ~50 KB)."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    parts = [comp.compress(row * 256) for _ in range(height // 256)]
    parts += [comp.compress(row * (height % 256)), comp.flush()]
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)))
        f.write(_chunk(b"IDAT", b"".join(parts)))
        f.write(_chunk(b"IEND", b""))
    return path


def _huge(name: str) -> Maker:
    def make(d: Path, _inputs: dict[str, Path]) -> Path:
        return huge_png(d / name)
    return make


def _sidecar(data: bytes | dict | list, model_key: str = "good") -> Maker:
    """A copy of a good model (file or SavedModel folder) with ``data`` as its sidecar."""
    def make(d: Path, inputs: dict[str, Path]) -> Path:
        src = inputs[model_key]
        folder = d / "model"
        folder.mkdir()
        dst = folder / src.name
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        Path(str(dst) + ".livepredict.json").write_bytes(raw)
        return dst
    return make


def _weights_only_h5(d: Path, inputs: dict[str, Path]) -> Path:
    """A real HDF5 file holding weights but no model configuration."""
    import h5py
    import numpy as np

    p = d / "weights_only.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("dense/kernel", data=np.zeros((3, 3), np.float32))
    return p


def _video_header_only(d: Path, inputs: dict[str, Path]) -> Path:
    data = inputs["video"].read_bytes()
    p = d / "header_only.avi"
    p.write_bytes(data[:200])
    return p


# ---------------------------------------------------------------- feed messages

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _binary(header: dict | bytes, payload: bytes, *, length: int | None = None, magic: bytes = b"LPF1") -> bytes:
    """A binary feed frame as docs/feed.md defines it: magic, little-endian header length, header, payload.

    ``length`` overrides the header length field and ``magic`` the first four bytes, to build frames
    that only the parser's later checks refuse.
    """
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    return magic + struct.pack("<I", len(h) if length is None else length) + h + payload


# ---------------------------------------------------------------- the table

GOOD_SC = {"labels": ["red", "green", "blue"], "preprocess": {"scale": "none"}}

CASES: tuple[Case, ...] = (
    # ---- models: `livepredict info {file}`; dropped on the window
    Case("model-empty-keras", "model", "empty", ("info", "{file}"), _bytes("empty.keras", b""), drop=True),
    Case("model-random-bytes-keras", "model", "is not a valid Keras model file", ("info", "{file}"),
         _bytes("noise.keras", bytes(range(256)) * 40), drop=True),
    Case("model-zip-without-config", "model", "no config.json inside", ("info", "{file}"),
         _zip("no_config.keras", {"readme.txt": b"hello"}), drop=True),
    Case("model-zip-bad-config-json", "model", "Keras could not load bad_config.keras", ("info", "{file}"),
         _zip("bad_config.keras", {"config.json": b"{not json", "metadata.json": b"{}"}), drop=True),
    Case("model-truncated-keras", "model", "damaged", ("info", "{file}"),
         _truncated("truncated.keras", "good_keras"), drop=True, needs=("good_keras",)),
    Case("model-text-as-h5", "model", "is not a valid HDF5 model file", ("info", "{file}"), _bytes("notes.h5", b"just some text\n" * 20),
         drop=True),
    Case("model-truncated-h5", "model", "HDF5 file Keras cannot read", ("info", "{file}"), _truncated("truncated.h5", "good_h5", 0.3),
         drop=True, needs=("good_h5",)),
    Case("model-weights-only-h5", "model", "holds only weights, not a model", ("info", "{file}"), _weights_only_h5, drop=True),
    Case("model-garbage-tflite", "model", "not a valid", ("info", "{file}"),
         _bytes("garbage.tflite", b"\x00\x01garbage" * 64), drop=True),
    Case("model-truncated-tflite", "model", "not a valid", ("info", "{file}"),
         _truncated("truncated.tflite", "good", 0.4), drop=True),
    Case("model-empty-tflite", "model", "empty", ("info", "{file}"), _bytes("empty.tflite", b""), drop=True),
    Case("model-empty-folder", "model", "is a folder but not a SavedModel", ("info", "{file}"), _folder("empty_folder"), drop=True),
    Case("model-garbage-saved-model-pb", "model", "could not load the SavedModel", ("info", "{file}"),
         _folder("broken_savedmodel", {"saved_model.pb": b"\x08\x01garbage"}), drop=True),
    Case("model-unknown-extension", "model", "is not a model Live Predict can open", ("info", "{file}"),
         _bytes("model.onnx", b"\x08\x07\x12\x04onnx"), drop=False),
    Case("model-png-named-keras", "model", "is not a valid Keras model file", ("info", "{file}"), _bytes("picture.keras", _png()),
         drop=True),
    Case("model-folder-named-keras", "model", "is a folder but not a SavedModel", ("info", "{file}"), _folder("folder.keras"), drop=False),
    Case("model-missing", "model", "No model file or folder", ("info", "{file}"), _missing("missing.keras")),
    Case("model-lambda-untrusted", "model", "trust", ("info", "{lambda}"), needs=("lambda",)),
    Case("model-text-generator-classify", "model", "not an image classifier",
         ("classify", "{textgen}", "{image}"), needs=("textgen", "image")),

    # ---- sidecars beside a copy of the good model: `livepredict info {file}`; dropped
    Case("sidecar-not-json", "sidecar", "is not valid JSON", ("info", "{file}"), _sidecar(b"{labels: [red]"),
         drop=True),
    Case("sidecar-not-utf8", "sidecar", "cannot be read", ("info", "{file}"), _sidecar(b"\xff\xfe\x00{"),
         drop=True),
    Case("sidecar-json-array", "sidecar", "is not a JSON object", ("info", "{file}"), _sidecar([1, 2, 3]),
         drop=True),
    Case("sidecar-unknown-key", "sidecar", "unknown key(s) lables", ("info", "{file}"),
         _sidecar({"lables": ["a", "b", "c"]}), drop=True),
    Case("sidecar-labels-string", "sidecar", "'labels' that is not a list of strings", ("info", "{file}"),
         _sidecar({"labels": "red,green,blue"}), drop=True),
    Case("sidecar-labels-numbers", "sidecar", "'labels' that is not a list of strings", ("info", "{file}"),
         _sidecar({"labels": [1, 2, 3]}), drop=True),
    Case("sidecar-labels-count", "sidecar", "2 labels were found but the model has 3 classes", ("info", "{file}"),
         _sidecar({"labels": ["red", "green"], "preprocess": {"scale": "none"}}), drop=True, warning=True),
    Case("sidecar-zero-std", "sidecar", "std must not be zero", ("info", "{file}"),
         _sidecar({"preprocess": {"scale": "mean-std", "mean": [0, 0, 0], "std": [1, 0, 1]}}), drop=True),
    Case("sidecar-negative-size", "sidecar", "size must be positive", ("info", "{file}"),
         _sidecar({"preprocess": {"size": [-16, 16]}}), drop=True),
    Case("sidecar-size-string", "sidecar", "size must be [height, width]", ("info", "{file}"),
         _sidecar({"preprocess": {"size": "16x16"}}), drop=True),
    Case("sidecar-unknown-scale", "sidecar", "scale must be one of", ("info", "{file}"),
         _sidecar({"preprocess": {"scale": "0..255"}}), drop=True),
    Case("sidecar-preprocess-unknown-key", "sidecar", "unknown preprocess keys: colour", ("info", "{file}"),
         _sidecar({"preprocess": {"colour": "bgr"}}), drop=True),
    Case("sidecar-mean-std-without-std", "sidecar", "needs both mean and std", ("info", "{file}"),
         _sidecar({"preprocess": {"scale": "mean-std", "mean": [127.5]}}), drop=True),
    Case("sidecar-unknown-task", "sidecar", "has task 'detector'", ("info", "{file}"),
         _sidecar({"task": "detector"}), drop=True),
    Case("sidecar-window-string", "sidecar", "'window' that is not a positive integer", ("info", "{file}"),
         _sidecar({"window": "10"}), drop=True),
    Case("sidecar-notes-number", "sidecar", "'notes' that is not a string", ("info", "{file}"),
         _sidecar({"notes": 42}), drop=True),
    Case("sidecar-vocab-shorter-than-output", "sidecar", "vocabulary has 3 tokens but chars.keras predicts 12",
         ("generate", "{file}", "--length", "5"), _sidecar({"vocab": ["a", "b", "c"]}, "textgen"),
         needs=("textgen",)),
    Case("sidecar-forecaster-zero-std", "sidecar", "std of 0", ("generate", "{file}", "--horizon", "3"),
         _sidecar({"task": "sequence-forecaster", "mean": 1.0, "std": 0.0}, "forecaster"),
         needs=("forecaster",)),

    # ---- images: `livepredict classify {good} {file}`; dropped on the window
    Case("image-empty-png", "image", "is empty (0 bytes)", ("classify", "{good}", "{file}"),
         _bytes("empty.png", b""), drop=True),
    Case("image-text-as-jpg", "image", "is not an image Live Predict can read", ("classify", "{good}", "{file}"),
         _bytes("letter.jpg", b"Dear reader,\n" * 30), drop=True),
    Case("image-truncated-png", "image", "truncated or damaged", ("classify", "{good}", "{file}"),
         lambda d, i: _bytes("cut.png", _png(64, 64)[:90])(d, i), drop=True),
    Case("image-truncated-jpeg", "image", "truncated or damaged", ("classify", "{good}", "{file}"),
         lambda d, i: _bytes("cut.jpg", _jpeg()[:300])(d, i), drop=True),
    Case("image-decompression-bomb", "image", "too large to decode safely", ("classify", "{good}", "{file}"),
         _huge("bomb.png"), drop=True),
    Case("image-missing", "image", "No file or folder", ("classify", "{good}", "{file}"), _missing("gone.png")),
    Case("image-folder-without-images", "image", "No images found", ("classify", "{good}", "{file}"),
         _folder("no_images", {"notes.txt": b"nothing to see"}), drop=True),
    Case("image-png-header-only", "image", "is not an image Live Predict can read", ("classify", "{good}", "{file}"),
         _bytes("header.png", b"\x89PNG\r\n\x1a\n"), drop=True),

    # ---- videos and sources: `livepredict live {good} --source {file}`
    Case("video-empty-avi", "video", "Could not decode the video empty.avi", ("live", "{good}", "--source", "{file}", "--frames", "3"),
         _bytes("empty.avi", b"")),
    Case("video-text-as-avi", "video", "words.avi", ("live", "{good}", "--source", "{file}", "--frames", "3"),
         _bytes("words.avi", b"not a video at all\n" * 100)),
    Case("video-header-only", "video", "header_only.avi", ("live", "{good}", "--source", "{file}", "--frames", "3"),
         _video_header_only, needs=("video",)),
    Case("video-garbage-mp4", "video", "noise.mp4", ("live", "{good}", "--source", "{file}", "--frames", "3"),
         _bytes("noise.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)),
    Case("video-missing", "video", "No camera, file or folder named", ("live", "{good}", "--source", "{file}", "--frames", "3"),
         _missing("nothing.avi")),
    Case("video-folder-without-images", "video", "no images",
         ("live", "{good}", "--source", "{file}", "--frames", "3"), _folder("empty_slides", {"a.txt": b"x"})),
    Case("video-absent-camera", "video", "No camera found at index 57", ("live", "{good}", "--source", "camera:57", "--frames", "3")),

    # ---- command-line arguments
    Case("cli-unknown-option", "cli", "unrecognized arguments: --topk", ("classify", "{good}", "{image}", "--topk", "3"),
         needs=("image",)),
    Case("cli-top-not-a-number", "cli", "invalid int value: 'abc'", ("classify", "{good}", "{image}", "--top", "abc"),
         needs=("image",)),
    Case("cli-top-zero", "cli", "--top must be at least 1", ("classify", "{good}", "{image}", "--top", "0"), needs=("image",)),
    Case("cli-missing-paths", "cli", "the following arguments are required: PATH", ("classify", "{good}")),
    Case("cli-live-without-source", "cli", "the following arguments are required: --source", ("live", "{good}")),
    Case("cli-live-frames-zero", "cli", "--frames", ("live", "{good}", "--source", "{video}", "--frames", "0"),
         needs=("video",)),
    Case("cli-bench-negative-seconds", "cli", "--seconds", ("bench", "{good}", "--seconds", "-1")),
    Case("cli-serve-bad-port", "cli", "Port 70000 is not a valid port", ("serve", "{good}", "--port", "70000")),
    Case("cli-serve-lan-without-token", "cli", "exposes predictions to the network, so it needs a token", ("serve", "{good}", "--host", "0.0.0.0", "--port", "0")),
    Case("cli-generate-negative-length", "cli", "--length", ("generate", "{textgen}", "--length", "-5"),
         needs=("textgen",)),
    Case("cli-generate-top-p-above-one", "cli", "top-p", ("generate", "{textgen}", "--top-p", "1.5"),
         needs=("textgen",)),
    Case("cli-generate-negative-temperature", "cli", "temperature",
         ("generate", "{textgen}", "--temperature", "-1"), needs=("textgen",)),
    Case("cli-generate-on-classifier", "cli", "has no recurrent layer", ("generate", "{good_keras}", "--length", "5"),
         needs=("good_keras",)),
    Case("cli-csv-into-missing-folder", "cli", "no_such_dir", ("classify", "{good}", "{image}", "--csv",
                                                                "{tmp}/no_such_dir/out.csv"), needs=("image",)),

    # ---- feed messages from a WebSocket client (`livepredict serve {good}`)
    Case("feed-not-json", "feed", "not valid JSON", feed=lambda i: "{type: subscribe"),
    Case("feed-json-array", "feed", "must be a JSON object", feed=lambda i: "[1, 2, 3]"),
    Case("feed-missing-type", "feed", "needs a \"type\" string", feed=lambda i: '{"id": 1}'),
    Case("feed-unknown-type", "feed", "Unknown message type 'predict'", feed=lambda i: '{"type": "predict"}'),
    Case("feed-classify-path", "feed", "Unknown classify field 'path'",
         feed=lambda i: json.dumps({"type": "classify", "path": str(i["image"])}), needs=("image",)),
    Case("feed-classify-path-as-image", "feed", "not valid base64",
         feed=lambda i: json.dumps({"type": "classify", "image": str(i["image"])}), needs=("image",)),
    Case("feed-classify-no-image", "feed", "needs \"image\"", feed=lambda i: '{"type": "classify", "id": "x"}'),
    Case("feed-classify-not-an-image", "feed", "could not be decoded",
         feed=lambda i: json.dumps({"type": "classify", "image": _b64(b"hello world, not an image")})),
    Case("feed-classify-bomb", "feed", "more than the",
         feed=lambda i: json.dumps({"type": "classify", "image": _b64(huge_png(i["tmp"] / "feed_bomb.png")
                                                                          .read_bytes())})),
    Case("feed-subscribe-bad-top-k", "feed", "top_k must be an integer",
         feed=lambda i: '{"type": "subscribe", "top_k": "all"}'),
    Case("feed-subscribe-unknown-option", "feed", "Unknown subscribe option 'topk'",
         feed=lambda i: '{"type": "subscribe", "topk": 3}'),
    Case("feed-subscribe-negative-rate", "feed", "max_rate must be",
         feed=lambda i: '{"type": "subscribe", "max_rate": -5}'),
    Case("feed-bad-request-id", "feed", "request id must be a string or an integer",
         feed=lambda i: '{"type": "ping", "id": [1]}'),
    Case("feed-binary-ping", "feed", "Only classify requests may be sent as binary frames",
         feed=lambda i: _binary({"type": "ping"}, b"")),
    Case("feed-binary-garbage", "feed", "does not start with b'LPF1'", feed=lambda i: b"\x00\x00\xff\xffgarbage"),
    Case("feed-binary-wrong-magic", "feed", "does not start with b'LPF1'",
         feed=lambda i: _binary({"type": "classify"}, b"", magic=b"LPF2")),
    Case("feed-binary-short", "feed", "too short", feed=lambda i: b"LPF1\x01"),
    Case("feed-binary-header-past-end", "feed", "header length is larger than the message",
         feed=lambda i: _binary({"type": "classify"}, b"", length=4096)),
    Case("feed-binary-big-endian-length", "feed", "header length is larger than the message",
         feed=lambda i: b"LPF1" + struct.pack(">I", 17) + b'{"type":"classify"}'),
    Case("feed-binary-header-not-json", "feed", "header is not UTF-8 JSON",
         feed=lambda i: _binary(b"{not json", b"")),
    Case("feed-binary-header-not-object", "feed", "header must be a JSON object",
         feed=lambda i: _binary(b"[1, 2]", b"")),
    Case("feed-binary-classify-not-an-image", "feed", "could not be decoded",
         feed=lambda i: _binary({"type": "classify", "id": 7}, b"hello, not an image")),
    Case("feed-deep-nesting", "feed", "not valid JSON", feed=lambda i: "[" * 100_000 + "]" * 100_000),
)


def inputs_needed() -> set[str]:
    return {n for c in CASES for n in c.needs}


def build(case: Case, folder: Path, inputs: dict[str, Path]) -> Path | None:
    """Write the case's bad input into ``folder`` (created); returns its path (None for none)."""
    folder.mkdir(parents=True, exist_ok=True)
    return case.make(folder, inputs) if case.make is not None else None


def argv(case: Case, path: Path | None, inputs: dict[str, Path]) -> list[str]:
    subs = {k: str(v) for k, v in inputs.items()}
    if path is not None:
        subs["file"] = str(path)
    return [a.format(**subs) for a in case.argv]


def table() -> str:
    lines = [f"{len(CASES)} cases"]
    for c in CASES:
        lines.append(f"{c.kind:8} {c.id:40} expects: {c.expect}")
    return "\n".join(lines)


def main(argv_: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Write the bad-input corpus into a folder and print the table.")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--good", help="a good model file (cases that copy it are skipped without one)")
    args = ap.parse_args(argv_)
    print(table())
    if args.out:
        out = Path(args.out)
        inputs = {"tmp": out}
        if args.good:
            inputs["good"] = Path(args.good)
        for c in CASES:
            try:
                p = build(c, out / c.id, inputs)
            except KeyError as missing:
                print(f"skipped {c.id}: needs input {missing}")
                continue
            print(f"{c.id}: {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
