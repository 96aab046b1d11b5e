"""`livepredict live` as a user runs it: a real subprocess, a real video file, a real model file."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.video import color_of, write_color_video

ROOT = Path(__file__).resolve().parents[2]
SUMMARY_KEYS = ["frames_read", "frames_inferred", "frames_dropped", "inference_fps", "preprocess_ms_p50",
                "infer_ms_p50", "latency_ms_p50", "latency_ms_p95"]


def run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, "-m", "livepredict", "live", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_color_video(tmp_path_factory.mktemp("cli") / "colors.avi", frames=60, fps=30.0)


def test_json_summary_and_trace(model_files, video, tmp_path):
    trace = tmp_path / "trace.csv"
    out = run(str(model_files["tflite"]), "--source", str(video), "--unthrottled", "--json", "--trace", str(trace))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert list(summary) == SUMMARY_KEYS
    assert summary["frames_read"] == 60
    n = summary["frames_inferred"]
    assert 1 <= n <= 60 and summary["frames_dropped"] == 60 - n
    assert summary["inference_fps"] > 0 and summary["infer_ms_p50"] > 0
    assert summary["latency_ms_p95"] >= summary["latency_ms_p50"] > 0
    rows = list(csv.reader(trace.open()))
    assert rows[0] == ["frame", "capture_ts", "infer_start_ts", "infer_end_ts", "label", "score"]
    assert len(rows) - 1 == n
    for frame, cap, start, end, label, score in rows[1:]:
        assert float(cap) <= float(start) <= float(end)
        assert label == color_of(int(frame)) and float(score) > 0.9
    frames = [int(r[0]) for r in rows[1:]]
    assert frames == sorted(frames) and frames[-1] == 59  # the newest frame always wins at the end


def test_frames_limit_and_text_output(model_files, video):
    out = run(str(model_files["tflite"]), "--source", str(video), "--frames", "4")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 5 and all(line.startswith("frame ") for line in lines[:4])
    assert lines[0].split()[2] == color_of(0)
    assert lines[-1].startswith("4 of ")


@pytest.mark.parametrize("source,message", [
    ("nothere.avi", "livepredict: No camera, file or folder named nothere.avi; check the path or pick a camera "
                    "from the list.\n"),
    ("987", "livepredict: No camera found at index 987; plug one in or pick another from the camera list.\n"),
])
def test_bad_source_is_one_line_exit_2(model_files, source, message):
    out = run(str(model_files["tflite"]), "--source", source)
    assert out.returncode == 2
    assert out.stderr == message and out.stdout == ""
