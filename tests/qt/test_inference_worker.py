"""InferenceWorker in its real QThread with real tiny models and real image files."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from helpers.models import solid
from helpers.threads import ThreadHold
from PIL import Image
from PySide6.QtCore import QMetaObject, Qt

from livepredict.threads.engine.guard import THREAD_GUARD
from livepredict.threads.engine.payloads import (
    BatchFinished,
    ImageResult,
    LoadFailed,
    ModelLoaded,
    NamedImage,
)


@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / "imgs"
    (folder / "sub").mkdir(parents=True)
    colors = {"red": (220, 30, 20), "green": (10, 200, 40), "blue": (30, 20, 230)}
    paths = {}
    for i, (name, rgb) in enumerate(colors.items()):
        p = (folder / "sub" if i == 2 else folder) / f"{name}.png"
        Image.fromarray(solid(rgb)).save(p)
        paths[name] = p
    (folder / "broken.png").write_bytes(b"not a png at all")
    return folder, paths


def _load(qtbot, controller, path, trust=False, timeout=60_000):
    with qtbot.waitSignal(controller.model_loaded, timeout=timeout) as blocker:
        gen = controller.open_model(path, trust=trust)
    loaded = blocker.args[0]
    assert isinstance(loaded, ModelLoaded)
    assert loaded.load_id == gen
    return loaded


def _collect(qtbot, controller, items, top_k=3, timeout=30_000):
    results: list[ImageResult] = []
    controller.classification_ready.connect(results.append)
    with qtbot.waitSignal(controller.batch_finished, timeout=timeout) as blocker:
        job = controller.classify(items, top_k)
    finished: BatchFinished = blocker.args[0]
    controller.classification_ready.disconnect(results.append)
    assert finished.job_id == job
    return results, finished


def test_load_and_classify_folder_in_worker_thread(qtbot, controller, model_files, image_folder):
    folder, paths = image_folder
    statuses: list[str] = []
    controller.status_changed.connect(statuses.append)
    loaded = _load(qtbot, controller, model_files["keras"])
    assert loaded.info.labels == ("red", "green", "blue")
    assert loaded.ready_text.startswith("Ready: ")
    results, finished = _collect(qtbot, controller, [folder])
    assert not finished.cancelled
    assert finished.total == 4 and finished.done == 4 and finished.errors == 1
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in results}
    for name in ("red", "green", "blue"):
        r = by_name[f"{name}.png"]
        assert r.error is None and r.prediction.label == name
        assert r.prediction.score > 0.9
        assert r.thumbnail is not None and r.thumbnail.dtype == np.uint8
        assert r.load_id == loaded.load_id
    assert "broken.png" in by_name and by_name["broken.png"].error
    # every engine call ran in the worker thread, never the GUI (main) thread
    calls = THREAD_GUARD.report()["calls"]
    assert calls and all(not c["main"] for c in calls)
    assert {c["thread"] for c in calls} != {threading.main_thread().name}
    assert any(s.startswith("Ready: ") for s in statuses)


def test_pasted_image_and_tensor_preview(qtbot, controller, model_files, color_images):
    loaded = _load(qtbot, controller, model_files["keras"])
    results, _ = _collect(qtbot, controller, [NamedImage("pasted-1", color_images["green"])])
    assert [r.prediction.label for r in results] == ["green"]
    with qtbot.waitSignal(controller.tensor_previewed, timeout=10_000) as blocker:
        controller.preview("pasted-1")
    prev = blocker.args[0]
    assert prev.load_id == loaded.load_id
    assert prev.image.shape[:2] == loaded.info.preprocess.size
    # the displayed tensor is the green image as the model sees it
    assert prev.image[..., 1].mean() > 150 and prev.image[..., 0].mean() < 60


def test_bad_model_keeps_previous_and_unsafe_needs_trust(qtbot, controller, model_files, tmp_path):
    loaded = _load(qtbot, controller, model_files["keras"])
    bad = tmp_path / "bad.keras"
    bad.write_text("<html>oops</html>")
    with qtbot.waitSignal(controller.load_failed, timeout=10_000) as blocker:
        controller.open_model(bad)
    failed: LoadFailed = blocker.args[0]
    assert "HTML" in failed.message and not failed.needs_trust
    assert failed.active_load_id == loaded.load_id
    assert controller.active_load_id == loaded.load_id
    # the previous model still answers, with its own generation
    results, _ = _collect(qtbot, controller, [NamedImage("x", solid((220, 30, 20)))])
    assert results[0].prediction.label == "red" and results[0].load_id == loaded.load_id


def test_new_model_cancels_old_batch_and_tags_load_id(qtbot, controller, model_files, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        Image.fromarray(solid((220, 30, 20))).save(folder / f"r{i:02d}.png")
    first = _load(qtbot, controller, model_files["keras"])
    finished: list[BatchFinished] = []
    results: list[ImageResult] = []
    controller.batch_finished.connect(finished.append)
    controller.classification_ready.connect(results.append)
    job = controller.classify([folder])
    with qtbot.waitSignal(controller.model_loaded, timeout=60_000) as blocker:
        gen2 = controller.open_model(model_files["h5"])
    second = blocker.args[0]
    assert second.load_id == gen2 == first.load_id + 1
    qtbot.waitUntil(lambda: any(f.job_id == job for f in finished), timeout=10_000)
    done = next(f for f in finished if f.job_id == job)
    # the old job never ran on the new model: it finished or was cancelled on the old one
    assert all(r.load_id == first.load_id for r in results if r.job_id == job)
    assert done.load_id == first.load_id
    assert done.cancelled or done.done == 40


def test_cancel_batch(qtbot, controller, model_files, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(60):
        Image.fromarray(solid((10, 200, 40))).save(folder / f"g{i:02d}.png")
    _load(qtbot, controller, model_files["keras"])
    progress = []
    controller.batch_progress.connect(progress.append)

    def cancel_after_first_chunk(p):  # runs on the inference thread, before its next chunk
        if p.done > 0:
            controller.cancel(p.job_id)

    # a direct connection on the worker's own signal: the cancel lands between the first and the
    # second chunk however fast this machine classifies (a cancel from the GUI thread could lose
    # the race against 60 tiny images)
    controller.worker.batch_progress.connect(cancel_after_first_chunk, Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(controller.batch_finished, timeout=30_000) as blocker:
        controller.classify([folder])
    controller.worker.batch_progress.disconnect(cancel_after_first_chunk)
    fin = blocker.args[0]
    assert fin.cancelled and fin.done < 60
    assert progress[-1].total == 60 and progress[-1].rate > 0


def test_versions_without_importing_more(qtbot, controller):
    with qtbot.waitSignal(controller.versions_reported, timeout=10_000) as blocker:
        controller.request_versions()
    v = blocker.args[0].as_dict()
    assert v["TensorFlow"][0].isdigit() and v["Keras"][0].isdigit()
    assert v["Runtime"] == "no model open"


def test_queued_older_load_is_skipped(qtbot, controller, model_files):
    controller.start()
    blocker = ThreadHold()
    blocker.moveToThread(controller.thread)
    QMetaObject.invokeMethod(blocker, "hold", Qt.ConnectionType.QueuedConnection)
    qtbot.waitUntil(blocker.holding.is_set, timeout=10_000)
    loaded = []
    controller.model_loaded.connect(loaded.append)
    controller.open_model(model_files["keras"])
    gen2 = controller.open_model(model_files["tflite"])
    with qtbot.waitSignal(controller.model_loaded, timeout=60_000):
        blocker.release.set()
    assert [m.load_id for m in loaded] == [gen2] and loaded[0].info.format == "tflite"
    blocker.deleteLater()
