"""``livepredict evaluate``: figures of one or two real models on a real labelled folder, the report
files (one self-contained HTML with PNG plots, CSV and JSON), Ctrl+C keeping a whole partial report,
and bad input as one sentence with exit 2."""

from __future__ import annotations

import base64
import csv
import io
import json
import re

import pytest
from helpers.labelled import SHAPES_MODEL, color_folder, second_shapes_model, shapes_folder
from PIL import Image

from livepredict import cli
from livepredict.inference import predict


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_eval")
    return shapes_folder(root / "shapes"), second_shapes_model(root / "crop")


def test_two_models_give_figures_a_comparison_and_a_self_contained_report(data, tmp_path, capsys):
    folder, crop = data
    report = tmp_path / "report"
    code, out, err = run(capsys, "evaluate", SHAPES_MODEL, crop, folder, "--report", report, "--json")
    assert code == 0, err
    assert err.count("left out: blob.") == 2 and len(err.strip().splitlines()) == 2
    data_ = json.loads(out)
    a, b = data_["models"]
    assert (a["model"], b["model"]) == ("shapes.keras", "shapes_crop.keras")
    assert a["pictures"] == b["pictures"] == 60 and a["unmatched_classes"] == ["blob"]
    assert sum(map(sum, a["confusion"])) == 60
    assert a["accuracy"] == pytest.approx(sum(r["correct"] for r in a["predictions"]) / 60)
    (cmp,) = data_["comparisons"]
    assert cmp["mcnemar"]["b"] == len(cmp["right_only_by_first"])
    assert json.loads((report / "figures.json").read_text()) == data_
    rows = list(csv.reader((report / "predictions.csv").read_text().splitlines()))
    assert rows[0] == ["model", "path", "true", "predicted", "confidence", "correct", "error"]
    assert len(rows) == 1 + 120
    per_class = list(csv.DictReader((report / "per_class.csv").open()))
    assert len(per_class) == 12 and {r["model"] for r in per_class} == {"shapes.keras", "shapes_crop.keras"}
    for name in ("summary.csv", "confusion.csv", "calibration.csv", "comparisons.csv", "disagreements.csv"):
        assert (report / name).stat().st_size > 0
    page = (report / "report.html").read_text()
    pngs = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(pngs) == 4  # confusion + reliability per model
    for png in pngs:
        assert Image.open(io.BytesIO(base64.b64decode(png))).size[0] > 300
    assert "McNemar p =" in page and "<script" not in page and 'src="http' not in page
    assert not list(report.glob("*.part"))


def test_a_binary_model_gets_its_roc_in_the_report(tmp_path, capsys, binary_model):
    code, out, err = run(capsys, "evaluate", binary_model, color_folder(tmp_path / "colors"), "--report", tmp_path / "r")
    assert code == 0, err
    assert "AUC" in out.splitlines()[0]
    roc = list(csv.DictReader((tmp_path / "r" / "roc.csv").open()))
    assert roc[0]["threshold"] == "inf" and float(roc[-1]["fpr"]) == 1.0
    assert len(re.findall("data:image/png", (tmp_path / "r" / "report.html").read_text())) == 3


def test_ctrl_c_keeps_a_whole_report_of_the_pictures_done(data, tmp_path, capsys, monkeypatch):
    folder, _ = data
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.html").write_text("an older report")
    real, calls = predict.predict_tensors, []

    def interrupted_on_the_third_chunk(*args, **kw):  # Ctrl+C at a known point of the run
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(predict, "predict_tensors", interrupted_on_the_third_chunk)
    code, out, err = run(capsys, "evaluate", SHAPES_MODEL, folder, "--report", report)
    assert code == 130 and "interrupted; results written so far were kept" in err and "Traceback" not in err
    figures = json.loads((report / "figures.json").read_text())
    (m,) = figures["models"]
    assert figures["interrupted"] is True and m["complete"] is False and 0 < m["pictures"] < 60
    rows = list(csv.reader((report / "predictions.csv").read_text().splitlines()))
    assert len(rows) == 1 + m["pictures"]
    assert "interrupted" in (report / "report.html").read_text()
    assert not list(report.glob("*.part"))


@pytest.mark.parametrize("argv,fragment", [
    (lambda d, t: [SHAPES_MODEL], "needs a model and a labelled folder"),
    (lambda d, t: [SHAPES_MODEL, t / "nowhere"], "No folder or CSV at"),
    (lambda d, t: [d, SHAPES_MODEL], "is a model, not labelled pictures"),
    (lambda d, t: [SHAPES_MODEL, d / "blob"], "has no class sub-folders"),
    (lambda d, t: [SHAPES_MODEL, d, "--top", "0"], "--top must be at least 1"),
])
def test_bad_input_is_one_sentence_and_exit_2(data, tmp_path, capsys, argv, fragment):
    code, out, err = run(capsys, "evaluate", *argv(data[0], tmp_path))
    assert code == 2 and out == "" and "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("livepredict: ") and fragment in line


def test_no_class_matching_the_model_is_one_sentence(tmp_path, capsys):
    folder = color_folder(tmp_path / "colors", per_class=1)
    code, out, err = run(capsys, "evaluate", SHAPES_MODEL, folder)
    assert code == 2 and out == ""
    assert "None of the classes of" in err and "is a label of shapes.keras" in err
