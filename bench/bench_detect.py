#!/usr/bin/env python3
"""Detector decoding benchmark: decode + class-aware NMS of a YOLO-style raw output with 8,400
candidate boxes and 80 classes (``[1, 84, 8400]``, the layout of a 640x640 export), through the
app's own head (``DetectorHead.decode``: score filter, argmax, box conversion, mapping back to a
1280x720 picture through the letterbox placement, NMS), numpy only.

    .venv/bin/python bench/bench_detect.py [--repeat 300] [--objects 20] [--json]

The synthetic output is what a trained detector gives: low class scores everywhere, and around
each of ``--objects`` objects a cluster of overlapping candidates with high scores (about 30 per
object above the 0.25 threshold). Prints the median and p95 ms per decode (target: median <= 1 ms)
and how many detections and candidates it made. The CPU time of the process is printed beside the
wall time: on a loaded machine the wall time also counts the time other processes held the core.
Nothing is asserted: these are measurements.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))

from livepredict.core.geometry import placement  # noqa: E402
from livepredict.core.types import ModelInfo, PreprocessSpec, Task, TensorInfo  # noqa: E402
from livepredict.inference.heads.detector import DetectorHead  # noqa: E402

N, NC, SIZE = 8400, 80, 640


def synthetic_output(objects: int, seed: int = 0) -> np.ndarray:
    """(84, 8400): cx, cy, w, h in pixels then 80 sigmoid class scores."""
    rng = np.random.default_rng(seed)
    out = np.empty((4 + NC, N), np.float32)
    out[0:2] = rng.uniform(0, SIZE, (2, N))
    out[2:4] = rng.uniform(8, 120, (2, N))
    out[4:] = rng.uniform(0.0, 0.02, (NC, N))
    centres = rng.uniform(60, SIZE - 60, (objects, 2))
    sizes = rng.uniform(30, 150, (objects, 2))
    classes = rng.integers(0, NC, objects)
    for i in range(objects):
        idx = rng.choice(N, 40, replace=False)
        out[0:2, idx] = (centres[i][:, None] + rng.normal(0, 3, (2, 40))).astype(np.float32)
        out[2:4, idx] = (sizes[i][:, None] * rng.uniform(0.9, 1.1, (2, 40))).astype(np.float32)
        out[4 + classes[i], idx] = rng.uniform(0.1, 0.95, 40).astype(np.float32)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=300)
    ap.add_argument("--objects", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    info = ModelInfo(path="bench", format="tflite", task=Task.OBJECT_DETECTOR,
                     inputs=(TensorInfo("images", (None, SIZE, SIZE, 3), "float32"),),
                     outputs=(TensorInfo("output0", (None, 4 + NC, N), "float32"),), params=None,
                     labels=tuple(f"class {i}" for i in range(NC)),
                     preprocess=PreprocessSpec(size=(SIZE, SIZE), resize="letterbox"), preprocess_source="model",
                     runtime="litert", runtime_check=None)
    head = DetectorHead(info)
    raw = synthetic_output(args.objects)
    where = placement((720, 1280), (SIZE, SIZE), "letterbox")
    det = head.decode([raw], 5, where)
    warm = time.perf_counter() + 1.0  # warm-up: a second of decoding, so caches and the CPU clock settle
    while time.perf_counter() < warm:
        head.decode([raw], 5, where)
    times, cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        head.decode([raw], 5, where)
        times.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
    result = {"candidates": N, "classes": NC, "layout": head.layout.decoder, "transposed": head.layout.options.get("transposed"),
              "objects": args.objects, "detections": len(det.items), "candidates_kept": int(len(det.boxes)),
              "ms_median": round(float(np.median(times)), 4), "ms_p95": round(float(np.percentile(times, 95)), 4),
              "cpu_ms_median": round(float(np.median(cpu)), 4),
              "repeat": args.repeat}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"decode + NMS of {N} candidates x {NC} classes ({result['layout']}, [1, {4 + NC}, {N}]): "
              f"median {result['ms_median']:.3f} ms (CPU time {result['cpu_ms_median']:.3f} ms), p95 "
              f"{result['ms_p95']:.3f} ms over {args.repeat} runs (target median <= 1 ms); {result['detections']} detections from {result['candidates_kept']} "
              f"candidates kept for re-filtering, {args.objects} objects")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
