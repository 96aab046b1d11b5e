"""A detector exported for TensorFlow Serving returns the app's boxes in the original picture's pixels
(a raw YOLO layout and a listed one, letterbox and squash), its labels and scores; the anchor decoder is refused."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from helpers import detect_models as dm
from PIL import Image

from livepredict.core.errors import UnsupportedModelError
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images

BOX = (30, 12, 60, 42)  # x0, y0, x1, y1 in a 90x60 picture
BUILDERS = {"yolo-objectness": lambda: dm.build_yolo(objectness=True),
            "dict": dm.build_dict_detector}


def _png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("name,resize", [("yolo-objectness", "letterbox"), ("dict", "squash")])
def test_exported_detector_gives_the_apps_boxes(name, resize, tmp_path):
    import tensorflow as tf

    from livepredict.inference.export import export_for_serving

    p = tmp_path / f"{name}.keras"
    BUILDERS[name]().save(p)
    dm.write_sidecar(p, {"labels": dm.LABELS, "preprocess": {"scale": "none", "resize": resize}})
    pictures = [dm.picture(60, 90, BOX), dm.picture(50, 40, (5, 10, 25, 40)), np.zeros((30, 30, 3), np.uint8)]
    with open_model(p, use_cache=False, runtime="keras") as m:
        result = export_for_serving(m, tmp_path / "serving", name, 1)
        preds = predict_images(m, pictures)
    assert set(result.outputs) == {"boxes", "scores", "classes", "labels", "num_detections"}
    meta = json.loads((result.path / "assets.extra" / "livepredict.json").read_text())
    assert meta["head"] == "detector" and meta["labels"] == dm.LABELS
    sig = tf.saved_model.load(str(result.path)).signatures["serving_default"]
    got = sig(image_bytes=tf.constant([_png(im) for im in pictures]))
    for i, pred in enumerate(preds):
        items = pred.result.items
        n = int(got["num_detections"][i])
        assert n == len(items), (name, i, items)
        for j, d in enumerate(items):
            assert got["labels"][i, j].numpy().decode() == d.label and int(got["classes"][i, j]) == d.class_id
            assert abs(float(got["scores"][i, j]) - d.score) < 1e-5
            np.testing.assert_allclose(got["boxes"][i, j].numpy(), d.box, atol=1e-3)
        assert float(got["scores"][i, n:].numpy().sum()) == 0.0  # padding


def test_the_anchor_decoder_is_refused_in_one_sentence(tmp_path):
    from livepredict.inference.export import check_exportable

    p = tmp_path / "anchors.keras"
    dm.build_anchor_detector().save(p)
    dm.write_sidecar(p, {"labels": dm.LABELS})
    with open_model(p, use_cache=False, runtime="keras") as m:
        with pytest.raises(UnsupportedModelError, match="anchors decoder cannot be exported") as e:
            check_exportable(m.info)
    assert "\n" not in str(e.value)
