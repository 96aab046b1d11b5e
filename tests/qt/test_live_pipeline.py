"""The live pipeline with real parts: a real video file in a capture thread, the real InferenceWorker
in its QThread, a real tiny Keras/LiteRT model that answers the colour of each frame."""

from __future__ import annotations

import json
import shutil

import pytest
from helpers.video import color_of, write_color_video

from livepredict.core.types import Prediction, PreprocessSpec
from livepredict.threads.engine.payloads import ModelLoaded
from livepredict.threads.pipeline import LivePipeline


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("live")
    return {
        "colors": write_color_video(d / "colors.avi", frames=60, fps=30.0),
        "fast": write_color_video(d / "fast.avi", frames=30, fps=30.0),
        "other": write_color_video(d / "other.avi", frames=30, fps=30.0, segment=5),
    }


@pytest.fixture
def pipeline(controller):
    p = LivePipeline(controller, top_k=3, stall_timeout=5.0)
    yield p
    p.close(timeout=2.0)


def _load(qtbot, controller, path) -> ModelLoaded:
    with qtbot.waitSignal(controller.model_loaded, timeout=120_000) as blocker:
        controller.open_model(path)
    return blocker.args[0]


def _collect(pipeline) -> list[Prediction]:
    got: list[Prediction] = []
    pipeline.prediction_ready.connect(got.append)
    return got


def _flush(qtbot, pipeline) -> None:
    with qtbot.waitSignal(pipeline.flushed, timeout=10_000):
        pipeline.flush()


def test_every_frame_answered_with_the_right_label(qtbot, controller, pipeline, model_files, videos):
    """Paced at 30 fps, a tiny model keeps up: frames are inferred in order with real answers."""
    _load(qtbot, controller, model_files["tflite"])
    got = _collect(pipeline)
    with qtbot.waitSignal(pipeline.source_ended, timeout=20_000) as ended:
        pipeline.set_source(str(videos["colors"]))
    assert ended.args == ["End of video colors.avi (60 frames)."]
    _flush(qtbot, pipeline)
    assert len(got) >= 30  # most frames; a loaded 2-core machine may drop a few
    idx = [p.frame_index for p in got]
    assert idx == sorted(set(idx))
    assert all(p.label == color_of(p.frame_index) for p in got)
    assert all(p.score > 0.9 for p in got)
    assert pipeline.frames_read == 60
    assert pipeline.frames_inferred == len(got)
    assert pipeline.mailbox.dropped_count == 60 - len(got)
    for p in got:
        assert p.capture_ts <= p.infer_start_ts <= p.infer_end_ts
        assert p.preprocess_ms > 0 and p.infer_ms > 0
        assert p.source == "colors.avi" and p.scores is not None and p.scores.shape == (3,)
        assert len(p.top) == 3


def test_newest_frame_wins_while_the_worker_is_busy(qtbot, controller, pipeline, model_files, videos):
    """Hold the worker, let the capture read the whole file, release: only the newest is inferred."""
    _load(qtbot, controller, model_files["tflite"])
    got = _collect(pipeline)
    gate = controller.worker.live_gate
    gate.acquire()
    try:
        with qtbot.waitSignal(pipeline.source_ended, timeout=20_000):
            pipeline.set_source(str(videos["fast"]), throttle=False)
        assert got == []
        assert pipeline.frames_read == 30
    finally:
        gate.release()
    _flush(qtbot, pipeline)
    assert [p.frame_index for p in got] == [29]
    assert got[0].label == color_of(29) == "blue"
    assert pipeline.mailbox.dropped_count == 29
    assert pipeline.frames_dropped == 29
    # Latency did not build up: the inferred frame is the newest, not the oldest waiting one.
    assert got[0].infer_start_ts >= got[0].capture_ts


def test_switch_model_source_and_profile_while_live(qtbot, controller, pipeline, model_files, videos, tmp_path):
    _load(qtbot, controller, model_files["tflite"])
    got = _collect(pipeline)
    opened: list[str] = []
    pipeline.source_opened.connect(opened.append)
    pipeline.set_source(str(videos["colors"]), loop=True)
    qtbot.waitUntil(lambda: len(got) >= 3, timeout=20_000)
    assert {p.label for p in got} <= {"red", "green", "blue"}

    # Another model (same weights, French labels) while frames keep coming: no restart.
    french = tmp_path / "couleurs.tflite"
    shutil.copy(model_files["tflite"], french)
    sidecar = json.loads(open(str(model_files["tflite"]) + ".livepredict.json").read())
    sidecar["labels"] = ["rouge", "vert", "bleu"]
    (tmp_path / "couleurs.tflite.livepredict.json").write_text(json.dumps(sidecar))
    _load(qtbot, controller, french)
    n = len(got)
    qtbot.waitUntil(lambda: len(got) >= n + 3, timeout=20_000)
    assert all(p.label in ("rouge", "vert", "bleu") for p in got[n:])

    # A new preprocessing profile and labels, applied to live frames at once.
    spec = controller.worker.models.active("main")[0].info.preprocess
    with qtbot.waitSignal(controller.profile_applied, timeout=10_000):
        controller.apply_profile(PreprocessSpec(**{**spec.to_json(), "size": tuple(spec.size)}),
                                 ["R", "G", "B"], save=False)
    n = len(got)
    qtbot.waitUntil(lambda: len(got) >= n + 3, timeout=20_000)
    assert all(p.label in ("R", "G", "B") for p in got[n:])

    # Another source, same pipeline and worker.
    pipeline.set_source(str(videos["other"]), loop=True)
    qtbot.waitUntil(lambda: any(p.source == "other.avi" for p in got), timeout=20_000)
    n = len(got)
    qtbot.waitUntil(lambda: len(got) >= n + 3, timeout=20_000)
    assert all(p.source == "other.avi" for p in got[n:])
    assert all(p.label == color_of(p.frame_index, segment=5)[0].upper() for p in got[n:])
    assert opened == ["colors.avi", "other.avi"]


def test_frames_without_a_model_are_dropped_not_queued(qtbot, controller, pipeline, videos):
    """Live frames arrive before any model is open: taken and counted, nothing piles up."""
    got = _collect(pipeline)
    with qtbot.waitSignal(pipeline.source_ended, timeout=20_000):
        pipeline.set_source(str(videos["fast"]), throttle=False)
    _flush(qtbot, pipeline)
    assert got == []
    assert pipeline.frames_read == 30
    assert not pipeline.mailbox  # nothing left waiting
    assert pipeline.frames_dropped == 30


def test_bad_source_text_and_missing_file(qtbot, pipeline, tmp_path):
    from livepredict.core.errors import SourceError

    with pytest.raises(SourceError, match="No source given"):
        pipeline.set_source("  ")
    from livepredict.sources.video import VideoSource

    with qtbot.waitSignal(pipeline.source_failed, timeout=10_000) as failed:
        pipeline.set_source(VideoSource(tmp_path / "gone.avi"))
    assert failed.args == [f"No video file at {tmp_path / 'gone.avi'}; check the path."]
