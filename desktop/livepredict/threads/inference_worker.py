"""The inference thread: the ONLY thread that imports or calls TensorFlow (DESIGN §1, §6).

``InferenceWorker`` is a QObject moved to its own QThread by ``InferenceController``, which lives in
the GUI thread and owns that QThread. The GUI talks to the worker only through the controller's
request signals (queued connections into the worker's ``@Slot`` methods) and listens to the worker's
signals, whose payloads are frozen dataclasses defined below (arrays in them are never mutated
after emission).

Model generations: every ``load_model`` request carries a generation number (the controller counts
them). Every result the worker emits is tagged with the generation of the model that produced it,
so a panel can drop results of an older model instead of showing them as the new one's.

Long jobs (folder batches) run as small chunks scheduled through the worker's event loop, so a
cancel, a new model, live frames or shutdown are handled between chunks; ``cancel()`` and
``request_stop()`` are also safe to call directly from any thread (they only set flags).

Extension points for other parts of the app (each in its own, clearly marked section of the class):

- ``# ---- live (owned by live pipeline)``: live-frame inference. The live pipeline adds its
  signal(s) (e.g. ``prediction_ready``) and a payload-free slot that takes the newest Frame from a
  ``core.latest.Latest`` mailbox. Use ``self._active()`` for ``(model, generation)`` and wrap engine
  calls in ``with self._engine_call("what"):`` so the thread guard sees them.
- ``# ---- generation``: text/sequence generation slots, same helpers.

Thread guard: ``THREAD_GUARD`` records the thread of every engine call made by the worker, and
``install_import_watch()`` records which thread first imports tensorflow/keras/LiteRT. The app
writes both to ``$LIVEPREDICT_THREAD_REPORT`` at exit when that variable is set (tests use it).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import logging
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, Signal, Slot

from livepredict.core.errors import ImageReadError, LivePredictError, UnsafeModelError
from livepredict.core.types import ModelInfo, Prediction, PreprocessSpec, Task
from livepredict.inference.predict import decode_outputs, predict_images

log = logging.getLogger(__name__)

CHUNK = 8  # images per batch step when the runtime has no fixed batch size
THUMB_SIDE = 112  # cards draw thumbnails at 100 px
PREVIEW_SIDE = 224
_WATCHED = ("tensorflow", "keras", "ai_edge_litert")


# ------------------------------------------------------------------ thread guard

class ThreadGuard:
    """Records the thread of every engine call (name, thread name, ident, is-main-thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[tuple[str, str, int, bool]] = []
        self.imports: dict[str, tuple[str, bool]] = {}

    def record(self, what: str) -> None:
        t = threading.current_thread()
        main = t is threading.main_thread()
        with self._lock:
            if len(self.calls) < 10_000:
                self.calls.append((what, t.name, t.ident or 0, main))
        if main:
            log.error("engine call %r made on the main (GUI) thread", what)

    def record_import(self, name: str) -> None:
        t = threading.current_thread()
        with self._lock:
            self.imports.setdefault(name, (t.name, t is threading.main_thread()))

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": [{"what": w, "thread": n, "ident": i, "main": m} for w, n, i, m in self.calls],
                "imports": {k: {"thread": n, "main": m} for k, (n, m) in self.imports.items()},
                "main_thread_calls": sum(1 for *_, m in self.calls if m),
            }


THREAD_GUARD = ThreadGuard()


class _ImportWatch(importlib.abc.MetaPathFinder):
    """A finder that never finds anything: it only notes which thread imports TF first."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        top = fullname.partition(".")[0]
        if top in _WATCHED and top not in THREAD_GUARD.imports:
            THREAD_GUARD.record_import(top)
        return None


def install_import_watch() -> None:
    if not any(isinstance(f, _ImportWatch) for f in sys.meta_path):
        sys.meta_path.insert(0, _ImportWatch())


# ------------------------------------------------------------------ payloads (frozen)

@dataclass(frozen=True)
class ModelLoaded:
    generation: int
    info: ModelInfo
    load_s: float
    warm: bool  # opened from the LiteRT cache without TensorFlow
    ms_per_image: float | None  # steady-state time of the chosen runtime, batch 1

    @property
    def ready_text(self) -> str:
        ms = ""
        if self.ms_per_image:
            v = self.ms_per_image
            ms = f", {v:.2f} ms/image" if v < 1 else f", {v:.1f} ms/image"
        return f"Ready: {self.info.runtime}{ms}"


@dataclass(frozen=True)
class LoadFailed:
    generation: int
    path: str
    message: str
    details: str
    needs_trust: bool
    active_generation: int  # generation of the model still loaded (-1: none)


@dataclass(frozen=True)
class NamedImage:
    """An image that has no file (pasted from the clipboard): RGB uint8 HxWx3."""

    name: str
    image: np.ndarray


@dataclass(frozen=True)
class ImageResult:
    job_id: int
    generation: int
    index: int
    path: str
    prediction: Prediction | None
    error: str | None
    thumbnail: np.ndarray | None  # RGB uint8, longest side <= THUMB_SIDE
    total_ms: float = 0.0  # read + preprocess + inference for this image


@dataclass(frozen=True)
class BatchProgress:
    job_id: int
    generation: int
    done: int
    total: int
    elapsed_s: float

    @property
    def rate(self) -> float:
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        r = self.rate
        return (self.total - self.done) / r if r > 0 else None


@dataclass(frozen=True)
class BatchFinished:
    job_id: int
    generation: int
    done: int
    total: int
    errors: int
    cancelled: bool
    elapsed_s: float
    message: str = ""


@dataclass(frozen=True)
class TensorPreview:
    generation: int
    key: str  # the path (or name) of the image
    image: np.ndarray  # RGB uint8: the tensor as the model sees it
    shape: tuple[int, ...]
    dtype: str
    value_range: tuple[float, float]


@dataclass(frozen=True)
class Versions:
    items: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, str]:
        return dict(self.items)


@dataclass(frozen=True)
class BenchResult:
    generation: int
    path: str
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    details: str = ""


@dataclass(frozen=True)
class WorkerError:
    message: str
    details: str = ""
    context: str = ""


# ---- generation payloads (frozen; owned by generation)

@dataclass(frozen=True)
class GeneratorReady:
    """A generator was built for the open model: ``kind`` "text" or "forecast", ``info`` its
    description (runtime, check, timings), ``vocab`` the tokens (text)."""

    generation: int
    kind: str
    info: dict[str, Any]
    vocab: tuple[str, ...] = ()
    window: int = 0
    build_s: float = 0.0


@dataclass(frozen=True)
class GeneratorFailed:
    generation: int
    message: str
    details: str = ""
    needs_vocab: bool = False  # a text model without a vocabulary: ask for a vocabulary file


@dataclass(frozen=True)
class TextChunk:
    """Tokens made since the last chunk (one chunk per display tick, never one signal per token)."""

    run_id: int
    text: str
    tokens: int  # in this chunk
    total: int  # in this run so far
    tokens_per_s: float
    first_token_ms: float | None
    top_labels: tuple[str, ...]  # top-10 next-token distribution after the last token
    top_probs: tuple[float, ...]
    finished: bool = False
    reason: str = ""  # "done" | "stopped" | an error sentence


@dataclass(frozen=True)
class ForecastStep:
    """One step along the series: the forecast made from ``index`` values, errors so far."""

    run_id: int
    index: int  # values known (history = series[:index])
    forecast: np.ndarray  # the next ``horizon`` values
    one_step: float  # the forecast for series[index] (the first forecast value)
    mae: float | None  # one-step absolute error so far, over the values stepped through
    naive_mae: float | None  # the naive last-value forecast's error over the same values
    steps_per_s: float
    finished: bool = False
    reason: str = ""


# ------------------------------------------------------------------ helpers

def _shrink(rgb: np.ndarray, side: int) -> np.ndarray:
    """A copy of ``rgb`` whose longest side is at most ``side`` (Pillow, no cv2)."""
    from PIL import Image

    h, w = rgb.shape[:2]
    if max(h, w) <= side:
        return np.ascontiguousarray(rgb).copy()
    im = Image.fromarray(np.ascontiguousarray(rgb))
    im.thumbnail((side, side), Image.Resampling.BILINEAR)
    return np.asarray(im.convert("RGB")).copy()


def _error_parts(e: BaseException) -> tuple[str, str]:
    if isinstance(e, LivePredictError):
        details = e.details or ""
        return e.message, details
    return (f"Something went wrong ({type(e).__name__}: {e}); see the log file for details.",
            "".join(traceback.format_exception(e)))


@dataclass(frozen=True)
class _Unlisted:
    """A dropped path that could not be listed (missing, unreadable): shown as an error card."""

    name: str
    message: str


@dataclass
class _Job:
    job_id: int
    generation: int
    items: list[Any]  # str paths or NamedImage
    top_k: int
    started: float
    done: int = 0
    errors: int = 0
    collecting: list[str] | None = None  # raw paths to expand before the first step


# ------------------------------------------------------------------ the worker

class WorkerResults(QObject):
    """The result signals, declared once for both sides: :class:`InferenceWorker` emits them on the
    inference thread; :class:`InferenceController` re-emits each under the same name, with the same
    payload, in the GUI thread (widgets connect to the controller's). Payloads are frozen dataclasses.

    Signals:
        status_changed(str): progress text ("Loading TensorFlow…", "Loading model…",
            "Converting to LiteRT…", "Ready: litert, 1.2 ms/image").
        busy_changed(bool): the worker started / finished a long operation.
        model_loaded(ModelLoaded): a model is open; later results carry its generation.
        load_failed(LoadFailed): opening failed (one sentence + details); ``needs_trust`` when
            the model can be opened only as trusted. The previous model, if any, stays open.
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


class InferenceWorker(WorkerResults):
    """Owns the opened model; runs every engine call in its own thread.

    Signals: those of :class:`WorkerResults`, and
        stopped(): the worker has stopped (just before its thread quits).
        live_prediction_ready(Prediction, generation): one live frame inferred (frame index,
            capture, start and end timestamps on the monotonic clock, preprocess/inference ms).
        live_failed(str): one sentence; this live frame could not be inferred (repeats are not re-sent).
        live_flushed(): every live frame posted before the flush request has been handled.
    These go to the live pipeline directly (it owns them), not through the controller.
    """

    stopped = Signal()
    live_prediction_ready = Signal(object, int)
    live_failed = Signal(str)
    live_flushed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        # Runs on the GUI thread: nothing heavy here, never load a model here.
        super().__init__(parent)
        self._model: Any = None  # inference.loader.LoadedModel
        self._generation = -1
        self._model_path = ""
        self._loaded: ModelLoaded | None = None
        self._jobs: list[_Job] = []
        self._step_scheduled = False
        self._flag_lock = threading.Lock()
        self._cancel_below = 0  # jobs with id < this are cancelled (thread-safe flag)
        self._newest_load = 0  # newest requested model generation (thread-safe flag)
        self._stop = threading.Event()
        # Cleared by the app until its window is shown; a TensorFlow import waits for it (max 2 s).
        self.gui_ready = threading.Event()
        self.gui_ready.set()
        self._images_cache: dict[str, np.ndarray] = {}  # for previews of pasted images

    # -- helpers for every section
    def _active(self) -> tuple[Any, int]:
        """(LoadedModel or None, its generation). Call only from the worker thread."""
        return self._model, self._generation

    @contextlib.contextmanager
    def _engine_call(self, what: str) -> Iterator[None]:
        THREAD_GUARD.record(what)
        yield

    def _status(self, text: str) -> None:
        self.status_changed.emit(text)
        if text.startswith("Loading TensorFlow") and not self.gui_ready.is_set():
            # Importing TensorFlow holds the GIL for seconds: let the window be built and shown first.
            self.gui_ready.wait(2.0)

    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- thread-safe flags (callable directly from any thread)
    @Slot()
    def cancel(self) -> None:
        """Cancel every job submitted so far (thread-safe: only sets a flag)."""
        with self._flag_lock:
            self._cancel_below = max(self._cancel_below, _JOB_IDS.peek() + 1)

    def cancel_job(self, job_id: int) -> None:
        with self._flag_lock:
            self._cancel_below = max(self._cancel_below, job_id + 1)

    def note_load_request(self, generation: int) -> None:
        """A load of ``generation`` was requested (thread-safe): older queued loads are skipped."""
        with self._flag_lock:
            self._newest_load = max(self._newest_load, generation)

    def request_stop(self) -> None:
        self._stop.set()
        self.cancel()

    def _cancelled(self, job: _Job) -> bool:
        with self._flag_lock:
            return self._stop.is_set() or job.job_id < self._cancel_below

    # -- loading
    @Slot(str, bool, int)
    def load_model(self, path: str, trust: bool, generation: int) -> None:
        if self._stop.is_set():
            return
        with self._flag_lock:
            superseded = generation < self._newest_load
        if superseded:
            log.info("skipping the load of %s: a newer model was requested meanwhile", path)
            return
        self.busy_changed.emit(True)
        t0 = time.perf_counter()
        try:
            from livepredict.inference.loader import open_model

            with self._engine_call("open_model"):
                model = open_model(path, trust=trust, status=self._status)
            with self._engine_call("warm-up"):
                ms = self._warm_up(model)
            old = self._model
            self._model, self._generation, self._model_path = model, generation, path
            self._images_cache.clear()
            if old is not None:
                with contextlib.suppress(Exception):
                    old.close()
            info = model.info
            loaded = ModelLoaded(generation=generation, info=info, load_s=time.perf_counter() - t0,
                                 warm=bool(info.extras.get("cached")), ms_per_image=ms)
            self._loaded = loaded
            log.info("model %s open (generation %d, runtime %s, %.2f s, warm=%s)", path, generation,
                     info.runtime, loaded.load_s, loaded.warm)
            self.model_loaded.emit(loaded)
            self._status(loaded.ready_text)
        except Exception as e:  # noqa: BLE001 - a slot never lets an exception escape
            message, details = _error_parts(e)
            log.warning("opening %s failed: %s\n%s", path, message, details)
            self.load_failed.emit(LoadFailed(generation=generation, path=str(path), message=message,
                                             details=details, needs_trust=isinstance(e, UnsafeModelError),
                                             active_generation=self._generation))
            self._status(message)
        finally:
            self.busy_changed.emit(False)

    def _warm_up(self, model: Any) -> float | None:
        """Run the chosen runtime a few times at batch 1; the median time in ms (None if not images)."""
        info = model.info
        spec = info.preprocess
        if spec is None or info.task != Task.IMAGE_CLASSIFIER:
            return None
        h, w = spec.size or (64, 64)
        x = model.preprocess(np.zeros((h, w, 3), np.uint8))[None]
        times = []
        for _ in range(8):
            t = time.perf_counter()
            model.infer(x)
            times.append((time.perf_counter() - t) * 1000.0)
        batch = int(getattr(model.runtime, "batch", 1) or 1)
        if batch > 1:  # the folder batch size too, so the first folder chunk does not pay for it
            model.infer(np.repeat(x, batch, axis=0))
        return float(np.median(times[3:]))  # steady state: after allocation and first packing

    @Slot()
    def close_model(self) -> None:
        if self._model is not None:
            with contextlib.suppress(Exception):
                self._model.close()
        self._model, self._loaded = None, None

    # -- classification (batched, cancellable, results as they come)
    @Slot(int, int, object, int)
    def classify_paths(self, job_id: int, generation: int, paths: Sequence[Any], top_k: int) -> None:
        """Classify files, folders (recursive) and NamedImages; emits results chunk by chunk."""
        job = _Job(job_id=job_id, generation=generation, items=[], top_k=max(1, int(top_k)),
                   started=time.perf_counter(), collecting=list(paths))
        self._jobs.append(job)
        self._schedule_step()

    def _schedule_step(self) -> None:
        if not self._step_scheduled and not self._stop.is_set():
            self._step_scheduled = True
            QMetaObject.invokeMethod(self, "_batch_step", Qt.ConnectionType.QueuedConnection)

    @Slot()
    def _batch_step(self) -> None:
        self._step_scheduled = False
        if not self._jobs:
            return
        job = self._jobs[0]
        try:
            self._run_chunk(job)
        except Exception as e:  # noqa: BLE001
            message, details = _error_parts(e)
            log.warning("batch %d failed: %s\n%s", job.job_id, message, details)
            self._finish(job, cancelled=False, message=message)
            return
        if self._jobs and self._jobs[0] is job and job.collecting is None and job.done >= len(job.items):
            self._finish(job, cancelled=False)
        if self._jobs:
            self._schedule_step()

    def _finish(self, job: _Job, *, cancelled: bool, message: str = "") -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        elapsed = time.perf_counter() - job.started
        log.info("batch %d: %s, %d of %d images (%d errors) in %.2f s", job.job_id,
                 "cancelled" if cancelled else "finished", job.done, len(job.items), job.errors, elapsed)
        self.batch_finished.emit(BatchFinished(
            job_id=job.job_id, generation=job.generation, done=job.done, total=len(job.items),
            errors=job.errors, cancelled=cancelled, elapsed_s=elapsed,
            message=message))

    def _run_chunk(self, job: _Job) -> None:
        if self._cancelled(job):
            self._finish(job, cancelled=True)
            return
        model, generation = self._active()
        if model is None or generation != job.generation:
            msg = ("No model is open; open a model first." if model is None
                   else "A different model was opened; drop the images again.")
            self._finish(job, cancelled=True, message=msg)
            return
        if job.collecting is not None:
            from livepredict.sources.images import collect_image_paths

            raw, job.collecting = job.collecting, None
            items: list[Any] = []
            for x in raw:  # in input order; a path that cannot be listed becomes an error card
                if isinstance(x, NamedImage):
                    items.append(x)
                    continue
                try:
                    items += [str(p) for p in collect_image_paths([x])]
                except LivePredictError as e:
                    items.append(_Unlisted(str(x), e.message))
            job.items = items
            if not job.items:
                self._finish(job, cancelled=False,
                             message="No images were found there; drop PNG, JPEG, BMP, GIF, WebP or TIFF "
                                     "files or folders that contain them.")
                return
            self._emit_progress(job)
            return
        # The runtime's fixed batch size (a shorter chunk would be padded up to it anyway).
        size = max(1, min(64, int(getattr(model.runtime, "batch", CHUNK) or CHUNK)))
        chunk = job.items[job.done: job.done + size]
        start_index = job.done
        from livepredict.sources.images import read_image

        images: list[np.ndarray] = []
        keys: list[str] = []
        where: list[int] = []
        t_read: list[float] = []
        results: dict[int, ImageResult] = {}
        for i, item in enumerate(chunk):
            if i and self._cancelled(job):  # large photos take a while each: stop between files
                self._finish(job, cancelled=True)
                return
            t0 = time.perf_counter()
            key = item.name if isinstance(item, NamedImage | _Unlisted) else str(item)
            try:
                if isinstance(item, _Unlisted):
                    raise ImageReadError(item.message)
                img = item.image if isinstance(item, NamedImage) else read_image(item)
                if isinstance(item, NamedImage):
                    self._images_cache[key] = img
                images.append(img)
                keys.append(key)
                where.append(i)
                t_read.append((time.perf_counter() - t0) * 1000.0)
            except Exception as e:  # noqa: BLE001
                message, _ = _error_parts(e)
                results[i] = ImageResult(job.job_id, generation, start_index + i, key, None, message, None)
        if images:
            try:
                with self._engine_call("classify_arrays"):
                    preds = predict_images(model, images, top_k=job.top_k, paths=keys)
            except Exception as e:  # noqa: BLE001
                message, _ = _error_parts(e)
                preds = [Prediction(top=(), path=k, error=message) for k in keys]
            for j, pred in enumerate(preds):
                i = where[j]
                total = t_read[j] + pred.preprocess_ms + pred.infer_ms
                results[i] = ImageResult(job.job_id, generation, start_index + i, keys[j], pred, pred.error,
                                         _shrink(images[j], THUMB_SIDE), total_ms=total)
        for i in range(len(chunk)):
            r = results[i]
            if r.error:
                job.errors += 1
            job.done += 1
            self.classification_ready.emit(r)
        self._emit_progress(job)

    def _emit_progress(self, job: _Job) -> None:
        self.batch_progress.emit(BatchProgress(job.job_id, job.generation, job.done, len(job.items),
                                               time.perf_counter() - job.started))

    # -- "tensor fed to the model"
    @Slot(int, str)
    def preview_tensor(self, generation: int, key: str) -> None:
        model, gen = self._active()
        if model is None or gen != generation or model.info.preprocess is None:
            return
        try:
            from livepredict.inference.preprocess import tensor_to_display

            img = self._images_cache.get(key)
            if img is None:
                from livepredict.sources.images import read_image

                img = read_image(key)
            with self._engine_call("preprocess"):
                t = model.preprocess(img)
            arr = np.asarray(t)
            shown = tensor_to_display(arr, model.info.preprocess)
            if max(shown.shape[:2]) < PREVIEW_SIDE:
                shown = np.ascontiguousarray(shown)
            self.tensor_previewed.emit(TensorPreview(
                generation=gen, key=key, image=shown.copy(), shape=tuple(int(s) for s in arr.shape),
                dtype=str(arr.dtype), value_range=(float(np.min(arr)), float(np.max(arr)))))
        except Exception as e:  # noqa: BLE001
            message, details = _error_parts(e)
            self.error_occurred.emit(WorkerError(message, details, "preview"))

    # -- profile and labels
    @Slot(int, object, object, bool)
    def apply_profile(self, generation: int, spec: PreprocessSpec | None, labels: Any, save: bool) -> None:
        model, gen = self._active()
        if model is None or gen != generation:
            self.error_occurred.emit(WorkerError("The model changed before the profile was applied; edit it "
                                                 "again.", context="profile"))
            return
        try:
            with self._engine_call("set_profile"):
                info = model.set_profile(spec=spec, labels=list(labels) if labels is not None else None)
            if save:
                from livepredict.inference.sidecar import read_sidecar, write_sidecar

                data = dict(read_sidecar(self._model_path) or {})
                if info.preprocess is not None:
                    pre = info.preprocess.to_json()
                    pre.pop("in_model", None)
                    data["preprocess"] = pre
                data["labels"] = list(info.labels)
                write_sidecar(self._model_path, data)
            loaded = ModelLoaded(generation=gen, info=info, load_s=self._loaded.load_s if self._loaded else 0.0,
                                 warm=self._loaded.warm if self._loaded else False,
                                 ms_per_image=self._loaded.ms_per_image if self._loaded else None)
            self._loaded = loaded
            self.profile_applied.emit(loaded)
            self._status("Profile saved to the sidecar." if save else "Profile applied.")
        except Exception as e:  # noqa: BLE001
            message, details = _error_parts(e)
            self.error_occurred.emit(WorkerError(message, details, "profile"))

    # -- versions and benchmark
    @Slot()
    def report_versions(self) -> None:
        """Versions for the About dialog, without importing TensorFlow if it is not loaded yet."""
        import importlib.metadata

        import livepredict

        def dist(*names: str) -> str:
            for n in names:
                with contextlib.suppress(importlib.metadata.PackageNotFoundError):
                    return importlib.metadata.version(n)
            return "not installed"

        tf = sys.modules.get("tensorflow")
        keras = sys.modules.get("keras")
        items = [
            ("Live Predict", livepredict.__version__),
            ("TensorFlow", getattr(tf, "__version__", None) or dist("tensorflow-cpu", "tensorflow")),
            ("Keras", getattr(keras, "__version__", None) or dist("keras")),
            ("LiteRT", dist("ai-edge-litert")),
            ("NumPy", np.__version__),
            ("Python", sys.version.split()[0]),
            ("Runtime", self._model.info.runtime if self._model is not None else "no model open"),
        ]
        self.versions_reported.emit(Versions(tuple(items)))

    @Slot(int, float, bool)
    def run_benchmark(self, generation: int, seconds: float, trust: bool) -> None:
        path = self._model_path
        if not path or generation != self._generation:
            self.bench_finished.emit(BenchResult(generation, path, error="Open a model before benchmarking it."))
            return
        self.busy_changed.emit(True)
        self._status("Benchmarking…")
        try:
            from livepredict.inference.benchmark import run_bench

            with self._engine_call("run_bench"):
                result = run_bench(path, seconds=seconds, trust=trust, status=self._status)
            self.bench_finished.emit(BenchResult(generation, path, result=dict(result)))
            self._status(self._loaded.ready_text if self._loaded else "Benchmark done.")
        except Exception as e:  # noqa: BLE001
            message, details = _error_parts(e)
            self.bench_finished.emit(BenchResult(generation, path, error=message, details=details))
            self._status(message)
        finally:
            self.busy_changed.emit(False)

    # ---- live (owned by live pipeline)
    # The capture thread overwrites a core.latest.Latest mailbox and emits a payload-free
    # frame_available, queued into take_live_frame below: the worker takes the NEWEST frame when it
    # is free; frames that arrived meanwhile were overwritten (dropped and counted by the mailbox).
    _live_mailbox: Any = None
    _live_top_k = 5
    _live_last_error = ""
    live_taken = 0  # frames taken from the mailbox
    live_skipped = 0  # taken while no image model was open
    live_errors = 0
    _live_gate_init = threading.Lock()

    @property
    def live_gate(self) -> threading.Lock:
        """Held while a live frame is taken and inferred. A test or bench may hold it to pause live
        inference deterministically (push frames, release, only the newest is inferred)."""
        gate = self.__dict__.get("_live_gate")
        if gate is None:
            with InferenceWorker._live_gate_init:
                gate = self.__dict__.setdefault("_live_gate", threading.Lock())
        return gate

    @Slot(object, int)
    def set_live_mailbox(self, mailbox: Any, top_k: int) -> None:
        """Take live frames from ``mailbox`` (None: stop live inference)."""
        self._live_mailbox = mailbox
        self._live_top_k = max(1, int(top_k))
        self._live_last_error = ""

    @Slot()
    def flush_live(self) -> None:
        self.live_flushed.emit()

    @Slot()
    def take_live_frame(self) -> None:
        """Payload-free: infer the newest frame waiting in the live mailbox, if any.

        While newer frames keep arriving it goes on taking the newest one, for up to
        ``LIVE_BUDGET_S``, before returning to the event loop (other requests, a model switch, a
        batch chunk get their turn then): this saves an event round trip per frame.
        """
        mailbox = self._live_mailbox
        if mailbox is None or self._stop.is_set():
            return
        deadline = time.monotonic() + self.LIVE_BUDGET_S
        while True:
            with self.live_gate:
                frame = mailbox.take()
                if frame is None:
                    return  # an older wake-up: the newest frame was already taken
                self.live_taken += 1
                self._infer_live(frame)
            if self._stop.is_set() or time.monotonic() > deadline or mailbox is not self._live_mailbox:
                return

    LIVE_BUDGET_S = 0.05

    def _infer_live(self, frame: Any) -> None:
        model, gen = self._active()
        if model is None:
            self.live_skipped += 1
            return
        try:
            t0 = time.monotonic()
            with self._engine_call("live preprocess"):
                x = model.preprocess(frame.image)
            t1 = time.monotonic()
            with self._engine_call("live infer"):
                out = model.infer_all(x[None])
            t2 = time.monotonic()
            result = decode_outputs(model, [o[0] for o in out], self._live_top_k)
            t3 = time.monotonic()
        except Exception as e:  # noqa: BLE001 - a slot never lets an exception escape
            self.live_errors += 1
            message, details = _error_parts(e)
            if message != self._live_last_error:
                self._live_last_error = message
                log.warning("live inference failed: %s %s", message, details)
                self.live_failed.emit(message)
            return
        self._live_last_error = ""
        self.live_prediction_ready.emit(Prediction(
            top=result.top, scores=result.scores, result=result, preprocess_ms=(t1 - t0) * 1000.0,
            infer_ms=(t2 - t1) * 1000.0, frame_index=frame.index, capture_ts=frame.capture_ts,
            infer_start_ts=t0, infer_end_ts=t3, source=frame.source), gen)

    # ---- generation
    # The generator lives here, in the inference thread (it owns a LiteRT interpreter). A run is made
    # of slices scheduled through this thread's event loop: each slice makes tokens for at most one
    # display tick and emits them as one chunk, so other requests and Stop are handled between
    # slices; ``stop_generation`` (thread-safe, sets an int) is checked before every token.
    _gen_obj: Any = None
    _gen_generation = -1
    _gen_stop_upto = 0  # runs with id <= this are stopped (set from any thread)
    _gen_run: Any = None
    GEN_SLICE_S = 0.03

    def stop_generation(self, upto_run: int) -> None:
        """Stop every run with id <= ``upto_run`` within one step (thread-safe: sets an int)."""
        self._gen_stop_upto = max(self._gen_stop_upto, int(upto_run))

    def _gen_close(self) -> None:
        gen, self._gen_obj = self._gen_obj, None
        self._gen_run = None
        if gen is not None:
            with contextlib.suppress(Exception):
                gen.close()

    @Slot(int, str)
    def prepare_generator(self, generation: int, vocab_path: str) -> None:
        """Build the step generator (text) or forecaster for the open model of ``generation``."""
        model, gen_no = self._active()
        if model is None or gen_no != generation:
            self.generator_failed.emit(GeneratorFailed(generation, "Open a text or sequence model first (File → "
                                                                   "Open Model…)."))
            return
        self._gen_close()
        self.busy_changed.emit(True)
        t0 = time.perf_counter()
        try:
            from livepredict.inference.generation import TextGenerator, open_generator

            self._status("Building the step-by-step generator…")
            with self._engine_call("open_generator"):
                gen = open_generator(self._model_path, trust=bool(model.info.extras.get("trusted")),
                                     status=self._status, keras_model=getattr(model, "keras_model", None),
                                     vocab=vocab_path or None)
            self._gen_obj, self._gen_generation = gen, generation
            info = gen.describe()
            ready = GeneratorReady(generation, gen.kind, info,
                                   tuple(gen.vocab.tokens) if isinstance(gen, TextGenerator) else (),
                                   int(getattr(gen, "window", 0) or 0), time.perf_counter() - t0)
            self.generator_ready.emit(ready)
            self._status(f"Generator ready: {gen.runtime}")
        except Exception as e:  # noqa: BLE001 - a slot never lets an exception escape
            from livepredict.core.errors import SidecarError

            message, details = _error_parts(e)
            needs = isinstance(e, SidecarError) and "vocabulary" in message
            self.generator_failed.emit(GeneratorFailed(generation, message, details, needs))
            self._status(message)
        finally:
            self.busy_changed.emit(False)

    def _gen_ok(self, kind: str) -> Any:
        gen = self._gen_obj
        if gen is None or gen.kind != kind or self._gen_generation != self._generation:
            return None
        return gen

    @Slot()
    def reset_generator(self) -> None:
        gen = self._gen_obj
        if gen is not None:
            with self._engine_call("reset generator"):
                gen.reset()

    @Slot(int, str, int, float, int, float, object, float)
    def start_text(self, run_id: int, seed_text: str, length: int, temperature: float, top_k: int,
                   top_p: float, seed: Any, rate: float) -> None:
        """Generate ``length`` tokens (0: until stopped) at most ``rate`` tokens/s (0: as fast as possible),
        continuing from the current state; a fresh state is primed with ``seed_text`` first."""
        from livepredict.core.sampling import Sampler, SamplingSettings

        gen = self._gen_ok("text")
        if gen is None:
            self.text_chunk.emit(TextChunk(run_id, "", 0, 0, 0.0, None, (), (), True,
                                           "Open a text model and wait for the generator to be ready."))
            return
        try:
            sampler = Sampler(SamplingSettings(temperature, top_k, top_p), seed)
            t0 = time.perf_counter()
            with self._engine_call("prime"):
                if gen.probs is None:
                    gen.prime(seed_text)
        except Exception as e:  # noqa: BLE001
            self.text_chunk.emit(TextChunk(run_id, "", 0, 0, 0.0, None, (), (), True, _error_parts(e)[0]))
            return
        self._gen_run = {"id": run_id, "kind": "text", "sampler": sampler, "left": int(length) or -1,
                         "rate": float(rate), "t0": t0, "total": 0, "first_ms": None, "budget": 0.0,
                         "last": time.perf_counter()}
        self._gen_slice(run_id)

    def _gen_stopped(self, run_id: int) -> bool:
        return run_id <= self._gen_stop_upto or self._stop.is_set()

    @Slot(int)
    def _gen_slice(self, run_id: int) -> None:
        run = self._gen_run
        if run is None or run["id"] != run_id:
            return
        if run["kind"] == "forecast":
            self._forecast_slice(run)
            return
        gen = self._gen_ok("text")
        reason = ""
        parts: list[str] = []
        now = time.perf_counter()
        if run["rate"] > 0:  # paced: tokens owed since the last slice
            run["budget"] = min(run["budget"] + (now - run["last"]) * run["rate"], run["rate"] * 0.25 + 1)
        run["last"] = now
        try:
            if gen is None:
                raise RuntimeError("the model changed")
            end = now + self.GEN_SLICE_S
            n = 0
            with self._engine_call("generate"):
                while True:
                    if self._gen_stopped(run_id):
                        reason = "stopped"
                        break
                    if run["left"] == 0:
                        reason = "done"
                        break
                    if run["rate"] > 0 and run["budget"] < 1:
                        break
                    tok = next(gen.stream(1, run["sampler"]))
                    parts.append(tok.text)
                    n += 1
                    run["total"] += 1
                    if run["left"] > 0:
                        run["left"] -= 1
                    if run["rate"] > 0:
                        run["budget"] -= 1
                    if run["first_ms"] is None:
                        run["first_ms"] = (time.perf_counter() - run["t0"]) * 1000.0
                    if (n & 63) == 0 and time.perf_counter() >= end:
                        break
        except Exception as e:  # noqa: BLE001
            reason = _error_parts(e)[0] if not isinstance(e, RuntimeError) else \
                "The model changed; start the generation again."
        from livepredict.core.sampling import top_n

        labels: tuple[str, ...] = ()
        probs: tuple[float, ...] = ()
        if gen is not None and gen.probs is not None:
            ids, vals = top_n(gen.probs, 10)
            labels = tuple(gen.vocab.tokens[i] for i in ids)
            probs = tuple(float(v) for v in vals)
        elapsed = time.perf_counter() - run["t0"]
        self.text_chunk.emit(TextChunk(run_id, "".join(parts), len(parts), run["total"],
                                       run["total"] / elapsed if elapsed > 0 else 0.0, run["first_ms"], labels,
                                       probs, bool(reason), reason))
        if reason:
            self._gen_run = None
            return
        from PySide6.QtCore import QTimer

        delay = 0 if run["rate"] <= 0 else 16
        QTimer.singleShot(delay, self, lambda: self._gen_slice(run_id))

    @Slot(int, object, int, int, float)
    def start_forecast(self, run_id: int, series: Any, start_index: int, horizon: int, rate: float) -> None:
        """Step through ``series`` from ``start_index`` at ``rate`` steps/s, forecasting ``horizon``
        values at each step (0 steps/s: one step only, e.g. to show a forecast while paused)."""
        gen = self._gen_ok("forecast")
        values = np.asarray(series, np.float32).ravel()
        if gen is None:
            self.forecast_step.emit(ForecastStep(run_id, start_index, np.zeros(0, np.float32), float("nan"), None,
                                                 None, 0.0, True, "Open a forecaster and wait for it to be ready."))
            return
        start = max(int(start_index), gen.min_history())
        self._gen_run = {"id": run_id, "kind": "forecast", "series": values, "index": start,
                         "horizon": max(1, int(horizon)), "rate": float(rate), "t0": time.perf_counter(),
                         "steps": 0, "err": [], "naive": []}
        self._gen_slice(run_id)

    def _forecast_slice(self, run: dict[str, Any]) -> None:
        run_id = run["id"]
        gen = self._gen_ok("forecast")
        values = run["series"]
        i = run["index"]
        reason = ""
        fc = np.zeros(0, np.float32)
        try:
            if gen is None:
                raise RuntimeError
            if self._gen_stopped(run_id):
                reason = "stopped"
            else:
                with self._engine_call("forecast"):
                    fc = np.asarray(gen.forecast(values[:i], run["horizon"]), np.float32).ravel().copy()
                if i < len(values):
                    run["err"].append(abs(float(fc[0]) - float(values[i])))
                    run["naive"].append(abs(float(values[i - 1]) - float(values[i])))
                run["steps"] += 1
        except RuntimeError:
            reason = "The model changed; start the forecast again."
        except Exception as e:  # noqa: BLE001
            reason = _error_parts(e)[0]
        elapsed = time.perf_counter() - run["t0"]
        if not reason and (run["rate"] <= 0 or i >= len(values)):
            reason = "done" if i >= len(values) else "paused"
        self.forecast_step.emit(ForecastStep(
            run_id, i, fc, float(fc[0]) if fc.size else float("nan"),
            float(np.mean(run["err"])) if run["err"] else None,
            float(np.mean(run["naive"])) if run["naive"] else None,
            run["steps"] / elapsed if elapsed > 0 else 0.0, bool(reason), reason))
        if reason:
            self._gen_run = None
            return
        run["index"] = i + 1
        from PySide6.QtCore import QTimer

        QTimer.singleShot(max(0, int(1000.0 / run["rate"])), self, lambda: self._gen_slice(run_id))

    # ---- feed (owned by feed): classify requests from WebSocket clients (threads/feed_bridge.py)
    @Slot(object)
    def classify_feed_job(self, job: Any) -> None:
        """Classify ``job.image`` (RGB uint8, decoded by the feed) with the open model, here on the
        inference thread; ``job.resolve``/``job.fail`` are thread-safe (feed.server.ClassifyJob)."""
        try:
            model, _gen = self._active()
            if model is None or self._stop.is_set():
                job.fail("No model is open in the app; open an image model and try again.")
                return
            with self._engine_call("feed classify"):
                pred = predict_images(model, [job.image], top_k=job.top_k)[0]
        except Exception as e:  # noqa: BLE001 - a slot never lets an exception escape
            job.fail(_error_parts(e)[0])
            return
        job.resolve(pred)

    # -- shutdown
    @Slot()
    def shutdown(self) -> None:
        """Stop: drop pending jobs, close the model. Runs in the worker thread."""
        self._stop.set()
        for job in list(self._jobs):
            self._finish(job, cancelled=True)
        self.close_model()
        self.stopped.emit()


class _Counter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._n = 0

    def next(self) -> int:
        with self._lock:
            self._n += 1
            return self._n

    def peek(self) -> int:
        with self._lock:
            return self._n


_JOB_IDS = _Counter()


# ------------------------------------------------------------------ the controller (GUI thread)

class _PythonThread(QThread):
    """A QThread whose event loop runs inside a Python ``run()``.

    Why: with the default ``run()`` the thread has no Python thread state between slot calls, so
    PySide creates and destroys one around every slot. pybind11 extensions (LiteRT, TensorFlow) cache
    the thread state they first saw; the next slot then uses a freed one. Measured here: one slot
    importing ``ai_edge_litert`` and a later slot importing TensorFlow segfaulted every time (a warm
    start followed by a benchmark, or a .tflite model followed by a .keras one). Running ``exec()``
    from Python keeps one thread state for the thread's whole life.
    """

    def run(self) -> None:
        self.exec()


# The result signals the controller re-emits: the generation ones are wired only when a panel needs
# them (attach_generation), all the others from the start.
_GENERATION_RESULTS = ("generator_ready", "generator_failed", "text_chunk", "forecast_step")
_FORWARDED = tuple(name for name, value in vars(WorkerResults).items()
                   if isinstance(value, Signal) and name not in _GENERATION_RESULTS)


class InferenceController(WorkerResults):
    """Owns the worker's QThread; lives in the GUI thread. Requests go out as queued signals.

    Signals (requests, connected to the worker's slots):
        load_requested(str, bool, int), classify_requested(int, int, object, int),
        preview_requested(int, str), profile_requested(int, object, object, bool),
        versions_requested(), bench_requested(int, float, bool), shutdown_requested().

    Signals (results): those of :class:`WorkerResults`, re-emitted in the GUI thread with the
        worker's payloads. Widgets connect to these (GUI-thread signals), never to the worker's.

    ``generation`` is the generation of the newest load request; ``active_generation`` that of the
    model that is actually open (results of any other generation must not be shown).
    """

    load_requested = Signal(str, bool, int)
    classify_requested = Signal(int, int, object, int)
    preview_requested = Signal(int, str)
    profile_requested = Signal(int, object, object, bool)
    versions_requested = Signal()
    bench_requested = Signal(int, float, bool)
    shutdown_requested = Signal()

    # ---- live (owned by live pipeline): request signals go here
    live_mailbox_requested = Signal(object, int)  # (core.latest.Latest | None, top_k)
    live_flush_requested = Signal()

    def attach_live(self, mailbox: Any, top_k: int = 5) -> InferenceWorker:
        """Point live inference at ``mailbox`` (None detaches); returns the worker, whose
        ``take_live_frame`` slot a capture's ``frame_available`` connects to."""
        if not getattr(self, "_live_wired", False):
            self._live_wired = True
            self.live_mailbox_requested.connect(self.worker.set_live_mailbox)
            self.live_flush_requested.connect(self.worker.flush_live)
        self.start()
        self.live_mailbox_requested.emit(mailbox, int(top_k))
        return self.worker

    # ---- generation: request signals go here
    generator_prepare_requested = Signal(int, str)
    generator_reset_requested = Signal()
    text_start_requested = Signal(int, str, int, float, int, float, object, float)
    forecast_start_requested = Signal(int, object, int, int, float)

    def attach_generation(self) -> None:
        """Wire the generation requests and results (once); panels call this before using them."""
        if getattr(self, "_gen_wired", False):
            return
        self._gen_wired = True
        self._gen_runs = 0
        w = self.worker
        self.generator_prepare_requested.connect(w.prepare_generator)
        self.generator_reset_requested.connect(w.reset_generator)
        self.text_start_requested.connect(w.start_text)
        self.forecast_start_requested.connect(w.start_forecast)
        for name in _GENERATION_RESULTS:
            getattr(w, name).connect(getattr(self, name))

    def prepare_generator(self, vocab_path: str = "") -> None:
        self.attach_generation()
        self.generator_prepare_requested.emit(self.active_generation, str(vocab_path or ""))

    def _next_run(self) -> int:
        self.attach_generation()
        self.stop_generation()
        self._gen_runs += 1
        return self._gen_runs

    def start_text(self, seed_text: str, length: int, temperature: float, top_k: int, top_p: float,
                   seed: int | None = None, rate: float = 0.0) -> int:
        """Start (or continue) generating text; returns the run id carried by its chunks."""
        run = self._next_run()
        self.text_start_requested.emit(run, seed_text, int(length), float(temperature), int(top_k), float(top_p),
                                       seed, float(rate))
        return run

    def start_forecast(self, series: Any, start_index: int, horizon: int, rate: float) -> int:
        run = self._next_run()
        self.forecast_start_requested.emit(run, series, int(start_index), int(horizon), float(rate))
        return run

    def stop_generation(self) -> None:
        """Stop the running generation within one step (sets a flag the worker checks per token)."""
        self.worker.stop_generation(getattr(self, "_gen_runs", 0))

    def reset_generator(self) -> None:
        self.attach_generation()
        self.stop_generation()
        self.generator_reset_requested.emit()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loads = 0
        self.generation = 0
        self.active_generation = -1
        self.model_path = ""
        self.trusted = False
        self.thread = _PythonThread()
        self.thread.setObjectName("inference")
        self.worker = InferenceWorker()
        self.worker.moveToThread(self.thread)
        self.thread.finished.connect(self.worker.deleteLater)
        self.load_requested.connect(self.worker.load_model)
        self.classify_requested.connect(self.worker.classify_paths)
        self.preview_requested.connect(self.worker.preview_tensor)
        self.profile_requested.connect(self.worker.apply_profile)
        self.versions_requested.connect(self.worker.report_versions)
        self.bench_requested.connect(self.worker.run_benchmark)
        self.shutdown_requested.connect(self.worker.shutdown)
        self.worker.stopped.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)  # quit is thread-safe
        self.worker.model_loaded.connect(self._on_model_loaded)
        self.worker.load_failed.connect(self._on_load_failed)
        for name in _FORWARDED:  # worker signal -> controller signal: queued into the GUI thread
            getattr(self.worker, name).connect(getattr(self, name))
        self._started = False
        self._shut = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self.thread.start()

    # -- requests
    def open_model(self, path: str | Path, trust: bool = False) -> int:
        """Ask for ``path`` to be opened; returns its generation. Older jobs are cancelled now."""
        self.start()
        self._loads += 1
        self.generation = self._loads
        self.model_path = str(path)
        self.trusted = trust
        self.worker.cancel()  # jobs submitted so far belong to the old model
        self.worker.note_load_request(self.generation)
        self.load_requested.emit(str(path), bool(trust), self.generation)
        return self.generation

    def classify(self, items: Sequence[Any], top_k: int = 5) -> int:
        """Classify paths (files/folders) and NamedImages with the newest model; returns a job id."""
        self.start()
        job_id = _JOB_IDS.next()
        self.classify_requested.emit(job_id, self.generation, list(items), int(top_k))
        return job_id

    def cancel(self, job_id: int | None = None) -> None:
        if job_id is None:
            self.worker.cancel()
        else:
            self.worker.cancel_job(job_id)

    def preview(self, key: str) -> None:
        self.preview_requested.emit(self.active_generation, key)

    def apply_profile(self, spec: PreprocessSpec | None, labels: Sequence[str] | None, save: bool) -> None:
        self.profile_requested.emit(self.active_generation, spec, tuple(labels) if labels is not None else None,
                                    bool(save))

    def request_versions(self) -> None:
        self.start()
        self.versions_requested.emit()

    def benchmark(self, seconds: float = 2.0) -> None:
        self.bench_requested.emit(self.active_generation, float(seconds), self.trusted)

    def is_current(self, generation: int) -> bool:
        return generation == self.active_generation == self.generation

    @Slot(object)
    def _on_model_loaded(self, loaded: ModelLoaded) -> None:
        # Connected before the forwarding, so panels see the new active generation.
        self.active_generation = loaded.generation

    @Slot(object)
    def _on_load_failed(self, failed: LoadFailed) -> None:
        if failed.generation == self.generation:
            # Keep requests going to the model that is still open (if any).
            self.active_generation = failed.active_generation
            if failed.active_generation >= 0:
                self.generation = failed.active_generation

    # -- shutdown
    def shutdown(self, timeout_ms: int = 1500) -> bool:
        """Ask the worker to stop, quit the thread, wait up to ``timeout_ms``. True if it stopped.

        If the worker is stuck in a long engine call (e.g. importing TensorFlow), this returns False
        and the thread keeps running; the app then exits the process without destroying it.
        """
        if self._shut:
            return not self.thread.isRunning()
        self._shut = True
        if not self._started:
            self.worker.deleteLater()
            return True
        self.worker.request_stop()
        self.shutdown_requested.emit()  # the worker closes its model, then quits the thread
        ok = self.thread.wait(timeout_ms)
        if not ok:
            log.warning("the inference thread is still busy after %d ms", timeout_ms)
        return bool(ok)
