"""The GUI-thread side of the engine: ``InferenceController`` owns the inference QThread.

Requests go out as queued signals into the worker's slots; results come back as the worker's
signals re-emitted under the same names in the GUI thread. Every request names a model slot
(``MAIN`` by default); the controller counts model loads (``load_id``) so that results of a model
that was replaced can be told apart.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from livepredict.core.types import PreprocessSpec
from livepredict.threads.engine.payloads import MAIN, LoadFailed, ModelLoaded
from livepredict.threads.engine.worker import InferenceWorker, WorkerResults

log = logging.getLogger(__name__)


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


class _SlotState:
    """What the controller knows of one slot: the newest load request and the model that is open."""

    def __init__(self) -> None:
        self.load_id = 0  # newest load request (0: none yet)
        self.active_load_id = -1  # the model actually open (-1: none)
        self.path = ""
        self.trusted = False


class InferenceController(WorkerResults):
    """Owns the worker's QThread; lives in the GUI thread. Requests go out as queued signals.

    Signals (requests, connected to the worker's slots; the last argument is the slot):
        load_requested(str, bool, int, str, object), classify_requested(int, int, object, int, str),
        texts_requested(int, int, object, int, str),
        preview_requested(int, str, str), profile_requested(int, object, object, bool, str),
        versions_requested(), bench_requested(int, float, bool, str), close_requested(str),
        evaluate_requested(int, str, object, int), export_requested(int, str, str, str, int, str),
        int8_requested(int, str, str), int8_use_requested(int, bool, str),
        shutdown_requested().

    Signals (results): those of :class:`WorkerResults`, re-emitted in the GUI thread with the
        worker's payloads. Widgets connect to these (GUI-thread signals), never to the worker's.

    ``load_id`` is the load id of the newest load request into the main slot; ``active_load_id``
    that of the model actually open there (results of any other load id must not be shown);
    ``load_id_of(slot)`` / ``active_load_id_of(slot)`` for any slot.
    """

    load_requested = Signal(str, bool, int, str, object)
    classify_requested = Signal(int, int, object, int, str)
    texts_requested = Signal(int, int, object, int, str)
    preview_requested = Signal(int, str, str)
    profile_requested = Signal(int, object, object, bool, str)
    versions_requested = Signal()
    bench_requested = Signal(int, float, bool, str)
    export_requested = Signal(int, str, str, str, int, str)
    close_requested = Signal(str)
    shutdown_requested = Signal()
    live_mailbox_requested = Signal(object, int, str)  # (core.latest.Latest | None, top_k, slot)
    live_flush_requested = Signal()
    generator_prepare_requested = Signal(int, str, str)
    generator_reset_requested = Signal()
    text_start_requested = Signal(int, str, int, float, int, float, object, float)
    forecast_start_requested = Signal(int, object, int, int, float)
    evaluate_requested = Signal(int, str, object, int)  # (job id, folder or CSV, slots, top_k)
    explain_requested = Signal(int, int, object, object, str)
    live_explain_requested = Signal(object, str)
    int8_requested = Signal(int, str, str)  # (load id, "recent" or a folder, slot)
    int8_use_requested = Signal(int, bool, str)

    MAIN_SLOT = MAIN

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loads = 0
        self._slots: dict[str, _SlotState] = {MAIN: _SlotState()}
        self._gen_runs = 0
        self._gen_wired = False
        self._started = False
        self._shut = False
        self.thread = _PythonThread()
        self.thread.setObjectName("inference")
        self.worker = InferenceWorker()
        self.worker.moveToThread(self.thread)
        self.thread.finished.connect(self.worker.deleteLater)
        w = self.worker
        requests = ((self.load_requested, w.load_model), (self.classify_requested, w.classify_paths),
                    (self.texts_requested, w.classify_texts),
                    (self.preview_requested, w.preview_tensor), (self.profile_requested, w.apply_profile),
                    (self.versions_requested, w.report_versions), (self.bench_requested, w.run_benchmark),
                    (self.close_requested, w.close_slot), (self.shutdown_requested, w.shutdown),
                    (self.live_mailbox_requested, w.set_live_mailbox), (self.live_flush_requested, w.flush_live),
                    (self.evaluate_requested, w.evaluate), (self.export_requested, w.export_for_serving),
                    (self.explain_requested, w.explain_items), (self.live_explain_requested, w.set_live_explain),
                    (self.int8_requested, w.try_int8), (self.int8_use_requested, w.use_int8))
        for signal, slot in requests:
            signal.connect(slot)
        w.stopped.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)  # quit is thread-safe
        w.model_loaded.connect(self._on_model_loaded)
        w.load_failed.connect(self._on_load_failed)
        for name in _FORWARDED:  # worker signal -> controller signal: queued into the GUI thread
            getattr(w, name).connect(getattr(self, name))

    def start(self) -> None:
        if not self._started:
            self._started = True
            self.thread.start()

    # -- slots and load ids
    def _slot(self, slot: str) -> _SlotState:
        return self._slots.setdefault(slot, _SlotState())

    def load_id_of(self, slot: str = MAIN) -> int:
        return self._slot(slot).load_id

    def active_load_id_of(self, slot: str = MAIN) -> int:
        return self._slot(slot).active_load_id

    @property
    def load_id(self) -> int:
        return self._slots[MAIN].load_id

    @property
    def active_load_id(self) -> int:
        return self._slots[MAIN].active_load_id

    @property
    def model_path(self) -> str:
        return self._slots[MAIN].path

    @property
    def trusted(self) -> bool:
        return self._slots[MAIN].trusted

    def is_current(self, load_id: int, slot: str = MAIN) -> bool:
        s = self._slot(slot)
        return load_id == s.active_load_id == s.load_id

    # -- requests
    def open_model(self, path: str | Path, trust: bool = False, slot: str = MAIN, output: int | str | None = None) -> int:
        """Ask for ``path`` to be opened in ``slot``; returns its load id. That slot's jobs are cancelled now.

        ``output``: which output of a multi-output model to show (index or name; None: the sidecar's
        choice, else the first)."""
        self.start()
        self._loads += 1
        s = self._slot(slot)
        s.load_id, s.path, s.trusted = self._loads, str(path), bool(trust)
        self.worker.cancel_slot(slot)  # jobs submitted so far belong to the old model
        self.worker.note_load_request(s.load_id, slot)
        self.load_requested.emit(str(path), bool(trust), s.load_id, slot, output)
        return s.load_id

    def close_model(self, slot: str) -> None:
        """Close ``slot``'s model (its jobs are cancelled; the slot is free for another model)."""
        s = self._slot(slot)
        self._loads += 1
        s.load_id, s.active_load_id, s.path, s.trusted = self._loads, -1, "", False
        self.worker.cancel_slot(slot)
        self.worker.note_load_request(s.load_id, slot)  # a load still queued for this slot is skipped
        self.close_requested.emit(slot)

    def classify(self, items: Sequence[Any], top_k: int = 5, slot: str = MAIN) -> int:
        """Classify paths (files/folders) and NamedImages with ``slot``'s newest model; returns a job id."""
        self.start()
        job_id = self.worker.jobs.next_id()
        self.classify_requested.emit(job_id, self._slot(slot).load_id, list(items), int(top_k), slot)
        return job_id

    def classify_texts(self, texts: Sequence[str], top_k: int = 5, slot: str = MAIN) -> int:
        """Classify ``texts`` with ``slot``'s text classifier; the answer is one ``texts_classified``."""
        self.start()
        job_id = self.worker.jobs.next_id()
        self.texts_requested.emit(job_id, self._slot(slot).load_id, [str(t) for t in texts], int(top_k), slot)
        return job_id

    def evaluate(self, source: str | Path, slots: Sequence[str] = (MAIN,), top_k: int = 3) -> int:
        """Evaluate the models open in ``slots`` on a labelled folder or CSV; returns the job id (its
        ``evaluation_progress`` and final ``evaluation_finished`` carry it; ``cancel(job_id)`` stops it)."""
        self.start()
        job_id = self.worker.jobs.next_id()
        self.evaluate_requested.emit(job_id, str(source), tuple(slots), int(top_k))
        return job_id

    def explain(self, items: Sequence[Any], request: Any = None, slot: str = MAIN) -> int:
        """Heatmaps of paths and NamedImages by ``slot``'s newest model (``request``: an
        ``ExplainRequest``, default top-1 class, automatic method); returns a job id."""
        from livepredict.threads.engine.explain import ExplainRequest

        self.start()
        job_id = self.worker.jobs.next_id()
        self.explain_requested.emit(job_id, self._slot(slot).load_id, list(items), request or ExplainRequest(), slot)
        return job_id

    def explain_live(self, request: Any = None, slot: str = MAIN) -> None:
        """Explain ``slot``'s live frames now and then (``live_explained``); None stops it."""
        self.start()
        self.live_explain_requested.emit(request, slot)

    def cancel(self, job_id: int | None = None) -> None:
        """Cancel every job (or every job up to ``job_id``); thread-safe flags, effective between steps."""
        if job_id is None:
            self.worker.cancel()
        else:
            self.worker.cancel_job(job_id)

    def preview(self, key: str, slot: str = MAIN) -> None:
        self.preview_requested.emit(self._slot(slot).active_load_id, key, slot)

    def apply_profile(self, spec: PreprocessSpec | None, labels: Sequence[str] | None, save: bool,
                      slot: str = MAIN) -> None:
        self.profile_requested.emit(self._slot(slot).active_load_id, spec,
                                    tuple(labels) if labels is not None else None, bool(save), slot)

    def request_versions(self) -> None:
        self.start()
        self.versions_requested.emit()

    def benchmark(self, seconds: float = 2.0, slot: str = MAIN) -> None:
        s = self._slot(slot)
        self.bench_requested.emit(s.active_load_id, float(seconds), s.trusted, slot)

    def export_for_serving(self, out_dir: str, name: str = "", version: str = "1", top_k: int = 5,
                           slot: str = MAIN) -> None:
        """Export ``slot``'s open model to ``out_dir/name/version`` on the inference thread; the answer is
        one ``export_finished`` (after ``export_progress`` lines)."""
        self.export_requested.emit(self._slot(slot).active_load_id, str(out_dir), str(name), str(version),
                                   int(top_k), slot)

    # ---- live (the live pipeline)
    def try_int8(self, source: str = "recent", slot: str = MAIN) -> None:
        """Quantise the open model to int8 and check it (``int8_ready`` tells); ``source``: "recent"
        (the pictures classified with it) or a folder of pictures to calibrate on."""
        self.int8_requested.emit(self._slot(slot).active_load_id, str(source), slot)

    def use_int8(self, on: bool, slot: str = MAIN) -> None:
        """Run the open model on its Fast (int8) runtime, or back on float (``runtime_switched`` tells)."""
        self.int8_use_requested.emit(self._slot(slot).active_load_id, bool(on), slot)

    def attach_live(self, mailbox: Any, top_k: int = 5, slot: str = MAIN) -> InferenceWorker:
        """Point ``slot``'s live inference at ``mailbox`` (None detaches); returns the worker, whose
        ``take_live_frame`` slot a capture's ``frame_available`` connects to."""
        self.start()
        self.live_mailbox_requested.emit(mailbox, int(top_k), slot)
        return self.worker

    # ---- text and forecast generation
    def attach_generation(self) -> None:
        """Wire the generation requests and results (once); panels call this before using them."""
        if self._gen_wired:
            return
        self._gen_wired = True
        w = self.worker
        self.generator_prepare_requested.connect(w.prepare_generator)
        self.generator_reset_requested.connect(w.reset_generator)
        self.text_start_requested.connect(w.start_text)
        self.forecast_start_requested.connect(w.start_forecast)
        for name in _GENERATION_RESULTS:
            getattr(w, name).connect(getattr(self, name))

    def prepare_generator(self, vocab_path: str = "", slot: str = MAIN) -> None:
        self.attach_generation()
        self.generator_prepare_requested.emit(self._slot(slot).active_load_id, str(vocab_path or ""), slot)

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
        self.worker.stop_generation(self._gen_runs)

    def reset_generator(self) -> None:
        self.attach_generation()
        self.stop_generation()
        self.generator_reset_requested.emit()

    @Slot(object)
    def _on_model_loaded(self, loaded: ModelLoaded) -> None:
        # Connected before the forwarding, so panels see the new active load id.
        self._slot(loaded.slot).active_load_id = loaded.load_id

    @Slot(object)
    def _on_load_failed(self, failed: LoadFailed) -> None:
        s = self._slot(failed.slot)
        if failed.load_id == s.load_id:
            # Keep requests going to the model that is still open in that slot (if any).
            s.active_load_id = failed.active_load_id
            if failed.active_load_id >= 0:
                s.load_id = failed.active_load_id

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
        self.shutdown_requested.emit()  # the worker closes its models, then quits the thread
        ok = self.thread.wait(timeout_ms)
        if not ok:
            log.warning("the inference thread is still busy after %d ms", timeout_ms)
        return bool(ok)
