"""Explanations through the real engine: the inference thread explains dropped pictures and live frames,
and a warm start (no Keras model in memory) loads Keras on demand for Grad-CAM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.shape_scenes import inside, scene
from helpers.video import write_color_video
from PIL import Image

from livepredict.threads.engine.explain import ExplainFinished, ExplainRequest, ExplainResult, LiveHeatmap
from livepredict.threads.engine.payloads import NamedImage
from livepredict.threads.pipeline import LivePipeline

ROOT = Path(__file__).resolve().parents[2]
SHAPES = ROOT / "models" / "shapes.keras"
WAIT = 120_000


def _load(qtbot, controller, path):
    with qtbot.waitSignal(controller.model_loaded, timeout=WAIT) as blocker:
        controller.open_model(path)
    return blocker.args[0]


def _explain(qtbot, controller, items, request=None) -> tuple[list[ExplainResult], ExplainFinished]:
    got: list[ExplainResult] = []
    controller.explanation_ready.connect(got.append)
    with qtbot.waitSignal(controller.explain_finished, timeout=WAIT) as done:
        controller.explain(items, request)
    controller.explanation_ready.disconnect(got.append)
    return got, done.args[0]


def test_pictures_are_explained_on_the_inference_thread(qtbot, controller, tmp_path):
    """A file and a pasted picture (by name); Grad-CAM's peak is on the shape; a bad class is one sentence per picture."""
    loaded = _load(qtbot, controller, SHAPES)
    rng = np.random.default_rng(4)
    (a, box_a, _), (b, box_b, _) = scene(rng), scene(rng)
    Image.fromarray(a).save(tmp_path / "a.png")
    with qtbot.waitSignal(controller.batch_finished, timeout=WAIT):
        controller.classify([NamedImage("pasted", b)])  # a pasted picture is then explained by its name
    got, done = _explain(qtbot, controller, [str(tmp_path / "a.png"), "pasted"])
    assert [r.path for r in got] == [str(tmp_path / "a.png"), "pasted"]
    assert all(r.load_id == loaded.load_id and r.error is None for r in got)
    assert inside(got[0].heatmap.peak, box_a) and inside(got[1].heatmap.peak, box_b)
    assert got[0].thumbnail.shape == (120, 160, 3) and got[0].heatmap.values.shape == (120, 160)
    assert (done.done, done.total, done.method, done.layer, done.cancelled) == (2, 2, "gradcam", "b4_relu", False)
    assert "b3_relu" in done.layers

    got, done = _explain(qtbot, controller, [NamedImage("x", a)], ExplainRequest(label="dog"))
    assert got[0].heatmap is None and got[0].error.startswith("There is no class 'dog'")

    got, done = _explain(qtbot, controller, [NamedImage("x", a)], ExplainRequest(method="gradcam", layer="nope"))
    assert got == [] and done.message.startswith("There is no layer 'nope' in this model")


def test_warm_start_loads_keras_on_demand(qtbot, controller, tmp_path):
    """Opened from the LiteRT cache (no Keras model), then explained with Grad-CAM: the model's
    Keras file is loaded on the inference thread and the status says so."""
    _load(qtbot, controller, SHAPES)  # fills the cache
    warm = _load(qtbot, controller, SHAPES)
    assert warm.warm, "the second open should come from the cache"
    statuses: list[str] = []
    controller.status_changed.connect(statuses.append)
    got, done = _explain(qtbot, controller, [NamedImage("p", scene(np.random.default_rng(0))[0])])
    controller.status_changed.disconnect(statuses.append)
    assert done.method == "gradcam" and got[0].heatmap is not None
    assert "Loading the Keras model for explanations…" in statuses


@pytest.fixture
def pipeline(controller):
    p = LivePipeline(controller, top_k=3, stall_timeout=5.0)
    yield p
    p.close(timeout=2.0)


def test_live_frames_are_explained_now_and_then(qtbot, controller, pipeline, tmp_path):
    """Live frames of a real video: heatmaps come, paced (fewer than the frames), over the frame's pixels."""
    _load(qtbot, controller, SHAPES)
    _explain(qtbot, controller, [NamedImage("p", scene(np.random.default_rng(0))[0])])  # Keras loaded, compiled
    video = write_color_video(tmp_path / "v.avi", frames=60, fps=30.0)
    heat: list[LiveHeatmap] = []
    controller.live_explained.connect(heat.append)
    ended: list[str] = []
    pipeline.source_ended.connect(ended.append)
    controller.explain_live(ExplainRequest())
    pipeline.set_source(str(video))
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT)
    with qtbot.waitSignal(pipeline.flushed, timeout=WAIT):
        pipeline.flush()
    controller.explain_live(None)
    assert len(heat) >= 3, "too few live heatmaps"
    assert len(heat) < pipeline.frames_inferred
    assert all(h.heatmap is not None and h.heatmap.values.shape == (48, 64) and h.frame_shape == (48, 64) for h in heat)
    assert all(h.made_ts >= h.capture_ts for h in heat)
    made = [h.made_ts for h in heat]
    assert all(b - a >= 0.199 for a, b in zip(made, made[1:], strict=False))  # paced, never back to back
