"""Detector layouts that come as SavedModels and LiteRT files, built for real once per module:
a ``tf.Module`` SavedModel with the TF Object Detection API's output names, LiteRT files with the
detection post-process op's four outputs in the TF1 and TF2 orders, and a YOLO ``.tflite`` that
is also a zip archive holding the exporter's metadata (names, imgsz, task)."""

from __future__ import annotations

import pytest
from helpers import detect_models as dm

from livepredict.core.types import Task
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images

TRUE = (30, 12, 60, 42)
PICTURE = dm.picture(60, 90, TRUE)
OTHER = (0.0, 0.0, 90 * 0.25, 60 * 0.25)  # the constant second box (yxyx 0, 0, .25, .25) in picture pixels


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("detector_files")
    out = {"od-api": dm.save_od_api(folder / "od_api")}
    for order in ("tf1", "tf2"):
        p = folder / f"ssd_{order}.tflite"
        p.write_bytes(dm.postprocess_tflite(order))
        out[order] = p
    yolo = folder / "meta" / "yolo.tflite"
    yolo.parent.mkdir()
    model = dm.build_yolo(rescale=False)  # YOLO exports take 0..1 pixels
    from helpers.models import to_tflite

    yolo.write_bytes(to_tflite(model))
    out["meta"] = dm.append_metadata(yolo, ["ring", "box", "wedge"])
    d = folder / "dict.tflite"
    d.write_bytes(to_tflite(dm.build_dict_detector()))
    dm.write_sidecar(d, {"labels": dm.LABELS, "preprocess": {"scale": "none"}})  # it rescales 0..255 itself
    out["dict"] = d
    return out


def _near(a, b, tol=2.0):
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def _boxes(path, labels_file=None, **kw):
    if labels_file is not None:
        (path.parent / "labels.txt").write_text("\n".join(labels_file) + "\n", encoding="utf-8")
    m = open_model(path, use_cache=False, **kw)
    pred = predict_images(m, [PICTURE])[0]
    return m, pred.result


def test_od_api_savedmodel_by_its_output_names(files):
    """1-based class ids, yxyx normalised boxes, num_detections; a label map with '???' first."""
    (files["od-api"] / "labels.txt").write_text("???\ncircle\nsquare\ntriangle\n", encoding="utf-8")
    m = open_model(files["od-api"], use_cache=False)
    assert m.info.task == Task.OBJECT_DETECTOR and m.info.extras["decoder"]["type"] == "od-api"
    assert "Object Detection API" in m.info.extras["decoder"]["reason"]
    det = predict_images(m, [PICTURE])[0].result
    assert [(d.label, round(d.score, 3)) for d in det.items] == [("square", 0.9), ("triangle", 0.6)]
    assert _near(det.items[0].box, TRUE) and _near(det.items[1].box, OTHER)


@pytest.mark.parametrize("order", ["tf1", "tf2"])
def test_postprocess_op_outputs_in_both_orders(files, order):
    p = files[order]
    m = open_model(p, use_cache=False)
    d = m.info.extras["decoder"]
    assert m.info.task == Task.OBJECT_DETECTOR and d["type"] == "ssd-postprocess"
    assert d["options"]["order"] == order and ("TF1" if order == "tf1" else "TF2") in d["reason"]
    assert not [w for w in m.info.warnings if "outputs (0:" in w]  # no "showing output 0" note
    det = predict_images(m, [PICTURE])[0].result
    assert [(d.label, round(d.score, 3)) for d in det.items] == [("class 1", 0.9), ("class 2", 0.6)]
    assert _near(det.items[0].box, TRUE) and _near(det.items[1].box, OTHER)


def test_tflite_with_appended_metadata_gives_task_labels_and_decoder(files):
    m = open_model(files["meta"], use_cache=False)
    assert m.info.task == Task.OBJECT_DETECTOR and m.info.labels == ("ring", "box", "wedge")
    d = m.info.extras["decoder"]
    assert d["type"] == "yolo" and d["options"]["normalized"] is True
    assert d["reason"].startswith("the metadata embedded in yolo.tflite (metadata.json)")
    assert m.info.preprocess.resize == "letterbox" and m.info.preprocess.scale == "0..1"
    det = predict_images(m, [PICTURE])[0].result
    assert [d.label for d in det.items] == ["box"] and _near(det.items[0].box, TRUE)


def test_tflite_dict_outputs_by_their_signature_names(files):
    """A Keras dict-output model converted to LiteRT: its signature's output names tell the layout."""
    m = open_model(files["dict"], use_cache=False)
    assert [t.name for t in m.info.outputs] == ["boxes", "classes", "confidence", "num_detections"]
    assert m.info.extras["decoder"]["type"] == "dict"
    det = predict_images(m, [PICTURE])[0].result
    assert [d.label for d in det.items] == ["square"] and _near(det.items[0].box, TRUE)
