"""``livepredict classify --ray``: a real local Ray runtime (2 CPUs, started once for the module), the
demo model shipped to the actors as bytes, ≥ 200 real picture files: the CSV, the printed lines and the
JSON are those of the local run; Ctrl+C leaves a valid partial CSV; without Ray, one sentence."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import ray  # the cluster extra: make setup installs it
from helpers.pictures import write_shape_pictures

from livepredict import cli

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "models" / "shapes.keras"


@pytest.fixture(scope="module")
def ray_runtime():
    import logging

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("cluster_pictures")
    write_shape_pictures(d / "shapes", 204, small=True)
    (d / "shapes" / "9998_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (d / "shapes" / "9999_empty.jpg").write_bytes(b"")
    return d


def _classify(args, capsys) -> tuple[int, str, str]:
    code = cli.main(["classify", str(DEMO), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ray_run_writes_what_the_local_run_writes(ray_runtime, folder, tmp_path, capsys):
    local_csv, ray_csv = tmp_path / "local.csv", tmp_path / "ray.csv"
    code, local_out, _ = _classify([str(folder), "--csv", str(local_csv), "--top", "2"], capsys)
    assert code == 0
    code, ray_out, err = _classify([str(folder), "--csv", str(ray_csv), "--top", "2", "--ray"], capsys)
    assert code == 0
    assert ray_csv.read_bytes() == local_csv.read_bytes()
    assert ray_out == local_out
    rows = list(csv.reader(ray_csv.open()))
    assert len(rows) == 1 + 206 and sum(1 for r in rows[1:] if r[-1]) == 2  # per-file errors kept, in order
    assert err.strip() == "livepredict: 2 of 206 files could not be classified (see their errors)."
    # (--json on Ray: the detector test below compares it with the local run's)


def test_ctrl_c_cancels_the_job_and_keeps_a_valid_partial_csv(ray_runtime, folder, tmp_path):
    out_csv = tmp_path / "partial.csv"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "desktop"), os.environ.get("PYTHONPATH", "")]))
    shapes = str(folder / "shapes")
    proc = subprocess.Popen([sys.executable, "-m", "livepredict", "classify", str(DEMO), *[shapes] * 6, "--csv",
                             str(out_csv), "--ray", ray_runtime], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        for _ in range(40):  # each line is printed after its row is written
            assert proc.stdout.readline(), proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted; results written so far were kept" in err
    rows = list(csv.reader(out_csv.open()))
    assert rows[0] == ["path", "label_1", "score_1", "label_2", "score_2", "label_3", "score_3", "error"]
    assert 40 <= len(rows) - 1 < 6 * 206 and all(len(r) == 8 for r in rows)
    assert not list(tmp_path.glob(".partial.csv.*"))  # the temporary file was renamed into place


def test_without_ray_the_flag_says_what_to_install(folder, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed: import fails
    code, _, err = _classify([str(folder / "shapes"), "--ray"], capsys)
    assert code == 2
    assert err.strip() == ("livepredict: --ray needs Ray, which is not installed; install it with "
                           "pip install -e '.[cluster]'.")


def test_the_model_bundle_carries_a_savedmodel_folder_and_its_sidecar(model_files, tmp_path):
    from livepredict.inference.cluster import model_bundle, unpack_bundle
    from livepredict.inference.loader import open_model

    src = model_files["savedmodel"]
    bundle = model_bundle(src)
    assert f"{src.name}.livepredict.json" in bundle and any(k.endswith("saved_model.pb") for k in bundle)
    path = unpack_bundle(bundle, tmp_path)
    with open_model(path) as there, open_model(src) as here:
        assert there.info.labels == here.info.labels and there.info.preprocess == here.info.preprocess
    with pytest.raises(Exception, match="outside its folder"):
        unpack_bundle({"__model__": b"x", "../escape.txt": b"no"}, tmp_path / "inner")


def test_a_detector_on_ray_writes_the_local_runs_detection_rows(ray_runtime, tmp_path, capsys):
    """One row per detection in the CSV and the detections in the JSON, as the local run writes them."""
    from helpers import detect_models as dm
    from PIL import Image

    model = tmp_path / "yolo.keras"
    dm.build_yolo().save(model)
    dm.write_sidecar(model, {"labels": dm.LABELS})
    pics = tmp_path / "pics"
    pics.mkdir()
    for i in range(6):
        Image.fromarray(dm.picture(40 + 7 * i, 60, (5 + i, 8, 30 + i, 30))).save(pics / f"{i}.png")
    Image.fromarray(dm.picture(30, 30, (0, 0, 0, 0))).save(pics / "empty.png")
    runs = {}
    for name, extra in (("local", []), ("ray", ["--ray"])):
        code = cli.main(["classify", str(model), str(pics), "--json", "--csv", str(tmp_path / f"{name}.csv"),
                         *extra])
        runs[name] = (code, capsys.readouterr().out, (tmp_path / f"{name}.csv").read_bytes())
    assert runs["ray"] == runs["local"] and runs["local"][0] == 0
    assert b"square" in runs["local"][2] and '"detections"' in runs["local"][1]


def test_evaluate_on_ray_gives_the_local_figures_and_report(ray_runtime, tmp_path, capsys):
    """Two models in each actor: the same JSON figures, comparison and predictions.csv as the local run."""
    from helpers.labelled import SHAPES_MODEL, second_shapes_model, shapes_folder

    folder, crop = shapes_folder(tmp_path / "shapes"), second_shapes_model(tmp_path / "crop")
    runs = {}
    for name, extra in (("local", []), ("ray", ["--ray"])):
        code = cli.main(["evaluate", str(SHAPES_MODEL), str(crop), str(folder), "--report", str(tmp_path / name),
                         "--json", *extra])
        out = capsys.readouterr().out
        runs[name] = (code, out.replace(str(tmp_path / name), "REPORT"),
                      (tmp_path / name / "predictions.csv").read_bytes())
    assert runs["ray"] == runs["local"] and runs["local"][0] == 0
