"""Result files survive interruption and write errors (issue: interrupted CSVs, full disks).

Real processes, real signals, a real full filesystem (a 64 KB tmpfs) and ``/dev/full``: a CSV keeps
the rows made before SIGTERM or Ctrl+C, an older CSV is never emptied before something replaces it,
a write error is one sentence naming the file (exit 2) and the file ends on a whole row.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
N_PICTURES = 240


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "desktop"), "TF_CPP_MIN_LOG_LEVEL": "3"}


def _cli(*argv: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "livepredict", *argv], env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, **kw)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> Path:
    """240 real 640x480 JPEGs: decoding them takes long enough to interrupt a run in the middle."""
    d = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    for i in range(N_PICTURES):
        Image.fromarray(np.roll(base, i, axis=1)).save(d / f"p{i:03d}.jpg", quality=90)
    return d


def _rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n"), "the file does not end on a whole row"
    return list(csv.reader(text.splitlines()))


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_csv_keeps_the_rows_made_and_replaces_the_old_file(tmp_path, pictures, model_files,
                                                                           sig, code):
    out = tmp_path / "results.csv"
    out.write_text("an older file of that name\n", encoding="utf-8")
    proc = _cli("classify", str(model_files["tflite"]), str(pictures), "--csv", str(out))
    # each picture's line is printed (flushed) after its CSV row is written: 17 lines read = 17 rows made
    printed = [proc.stdout.readline() for _ in range(17)]
    assert all(printed), printed
    os.kill(proc.pid, signal.SIGSTOP)  # hold it while we look: the run is provably unfinished
    assert proc.poll() is None, "the run ended before it could be interrupted; use more pictures"
    os.kill(proc.pid, sig)
    os.kill(proc.pid, signal.SIGCONT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1 and "Traceback" not in err, err
    rows = _rows(out)
    assert rows[0][:3] == ["path", "label_1", "score_1"]
    assert 17 <= len(rows) - 1 < N_PICTURES, len(rows)
    assert all(len(r) == len(rows[0]) for r in rows)
    assert not list(tmp_path.glob("*.part"))


def test_a_failed_run_leaves_an_older_csv_as_it_was(tmp_path, pictures):
    out = tmp_path / "results.csv"
    out.write_text("kept\n", encoding="utf-8")
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    proc = _cli("classify", str(broken), str(pictures), "--csv", str(out))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert out.read_text(encoding="utf-8") == "kept\n"
    assert not list(tmp_path.glob("*.part"))


def test_dev_full_is_one_sentence_naming_the_file(pictures, model_files):
    proc = _cli("classify", str(model_files["tflite"]), str(pictures / "p000.jpg"), "--csv", "/dev/full")
    _, err = proc.communicate(timeout=120)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1, err
    assert "/dev/full" in lines[0] and "No space left on device" in lines[0]


def test_json_to_a_full_stdout_is_one_sentence(pictures, model_files):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "livepredict", "classify", str(model_files["tflite"]),
                               str(pictures), "--json"], env=_env(), text=True, stdout=full,
                              stderr=subprocess.PIPE, timeout=180)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "standard output" in lines[0] and "No space left on device" in lines[0]


@pytest.fixture
def small_fs(tmp_path):
    """A real 64 KB filesystem (tmpfs), mounted for the test (needs root, as on the CI machines)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({r.stderr.decode().strip()}); /dev/full covers the "
                    "same path")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_filesystem_ends_the_csv_on_a_whole_row(small_fs, pictures, model_files):
    (small_fs / "filler").write_bytes(b"x" * (56 << 10))  # leaves ~8 KB: the disk fills up part way
    out = small_fs / "results.csv"
    proc = _cli("classify", str(model_files["tflite"]), str(pictures), "--top", "3", "--csv", str(out))
    _, err = proc.communicate(timeout=180)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1, err
    assert str(out) in lines[0] and "No space left on device" in lines[0]
    rows = _rows(out)
    assert 1 < len(rows) < N_PICTURES + 1 and all(len(r) == len(rows[0]) for r in rows)


def test_a_file_name_that_starts_like_a_formula_is_written_as_text(tmp_path, model_files):
    Image.fromarray(np.full((20, 20, 3), (220, 30, 20), np.uint8)).save(tmp_path / "=HYPERLINK(1).png")
    proc = _cli("classify", str(model_files["tflite"]), "=HYPERLINK(1).png", "--csv", "out.csv", cwd=tmp_path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    rows = _rows(tmp_path / "out.csv")
    assert rows[1][0] == "'=HYPERLINK(1).png"


def test_a_file_name_that_is_not_utf8_inside_a_folder_is_classified(tmp_path, model_files):
    folder = tmp_path / "pics"
    folder.mkdir()
    Image.fromarray(np.full((20, 20, 3), (220, 30, 20), np.uint8)).save(folder / "red.png")
    raw = os.path.join(os.fsencode(folder), b"caf\xe9.png")  # Latin-1 bytes: not valid UTF-8
    with open(raw, "wb") as f:
        f.write((folder / "red.png").read_bytes())
    proc = _cli("classify", str(model_files["tflite"]), str(folder), "--csv", str(tmp_path / "out.csv"))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "Traceback" not in err, err
    rows = _rows(tmp_path / "out.csv")
    assert len(rows) == 3 and {r[1] for r in rows[1:]} == {"red"}
    assert any("caf\\udce9.png" in r[0] for r in rows[1:]) and "caf\\udce9.png" in out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_live_stopped_by_a_signal_gives_its_summary_and_keeps_its_trace(tmp_path, model_files, sig):
    """``live`` takes the clean path on SIGTERM as on Ctrl+C: exit 0, the summary, a whole trace."""
    from helpers.video import write_video

    video = write_video(tmp_path / "long.avi", frames=400)  # 13 s at its own 30 fps
    trace = tmp_path / "trace.csv"
    proc = _cli("live", str(model_files["tflite"]), "--source", str(video), "--trace", str(trace))
    # each frame's line is printed (flushed) after its trace row is written: 6 lines read = 6 rows made
    first = [proc.stdout.readline() for _ in range(6)]
    assert all(line.startswith("frame") for line in first), first
    assert proc.poll() is None, proc.communicate()
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    frames = first + [line for line in out.splitlines() if line.startswith("frame")]
    summary = next(line for line in out.splitlines() if " frames inferred" in line)
    inferred = int(summary.split()[0])
    rows = _rows(trace)
    assert rows[0][0] == "frame" and 6 <= inferred < 400
    assert len(rows) - 1 == inferred == len(frames)


def test_replacing_a_file_that_fails_midway_leaves_the_old_one_whole(tmp_path):
    from livepredict.core.errors import OutputWriteError
    from livepredict.core.outfile import replace_with, write_text

    target = tmp_path / "results.json"
    write_text(target, "old\n")

    def half_then_fail(tmp):
        tmp.write_text("new, half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputWriteError, match=r"results.json \(No space left on device\)"):
        replace_with(target, half_then_fail)
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_a_live_recording_on_a_full_disk_keeps_whole_rows(small_fs):
    from livepredict.core.errors import OutputWriteError
    from livepredict.core.types import Prediction
    from livepredict.ui.live.recording import PredictionRecorder

    (small_fs / "filler").write_bytes(b"x" * (60 << 10))  # ~4 KB left
    rec = PredictionRecorder(small_fs / "rec.csv")
    pred = Prediction(top=(("circle", 0.9), ("square", 0.1)), frame_index=1, capture_ts=1.0)
    with pytest.raises(OutputWriteError, match="No space left on device"):
        for _ in range(10_000):
            rec.write(pred)
    assert 10 < rec.rows < 10_000
    assert rec.close() == ""  # what was written is put in place
    rows = _rows(small_fs / "rec.csv")
    assert len(rows) == rec.rows + 1 and all(len(r) == len(rows[0]) for r in rows)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_generate_stopped_by_a_signal_keeps_the_text_and_exits_cleanly(sig):
    """``generate`` ends its stream on SIGTERM as on Ctrl+C: the text so far, a closing newline, exit 0
    (SIGTERM gave exit 143 and no newline before)."""
    proc = _cli("generate", str(ROOT / "models" / "chars.keras"), "--length", "100000000", "--seed-text", "the ")
    head = proc.stdout.read(64)  # tokens are flushed one by one: 64 characters read = the stream runs
    assert len(head) == 64 and proc.poll() is None
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert (head + out).startswith("the ") and out.endswith("\n")
    assert f"stopped ({signal.Signals(sig).name}) after" in err and "Traceback" not in err
