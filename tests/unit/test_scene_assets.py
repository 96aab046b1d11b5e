"""The bundled detector and segmenter, their sidecars, the sample scenes and the scenes video.

Real files only: ``models/detector.keras`` and ``models/segmenter.keras`` opened by the app's
engine (``open_model``: sidecar, decoder, chosen runtime) and run on the sample scenes and the
video's frames through ``predict_images`` (boxes and masks back in the pictures' own pixels).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from livepredict.core.boxes import iou_matrix
from livepredict.core.types import Detections, Segmentation
from livepredict.inference.predict import predict_images

ROOT = Path(__file__).resolve().parents[2]
DETECTOR = ROOT / "models" / "detector.keras"
SEGMENTER = ROOT / "models" / "segmenter.keras"
SCENES = ROOT / "resources" / "samples" / "scenes"
VIDEO = ROOT / "resources" / "samples" / "scenes.avi"
TRAIN = ROOT / "models" / "train"


def _sidecar(model: Path) -> dict:
    return json.loads(model.with_name(model.name + ".livepredict.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scenes() -> list[tuple[np.ndarray, dict]]:
    from livepredict.sources.images import read_image

    truth = json.loads((SCENES / "truth.json").read_text(encoding="utf-8"))
    return [(read_image(SCENES / name), t) for name, t in truth.items()]


@pytest.fixture(scope="module")
def detector():
    from livepredict.inference.loader import open_model

    m = open_model(DETECTOR)
    yield m
    m.close()


@pytest.fixture(scope="module")
def segmenter():
    from livepredict.inference.loader import open_model

    m = open_model(SEGMENTER)
    yield m
    m.close()


def _found(det: Detections, truth: dict) -> tuple[int, int]:
    """(shapes found: a box of the right label overlapping by IoU >= 0.5, boxes that match nothing)."""
    t = np.asarray(truth["boxes"], np.float64).reshape(-1, 4)
    found, used = 0, set()
    for d in det.items:
        ov = iou_matrix(np.asarray([d.box]), t)[0]
        ok = [j for j in np.argsort(-ov) if ov[j] >= 0.5 and truth["labels"][j] == d.label and j not in used]
        if ok:
            used.add(ok[0])
            found += 1
    return found, len(det.items) - found


def test_models_are_small_and_their_sidecars_name_task_labels_and_decoder():
    for model in (DETECTOR, SEGMENTER):
        assert model.stat().st_size < 2 * 1024 * 1024
    det, seg = _sidecar(DETECTOR), _sidecar(SEGMENTER)
    assert det["task"] == "object-detector" and seg["task"] == "segmenter"
    assert det["decoder"] == {"type": "yolo", "box_format": "cxcywh", "normalized": True}
    assert seg["labels"][0] == "background" and seg["labels"][1:] == det["labels"]
    assert det["preprocess"]["resize"] == seg["preprocess"]["resize"] == "letterbox"


def test_the_app_opens_them_as_detector_and_segmenter(detector, segmenter):
    assert detector.info.task == "object-detector"
    assert detector.info.extras["decoder"]["type"] == "yolo"
    assert segmenter.info.task == "segmenter"
    assert tuple(detector.info.labels) == tuple(_sidecar(DETECTOR)["labels"])


def test_the_detector_finds_the_shapes_in_the_sample_scenes(detector, scenes):
    preds = predict_images(detector, [im for im, _ in scenes])
    shapes = found = wrong = 0
    for p, (im, truth) in zip(preds, scenes, strict=True):
        assert p.error is None, p.error
        assert isinstance(p.result, Detections) and p.result.image_size == im.shape[:2]
        f, w = _found(p.result, truth)
        shapes, found, wrong = shapes + len(truth["labels"]), found + f, wrong + w
    assert found >= 0.85 * shapes, (found, shapes)
    assert wrong <= 0.15 * shapes, (wrong, shapes)


def test_the_segmenter_paints_the_shapes_in_the_sample_scenes(segmenter, scenes):
    sys.path.insert(0, str(TRAIN))
    try:
        import scenes_data
    finally:
        sys.path.remove(str(TRAIN))
    preds = predict_images(segmenter, [im for im, _ in scenes])
    labels = tuple(_sidecar(SEGMENTER)["labels"])
    for p, (im, truth) in zip(preds, scenes, strict=True):
        seg = p.result
        assert isinstance(seg, Segmentation) and seg.mask.shape == im.shape[:2]
        # the middle of each shape's box carries its class (shapes are convex near their centre)
        right = 0
        for box, label in zip(truth["boxes"], truth["labels"], strict=True):
            x0, y0, x1, y1 = box
            cy, cx = int((y0 + y1) / 2), int((x0 + x1) / 2)
            right += labels[int(seg.mask[cy, cx])] == label
        assert right >= len(truth["labels"]) - 1, (p.path, seg.top, truth["labels"])
        assert scenes_data.CLASSES == labels[1:]


def test_the_scenes_video_has_moving_shapes_the_detector_follows(detector):
    from livepredict.sources.video import VideoSource

    info = json.loads(VIDEO.with_name(VIDEO.name + ".json").read_text(encoding="utf-8"))
    assert VIDEO.stat().st_size < 1024 * 1024
    with VideoSource(VIDEO, throttle=False) as src:  # the app's own reader, RGB out
        frames = [f.image for f in src.frames()]
    assert len(frames) == info["frames"] >= 10 * info["fps"]
    first, last = np.asarray(info["boxes"][0]["boxes"]), np.asarray(info["boxes"][-1]["boxes"])
    assert np.abs(first - last).max() > 20  # the shapes move
    pick = list(range(0, len(frames), 15))
    preds = predict_images(detector, [frames[i] for i in pick])
    shapes = found = 0
    for p, i in zip(preds, pick, strict=True):
        f, _ = _found(p.result, info["boxes"][i])
        shapes, found = shapes + len(info["boxes"][i]["labels"]), found + f
    assert found >= 0.85 * shapes, (found, shapes)


def test_the_scene_generator_is_deterministic_and_its_boxes_and_maps_agree():
    sys.path.insert(0, str(TRAIN))
    try:
        import scenes_data
    finally:
        sys.path.remove(str(TRAIN))
    a = scenes_data.make_dataset(6, seed=5, out=64)
    b = scenes_data.make_dataset(6, seed=5, out=64)
    np.testing.assert_array_equal(a["x"], b["x"])
    for i in range(6):
        for box, k in zip(a["boxes"][i], a["classes"][i], strict=True):
            if k < 0:
                continue
            x0, y0, x1, y1 = box
            inside = a["cmap"][i, int(y0):int(np.ceil(y1)), int(x0):int(np.ceil(x1))]
            assert (inside == k + 1).any()  # the class map has the shape inside its box
        assert not a["cmap"][i][~a["valid"][i]].any()  # nothing on the letterbox bars
