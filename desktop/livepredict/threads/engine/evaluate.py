"""Evaluation on a labelled folder or CSV as a task on the inference thread (DESIGN §9, "Tasks").

``EvaluateTask`` reads the labelled set, then per step reads one chunk of pictures once and has the
model of every slot it was given classify the pictures whose class matches that model's labels
(``threads.engine.decode.classify_images``, the folder path of the Classify tab). Each step yields an
``EvalProgress``; the end (done, cancelled or failed) is one ``EvalFinished`` carrying every slot's
``Evaluation`` (figures computed here, not on the GUI thread) and the pairwise comparisons.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.errors import LivePredictError
from livepredict.threads.engine.batch import CHUNK, JobFlags
from livepredict.threads.engine.decode import classify_images
from livepredict.threads.engine.guard import engine_call, error_parts
from livepredict.threads.engine.runner import Task
from livepredict.threads.engine.slots import ModelSlots


@dataclass(frozen=True)
class EvalProgress:
    job_id: int
    done: int
    total: int
    elapsed_s: float
    notes: tuple[str, ...] = ()  # one sentence per model about class names left out

    @property
    def rate(self) -> float:
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True)
class EvalFinished:
    """``evaluations``: one ``inference.evaluate.result.Evaluation`` per slot (in the order asked, the
    pictures done so far if ``cancelled``); ``comparisons``: every pair's ``Comparison``; ``slots`` and
    ``load_ids`` name the models; ``message``: why it stopped early or failed ("" when done)."""

    job_id: int
    source: str
    slots: tuple[str, ...]
    load_ids: tuple[int, ...]
    evaluations: tuple[Any, ...]
    comparisons: tuple[Any, ...]
    cancelled: bool
    elapsed_s: float
    message: str = ""


class EvaluateTask(Task):
    lane = "evaluate"

    def __init__(self, job_id: int, source: str, slots: Sequence[str], top_k: int, models: ModelSlots,
                 flags: JobFlags) -> None:
        self.job_id, self.source = job_id, str(source)
        self.slots = tuple(dict.fromkeys(slots))
        self.top_k = max(1, int(top_k))
        self.models, self.flags = models, flags
        self.started = time.perf_counter()
        self.evaluators: list[Any] = []
        self.load_ids: tuple[int, ...] = ()
        self.done = 0
        self.total = 0

    def is_cancelled(self) -> bool:
        return any(self.flags.cancelled(self.job_id, s) for s in self.slots)

    def on_cancel(self) -> Sequence[Any]:
        return [self.finished(cancelled=True)]

    def on_error(self, message: str, details: str) -> Sequence[Any]:
        return [self.finished(cancelled=False, message=message)]

    def finished(self, *, cancelled: bool, message: str = "") -> EvalFinished:
        from livepredict.inference.evaluate.result import compare

        results = [e.result() for e in self.evaluators]
        for r in results:
            _ = r.figures  # computed here, on the inference thread
        comparisons = tuple(compare(a, b) for i, a in enumerate(results) for b in results[i + 1:])
        return EvalFinished(self.job_id, self.source, self.slots[: len(results)], self.load_ids, tuple(results),
                            comparisons, cancelled, time.perf_counter() - self.started, message)

    def progress(self, notes: tuple[str, ...] = ()) -> EvalProgress:
        return EvalProgress(self.job_id, self.done, self.total, time.perf_counter() - self.started, notes)

    def _open(self, items: Sequence[tuple[str, str]]) -> tuple[list[Any], tuple[str, ...]]:
        """The models of the task's slots and their evaluators (LivePredictError if one cannot evaluate)."""
        from livepredict.inference.evaluate.collect import Evaluator, model_labels

        models, notes, ids = [], [], []
        for slot in self.slots:
            s = self.models.get(slot)
            if s is None:
                raise LivePredictError("No model is open; open a classifier first (File → Open Model…).")
            name = Path(s.path).name
            ev = Evaluator(name, model_labels(s.model), items, top_k=self.top_k)
            if not ev.wanted:
                raise LivePredictError(f"None of the class folders of {Path(self.source).name} is a label of "
                                       f"{name}; name them after the model's labels ({', '.join(ev.labels[:6])}).")
            if ev.match.unmatched:
                notes.append(ev.match.sentence(name))
            models.append(s.model)
            ids.append(s.load_id)
            self.evaluators.append(ev)
        self.load_ids = tuple(ids)
        return models, tuple(notes)

    def steps(self) -> Iterator[Sequence[Any]]:
        from livepredict.sources.labelled import read_labelled

        labelled = read_labelled(self.source)
        models, notes = self._open(labelled.items)
        wanted = set().union(*(e.wanted for e in self.evaluators))
        paths = [p for p, _ in labelled.items if p in wanted]
        self.total = len(paths)
        yield [self.progress(notes)]
        size = max(1, min(64, int(getattr(models[0].runtime, "batch", CHUNK) or CHUNK)))
        while self.done < self.total:
            if any(self.models.active(s)[1] != i for s, i in zip(self.slots, self.load_ids, strict=True)):
                yield [self.finished(cancelled=True, message="A model was replaced during the evaluation; "
                                                              "evaluate again.")]
                return
            part = paths[self.done: self.done + size]
            if not self._chunk(models, part):
                yield []  # cancelled while reading: the runner sees it before the next step
                continue
            self.done += len(part)
            last = [self.finished(cancelled=False)] if self.done >= self.total else []
            yield [self.progress(), *last]

    def _chunk(self, models: list[Any], part: list[str]) -> bool:
        """Read ``part`` once and add every model's predictions; False if cancelled while reading."""
        from livepredict.sources.images import read_image

        images: dict[str, np.ndarray] = {}
        errors: dict[str, str] = {}
        for i, p in enumerate(part):
            if i and self.is_cancelled():
                return False
            try:
                images[p] = read_image(p)
            except LivePredictError as e:
                errors[p] = e.message
        for model, ev in zip(models, self.evaluators, strict=True):
            mine = [p for p in part if p in ev.wanted and p in images]
            failed: dict[str, str] = {}
            try:
                with engine_call("evaluate"):
                    preds = classify_images(model, [images[p] for p in mine], 1, mine) if mine else []
            except Exception as e:  # noqa: BLE001 - the chunk's pictures count as failed, the run goes on
                message = error_parts(e)[0]
                preds = []
                failed = {p: message for p in mine}
            by_path = dict(zip(mine, preds, strict=False))
            for p in part:
                ev.add(p, by_path.get(p), errors.get(p) or failed.get(p))
        return True
