"""Detectors and segmenters: every Keras-built layout is recognised without a sidecar task and
decodes a drawn shape to its box (or mask) in the original picture's pixels, through real tiny
models saved to real files (``helpers.detect_models``)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import detect_models as dm

from livepredict.core.types import Detections, Segmentation, Task
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images

TRUE = (30, 12, 60, 42)  # x0, y0, x1, y1 in a 90x60 picture
PICTURE = dm.picture(60, 90, TRUE)

BUILDERS = {
    "yolo": lambda: dm.build_yolo(),
    "yolo-transposed": lambda: dm.build_yolo(transposed=True),
    "yolo-objectness": lambda: dm.build_yolo(objectness=True),
    "yolo-pixels": lambda: dm.build_yolo(normalized=False),
    "end-to-end": dm.build_end_to_end,
    "dict": dm.build_dict_detector,
    "anchors": dm.build_anchor_detector,
}
DECODER = {"yolo": "yolo", "yolo-transposed": "yolo", "yolo-objectness": "yolo-objectness", "yolo-pixels": "yolo",
           "end-to-end": "end-to-end", "dict": "dict", "anchors": "anchors"}


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("detectors")
    out = {}
    for name, build in BUILDERS.items():
        p = folder / f"{name}.keras"
        build().save(p)
        dm.write_sidecar(p, {"labels": dm.LABELS})
        out[name] = p
    for layout in ("softmax", "sigmoid", "classes"):
        p = folder / f"seg_{layout}.keras"
        dm.build_segmenter(layout).save(p)
        dm.write_sidecar(p, {"labels": ["background", "shape", "other"]})
        out[f"seg_{layout}"] = p
    return out


def _close(box, true, tol=2.0):
    return all(abs(a - b) <= tol for a, b in zip(box, true, strict=True))


@pytest.mark.parametrize("name", list(BUILDERS))
def test_detector_layout_is_recognised_and_decodes_the_box(keras_files, name):
    m = open_model(keras_files[name], use_cache=False, runtime="keras")
    assert m.info.task == Task.OBJECT_DETECTOR
    assert m.info.extras["decoder"]["type"] == DECODER[name] and m.info.extras["decoder"]["reason"]
    assert not [w for w in m.info.warnings if "outputs" in w]  # no "showing output 0 of 4" note
    pred = predict_images(m, [PICTURE])[0]
    assert pred.error is None
    det = pred.result
    assert isinstance(det, Detections) and det.image_size == (60, 90)
    want = "circle" if name == "anchors" else "square"  # the anchor model has one class score
    assert [d.label for d in det.items] == [want], det.items  # the 0.6 duplicate was suppressed
    assert _close(det.items[0].box, TRUE), det.items[0].box
    assert pred.top[0][0] == want


def test_no_shape_gives_no_box_and_counts_the_empty_one(keras_files):
    """A black picture: the model's box is inverted (x0 = w, x1 = 0): dropped and counted, never drawn."""
    m = open_model(keras_files["yolo"], use_cache=False, runtime="keras")
    det = predict_images(m, [np.zeros((40, 50, 3), np.uint8)])[0].result
    assert det.items == () and det.dropped >= 1


@pytest.mark.parametrize("layout,cls", [("softmax", 1), ("sigmoid", 1), ("classes", 2)])
def test_segmenter_layouts_map_the_mask_back(keras_files, layout, cls):
    m = open_model(keras_files[f"seg_{layout}"], use_cache=False, runtime="keras")
    assert m.info.task == Task.SEGMENTER and m.info.extras["decoder"]["type"] == "mask"
    seg = predict_images(m, [PICTURE])[0].result
    assert isinstance(seg, Segmentation) and seg.mask.shape == (60, 90)
    ys, xs = np.nonzero(seg.mask == cls)
    assert _close((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), TRUE, tol=3)
    true_frac = (TRUE[2] - TRUE[0]) * (TRUE[3] - TRUE[1]) / (60 * 90)
    assert abs(seg.fractions[cls] - true_frac) < 0.02
    assert seg.top[0][0] == seg.labels[cls] and seg.background == 0
