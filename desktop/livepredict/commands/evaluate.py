"""``evaluate``: one or more classifiers on a labelled folder or CSV; figures, comparison, report.

The pictures are decoded once and preprocessed for every model in a thread per core, ahead of the
models (``threads.prefetch``, as ``classify`` does), and every model classifies each chunk through the
same ``predict_tensors`` path (``threads.engine.evaluate.predict_chunk``, shared with the window's
Evaluate tab); a model seen for the first time starts on Keras and moves to LiteRT as ``classify`` does. ``predictions.csv`` gets its
rows as they are made; the other report files are written at the end, also after Ctrl+C (then
covering the pictures done), each replacing an older file whole.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from livepredict.commands.common import open_for_cli, print_json, progress_bar
from livepredict.core.errors import LivePredictError

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5", ".tflite")
MAX_MODELS = 4


def _names(paths: list[str]) -> list[str]:
    """Short unique names: the file name, or parent/name when two models share a file name."""
    names = [Path(p).name for p in paths]
    return [str(Path(p).parent.name) + "/" + n if names.count(n) > 1 else n for p, n in zip(paths, names, strict=True)]


def _check_args(args: argparse.Namespace) -> tuple[list[str], str]:
    if len(args.paths) < 2:
        raise LivePredictError("evaluate needs a model and a labelled folder or CSV; give MODEL [MODEL ...] "
                               "FOLDER|CSV.")
    *models, source = args.paths
    if Path(source).suffix.lower() in MODEL_SUFFIXES:
        raise LivePredictError(f"{source} is a model, not labelled pictures; give the labelled folder or CSV "
                               "last.")
    if len(models) > MAX_MODELS:
        raise LivePredictError(f"At most {MAX_MODELS} models can be evaluated together, not {len(models)}; "
                               "leave some out.")
    if args.top < 1:
        raise LivePredictError(f"--top must be at least 1, not {args.top}; ask for 1 or more labels.")
    if args.report and Path(args.report).exists() and not Path(args.report).is_dir():
        raise LivePredictError(f"--report {args.report} is a file; give a folder for the report.")
    return models, source


def cmd_evaluate(args: argparse.Namespace) -> int:
    from livepredict.commands.switching import convert_mode
    from livepredict.inference.evaluate.collect import Evaluator, model_labels
    from livepredict.sources.labelled import read_labelled

    model_paths, source = _check_args(args)
    labelled = read_labelled(source)  # bad input fails before the slow model loads
    models: list[Any] = []
    try:
        evaluators = []
        for path, name in zip(model_paths, _names(model_paths), strict=True):
            models.append(open_for_cli(argparse.Namespace(model=path, trust=args.trust, output=args.output),
                                       convert=convert_mode()))
            ev = Evaluator(name, model_labels(models[-1]), labelled.items, top_k=args.top)
            if not ev.wanted:
                raise LivePredictError(
                    f"None of the classes of {source} ({', '.join(labelled.classes[:8])}) is a label of {name} "
                    f"({', '.join(ev.labels[:8])}); name the class folders after the model's labels.")
            if ev.match.unmatched:
                print(f"livepredict: {ev.match.sentence(name)}", file=sys.stderr)
            evaluators.append(ev)
        return _run(args, source, labelled, models, evaluators)
    finally:
        for m in models:
            m.close()


def _run(args: argparse.Namespace, source: str, labelled: Any, models: list[Any], evaluators: list[Any]) -> int:
    from livepredict.core.outfile import CsvRows
    from livepredict.inference.evaluate.report import PREDICTION_HEADER

    report = Path(args.report) if args.report else None
    writer = None
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        writer = CsvRows(report / "predictions.csv")
        writer.row(PREDICTION_HEADER)
    interrupted = False
    try:
        if getattr(args, "ray", None) is not None:  # the same predictions from a Ray cluster (commands/cluster.py)
            from livepredict.commands.cluster import evaluate_on_ray

            chunk = max(1, int(getattr(models[0].runtime, "batch", 16) or 16))
            evaluate_on_ray(args, args.paths[:-1], labelled, evaluators, writer, chunk)
        else:
            _predict_all(labelled, models, evaluators, writer)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if writer is not None:
            writer.close()
        _finish(args, source, evaluators, report, interrupted)
    return 0 if all(e.result().count for e in evaluators) else 2


def _predict_all(labelled: Any, models: list[Any], evaluators: list[Any], writer: Any) -> None:
    from livepredict.commands.switching import announce_pending, switch_if_ready
    from livepredict.inference.evaluate.report import prediction_row
    from livepredict.threads.engine.evaluate import evaluation_preparer, predict_chunk
    from livepredict.threads.prefetch import Prefetch

    wanted = set().union(*(e.wanted for e in evaluators))
    paths = [p for p, _ in labelled.items if p in wanted]
    true_of = dict(labelled.items)

    def row(ev: Any, path: str, pred: Any, error: str | None) -> None:
        if writer is not None:
            ok = pred is not None and not error
            writer.row(prediction_row(ev.name, path, true_of[path], pred.label if ok else "",
                                      pred.score if ok else None, error))

    chunk = max(1, int(getattr(models[0].runtime, "batch", 16) or 16))
    # Decoding and preprocessing (once per picture, for every model) run in a thread per core, ahead.
    with Prefetch(paths, chunk, evaluation_preparer(models)) as ahead, progress_bar(len(paths)) as bar:
        for part in ahead:
            for m in models:
                switch_if_ready(m, bar)
            predict_chunk(models, evaluators, part, row)
            bar.update(len(part))
    for m in models:
        switch_if_ready(m, bar)
        announce_pending(m)


def _finish(args: argparse.Namespace, source: str, evaluators: list[Any], report: Path | None,
            interrupted: bool) -> None:
    from livepredict.inference.evaluate.report import report_json, write_report
    from livepredict.inference.evaluate.result import compare

    results = [e.result() for e in evaluators]
    comparisons = [compare(a, b) for i, a in enumerate(results) for b in results[i + 1:]]
    if report is not None:
        write_report(report, results, comparisons, source=source, interrupted=interrupted)
    if interrupted:
        return
    if args.json:
        print_json(report_json(results, comparisons, source, interrupted))
        return
    for r in results:
        print(r.summary())
        pc = r.figures.per_class
        print(f"  {'label':<16}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>9}")
        for i, label in enumerate(r.labels):
            print(f"  {label[:16]:<16}{pc.precision[i]:>10.3f}{pc.recall[i]:>10.3f}{pc.f1[i]:>10.3f}"
                  f"{int(pc.support[i]):>9}")
        for path, message in r.failed[:5]:
            print(f"  could not classify {path}: {message}")
    for c in comparisons:
        print(c.sentence())
    if report is not None:
        print(f"Report: {report / 'report.html'}")
