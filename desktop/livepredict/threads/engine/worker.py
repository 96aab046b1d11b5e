"""The inference worker: the ONLY QObject that imports or calls TensorFlow (DESIGN §1, §6).

``InferenceWorker`` is moved to its own QThread by ``InferenceController``. Its slots are thin: they
delegate to plain helpers that hold their own state — ``ModelSlots`` (the open models),
``TaskRunner`` (folder, text and forecast runs as generators), ``LiveInference`` (live frames),
``GeneratorHost`` (the text/forecast generator) and the one-shot ``tools`` — and turn every failure
into an error result (a slot never lets an exception escape).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from livepredict.core.errors import LivePredictError, UnsafeModelError
from livepredict.core.types import PreprocessSpec
from livepredict.threads.engine import tools
from livepredict.threads.engine.batch import BatchTask, JobFlags
from livepredict.threads.engine.decode import classify_images
from livepredict.threads.engine.generation import ForecastTask, GeneratorHost, TextTask
from livepredict.threads.engine.guard import engine_call, error_parts
from livepredict.threads.engine.live import LiveInference
from livepredict.threads.engine.payloads import (
    MAIN,
    BatchFinished,
    BenchResult,
    GeneratorFailed,
    ImageResult,
    LoadFailed,
    TextChunk,
    TextResults,
    WorkerError,
)
from livepredict.threads.engine.runner import TaskRunner, qt_schedule
from livepredict.threads.engine.slots import ModelSlots
from livepredict.threads.engine.switching import watch_if_converting

log = logging.getLogger(__name__)


class WorkerResults(QObject):
    """The result signals, declared once for both sides: :class:`InferenceWorker` emits them on the
    inference thread; ``InferenceController`` re-emits each under the same name, with the same
    payload, in the GUI thread (widgets connect to the controller's). Payloads are the frozen
    dataclasses of ``threads.engine.payloads``; each names its ``slot`` and ``load_id``.

    Signals:
        status_changed(str): progress text ("Loading TensorFlow…", "Loading model…",
            "Converting to LiteRT…", "Ready: litert, 1.2 ms/image").
        busy_changed(bool): the worker started / finished a long operation.
        model_loaded(ModelLoaded): a model is open in a slot; later results carry its load id.
        load_failed(LoadFailed): opening failed (one sentence + details); ``needs_trust`` when
            the model can be opened only as trusted. The slot's previous model, if any, stays open.
        classification_ready(ImageResult): one image classified (or failed, with ``error``).
        batch_progress(BatchProgress): after each chunk of a job.
        batch_finished(BatchFinished): a job ended (done, cancelled or superseded).
        tensor_previewed(TensorPreview): the tensor fed to the model for one image.
        profile_applied(ModelLoaded): preprocessing/labels changed (and saved, if asked).
        versions_reported(Versions): app, TensorFlow, Keras, LiteRT, NumPy, runtime versions.
        bench_finished(BenchResult): ``inference.benchmark.run_bench`` figures (or an error).
        error_occurred(WorkerError): any other failure of a request, as one sentence.
        generator_ready(GeneratorReady), generator_failed(GeneratorFailed): after prepare_generator.
        text_chunk(TextChunk): tokens made since the last display tick (plus the top-10 distribution).
        forecast_step(ForecastStep): one step of a forecast run (play).
        texts_classified(TextResults): texts classified by a text classifier (``classify_texts``).
        evaluation_progress(EvalProgress), evaluation_finished(EvalFinished): an evaluation on a
            labelled folder (``evaluate``), chunk by chunk, then its figures.
        explanation_ready(ExplainResult), explain_finished(ExplainFinished): heatmaps of pictures
            (``explain_items``), one per picture, then the end of the job.
        live_explained(LiveHeatmap): a live frame explained (``set_live_explain``), now and then.
        export_progress(ExportProgress), export_finished(ExportFinished): File › Export for Serving….
        runtime_switched(RuntimeSwitched): a model opened for the first time ran on Keras while a
            helper process converted it; the conversion ended (now on LiteRT, or why not); or the
            user turned Fast (int8) on or off (``use_int8``).
        int8_progress(Int8Progress), int8_ready(Int8Ready): Fast (int8) quantised and checked
            (``try_int8``): offered or not, with its agreement, |Δscore| and both speeds.
    """

    status_changed = Signal(str)
    busy_changed = Signal(bool)
    model_loaded = Signal(object)
    load_failed = Signal(object)
    classification_ready = Signal(object)
    batch_progress = Signal(object)
    batch_finished = Signal(object)
    tensor_previewed = Signal(object)
    profile_applied = Signal(object)
    versions_reported = Signal(object)
    bench_finished = Signal(object)
    error_occurred = Signal(object)
    generator_ready = Signal(object)
    generator_failed = Signal(object)
    text_chunk = Signal(object)
    forecast_step = Signal(object)
    texts_classified = Signal(object)
    evaluation_progress = Signal(object)
    evaluation_finished = Signal(object)
    explanation_ready = Signal(object)
    explain_finished = Signal(object)
    live_explained = Signal(object)
    export_progress = Signal(object)
    export_finished = Signal(object)
    runtime_switched = Signal(object)
    int8_progress = Signal(object)
    int8_ready = Signal(object)


# The signal each task result goes out on, by the payload's class name (a new task kind adds its
# payload here): the task modules are imported when their first request comes, not at start-up.
TASK_SIGNALS = {"ImageResult": "classification_ready", "BatchProgress": "batch_progress",
                "BatchFinished": "batch_finished", "TextChunk": "text_chunk", "ForecastStep": "forecast_step",
                "EvalProgress": "evaluation_progress", "EvalFinished": "evaluation_finished",
                "ExplainResult": "explanation_ready", "ExplainFinished": "explain_finished",
                "ExportProgress": "export_progress", "ExportFinished": "export_finished",
                "RuntimeSwitched": "runtime_switched", "Int8Progress": "int8_progress", "Int8Ready": "int8_ready"}


class InferenceWorker(WorkerResults):
    """Owns the open models; runs every engine call in its own thread.

    Signals: those of :class:`WorkerResults`, and
        stopped(): the worker has stopped (just before its thread quits).
        live_prediction_ready(Prediction, load_id, slot): one live frame inferred (frame index,
            capture, start and end timestamps on the monotonic clock, preprocess/inference ms).
        live_failed(str, slot): one sentence; live frames of that slot cannot be inferred (repeats
            are not re-sent).
        live_flushed(): every live frame posted before the flush request has been handled.
    These go to the live pipeline directly (it owns them), not through the controller.
    """

    stopped = Signal()
    live_prediction_ready = Signal(object, int, str)
    live_failed = Signal(str, str)
    live_flushed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        # Runs on the GUI thread: nothing heavy here, never load a model here.
        super().__init__(parent)
        self.jobs = JobFlags()
        self._stop = self.jobs.stop
        self.models = ModelSlots()
        self.runner = TaskRunner(self._emit_result, qt_schedule(self), self._stop.is_set)
        self.live = LiveInference(self.models, self.live_prediction_ready.emit, self.live_failed.emit,
                                  self._stop.is_set)
        self.generator = GeneratorHost(self.models, self._stop.is_set)
        self._explainers: Any = None  # threads.engine.explain.Explainers, made at the first explanation
        # Cleared by the app until its window is shown; a TensorFlow import waits for it (max 2 s).
        self.gui_ready = threading.Event()
        self.gui_ready.set()
        # Set at the first result, a failed load, or when TensorFlow must be imported: until then a
        # warm start's GUI thread may leave the interpreter to this thread (``app._ask_engine_early``).
        self.first_answer = threading.Event()

    @property
    def explainers(self) -> Any:
        """The Grad-CAM/occlusion explainers (and the live one), made on the inference thread at first use."""
        if self._explainers is None:
            from livepredict.threads.engine.explain import Explainers, LiveExplainer

            self._explainers = Explainers(self.models, self._status)
            self.live.explainer = LiveExplainer(self._explainers, self.live_explained.emit)
        return self._explainers

    def _emit_result(self, result: Any) -> None:
        getattr(self, TASK_SIGNALS[type(result).__name__]).emit(result)
        if isinstance(result, ImageResult | BatchFinished):
            self.first_answer.set()

    def _status(self, text: str) -> None:
        self.status_changed.emit(text)
        if text.startswith("Loading TensorFlow"):
            self.first_answer.set()  # a cold start: the window goes first
        if text.startswith("Loading TensorFlow") and not self.gui_ready.is_set():
            # Importing TensorFlow holds the GIL for seconds: let the window be built and shown first.
            self.gui_ready.wait(2.0)

    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- thread-safe flags (callable directly from any thread)
    @Slot()
    def cancel(self) -> None:
        """Cancel every job submitted so far (thread-safe: only sets a flag)."""
        self.jobs.cancel()

    def cancel_slot(self, slot: str) -> None:
        """Cancel the jobs submitted so far to ``slot`` (a new model is coming there)."""
        self.jobs.cancel(slot)

    def cancel_job(self, job_id: int) -> None:
        self.jobs.cancel_upto(job_id)

    def note_load_request(self, load_id: int, slot: str = MAIN) -> None:
        """A load of ``load_id`` into ``slot`` was requested: older queued loads there are skipped."""
        self.models.note_request(slot, load_id)

    def request_stop(self) -> None:
        self._stop.set()

    def stop_generation(self, upto_run: int) -> None:
        """Stop every run with id <= ``upto_run`` within one step (thread-safe: sets an int)."""
        self.generator.stop(upto_run)

    # -- loading
    @Slot(str, bool, int, str, object)
    def load_model(self, path: str, trust: bool, load_id: int, slot: str = MAIN, output: int | str | None = None
                   ) -> None:
        if self._stop.is_set():
            return
        if self.models.superseded(slot, load_id):
            log.info("skipping the load of %s: a newer model was requested meanwhile", path)
            return
        self.busy_changed.emit(True)
        try:
            loaded = self.models.load(slot, path, trust, load_id, self._status, output)
            self.model_loaded.emit(loaded)
            self._status(loaded.ready_text)
            watch = watch_if_converting(self.models, slot, load_id, self._stop.is_set)
            if watch is not None:
                self.runner.submit(watch, replace=True)
        except Exception as e:  # noqa: BLE001 - a slot never lets an exception escape
            message, details = error_parts(e)
            log.warning("opening %s in slot %s failed: %s\n%s", path, slot, message, details)
            self.load_failed.emit(LoadFailed(load_id, str(path), message, details, isinstance(e, UnsafeModelError),
                                             self.models.active(slot)[1], slot))
            self.first_answer.set()
            self._status(message)
        finally:
            self.busy_changed.emit(False)

    @Slot()
    def close_model(self) -> None:
        """Close every slot's model."""
        self.models.close()

    @Slot(str)
    def close_slot(self, slot: str) -> None:
        self.models.close(slot)

    # -- classification (batched, cancellable, results as they come)
    @Slot(int, int, object, int, str)
    def classify_paths(self, job_id: int, load_id: int, paths: Sequence[Any], top_k: int, slot: str = MAIN) -> None:
        """Classify files, folders (recursive) and NamedImages; emits results chunk by chunk."""
        self.runner.submit(BatchTask(job_id, slot, load_id, paths, top_k, self.models, self.jobs))

    @Slot(int, int, object, int, str)
    def classify_texts(self, job_id: int, load_id: int, texts: Sequence[str], top_k: int, slot: str = MAIN) -> None:
        """Classify ``texts`` with ``slot``'s text classifier (tokenised with its sidecar's vocabulary)."""
        from livepredict.inference.text import classify_texts

        model, active = self.models.active(slot)
        if model is None or active != load_id:
            self.texts_classified.emit(TextResults(job_id, load_id, (), "The model changed before the texts "
                                                                       "were classified; classify them again.", slot))
            return
        try:
            with engine_call("classify_texts"):
                preds = classify_texts(model, list(texts), top_k=top_k)
            self.texts_classified.emit(TextResults(job_id, load_id, tuple(preds), "", slot))
        except Exception as e:  # noqa: BLE001 - a slot never lets an exception escape
            self.texts_classified.emit(TextResults(job_id, load_id, (), error_parts(e)[0], slot))

    @Slot(int, str, object, int)
    def evaluate(self, job_id: int, source: str, slots: Sequence[str], top_k: int) -> None:
        """Evaluate the models of ``slots`` on the labelled folder or CSV ``source`` (one task, queued)."""
        from livepredict.threads.engine.evaluate import EvaluateTask

        self.runner.submit(EvaluateTask(job_id, source, slots, top_k, self.models, self.jobs))
    # -- explanations (heatmaps)
    @Slot(int, int, object, object, str)
    def explain_items(self, job_id: int, load_id: int, items: Sequence[Any], request: Any,
                      slot: str = MAIN) -> None:
        """Explain files, folders and NamedImages (one ``explanation_ready`` each, then ``explain_finished``)."""
        from livepredict.threads.engine.explain import ExplainTask

        self.runner.submit(ExplainTask(job_id, slot, load_id, items, request, self.explainers, self.jobs))

    @Slot(object, str)
    def set_live_explain(self, request: Any, slot: str = MAIN) -> None:
        """Explain ``slot``'s live frames now and then (an ``explain.ExplainRequest``; None: stop)."""
        if request is None and self._explainers is None:
            return  # nothing was ever explained live
        _ = self.explainers  # makes the live explainer
        self.live.explainer.set(slot, request)

    # -- one-shot requests
    @Slot(int, str, str)
    def preview_tensor(self, load_id: int, key: str, slot: str = MAIN) -> None:
        s = self.models.get(slot)
        if s is None or s.load_id != load_id or s.model.info.preprocess is None:
            return
        try:
            self.tensor_previewed.emit(tools.preview_tensor(s, key))
        except Exception as e:  # noqa: BLE001
            self.error_occurred.emit(WorkerError(*error_parts(e), "preview"))

    @Slot(int, object, object, bool, str)
    def apply_profile(self, load_id: int, spec: PreprocessSpec | None, labels: Any, save: bool,
                      slot: str = MAIN) -> None:
        s = self.models.get(slot)
        if s is None or s.load_id != load_id:
            self.error_occurred.emit(WorkerError("The model changed before the profile was applied; edit it "
                                                 "again.", context="profile"))
            return
        try:
            loaded = tools.apply_profile(s, spec, labels, save)
            s.loaded = loaded
            self.profile_applied.emit(loaded)
            self._status("Profile saved to the sidecar." if save else "Profile applied.")
        except Exception as e:  # noqa: BLE001
            self.error_occurred.emit(WorkerError(*error_parts(e), "profile"))

    @Slot()
    def report_versions(self) -> None:
        s = self.models.get(MAIN)
        self.versions_reported.emit(tools.versions(s.model.info.runtime if s is not None else "no model open"))

    @Slot(int, float, bool, str)
    def run_benchmark(self, load_id: int, seconds: float, trust: bool, slot: str = MAIN) -> None:
        s = self.models.get(slot)
        path = s.path if s is not None else ""
        if s is None or load_id != s.load_id:
            self.bench_finished.emit(BenchResult(load_id, path, error="Open a model before benchmarking it.",
                                                 slot=slot))
            return
        self.busy_changed.emit(True)
        self._status("Benchmarking…")
        try:
            result = tools.benchmark(path, seconds, trust, self._status)
            self.bench_finished.emit(BenchResult(load_id, path, result=result, slot=slot))
            self._status(s.loaded.ready_text)
        except Exception as e:  # noqa: BLE001
            message, details = error_parts(e)
            self.bench_finished.emit(BenchResult(load_id, path, error=message, details=details, slot=slot))
            self._status(message)
        finally:
            self.busy_changed.emit(False)

    @Slot(int, str, str, str, int, str)
    def export_for_serving(self, load_id: int, out_dir: str, name: str, version: str, top_k: int,
                           slot: str = MAIN) -> None:
        """Export ``slot``'s model for TensorFlow Serving as a task (``export_task.ExportTask``)."""
        from livepredict.threads.engine.export_task import ExportTask

        self.runner.submit(ExportTask(load_id, out_dir, name, version, top_k, self.models, slot))

    @Slot(int, str, str)
    def try_int8(self, load_id: int, source: str, slot: str = MAIN) -> None:
        """Quantise ``slot``'s model and check it, as a task (``int8_task.Int8Task``)."""
        from livepredict.threads.engine.int8_task import Int8Task

        self.runner.submit(Int8Task(load_id, source, self.models, slot))

    @Slot(int, bool, str)
    def use_int8(self, load_id: int, on: bool, slot: str = MAIN) -> None:
        """Run ``slot``'s model on its Fast (int8) runtime (``on``) or back on float."""
        from livepredict.threads.engine.int8_task import use_int8

        s = self.models.get(slot)
        try:
            if s is None or s.load_id != load_id:
                raise LivePredictError("Open a model before choosing its runtime.")
            switched = use_int8(s, on)
        except Exception as e:  # noqa: BLE001
            self.error_occurred.emit(WorkerError(*error_parts(e), "int8"))
            return
        self.runtime_switched.emit(switched)
        self._status(switched.message)

    # ---- live (owned by the live pipeline)
    @property
    def live_gate(self) -> threading.Lock:
        """Held while live frames are taken and inferred (see ``LiveInference.gate``)."""
        return self.live.gate

    @property
    def live_skipped(self) -> int:
        return self.live.skipped

    @Slot(object, int, str)
    def set_live_mailbox(self, mailbox: Any, top_k: int, slot: str = MAIN) -> None:
        """Take ``slot``'s live frames from ``mailbox`` (None: stop live inference in that slot)."""
        self.live.attach(slot, mailbox, top_k)

    @Slot()
    def flush_live(self) -> None:
        self.live_flushed.emit()

    @Slot()
    def take_live_frame(self) -> None:
        """Payload-free: infer the newest frame waiting for each slot, if any."""
        self.live.take()

    # ---- text and forecast generation
    @Slot(int, str, str)
    def prepare_generator(self, load_id: int, vocab_path: str, slot: str = MAIN) -> None:
        """Build the step generator (text) or forecaster for the model of ``load_id`` in ``slot``."""
        s = self.models.get(slot)
        if s is None or s.load_id != load_id:
            self.generator_failed.emit(GeneratorFailed(load_id, "Open a text or sequence model first (File → "
                                                                "Open Model…).", slot=slot))
            return
        self.runner.drop("generation")  # a run of the old generator ends silently
        self.busy_changed.emit(True)
        try:
            result = self.generator.prepare(s, vocab_path, self._status)
        finally:
            self.busy_changed.emit(False)
        if isinstance(result, GeneratorFailed):
            self.generator_failed.emit(result)
            self._status(result.message)
        else:
            self.generator_ready.emit(result)
            self._status(f"Generator ready: {self.generator.gen.runtime}")

    @Slot()
    def reset_generator(self) -> None:
        self.generator.reset()

    @Slot(int, str, int, float, int, float, object, float)
    def start_text(self, run_id: int, seed_text: str, length: int, temperature: float, top_k: int,
                   top_p: float, seed: Any, rate: float) -> None:
        from livepredict.core.sampling import Sampler, SamplingSettings

        try:
            sampler = Sampler(SamplingSettings(temperature, top_k, top_p), seed)
        except Exception as e:  # noqa: BLE001
            self.text_chunk.emit(TextChunk(run_id, "", 0, 0, 0.0, None, (), (), True, error_parts(e)[0]))
            return
        self.runner.submit(TextTask(self.generator, run_id, seed_text, length, sampler, rate), replace=True)

    @Slot(int, object, int, int, float)
    def start_forecast(self, run_id: int, series: Any, start_index: int, horizon: int, rate: float) -> None:
        self.runner.submit(ForecastTask(self.generator, run_id, series, start_index, horizon, rate), replace=True)

    # ---- feed: classify requests from WebSocket clients (threads/feed_bridge.py)
    @Slot(object)
    def classify_feed_job(self, job: Any) -> None:
        """Classify ``job.image`` (RGB uint8, decoded by the feed) with the open model (``job.slot``,
        default ``MAIN``), here on the inference thread; ``job.resolve``/``job.fail`` are thread-safe."""
        try:
            model, _ = self.models.active(getattr(job, "slot", MAIN))
            if model is None or self._stop.is_set():
                job.fail("No model is open in the app; open an image model and try again.")
                return
            with engine_call("feed classify"):
                pred = classify_images(model, [job.image], job.top_k)[0]
        except Exception as e:  # noqa: BLE001 - a slot never lets an exception escape
            job.fail(error_parts(e)[0])
            return
        job.resolve(pred)

    # -- shutdown
    @Slot()
    def shutdown(self) -> None:
        """Stop: drop pending tasks, close every model. Runs in the worker thread."""
        self._stop.set()
        self.runner.cancel_all()
        self.generator.close()
        self.models.close()
        self.stopped.emit()
