"""Model slots: two real tiny models open at once on the one inference thread, each in its own slot."""

from __future__ import annotations

import pytest
from helpers.models import build_color_classifier, save_formats
from helpers.video import write_color_video
from PIL import Image

from livepredict.threads.engine.payloads import MAX_SLOTS, ImageResult, LoadFailed, ModelLoaded
from livepredict.threads.pipeline import LivePipeline

WAIT = 120_000


@pytest.fixture(scope="module")
def swapped(tmp_path_factory):
    """A second real model: the colour classifier with its labels in another order (red → "B")."""
    d = tmp_path_factory.mktemp("swapped")
    return save_formats(build_color_classifier(name="swapped"), d, "swapped", formats=("tflite",),
                        sidecar={"labels": ["R", "G", "B"]},
                        sidecars={"tflite": {"labels": ["R", "G", "B"], "preprocess": {"scale": "none"}}})["tflite"]


@pytest.fixture
def red_png(tmp_path, color_images):
    p = tmp_path / "red.png"
    Image.fromarray(color_images["red"]).save(p)
    return p


def _load(qtbot, controller, path, slot) -> ModelLoaded:
    with qtbot.waitSignal(controller.model_loaded, timeout=WAIT,
                          check_params_cb=lambda m: m.slot == slot) as blocker:
        controller.open_model(path, slot=slot)
    return blocker.args[0]


def _fail(qtbot, controller, path, slot) -> LoadFailed:
    with qtbot.waitSignal(controller.load_failed, timeout=WAIT) as blocker:
        controller.open_model(path, slot=slot)
    return blocker.args[0]


def _classify(qtbot, controller, path, slot) -> ImageResult:
    results: list[ImageResult] = []
    controller.classification_ready.connect(results.append)
    with qtbot.waitSignal(controller.batch_finished, timeout=30_000,
                          check_params_cb=lambda f: f.slot == slot):
        controller.classify([path], 3, slot=slot)
    controller.classification_ready.disconnect(results.append)
    (r,) = [r for r in results if r.slot == slot]
    return r


def test_two_models_in_two_slots_and_a_failed_load_stays_in_its_slot(qtbot, controller, model_files, swapped,
                                                                      red_png, tmp_path):
    main = _load(qtbot, controller, model_files["keras"], "main")
    other = _load(qtbot, controller, swapped, "b")
    assert (main.slot, other.slot) == ("main", "b") and other.load_id == main.load_id + 1
    assert controller.active_load_id == main.load_id  # loading into b did not touch main
    r_main, r_b = _classify(qtbot, controller, red_png, "main"), _classify(qtbot, controller, red_png, "b")
    assert (r_main.prediction.label, r_main.load_id) == ("red", main.load_id)
    assert (r_b.prediction.label, r_b.load_id) == ("R", other.load_id)

    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a model")
    failed = _fail(qtbot, controller, broken, "b")
    assert failed.slot == "b" and failed.active_load_id == other.load_id and failed.message
    assert controller.active_load_id_of("b") == other.load_id and controller.active_load_id == main.load_id
    assert _classify(qtbot, controller, red_png, "main").prediction.label == "red"
    assert _classify(qtbot, controller, red_png, "b").prediction.label == "R"  # b keeps its model


def test_at_most_four_slots(qtbot, controller, model_files):
    for i in range(MAX_SLOTS):
        _load(qtbot, controller, model_files["tflite"], f"s{i}")
    failed = _fail(qtbot, controller, model_files["tflite"], "one-too-many")
    assert failed.slot == "one-too-many" and "At most 4 models" in failed.message
    assert controller.worker.models.names() == tuple(f"s{i}" for i in range(MAX_SLOTS))


def test_live_frames_go_to_every_slot_and_each_drops_its_own(qtbot, controller, model_files, swapped, tmp_path):
    """One source, two slots: the newest frame reaches both models; held back, each slot's own
    mailbox drops the frames it had no time for."""
    video = write_color_video(tmp_path / "fast.avi", frames=30, fps=30.0)
    _load(qtbot, controller, model_files["tflite"], "main")
    _load(qtbot, controller, swapped, "b")
    pipeline = LivePipeline(controller, top_k=3, slots=("main", "b"))
    got: list[tuple[str, str, int]] = []
    pipeline.slot_prediction_ready.connect(lambda slot, p: got.append((slot, p.label, p.frame_index)))
    gate = controller.worker.live_gate
    gate.acquire()
    try:
        with qtbot.waitSignal(pipeline.source_ended, timeout=20_000):
            pipeline.set_source(str(video), throttle=False)
        assert got == [] and pipeline.frames_read == 30
    finally:
        gate.release()
    with qtbot.waitSignal(pipeline.flushed, timeout=10_000):
        pipeline.flush()
    pipeline.close(timeout=2.0)
    assert sorted(got) == [("b", "B", 29), ("main", "blue", 29)]  # frame 29 is blue; b says "B"
    assert pipeline.dropped("main") == pipeline.dropped("b") == 29
    assert pipeline.frames_inferred == 1  # the pipeline's own figures follow its first slot


def test_closing_a_slot_frees_it_and_leaves_the_others(qtbot, controller, model_files, red_png):
    for i in range(MAX_SLOTS):
        _load(qtbot, controller, model_files["tflite"], f"s{i}")
    controller.close_model("s1")
    fifth = _load(qtbot, controller, model_files["tflite"], "s4")  # a free place again
    assert fifth.slot == "s4" and controller.active_load_id_of("s1") == -1
    assert set(controller.worker.models.names()) == {"s0", "s2", "s3", "s4"}
    assert _classify(qtbot, controller, red_png, "s0").prediction.label == "red"
