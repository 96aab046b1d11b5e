"""`livepredict live` with a detector, as a user runs it: a real subprocess, a real video of a
moving square, a real .tflite detector (helpers.detect_models); the trace has one row per
detection with its box in the video's pixels, and the text lines summarise each frame's boxes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import detect_models as dm
from helpers.models import to_tflite

ROOT = Path(__file__).resolve().parents[2]
W, H, FRAMES = 160, 120, 30


def box_of(i: int) -> tuple[int, int, int, int]:
    x = 10 + 3 * i
    return x, 30, x + 40, 80


def run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, "-m", "livepredict", "live", *args], capture_output=True, text=True,
                          timeout=240, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import cv2

    folder = tmp_path_factory.mktemp("live_detect")
    video = folder / "square.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (W, H))
    for i in range(FRAMES):
        writer.write(cv2.cvtColor(dm.picture(H, W, box_of(i)), cv2.COLOR_RGB2BGR))
    writer.release()
    model = folder / "det.tflite"
    model.write_bytes(to_tflite(dm.build_yolo(rescale=False, size=(64, 64))))
    dm.write_sidecar(model, {"labels": dm.LABELS, "task": "object-detector", "decoder": {"type": "yolo"}})
    return model, video


def test_trace_has_a_row_per_detection_with_its_box(files, tmp_path):
    model, video = files
    trace = tmp_path / "trace.csv"
    out = run(str(model), "--source", str(video), "--unthrottled", "--json", "--trace", str(trace))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    rows = list(csv.reader(trace.open()))
    assert rows[0] == ["frame", "capture_ts", "infer_start_ts", "infer_end_ts", "label", "score",
                       "x0", "y0", "x1", "y1"]
    assert len(rows) - 1 == summary["frames_inferred"] >= 1  # one square per frame: one row each
    assert summary["detections"] == {"square": summary["frames_inferred"]}
    for frame, _, _, _, label, score, *box in rows[1:]:
        assert label == "square" and float(score) == pytest.approx(0.9, abs=1e-4)
        true = box_of(int(frame))
        assert all(abs(float(v) - t) <= 3.5 for v, t in zip(box, true, strict=True)), (frame, box, true)


def test_text_lines_summarise_the_boxes(files):
    model, video = files
    out = run(str(model), "--source", str(video), "--frames", "3")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert all("1 detection (1 square); best square 0.900 at [" in line for line in lines[:3]), lines
