"""The worker's helpers hold their own state and run without a QThread: here on a plain Python
thread (never the main thread, like the inference thread), with a real tiny model and real files."""

from __future__ import annotations

import threading

from helpers.models import solid
from PIL import Image

from livepredict.core.latest import Latest
from livepredict.core.types import Frame
from livepredict.threads.engine.batch import BatchTask, JobFlags
from livepredict.threads.engine.live import LiveInference
from livepredict.threads.engine.payloads import BatchFinished, BatchProgress, ImageResult, NamedImage
from livepredict.threads.engine.slots import ModelSlots


def off_main(fn):
    """Run ``fn`` on a plain thread and return its result (re-raising its exception)."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out["error"] = e

    t = threading.Thread(target=run, name="helper-test")
    t.start()
    t.join(120)
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_a_batch_task_steps_by_hand(model_files, tmp_path):
    for name, rgb in (("red", (220, 30, 20)), ("blue", (30, 20, 230))):
        Image.fromarray(solid(rgb)).save(tmp_path / f"{name}.png")
    (tmp_path / "broken.png").write_bytes(b"no")

    def run():
        models, flags = ModelSlots(), JobFlags()
        loaded = models.load("main", str(model_files["tflite"]), False, 7, lambda _s: None)
        task = BatchTask(flags.next_id(), "main", 7, [tmp_path, NamedImage("pasted", solid((10, 200, 40)))],
                         3, models, flags)
        steps = [list(step) for step in task.steps()]
        models.close()
        return loaded, steps

    loaded, steps = off_main(run)
    assert loaded.load_id == 7 and loaded.slot == "main"
    flat = [r for step in steps for r in step]
    results = {r.path.rsplit("/", 1)[-1]: r for r in flat if isinstance(r, ImageResult)}
    assert results["red.png"].prediction.label == "red" and results["blue.png"].prediction.label == "blue"
    assert results["pasted"].prediction.label == "green" and results["broken.png"].error
    assert isinstance(flat[0], BatchProgress) and flat[0].total == 4  # listed before the first chunk
    assert isinstance(flat[-1], BatchFinished) and (flat[-1].done, flat[-1].errors) == (4, 1)
    assert not flat[-1].cancelled


def test_a_batch_task_of_a_replaced_model_ends_with_one_sentence(model_files, tmp_path):
    def run():
        models, flags = ModelSlots(), JobFlags()
        models.load("main", str(model_files["tflite"]), False, 1, lambda _s: None)
        models.load("main", str(model_files["tflite"]), False, 2, lambda _s: None)
        steps = [list(s) for s in BatchTask(1, "main", 1, [tmp_path], 3, models, flags).steps()]
        models.close()
        return steps

    (fin,) = [r for s in off_main(run) for r in s]
    assert fin.cancelled and fin.message == "A different model was opened; drop the images again."


def test_live_inference_takes_the_newest_frame_of_each_slot(model_files):
    got: list[tuple[str, str, int]] = []
    failures: list[tuple[str, str]] = []

    def run():
        models = ModelSlots()
        models.load("a", str(model_files["tflite"]), False, 1, lambda _s: None)
        live = LiveInference(models, lambda p, load_id, slot: got.append((slot, p.label, p.frame_index)),
                             lambda msg, slot: failures.append((slot, msg)), lambda: False)
        boxes = {"a": Latest(), "b": Latest()}
        for slot, box in boxes.items():
            live.attach(slot, box, 3)
        for i, rgb in enumerate([(220, 30, 20), (10, 200, 40), (30, 20, 230)]):
            frame = Frame(image=solid(rgb), index=i, capture_ts=0.0, source="test")
            for box in boxes.values():
                box.put(frame)
        live.take()
        models.close()
        return live, boxes

    live, boxes = off_main(run)
    assert got == [("a", "blue", 2)]  # the newest frame; slot b has no model: skipped, not an error
    assert live.skipped == 1 and failures == []
    assert boxes["a"].dropped_count == boxes["b"].dropped_count == 2


def test_compared_slots_infer_the_same_frames_in_turn(model_files):
    got: list[tuple[str, int]] = []
    colours = [(220, 30, 20), (30, 20, 230)]
    boxes = {"a": Latest(), "b": Latest()}

    def put(i: int) -> None:
        frame = Frame(image=solid(colours[i]), index=i, capture_ts=0.0, source="test")
        for box in boxes.values():
            box.put(frame)

    def on_result(p, _load_id, slot):
        got.append((slot, p.frame_index))
        if len(got) == 1:
            put(1)  # the capture's next frame lands while slot a's result is reported, before b runs

    def run():
        models = ModelSlots()
        for slot in boxes:
            models.load(slot, str(model_files["tflite"]), False, 1, lambda _s: None)
        live = LiveInference(models, on_result, lambda msg, slot: None, lambda: False)
        for slot, box in boxes.items():
            live.attach(slot, box, 3)
        put(0)
        live.take()
        live.take()  # the rest, if the first call's time budget ran out after one round (a busy machine)
        models.close()

    off_main(run)
    # b infers the frame a inferred (the pair compares), then both infer the newer one: neither
    # slot takes a frame the other never sees, and each gets every round
    assert got == [("a", 0), ("b", 0), ("a", 1), ("b", 1)]


def test_thumbnails_keep_the_aspect_and_look_like_a_plain_bilinear_shrink():
    import numpy as np
    from PIL import Image

    from livepredict.threads.engine.batch import shrink

    rng = np.random.default_rng(0)
    low = rng.uniform(0, 255, (6, 8, 3)).astype(np.uint8)
    photo = np.asarray(Image.fromarray(low).resize((500, 375), Image.Resampling.BICUBIC))
    thumb = shrink(photo, 112)
    assert thumb.shape == (84, 112, 3) and thumb.dtype == np.uint8
    plain = Image.fromarray(photo)
    plain.thumbnail((112, 112), Image.Resampling.BILINEAR)
    assert np.abs(thumb.astype(int) - np.asarray(plain).astype(int)).mean() < 2.0
    small = rng.integers(0, 255, (90, 60, 3), dtype=np.uint8)
    assert shrink(small, 112).shape == (90, 60, 3) and shrink(small, 112) is not small
