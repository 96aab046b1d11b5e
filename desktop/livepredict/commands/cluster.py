"""``livepredict classify MODEL FOLDER --ray [ADDRESS]``: the same run, on a Ray cluster.

The driver (this process) lists the pictures as the local run does, packs the model into bytes
(``inference.cluster.model_bundle``) and puts them in Ray's object store. A Ray Data dataset of
(index, path) rows runs ``map_batches`` with :class:`~livepredict.commands.cluster_actor.ClassifyActor`
in an actor pool: each actor opens the model once through the engine (TensorFlow is imported inside
the actor) and reads and classifies its batches of files. Results stream back in input order
(``preserve_order``) and are written as they arrive: the same CSV rows, printed lines and JSON as the
local run, with per-file errors. Ctrl+C stops the job (a local runtime is shut down, a cluster's
actors end with the driver) and the CSV keeps every whole row written so far.

ADDRESS: none (a local Ray runtime on this machine, or the one already started in this process),
``auto`` (the cluster this machine belongs to), ``HOST:6379`` or ``ray://HOST:10001`` (Ray Client).
"""

from __future__ import annotations

import argparse
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from livepredict.commands.common import finish, format_prediction, progress_bar
from livepredict.core import wire
from livepredict.core.errors import LivePredictError

INSTALL = "pip install -e '.[cluster]'"
BATCH = 16  # files per actor call (the runtimes' folder batch)


def import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401 - the extra installs both
    except ImportError:
        raise LivePredictError(f"--ray needs Ray, which is not installed; install it with {INSTALL}.") from None
    return ray


def connect(ray: Any, address: str) -> bool:
    """Start or join a Ray runtime; True when this call started it (so the run shuts it down)."""
    if ray.is_initialized():
        return False
    kw: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False,
                          "runtime_env": {"env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}}}
    if address != "local":
        kw["address"] = address
        if address.startswith("ray://"):  # the workers run this copy of Live Predict's code
            import livepredict

            kw["runtime_env"]["py_modules"] = [str(Path(livepredict.__file__).parent)]
    try:
        ray.init(**kw)
    except Exception as e:  # noqa: BLE001 - a cluster that cannot be reached is one sentence
        where = "a local Ray runtime" if address == "local" else f"the Ray cluster at {address}"
        raise LivePredictError(f"Could not start or reach {where} ({type(e).__name__}); check the address "
                               "(ray://HOST:10001, HOST:6379 or auto) and that the cluster is running.",
                               details=str(e)) from e
    return True


def _pool_size(ray: Any) -> int:
    """Actors: one per CPU of the cluster, keeping one CPU free for Ray Data's own tasks."""
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return max(1, cpus - 1)


def dataset(ray: Any, paths: list[Any], args: argparse.Namespace, models: list[str], batch: int = BATCH) -> Any:
    from livepredict.commands.cluster_actor import ClassifyActor
    from livepredict.inference.cluster import model_bundle

    for name in ("ray", "ray.data"):  # Ray's own notes would come before the app's one-line messages
        logging.getLogger(name).setLevel(logging.ERROR)
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    # in a list: the actors get the references and fetch the bytes themselves (once per actor)
    bundles = [ray.put(model_bundle(m, trust=args.trust)) for m in models]
    rows = [{"index": i, "path": str(p)} for i, p in enumerate(paths)]
    ds = ray.data.from_items(rows, override_num_blocks=max(1, (len(rows) + batch - 1) // batch))
    with warnings.catch_warnings():  # max_restarts goes through the remote args Ray is renaming
        warnings.simplefilter("ignore", DeprecationWarning)
        # no restarts: a restarted actor could not fetch its constructor arguments again (Ray warns so)
        return ds.map_batches(ClassifyActor, batch_size=batch, batch_format="numpy",
                              compute=ray.data.ActorPoolStrategy(size=_pool_size(ray)), num_cpus=1,
                              max_restarts=0,
                              fn_constructor_kwargs={"bundles": bundles, "top_k": args.top, "trust": args.trust,
                                                     "output": getattr(args, "output", None)})


def results_on_ray(args: argparse.Namespace, models: list[str], paths: list[Any], batch: int = BATCH
                   ) -> Iterator[tuple[list[int], list[list[tuple[Any, str | None]]], str]]:
    """(indices, per file the (prediction, read error) of each model, the task) for each batch of
    ``batch`` files, in input order, from a Ray job (a runtime this call started is shut down after)."""
    ray = import_ray()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    started = connect(ray, args.ray)
    try:
        for got in dataset(ray, paths, args, models, batch).iter_batches(batch_size=batch, batch_format="numpy"):
            if got["fatal"][0]:
                raise LivePredictError(str(got["fatal"][0]))
            yield ([int(i) for i in got["index"]], [[tuple(pair) for pair in wire.loads(str(r))] for r in got["result"]], str(got["task"][0]))
    finally:
        if started:
            ray.shutdown()  # ends the job's actors (Ctrl+C included)


def classify_on_ray(args: argparse.Namespace, paths: list[Path], writer: Any) -> int:
    """Classify ``paths`` on Ray; rows go to ``writer`` (the CSV) and stdout as the local run's do."""
    from livepredict.core.types import Prediction

    out = _Output(args, writer)
    with progress_bar(len(paths)) as bar:
        for indices, results, task in results_on_ray(args, [args.model], paths):
            for index, ((pred, err),) in zip(indices, results, strict=True):
                path = str(paths[index])
                out.add(path, pred or Prediction(top=(), path=path, error=err), task, bar)
            bar.update(len(indices))
    return finish(args, out.results)


def evaluate_on_ray(args: argparse.Namespace, model_paths: list[str], labelled: Any, evaluators: list[Any],
                    writer: Any, chunk: int) -> None:
    """``evaluate``'s predictions from a Ray job: every model in each actor, the files in the local run's
    chunks, recorded and written (``predictions.csv``) in the local run's order."""
    from livepredict.inference.evaluate.report import prediction_row

    wanted = set().union(*(e.wanted for e in evaluators))
    paths = [p for p, _ in labelled.items if p in wanted]
    true_of = dict(labelled.items)
    with progress_bar(len(paths)) as bar:
        for indices, results, _ in results_on_ray(args, model_paths, paths, chunk):
            for m, ev in enumerate(evaluators):
                for index, per_model in zip(indices, results, strict=True):
                    p = paths[index]
                    if p not in ev.wanted:
                        continue
                    pred, err = per_model[m]
                    ev.add(p, pred, err)
                    if writer is not None:
                        error = err or (pred.error if pred is not None else None)
                        writer.row(prediction_row(ev.name, p, true_of[p], pred.label if pred and not error else "",
                                                  pred.score if pred and not error else None, error))
            bar.update(len(indices))


class _Output:
    """The local run's outputs for each prediction as it arrives: the CSV (its header once the model's
    task is known), the masks (``--masks``), the printed line; the predictions for ``--json``."""

    def __init__(self, args: argparse.Namespace, writer: Any) -> None:
        self.args, self.writer = args, writer
        self.results: list[Any] = []
        self.task: str | None = None
        self.masks: Any = None

    def add(self, path: str, pred: Any, task: str, bar: Any) -> None:
        from livepredict.core.results import table_header, table_rows

        args = self.args
        if self.task is None:
            self.task = task
            if getattr(args, "masks", None):
                from livepredict.commands.vision_out import MaskWriter

                self.masks = MaskWriter(args.masks, task)
            if self.writer is not None:
                self.writer.row(table_header(args.top, task))
        self.results.append(pred)
        if self.masks is not None:
            self.masks.write(pred)
        if self.writer is not None:
            for row in table_rows(path, pred.top, pred.result, pred.error, args.top, task):
                self.writer.row(row)
        if not args.json:
            bar.clear()
            print(format_prediction(pred), flush=True)
