"""Layout recognition from names and shapes alone, the decoders' value checks, the anchors and the
embedded metadata (no model needed: TensorInfo descriptions and arrays); and, through a real model,
a sidecar that asks for a detector whose outputs fit no decoder: generic, with one sentence."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from helpers import detect_models as dm
from helpers.models import build_color_classifier

from livepredict.core.types import Task, TensorInfo
from livepredict.inference.heads import anchors
from livepredict.inference.heads.decoders import ssd_postprocess
from livepredict.inference.heads.layouts import Layout, recognise
from livepredict.inference.loader import open_model
from livepredict.inference.metadata import read_metadata

IMG = (TensorInfo("image", (None, 320, 320, 3), "float32"),)


def t(shape, name="out", dtype="float32"):
    return TensorInfo(name, tuple(shape), dtype)


@pytest.mark.parametrize("outputs,labels,decoder,task", [
    ([t((None, 84, 8400))], (), "yolo", Task.OBJECT_DETECTOR),
    ([t((None, 8400, 84))], (), "yolo", Task.OBJECT_DETECTOR),
    ([t((None, 25200, 85))], (), "yolo-objectness", Task.OBJECT_DETECTOR),
    ([t((None, 2100, 8))], ("a", "b", "c"), "yolo-objectness", Task.OBJECT_DETECTOR),
    ([t((None, 300, 6))], (), "end-to-end", Task.OBJECT_DETECTOR),
    ([t((None, 10, 4)), t((None, 10)), t((None, 10)), t((None,))], (), "ssd-postprocess", Task.OBJECT_DETECTOR),
    ([t((None, 5600, 16), "regressors"), t((None, 5600, 1), "classificators")], (), "anchors", Task.OBJECT_DETECTOR),
    ([t((None, 100, 4), "detection_boxes"), t((None, 100), "detection_classes"), t((None, 100), "detection_scores"),
      t((None,), "num_detections")], (), "od-api", Task.OBJECT_DETECTOR),
    ([t((None, 80, 80, 21))], (), "mask", Task.SEGMENTER),
    ([t((None, 320, 320, 1))], (), "mask", Task.SEGMENTER),
    ([t((None, 160, 160), dtype="int64")], (), "mask", Task.SEGMENTER),
])
def test_recognised_by_shapes_and_names(outputs, labels, decoder, task):
    layout = recognise(IMG, outputs, labels)
    assert layout is not None and layout.decoder == decoder and layout.task == task and layout.reason


def test_not_recognised_and_sidecar_overrides():
    assert recognise(IMG, [t((None, 1000))]) is None  # a classifier
    assert recognise(IMG, [t((None, 320, 320, 3))]) is None  # image to image: not a 3-class segmenter by guess
    assert recognise(IMG, [t((None, 320, 320, 3))], task=Task.SEGMENTER).decoder == "mask"
    # [1, N, 6]: end-to-end by default, raw YOLO with two classes when the sidecar says so
    forced = recognise(IMG, [t((None, 300, 6))], sidecar_decoder={"type": "yolo", "normalized": False})
    assert forced.decoder == "yolo" and forced.options["normalized"] is False
    assert forced.reason.startswith("the sidecar names the yolo decoder")
    assert recognise(IMG, [t((None, 84, 8400))], sidecar_decoder={"type": "anchors"}) is None


def test_postprocess_scores_and_classes_told_apart_by_their_values():
    """Roles from the TF2 order, but the values say the (N) outputs are the other way round."""
    layout = Layout(Task.OBJECT_DETECTOR, "ssd-postprocess", "", {"scores": 0, "boxes": 1, "count": 2, "classes": 3})
    boxes = np.array([[0.1, 0.2, 0.5, 0.6], [0, 0, 0, 0]], np.float32)
    wrong = [np.array([3.0, 0.0]), boxes, np.array([1.0]), np.array([0.8, 0.0])]  # classes where scores should be
    c = ssd_postprocess(wrong, layout, (100, 200))
    assert list(c.class_ids) == [3] and list(np.round(c.scores, 3)) == [0.8]
    np.testing.assert_allclose(c.boxes[0], [40, 10, 120, 50])  # yxyx normalised → xyxy pixels


def test_blazeface_anchor_counts_and_order():
    opts = anchors.options_for(896, (128, 128), None)
    assert opts is not None and opts["strides"] == [8, 16, 16, 16]
    a = anchors.generate(opts, (128, 128))
    assert a.shape == (896, 4)
    np.testing.assert_allclose(a[:2], [[0.5 / 16, 0.5 / 16, 1, 1]] * 2)  # two anchors per cell, row-major
    np.testing.assert_allclose(a[512], [0.5 / 8, 0.5 / 8, 1, 1])
    assert anchors.options_for(2304, (192, 192), None)["strides"] == [4]  # full range
    assert anchors.options_for(900, (128, 128), None) is None
    assert anchors.options_for(512, (128, 128), {"strides": [8], "interpolated_scale_aspect_ratio": 1.0})


def test_metadata_entry_read_safely(tmp_path):
    p = tmp_path / "m.tflite"
    p.write_bytes(b"TFL3" + b"\0" * 64)
    assert read_metadata(p) is None
    with zipfile.ZipFile(p, "a") as zf:
        zf.writestr("metadata.yaml", "{'task': 'detect', 'names': {0: 'a', 1: 'b'}, 'imgsz': [64, 64]}")
    meta = read_metadata(p)
    assert meta["labels"] == ("a", "b") and meta["task"] == Task.OBJECT_DETECTOR and meta["size"] == (64, 64)
    q = tmp_path / "code.tflite"
    q.write_bytes(b"TFL3")
    with zipfile.ZipFile(q, "a") as zf:
        zf.writestr("metadata.json", "__import__('os').system('echo no')")
    assert read_metadata(q) is None  # literals only, never code
    r = tmp_path / "seg.tflite"
    r.write_bytes(b"TFL3")
    with zipfile.ZipFile(r, "a") as zf:
        zf.writestr("metadata.json", json.dumps({"task": "pose", "names": {"0": "person"}}))
    assert read_metadata(r) == {"source": "the metadata embedded in seg.tflite (metadata.json)", "labels": ("person",)}


def test_sidecar_detector_that_fits_no_decoder_opens_generic_with_one_sentence(tmp_path):
    p = tmp_path / "colors.keras"
    build_color_classifier().save(p)
    dm.write_sidecar(p, {"task": "object-detector"})
    m = open_model(p, use_cache=False, runtime="keras")
    assert m.info.task == Task.GENERIC
    [w] = [w for w in m.info.warnings if "fit no detector" in w]
    assert w.startswith("The sidecar says this model is a object-detector, but its outputs ([None, 3]) fit no")
    assert '"task" and "decoder"' in w and "colors.keras.livepredict.json" in w
