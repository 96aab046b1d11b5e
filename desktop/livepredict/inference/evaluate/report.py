"""The evaluation report: one self-contained HTML file (PNG plots embedded) and CSV + JSON of every figure.

Every file goes through ``core.outfile`` (a temporary file renamed into place), so an interrupted or
failed run never leaves half a file: an older report file is replaced whole or not at all.
``predictions.csv`` (every picture's prediction) is written by the caller as rows are made.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from livepredict.core.outfile import CsvRows, write_text
from livepredict.inference.evaluate import charts
from livepredict.inference.evaluate.compare import Comparison
from livepredict.inference.evaluate.result import Evaluation, clean

PREDICTION_HEADER = ("model", "path", "true", "predicted", "confidence", "correct", "error")


def prediction_row(model: str, path: str, true: str, predicted: str, confidence: float | None,
                   error: str | None) -> list[Any]:
    correct = "" if error else str(predicted.casefold() == true.casefold()).lower()
    return [model, path, true, predicted, "" if confidence is None else f"{confidence:.6f}", correct, error or ""]


def report_json(evaluations: Sequence[Evaluation], comparisons: Sequence[Comparison], source: str,
                interrupted: bool = False) -> dict[str, Any]:
    return clean({"source": source, "interrupted": interrupted,
                  "models": [e.to_json() for e in evaluations],
                  "comparisons": [c.to_json() for c in comparisons]})


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.6g}"
    return str(v)


def _csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    with CsvRows(path) as out:
        out.row(header)
        for r in rows:
            out.row([_fmt(v) for v in r])
    return path


def write_report(folder: str | Path, evaluations: Sequence[Evaluation], comparisons: Sequence[Comparison],
                 *, source: str, interrupted: bool = False) -> list[Path]:
    """Write the report files into ``folder`` (made if missing); returns their paths."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    data = report_json(evaluations, comparisons, source, interrupted)
    out = [write_text(d / "figures.json", json.dumps(data, indent=2, allow_nan=False) + "\n")]
    summary, per_class, confusion, calib, roc = [], [], [], [], []
    for e in evaluations:
        f = e.figures
        summary.append([e.model, e.count, len(e.failed), f.accuracy, f.top_k, f.top_k_accuracy, f.macro_f1,
                        f.calibration.ece, f.roc.auc if f.roc is not None else ""])
        for i, label in enumerate(e.labels):
            pc = f.per_class
            per_class.append([e.model, label, pc.precision[i], pc.recall[i], pc.f1[i], int(pc.support[i])])
            confusion += [[e.model, label, p, int(f.confusion[i, j])] for j, p in enumerate(e.labels)]
        c = f.calibration
        calib += [[e.model, c.edges[b], c.edges[b + 1], int(c.counts[b]), c.confidence[b], c.accuracy[b]]
                  for b in range(len(c.counts))]
        if f.roc is not None:
            roc += [[e.model, t, x, y] for t, x, y in zip(f.roc.thresholds, f.roc.fpr, f.roc.tpr, strict=True)]
    out.append(_csv(d / "summary.csv", ("model", "pictures", "failed", "accuracy", "top_k", "top_k_accuracy",
                                        "macro_f1", "ece", "auc"), summary))
    out.append(_csv(d / "per_class.csv", ("model", "label", "precision", "recall", "f1", "support"), per_class))
    out.append(_csv(d / "confusion.csv", ("model", "true", "predicted", "count"), confusion))
    out.append(_csv(d / "calibration.csv", ("model", "bin_low", "bin_high", "count", "confidence", "accuracy"),
                    calib))
    if roc:
        out.append(_csv(d / "roc.csv", ("model", "threshold", "fpr", "tpr"), roc))
    if comparisons:
        out.append(_csv(d / "comparisons.csv", ("first", "second", "pictures", "right_only_by_first",
                                                "right_only_by_second", "statistic", "p_value", "method"),
                        [[c.names[0], c.names[1], c.pictures, c.test.b, c.test.c, c.test.statistic,
                          c.test.p_value, c.test.method] for c in comparisons]))
        rows = [[c.names[0], c.names[1], p, who] for c in comparisons
                for who, paths in ((c.names[0], c.only_a), (c.names[1], c.only_b)) for p in paths]
        out.append(_csv(d / "disagreements.csv", ("first", "second", "path", "right_only_by"), rows))
    out.append(write_text(d / "report.html", report_html(evaluations, comparisons, source, interrupted)))
    return out


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """body{font-family:system-ui,sans-serif;margin:24px;color:#28282f;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.plots img{margin:4px 12px 4px 0;vertical-align:top}
.warn{color:#a3470c}ul.paths{font-family:monospace;font-size:12px;columns:2}"""


def _model_section(e: Evaluation) -> str:
    f = e.figures
    pc = f.per_class
    parts = [f"<h2>{html.escape(e.model)}</h2>", f"<p>{html.escape(e.summary())}.</p>"]
    if e.unmatched:
        parts.append(f'<p class="warn">Left out (no such label): {html.escape(", ".join(e.unmatched))}.</p>')
    if not e.complete:
        parts.append(f'<p class="warn">Interrupted: {e.count + len(e.failed)} of {e.total} pictures done.</p>')
    parts.append(_table(("label", "precision", "recall", "F1", "support"),
                        [[lbl, pc.precision[i], pc.recall[i], pc.f1[i], int(pc.support[i])]
                         for i, lbl in enumerate(e.labels)]))
    plots = [_img(charts.confusion_png(f.confusion, e.labels), "confusion matrix"),
             _img(charts.reliability_png(f.calibration), "reliability diagram")]
    if f.roc is not None:
        plots.append(_img(charts.roc_png(f.roc, e.labels[1]), "ROC curve"))
        at = e.at_threshold(0.5)
        parts.append(f"<p>At threshold 0.5: accuracy {at['accuracy']:.3f}, true positive rate {at['tpr']:.3f}, "
                     f"false positive rate {at['fpr']:.3f}.</p>")
    parts.append(f'<div class="plots">{"".join(plots)}</div>')
    if e.failed:
        items = "".join(f"<li>{html.escape(p)}: {html.escape(m)}</li>" for p, m in e.failed)
        parts.append(f"<h3>Could not be classified</h3><ul class=paths>{items}</ul>")
    return "\n".join(parts)


def _comparison_section(c: Comparison) -> str:
    parts = [f"<h2>{html.escape(c.names[0])} vs {html.escape(c.names[1])}</h2>",
             f"<p>{html.escape(c.sentence())}</p>"]
    for who, paths in ((c.names[0], c.only_a), (c.names[1], c.only_b)):
        items = "".join(f"<li>{html.escape(p)}</li>" for p in paths) or "<li>none</li>"
        parts.append(f"<h3>Right only by {html.escape(who)} ({len(paths)})</h3><ul class=paths>{items}</ul>")
    return "\n".join(parts)


def report_html(evaluations: Sequence[Evaluation], comparisons: Sequence[Comparison], source: str,
                interrupted: bool = False) -> str:
    note = '<p class="warn">The run was interrupted: the figures cover the pictures done.</p>' if interrupted else ""
    body = "\n".join([_model_section(e) for e in evaluations] + [_comparison_section(c) for c in comparisons])
    return (f"<!doctype html><html><head><meta charset=utf-8><title>Evaluation of {html.escape(source)}"
            f"</title><style>{_STYLE}</style></head><body><h1>Evaluation</h1><p>Labelled pictures: "
            f"{html.escape(source)}</p>{note}{body}</body></html>\n")
