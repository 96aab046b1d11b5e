"""core.geometry: boxes and masks come back to the original picture's pixels for every resize mode."""

import numpy as np
import pytest

from livepredict.core.geometry import boxes_to_original, map_to_original, placement
from livepredict.inference.preprocess import resize_image

SIZES = [(300, 500), (480, 200), (333, 333), (97, 1001)]


def _drawn(h, w):
    im = np.zeros((h, w, 3), np.uint8)
    box = (int(w * .4), int(h * .35), int(w * .6), int(h * .6))
    im[box[1]:box[3], box[0]:box[2]] = 255
    return im, box


@pytest.mark.parametrize("mode", ["squash", "center-crop", "letterbox"])
@pytest.mark.parametrize("hw", SIZES)
def test_box_found_in_the_model_input_maps_back_within_2px(mode, hw):
    im, true = _drawn(*hw)
    r = resize_image(im, (96, 128), mode, "nearest")
    ys, xs = np.nonzero(r[:, :, 0] > 127)
    found = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]])
    where = placement(hw, (96, 128), mode)
    if mode == "center-crop":  # what the crop cut off is not in the model input: clip the truth to it
        cx0, cy0 = where.crop
        cx1, cy1 = hw[1] - cx0, hw[0] - cy0
        true = (max(true[0], cx0), max(true[1], cy0), min(true[2], cx1), min(true[3], cy1))
    back, keep = boxes_to_original(found, where)
    assert keep.all()
    # one model pixel is up to scale original pixels: the error bound is that plus rounding
    tol = 2 + max(where.scale)
    assert np.abs(back[0] - np.array(true)).max() <= tol, (back[0], true)
    mask = map_to_original((r[:, :, 0] > 127).astype(np.uint8), where)
    assert mask.shape == hw
    yy, xx = np.nonzero(mask)
    assert abs(xx.min() - true[0]) <= tol and abs(yy.min() - true[1]) <= tol


def test_model_to_original_round_trips():
    for mode in ("squash", "center-crop", "letterbox"):
        where = placement((480, 640), (224, 224), mode)
        x, y = where.to_original(*where.to_model(np.array([10.0, 600.0]), np.array([5.0, 470.0])))
        assert np.allclose(x, [10, 600]) and np.allclose(y, [5, 470])


def test_bad_boxes_are_dropped_and_boxes_clipped():
    where = placement((100, 200), (50, 50), "squash")
    boxes = np.array([[np.nan, 0, 10, 10], [10, 10, 5, 5], [3, 3, 3, 9], [-10, -10, 60, 60], [5, 5, 10, 10]])
    out, keep = boxes_to_original(boxes, where)
    assert keep.tolist() == [False, False, False, True, True]
    assert out[3].tolist() == [0, 0, 200, 100]
    assert out[4].tolist() == [20, 10, 40, 20]


def test_cropped_away_pixels_get_the_fill_value():
    where = placement((100, 300), (10, 10), "center-crop")
    m = map_to_original(np.ones((10, 10), np.int32), where, fill=-1)
    assert (m[:, :100] == -1).all() and (m[:, 100:200] == 1).all() and (m[:, 200:] == -1).all()


def test_a_small_map_covers_the_whole_model_input():
    where = placement((64, 64), (32, 32), "squash")
    small = np.arange(4).reshape(2, 2)
    m = map_to_original(small, where)
    assert m[0, 0] == 0 and m[0, 63] == 1 and m[63, 0] == 2 and m[63, 63] == 3
