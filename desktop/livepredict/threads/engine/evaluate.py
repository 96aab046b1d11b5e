"""Evaluation on a labelled folder or CSV as a task on the inference thread (DESIGN §9, "Tasks").

``EvaluateTask`` reads the labelled set, then per step takes one chunk of pictures, decoded once and
preprocessed for each model by a thread per core ahead of the models (``threads.prefetch``, as the
Classify tab's folders), and has the model of every slot it was given classify the pictures whose
class matches that model's labels (``predict_chunk``, shared with the ``evaluate`` command). Each step yields an
``EvalProgress``; the end (done, cancelled or failed) is one ``EvalFinished`` carrying every slot's
``Evaluation`` (figures computed here, not on the GUI thread) and the pairwise comparisons.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livepredict.core.errors import LivePredictError
from livepredict.threads.engine.batch import CHUNK, JobFlags
from livepredict.threads.engine.guard import engine_call, error_parts
from livepredict.threads.engine.runner import Task
from livepredict.threads.engine.slots import ModelSlots
from livepredict.threads.prefetch import Prefetch, Prepared, reduce_for


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


def evaluation_preparer(models: Sequence[Any]) -> Callable[[Any], Prepared]:
    """``prepare`` for a Prefetch: decode a picture once (reduced when every model allows the same
    reduction) and preprocess it for each model; ``Prepared.extra`` holds one (tensor, error,
    placement) per model, so one model refusing a picture does not fail it for the others."""
    from livepredict.inference.predict import image_placement
    from livepredict.sources.images import read_image

    reductions = {reduce_for(m) for m in models}
    reduce = reductions.pop() if len(reductions) == 1 else None

    def prepare(path: Any) -> Prepared:
        try:
            image = read_image(path, reduce_for=reduce)
        except LivePredictError as e:
            return Prepared(path, error=e.message)
        per: list[tuple[Any, str | None, Any]] = []
        for m in models:
            try:
                per.append((m.preprocess(image), None, image_placement(m, image)))
            except (ValueError, TypeError) as e:
                per.append((None, f"This image cannot be prepared for the model ({e}).", None))
        return Prepared(path, extra=per)

    return prepare


Row = Callable[[Any, str, Any, "str | None"], None]


def predict_chunk(models: Sequence[Any], evaluators: Sequence[Any], chunk: Sequence[Prepared],
                  on_row: Row | None = None) -> None:
    """Have every model classify the pictures of ``chunk`` its evaluator wants, and add the answers
    (``on_row(evaluator, path, prediction or None, error or None)`` for each, e.g. a CSV row)."""
    from livepredict.inference.predict import predict_tensors

    for k, (model, ev) in enumerate(zip(models, evaluators, strict=True)):
        mine = [x for x in chunk if x.item in ev.wanted]
        good = [x for x in mine if x.error is None and x.extra[k][1] is None]
        failed: dict[str, str] = {}
        preds: list[Any] = []
        try:
            if good:
                preds = predict_tensors(model, [x.extra[k][0] for x in good], 1, [x.item for x in good],
                                        [x.read_ms for x in good], [x.extra[k][2] for x in good])
        except Exception as e:  # noqa: BLE001 - these pictures count as failed, the run goes on
            failed = {x.item: error_parts(e)[0] for x in good}
        by_path = dict(zip((x.item for x in good), preds, strict=False))
        for x in mine:
            pred = by_path.get(x.item)
            error = x.error or x.extra[k][1] or failed.get(x.item) or (pred.error if pred is not None else None)
            ev.add(x.item, pred, error)
            if on_row is not None:
                on_row(ev, x.item, pred, error)


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
        # pictures decoded once (and preprocessed for every model) in a thread per core, ahead of the models
        size = max(1, min(64, int(getattr(models[0].runtime, "batch", CHUNK) or CHUNK)))
        with Prefetch(paths, size, evaluation_preparer(models)) as ahead:
            for chunk in ahead:
                if any(self.models.active(s)[1] != i for s, i in zip(self.slots, self.load_ids, strict=True)):
                    yield [self.finished(cancelled=True, message="A model was replaced during the evaluation; "
                                                                  "evaluate again.")]
                    return
                with engine_call("evaluate"):
                    predict_chunk(models, self.evaluators, chunk)
                self.done += len(chunk)
                last = [self.finished(cancelled=False)] if self.done >= self.total else []
                yield [self.progress(), *last]
