"""``info``, ``classify`` (pictures and folders, or ``--text``) and ``bench``."""

from __future__ import annotations

import argparse

from livepredict.commands.common import (
    finish,
    format_prediction,
    open_for_cli,
    print_json,
    progress_bar,
    status_printer,
)
from livepredict.core.errors import LivePredictError


def _format_info(info) -> str:
    def shape(t) -> str:
        return "(" + ", ".join("None" if d is None else str(d) for d in t.shape) + ")"

    lines = [f"Model       {info.path}", f"Format      {info.format}", f"Task        {info.task}"]
    if info.extras.get("decoder"):  # a detector or segmenter: which decoder reads its outputs, and why
        lines.append(f"Decoder     {info.extras['decoder']['type']} ({info.extras['decoder']['reason']})")
    if info.loader:
        lines.append(f"Loaded by   {info.loader}")
    quant = {q["name"]: q for q in (info.quantization.get("inputs", []) + info.quantization.get("outputs", []))}

    def q(t) -> str:
        return (f" quantised: scale {quant[t.name]['scale']:.6g}, zero point {quant[t.name]['zero_point']}"
                if t.name in quant else "")

    for t in info.inputs:
        lines.append(f"Input       {t.name} {shape(t)} {t.dtype}{q(t)}")
    for i, t in enumerate(info.outputs):
        shown = f" ({info.output_kind}, shown)" if i == info.output_index else " (not shown)"
        lines.append(f"Output {i:<4} {t.name} {shape(t)} {t.dtype}{q(t)}" + (shown if len(info.outputs) > 1 else
                                                                              f" ({info.output_kind})"))
    lines.append(f"Parameters  {info.params:,}" if info.params is not None else "Parameters  unknown")
    if info.labels:
        shown = ", ".join(info.labels[:12]) + (f", … ({len(info.labels)} in all)" if len(info.labels) > 12 else "")
        lines.append(f"Labels      {shown}")
    if info.preprocess is not None:
        lines.append(f"Preprocess  {info.preprocess.describe()} (from {info.preprocess_source})")
    lines.append(f"Runtime     {info.runtime}" + (" (cached conversion)" if info.extras.get("cached") else ""))
    chk = info.runtime_check
    if chk is not None:
        diff = "n/a" if chk.max_abs_diff is None else f"{chk.max_abs_diff:.3g}"
        lines.append(f"Check       {chk.compared}: max difference {diff}, tolerance {chk.tolerance:.3g}, "
                     f"{'passed' if chk.passed else 'failed'} ({chk.reason})")
    timings = info.extras.get("timings_ms") or {}
    if timings:
        lines.append("Timings     " + ", ".join(f"{k} {v:.3f} ms" for k, v in timings.items()) + " per image")
    if info.layers:
        lines.append("Layers")
        for layer in info.layers[:40]:
            lines.append(f"  {layer.name:<28} {layer.kind:<22} {layer.output_shape:<20} {layer.params:>10,}")
        if len(info.layers) > 40:
            lines.append(f"  … {len(info.layers) - 40} more")
    for w in info.warnings:
        lines.append(f"Warning     {w}")
    return "\n".join(lines)


def cmd_info(args: argparse.Namespace) -> int:
    model = open_for_cli(args)
    try:
        if args.json:
            print_json(model.info.to_json())
        else:
            print(_format_info(model.info))
    finally:
        model.close()
    return 0




def cmd_classify(args: argparse.Namespace) -> int:
    from livepredict.core.outfile import CsvRows
    from livepredict.sources.images import collect_image_paths

    if args.top < 1:
        raise LivePredictError(f"--top must be at least 1, not {args.top}; ask for 1 or more labels.")
    if args.text is not None:
        return _classify_text(args)
    if not args.paths:
        raise LivePredictError("the following arguments are required: PATH (image files or folders), or --text TEXT "
                               "for a text classifier.")
    paths = collect_image_paths(args.paths)  # bad paths fail before the slow model load
    if not paths:
        raise LivePredictError(f"No images found in {', '.join(args.paths)}; give PNG/JPEG files or folders "
                               "that contain them.")
    # Rows go to a temporary file beside the CSV as they are made; it replaces the CSV when the run
    # ends, is interrupted or fails, so what was done is kept and an older CSV is never emptied first.
    writer = CsvRows(args.csv) if args.csv else None
    try:
        if getattr(args, "ray", None) is not None:  # the same rows from a Ray cluster (commands/cluster.py)
            from livepredict.commands.cluster import classify_on_ray

            return classify_on_ray(args, paths, writer)
        return _classify_into(args, paths, writer)
    finally:
        if writer is not None:
            writer.close()


def _classify_into(args: argparse.Namespace, paths, writer) -> int:
    from livepredict.commands.switching import HelperYield, announce_pending, convert_mode, switch_if_ready
    from livepredict.commands.vision_out import MaskWriter
    from livepredict.core.results import table_header, table_rows
    from livepredict.core.types import Prediction
    from livepredict.inference.predict import check_image_classifier, predict_tensors
    from livepredict.threads.prefetch import Prefetch, picture_preparer

    model = open_for_cli(args, convert=convert_mode())
    results: list[Prediction] = []
    try:
        check_image_classifier(model)
        masks = MaskWriter(args.masks, model.info.task) if getattr(args, "masks", None) else None
        chunk = getattr(model.runtime, "batch", 16)
        if writer is not None:
            writer.row(table_header(args.top, model.info.task))
        # Decoding and preprocessing run in a thread per core, two chunks ahead of the model.
        helper = HelperYield(model, len(paths))  # a new model's conversion helper: its share of the cores
        with Prefetch(paths, chunk, picture_preparer(model)) as ahead, progress_bar(len(paths)) as bar:
            for loaded in ahead:
                switch_if_ready(model, bar)
                part = [x.item for x in loaded]
                good = [(i, x) for i, x in enumerate(loaded) if x.error is None]
                preds = predict_tensors(model, [x.tensor for _, x in good], top_k=args.top,
                                        paths=[str(x.item) for _, x in good],
                                        pre_ms=[x.read_ms for _, x in good],
                                        places=[x.placement for _, x in good]) if good else []
                by_index = {i: p for (i, _), p in zip(good, preds, strict=True)}
                for i, p in enumerate(part):
                    pred = by_index.get(i) or Prediction(top=(), path=str(p), error=loaded[i].error)
                    results.append(pred)
                    if masks is not None:
                        masks.write(pred)
                    if writer is not None:
                        for row in table_rows(str(p), pred.top, pred.result, pred.error, args.top, model.info.task):
                            writer.row(row)
                    if not args.json:
                        bar.clear()
                        print(format_prediction(pred), flush=True)
                bar.update(len(part))
                helper.after(len(results))
        switch_if_ready(model, bar)
        announce_pending(model)
    finally:
        model.close()
    return finish(args, results)


def _classify_text(args: argparse.Namespace) -> int:
    from livepredict.inference.text import classify_texts

    if args.paths or args.csv:
        raise LivePredictError("--text classifies the given text only; leave out image paths and --csv.")
    model = open_for_cli(args)
    try:
        preds = classify_texts(model, args.text, top_k=args.top)
    finally:
        model.close()
    if args.json:
        print_json([p.to_json(args.top) for p in preds])
    else:
        for p in preds:
            print(format_prediction(p))
    return 0


def _calibration_pictures(paths) -> list:
    """The ``--calibration`` pictures, decoded (unreadable ones skipped)."""
    from livepredict.sources.images import collect_image_paths, read_pictures

    return read_pictures(collect_image_paths(paths), 300) if paths else []


def cmd_bench(args: argparse.Namespace) -> int:
    from livepredict.inference.benchmark import run_bench

    if not args.seconds > 0:
        raise LivePredictError(f"--seconds must be more than 0, not {args.seconds:g}; try --seconds 2.")
    result = run_bench(args.model, seconds=args.seconds, trust=args.trust, status=status_printer(),
                       int8=getattr(args, "int8", False), calibration=_calibration_pictures(getattr(args, "calibration", [])))
    if args.json:
        print_json(result)
        return 0
    print(f"Model   {result['model']} ({result['format']}), batch 1, {args.seconds:g} s per path")
    print(f"{'path':<12}{'median ms':>12}{'p95 ms':>12}{'per s':>12}")
    for name, st in result["paths"].items():
        mark = "  <- chosen" if name == result["chosen"] else ""
        print(f"{name:<12}{st['ms_median']:>12.3f}{st['ms_p95']:>12.3f}{st['per_s']:>12.1f}{mark}")
    if result["speedup_vs_predict"] is not None:
        print(f"Chosen ({result['chosen']}) is {result['speedup_vs_predict']:.1f}x faster than predict")
    print(f"Chosen vs fastest runtime ({result['fastest']}): {result['chosen_vs_best']:.2f}x")
    if "int8" in result:
        from livepredict.commands.int8_report import int8_lines

        for line in int8_lines(result):
            print(line)
    return 0

