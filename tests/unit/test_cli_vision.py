"""``info`` and ``classify`` with detectors and segmenters: detections in original pixels in JSON,
one CSV row per detection, mask PNGs through ``--masks``, the decoder named by ``info``, and bad
sidecar decoders refused with one sentence (exit 2). Real tiny models (helpers.detect_models)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from helpers import detect_models as dm
from PIL import Image

from livepredict import cli

BOXES = {"a.png": ((60, 90), (30, 12, 60, 42)), "b.png": ((50, 70), (5, 5, 20, 30))}


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_vision")
    det = folder / "det.keras"
    dm.build_yolo().save(det)
    dm.write_sidecar(det, {"labels": dm.LABELS, "task": "object-detector",
                           "decoder": {"type": "yolo", "box_format": "cxcywh", "normalized": True}})
    seg = folder / "seg.keras"
    dm.build_segmenter("softmax").save(seg)
    dm.write_sidecar(seg, {"labels": ["background", "shape"], "task": "segmenter"})
    pics = []
    for name, (hw, box) in BOXES.items():
        p = folder / name
        Image.fromarray(dm.picture(*hw, box)).save(p)
        pics.append(p)
    return det, seg, pics


def _near(a, b, tol=2.0):
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def test_classify_json_csv_and_text_give_boxes_in_picture_pixels(files, capsys, tmp_path):
    det, _, pics = files
    out_csv = tmp_path / "rows.csv"
    code, out, _ = run(capsys, "classify", det, *pics, "--json", "--csv", out_csv)
    assert code == 0
    items = json.loads(out)
    for item, pic in zip(items, pics, strict=True):
        [d] = item["detections"]
        assert d["label"] == "square" and _near(d["box"], BOXES[pic.name][1]) and item["dropped"] == 0
    rows = list(csv.reader(out_csv.open()))
    assert rows[0] == ["path", "label", "score", "x0", "y0", "x1", "y1", "error"]
    assert [r[1] for r in rows[1:]] == ["square", "square"]
    assert _near([float(v) for v in rows[2][3:7]], BOXES["b.png"][1])
    code, out, _ = run(capsys, "classify", det, pics[0])
    assert code == 0 and "1 detection (1 square); best square 0.900 at [31, 11, 59, 41]" in out


def test_segmenter_fractions_and_mask_pngs(files, capsys, tmp_path):
    _, seg, pics = files
    masks = tmp_path / "masks"
    code, out, _ = run(capsys, "classify", seg, *pics, "--json", "--masks", masks)
    assert code == 0
    items = json.loads(out)
    (h, w), box = BOXES["a.png"]
    frac = items[0]["segmentation"]["fractions"]["shape"]
    assert frac == pytest.approx((box[2] - box[0]) * (box[3] - box[1]) / (h * w), abs=0.02)
    mask = np.asarray(Image.open(masks / "a.png.mask.png"))
    assert mask.shape == (h, w) and set(np.unique(mask)) == {0, 1}
    ys, xs = np.nonzero(mask)
    assert _near((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), box, tol=3)
    assert (masks / "b.png.mask.png").is_file()


def test_masks_with_a_detector_is_refused_in_one_sentence(files, capsys, tmp_path):
    det, _, pics = files
    code, out, err = run(capsys, "classify", det, pics[0], "--masks", tmp_path / "m")
    assert code == 2 and out == "" and "--masks writes a segmenter's masks" in err and "Traceback" not in err


def test_info_names_the_decoder_and_why(files, capsys):
    det, seg, _ = files
    code, out, _ = run(capsys, "info", det)
    assert code == 0 and "Task        object-detector" in out
    assert "Decoder     yolo (the sidecar names the yolo decoder; one output [None, 16, 7]" in out
    code, out, _ = run(capsys, "info", seg, "--json")
    info = json.loads(out)
    assert info["task"] == "segmenter" and info["extras"]["decoder"]["type"] == "mask"
    assert "class probabilities per pixel" in info["extras"]["decoder"]["reason"]


@pytest.mark.parametrize("decoder,fragment", [
    ({"type": "boxes"}, "has decoder type 'boxes', not one of yolo, yolo-objectness"),
    ({"box_format": "xywh"}, "has box_format 'xywh', not one of xyxy, yxyx, cxcywh"),
    ({"iou": 0.5}, "has unknown 'decoder' key(s) iou"),
    ({"score_threshold": 2}, "has 'score_threshold' that is not a number from 0 to 1"),
    ({"anchors": {"strides": [8, 0]}}, "'anchors' 'strides' that is not a list of positive whole numbers"),
])
def test_bad_sidecar_decoder_is_one_sentence(files, capsys, tmp_path, decoder, fragment):
    det, _, pics = files
    p = tmp_path / "m.keras"
    p.write_bytes(det.read_bytes())
    dm.write_sidecar(p, {"decoder": decoder})
    code, out, err = run(capsys, "info", p)
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1 and fragment in lines[0], err
