"""``livepredict info`` and ``classify``: output formats, input order, per-item errors, exit code 2."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from helpers.files import unprivileged, write_huge_png
from helpers.models import LABELS, build_lambda_model, build_two_input_model
from PIL import Image

from livepredict import cli

INFO_KEYS = {"path", "format", "task", "inputs", "outputs", "params", "labels", "preprocess",
             "preprocess_source", "runtime", "runtime_check", "warnings"}


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, out, err, fragment):
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("livepredict: ") and fragment in lines[0]
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    """red/green/blue pictures plus every awkward kind of file, in a folder tree."""
    d = tmp_path_factory.mktemp("images")
    (d / "more").mkdir()
    Image.new("RGB", (40, 30), (220, 30, 20)).save(d / "a_red.png")
    Image.new("RGB", (30, 30), (20, 30, 220)).convert("CMYK").save(d / "b_blue_cmyk.jpg")
    Image.new("L", (30, 30), 128).save(d / "c_gray.png")
    Image.fromarray(np.full((30, 30), 40000, np.uint16)).save(d / "d_16bit.png")
    Image.new("RGBA", (30, 30), (10, 220, 20, 100)).save(d / "e_green_rgba.png")
    frames = [Image.new("RGB", (20, 20), c) for c in ((0, 0, 255), (255, 0, 0))]
    frames[0].save(d / "f_anim_blue.gif", save_all=True, append_images=frames[1:], duration=50)
    good = (d / "a_red.png").read_bytes()
    (d / "g_truncated.png").write_bytes(good[: len(good) // 2])
    (d / "h_empty.jpg").write_bytes(b"")
    (d / "more" / "i_green.png").write_bytes((d / "e_green_rgba.png").read_bytes())
    (d / "notes.txt").write_text("skipped in folders")
    return d


def test_info_json_has_the_documented_keys(capsys, model_files):
    code, out, err = run(capsys, "info", model_files["keras"], "--json")
    assert code == 0, err
    data = json.loads(out)
    assert INFO_KEYS <= set(data)
    assert data["format"] == "keras" and data["task"] == "image-classifier"
    assert data["inputs"] == [{"name": "image", "shape": [None, 16, 16, 3], "dtype": "float32"}]
    assert data["labels"] == LABELS and data["preprocess_source"] == "model"
    assert data["runtime"] == "litert" and data["runtime_check"]["passed"] is True
    assert data["runtime_check"]["compared"].startswith("litert vs keras")
    assert isinstance(data["runtime_check"]["max_abs_diff"], float)


@pytest.mark.parametrize("fmt", ["h5", "savedmodel", "tflite"])
def test_info_text_for_each_format(capsys, model_files, fmt):
    code, out, err = run(capsys, "info", model_files[fmt])
    assert code == 0, err
    assert f"Format      {fmt}" in out and "Task        image-classifier" in out
    assert "Labels      red, green, blue" in out and "Runtime     litert" in out


def test_classify_json_in_input_order_with_per_item_errors(capsys, model_files, images):
    code, out, err = run(capsys, "classify", model_files["keras"], images, images / "a_red.png",
                         images / "notes.txt", "--json", "--top", "2")
    assert code == 0, err
    items = json.loads(out)
    names = [Path(i["path"]).name for i in items]
    assert names == ["a_red.png", "b_blue_cmyk.jpg", "c_gray.png", "d_16bit.png", "e_green_rgba.png",
                     "f_anim_blue.gif", "g_truncated.png", "h_empty.jpg", "i_green.png", "a_red.png",
                     "notes.txt"]
    by = {Path(i["path"]).name: i for i in items}
    for name, label in [("a_red.png", "red"), ("b_blue_cmyk.jpg", "blue"), ("e_green_rgba.png", "green"),
                        ("f_anim_blue.gif", "blue"), ("i_green.png", "green")]:
        assert by[name]["error"] is None and by[name]["top"][0]["label"] == label
        assert len(by[name]["top"]) == 2
    for name in ("c_gray.png", "d_16bit.png"):
        assert by[name]["error"] is None and len(by[name]["top"]) == 2
    assert "truncated or damaged" in by["g_truncated.png"]["error"]
    assert "is empty (0 bytes)" in by["h_empty.jpg"]["error"]
    assert "is not an image" in by["notes.txt"]["error"]
    assert all(by[n]["top"] == [] for n in ("g_truncated.png", "h_empty.jpg", "notes.txt"))
    assert err.strip() == "livepredict: 3 of 11 files could not be classified (see their errors)."


def test_classify_csv_and_text(capsys, model_files, images, tmp_path):
    target = tmp_path / "out.csv"
    code, out, err = run(capsys, "classify", model_files["h5"], images / "a_red.png", images / "h_empty.jpg",
                         "--csv", target, "--top", "3")
    assert code == 0
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0] == ["path", "label_1", "score_1", "label_2", "score_2", "label_3", "score_3", "error"]
    assert rows[1][1] == "red" and float(rows[1][2]) > 0.9 and rows[1][-1] == ""
    assert rows[2][1] == "" and "is empty" in rows[2][-1]
    lines = out.strip().splitlines()
    assert lines[0].startswith(f"{images / 'a_red.png'}\tred 0.99") and "\terror: " in lines[1]


def test_classify_many_images_in_batches(capsys, model_files, tmp_path):
    d = tmp_path / "many"
    d.mkdir()
    colours = [(230, 10, 10), (10, 230, 10), (10, 10, 230)]
    for i in range(40):
        Image.new("RGB", (20, 20), colours[i % 3]).save(d / f"{i:03d}.png")
    code, out, _ = run(capsys, "classify", model_files["tflite"], d, "--json", "--top", "1")
    assert code == 0
    assert [i["top"][0]["label"] for i in json.loads(out)] == [LABELS[i % 3] for i in range(40)]


def test_huge_png_is_a_per_item_error(capsys, model_files, tmp_path):
    huge = write_huge_png(tmp_path / "huge.png")
    code, out, _ = run(capsys, "classify", model_files["keras"], huge, "--json")
    assert code == 2  # the only file failed
    [item] = json.loads(out)
    assert item["top"] == [] and ("20000x20000" in item["error"] or "too large" in item["error"])


@pytest.mark.parametrize(("argv", "fragment"), [
    (["classify", "{model}", "{tmp}/missing.png"], "No file or folder at"),
    (["classify", "{model}", "{tmp}/empty_dir"], "No images found in"),
    (["classify", "{model}", "{tmp}", "--top", "0"], "--top must be at least 1"),
    (["info", "{tmp}/missing.keras"], "No model file or folder at"),
    (["info", "{tmp}/empty_dir"], "is a folder but not a SavedModel"),
    (["classify", "{tmp}/page.h5", "{tmp}/page.h5"], "is an HTML page, not a model"),
])
def test_bad_input_exits_2_with_one_line(capsys, model_files, tmp_path, argv, fragment):
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "page.h5").write_text("<html><body>404</body></html>")
    argv = [a.format(model=model_files["keras"], tmp=tmp_path) for a in argv]
    assert_one_line_error(*run(capsys, *argv), fragment)


def test_lambda_needs_trust(capsys, tmp_path):
    p = tmp_path / "lam.keras"
    build_lambda_model().save(p)
    assert_one_line_error(*run(capsys, "info", p), "open it again with --trust")
    code, out, err = run(capsys, "info", p, "--trust", "--json")
    assert code == 0 and json.loads(out)["format"] == "keras"


def test_two_inputs_described_but_not_classified(capsys, tmp_path, images):
    p = tmp_path / "two.keras"
    build_two_input_model().save(p)
    code, out, _ = run(capsys, "info", p, "--json")
    assert code == 0 and len(json.loads(out)["inputs"]) == 2
    assert_one_line_error(*run(capsys, "classify", p, images / "a_red.png"), "has 2 inputs")


def test_folder_without_permission(capsys, model_files):
    root = Path(tempfile.mkdtemp())
    try:
        root.chmod(0o755)
        locked = root / "locked"
        locked.mkdir()
        locked.chmod(0)
        with unprivileged():
            result = run(capsys, "classify", model_files["keras"], locked)
        assert_one_line_error(*result, "Permission denied listing the folder")
    finally:
        (root / "locked").chmod(0o755)
        shutil.rmtree(root)


def test_real_process_prints_one_line_and_no_traceback(tmp_path):
    bad = tmp_path / "random.keras"
    bad.write_bytes(os.urandom(2000))
    out = subprocess.run([sys.executable, "-m", "livepredict", "info", str(bad)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        f"livepredict: {bad} is not a valid Keras model file (its content is not in that format); check that it "
        "was saved or downloaded completely."]


def test_bench_json_keys(capsys, model_files):
    code, out, err = run(capsys, "bench", model_files["keras"], "--json", "--seconds", "0.2")
    assert code == 0, err
    data = json.loads(out)
    assert {"paths", "chosen", "speedup_vs_predict", "chosen_vs_best"} <= set(data)
    assert set(data["paths"]) == {"predict", "keras", "litert"}
    for st in data["paths"].values():
        assert set(st) >= {"ms_median", "ms_p95", "per_s"}
        assert 0 < st["ms_median"] <= st["ms_p95"] and st["per_s"] > 0
    assert data["chosen"] == "litert"
    med = {k: v["ms_median"] for k, v in data["paths"].items()}
    assert data["speedup_vs_predict"] == pytest.approx(med["predict"] / med["litert"], rel=0.01)
    assert data["chosen_vs_best"] == pytest.approx(med["litert"] / min(med["keras"], med["litert"]), rel=0.01)


def test_bench_text_and_bad_seconds(capsys, model_files):
    code, out, _ = run(capsys, "bench", model_files["tflite"], "--seconds", "0.1")
    assert code == 0 and "litert" in out and "<- chosen" in out and "predict" not in out
    assert_one_line_error(*run(capsys, "bench", model_files["tflite"], "--seconds", "0"), "--seconds must be")


def test_nan_model_reports_per_item_errors(capsys, tmp_path, images):
    from helpers.models import build_nan_model

    p = tmp_path / "nan.keras"
    build_nan_model().save(p)
    code, out, err = run(capsys, "info", p, "--json")
    assert code == 0 and any("NaN" in w for w in json.loads(out)["warnings"])
    code, out, err = run(capsys, "classify", p, images / "a_red.png", images / "more", "--json")
    assert code == 2  # every file failed: the exit status says so
    items = json.loads(out)
    assert len(items) == 2 and all(i["top"] == [] and "NaN" in i["error"] for i in items)
