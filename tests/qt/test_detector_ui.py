"""The app keeps working with a detector and a segmenter open: Classify cards show their plain text
summary (the best score per label, or the fraction per class) and the results export carries the
boxes, without a crash (real window, real inference thread, real tiny models)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import detect_models as dm
from PIL import Image

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def load(qtbot, window, path, timeout=120_000):
    with qtbot.waitSignal(window.controller.model_loaded, timeout=timeout) as blocker:
        window.open_model(str(path))
    return blocker.args[0]


def test_classify_cards_show_detections_and_segmentations(qtbot, window, tmp_path):
    pic = tmp_path / "square.png"
    Image.fromarray(dm.picture(60, 90, (30, 12, 60, 42))).save(pic)
    det = tmp_path / "det.keras"
    dm.build_yolo().save(det)
    dm.write_sidecar(det, {"labels": dm.LABELS})
    seg = tmp_path / "seg.keras"
    dm.build_segmenter("softmax").save(seg)
    dm.write_sidecar(seg, {"labels": ["background", "shape"]})
    window.show_panel("classify")
    panel = window.classify_panel
    for path, want in ((det, "square"), (seg, "shape")):
        load(qtbot, window, path)
        panel.classify([str(pic)])
        qtbot.waitUntil(lambda: not panel._jobs and len(panel.model.cards) >= 1
                        and panel.model.cards[-1].prediction is not None, timeout=60_000)
        card = panel.model.cards[-1]
        assert card.top[0][0] == want and card.error is None
        rows = panel.results_json()
        if path == det:
            assert rows[-1]["detections"][0]["label"] == "square"
            window.grab().save(str(ARTIFACTS / "detector_classify.png"))
        else:
            assert json.dumps(rows[-1]["segmentation"]["fractions"])
