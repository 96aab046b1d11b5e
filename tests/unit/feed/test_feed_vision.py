"""Detections and segmentations over the feed: real tiny models (helpers.detect_models) make the
predictions, a real WebSocket client receives them, and every message is checked against the
JSON Schema (feedkit.decode); the mask arrives as a PNG in JSON and as a binary frame."""

from __future__ import annotations

import asyncio
import base64
import io
import json

import numpy as np
import pytest
from feedkit import TIMEOUT, decode, recv, recv_until, run
from helpers import detect_models as dm
from PIL import Image
from websockets.asyncio.client import connect

from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images

TRUE = (30, 12, 60, 42)


@pytest.fixture(scope="module")
def predictions(tmp_path_factory):
    """(detector prediction, segmenter prediction) for a 90x60 picture of a square at TRUE."""
    folder = tmp_path_factory.mktemp("feed_vision")
    out = []
    for name, model, labels in (("det", dm.build_yolo(), dm.LABELS),
                                ("seg", dm.build_segmenter("softmax"), ["background", "shape"])):
        p = folder / f"{name}.keras"
        model.save(p)
        dm.write_sidecar(p, {"labels": labels})
        with open_model(p, use_cache=False, runtime="keras") as m:
            out.append(predict_images(m, [dm.picture(60, 90, TRUE)], paths=["pic.png"])[0])
    return out


def test_detections_and_masks_reach_a_real_client_in_the_schema(feed, predictions):
    det, seg = predictions
    srv = feed(model="shapes")

    async def go():
        async with connect(srv.url) as ws:
            await recv(ws)
            srv.publish_prediction(det)
            got_det = await recv_until(ws, "prediction")
            await ws.send(json.dumps({"type": "subscribe", "tensors": True}))
            await recv_until(ws, "subscribed")
            srv.publish_prediction(seg)
            got_seg = await recv_until(ws, "prediction")
            frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
            return got_det, got_seg, decode(frame)

    got_det, got_seg, (header, mask) = run(go())
    [d] = got_det["detections"]
    assert d["label"] == "square" and d["score"] == pytest.approx(0.9, abs=1e-5)
    assert all(abs(a - b) <= 2 for a, b in zip(d["box"], TRUE, strict=True)) and got_det["dropped"] == 0
    s = got_seg["segmentation"]
    assert s["labels"] == ["background", "shape"] and s["background"] == 0 and s["size"] == [60, 90]
    assert s["fractions"]["shape"] == pytest.approx(30 * 30 / (60 * 90), abs=0.02)
    png = np.asarray(Image.open(io.BytesIO(base64.b64decode(s["mask_png"]))))
    assert header["name"] == "mask" and header["shape"] == [60, 90]
    np.testing.assert_array_equal(png, mask)
    np.testing.assert_array_equal(mask, seg.result.mask)
    ys, xs = np.nonzero(mask == 1)
    assert all(abs(a - b) <= 3 for a, b in zip((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), TRUE, strict=True))
