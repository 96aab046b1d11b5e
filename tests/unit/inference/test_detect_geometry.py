"""Boxes and masks come back in the original picture's pixels for each resize mode: a shape drawn
at a known place in non-square pictures, through real tiny models whose outputs encode where it
is (a YOLO-style detector and a softmax segmenter, 128x128 inputs), within 2 px."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import detect_models as dm

from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images

SIZE = (128, 128)
MODES = ("squash", "center-crop", "letterbox")
PICTURES = {(120, 200): (80, 30, 130, 95), (180, 90): (20, 60, 70, 110), (101, 157): (50, 20, 111, 71)}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """The two models, opened once; each test sets its resize mode (as the Model tab does)."""
    folder = tmp_path_factory.mktemp("geometry")
    out = {}
    for kind, model in (("det", dm.build_yolo(size=SIZE)), ("seg", dm.build_segmenter("softmax", size=SIZE))):
        p = folder / f"{kind}.keras"
        model.save(p)
        out[kind] = open_model(p, use_cache=False, runtime="keras")
    yield out
    for m in out.values():
        m.close()


@pytest.mark.parametrize("mode", MODES)
def test_boxes_and_masks_within_2px_for_each_resize_mode(models, mode):
    for m in models.values():
        m.set_profile(spec=dataclasses.replace(m.spec, resize=mode))
    pics = [dm.picture(h, w, box) for (h, w), box in PICTURES.items()]
    dets = predict_images(models["det"], pics)
    segs = predict_images(models["seg"], pics)
    for ((h, w), true), det, seg in zip(PICTURES.items(), dets, segs, strict=True):
        [d] = det.result.items
        assert det.result.image_size == (h, w)
        assert np.max(np.abs(np.array(d.box) - np.array(true))) <= 2.0, (mode, (h, w), d.box, true)
        mask = seg.result.mask
        assert mask.shape == (h, w)
        ys, xs = np.nonzero(mask == 1)
        found = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        assert np.max(np.abs(found - np.array(true))) <= 2.0, (mode, (h, w), found, true)
