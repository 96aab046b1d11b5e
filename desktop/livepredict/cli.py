"""Headless commands: info, classify, generate, live, bench, serve.

Every command prints one sentence on stderr and exits 2 on bad input (no traceback unless
``--debug``). Heavy modules are imported inside the commands so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import typing
from collections.abc import Callable

from livepredict import __version__
from livepredict.core.errors import LivePredictError

COMMANDS = ("info", "classify", "generate", "live", "bench", "serve")


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line on stderr (exit 2), like every other refusal of the CLI."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help.\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="livepredict", description="Watch a Keras/TensorFlow model predict, live.")
    p.add_argument("-V", "--version", action="version", version=f"livepredict {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--debug", action="store_true", help="show tracebacks")
        sp.add_argument("--trust", action="store_true",
                        help="allow unsafe deserialisation (Lambda layers, custom code) for a model you trust")
        return sp

    output_help = "the output of a multi-output model to show (index or name; default: the first)"
    sp = cmd("info", "Describe a model: inputs, outputs, task, preprocessing, runtime.")
    sp.add_argument("model")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--output", default=None, metavar="OUT", help=output_help)

    sp = cmd("classify", "Classify image files and folders (recursive), or text with --text.")
    sp.add_argument("model")
    sp.add_argument("paths", nargs="*", metavar="PATH")
    sp.add_argument("--text", action="append", default=None, metavar="TEXT",
                    help="classify this text with a text classifier (repeat for several)")
    sp.add_argument("--output", default=None, metavar="OUT", help=output_help)
    sp.add_argument("--top", type=int, default=3, metavar="K")
    sp.add_argument("--csv", metavar="FILE")
    sp.add_argument("--json", action="store_true")

    sp = cmd("bench", "Measure predict, each runtime and the path the app uses, in one run.")
    sp.add_argument("model")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--seconds", type=float, default=2.0, metavar="S")

    sp = cmd("generate", "Generate text from a recurrent model, or forecast a series.")
    sp.add_argument("model")
    sp.add_argument("--seed-text", default="", metavar="T")
    sp.add_argument("--length", type=int, default=200, metavar="N")
    sp.add_argument("--temperature", type=float, default=1.0, metavar="X")
    sp.add_argument("--top-k", type=int, default=0, metavar="K")
    sp.add_argument("--top-p", type=float, default=1.0, metavar="P")
    sp.add_argument("--seed", type=int, default=None, metavar="S")
    sp.add_argument("--horizon", type=int, default=None, metavar="H")
    sp.add_argument("--json", action="store_true")

    sp = cmd("live", "Run the live pipeline on a camera, video or stream without a window.")
    sp.add_argument("model")
    sp.add_argument("--source", required=True, metavar="SRC")
    sp.add_argument("--frames", type=int, default=None, metavar="N")
    sp.add_argument("--unthrottled", action="store_true")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--trace", metavar="FILE.csv")

    sp = cmd("serve", "Serve live predictions over WebSocket.")
    sp.add_argument("model")
    sp.add_argument("--source", default=None, metavar="SRC")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8765)
    sp.add_argument("--token", default=None)
    sp.add_argument("--frames", type=int, default=None, metavar="N")
    return p


def _handlers() -> dict[str, Callable[[argparse.Namespace], int]]:
    return {
        "info": cmd_info,
        "classify": cmd_classify,
        "bench": cmd_bench,
        "generate": cmd_generate,
        "live": cmd_live,
        "serve": cmd_serve,
    }


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    _quiet_tensorflow()
    for stream in (sys.stdout, sys.stderr):  # file names that are not valid UTF-8 print readably
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    previous_sigterm = _sigterm_raises()
    try:
        code = _handlers()[args.command](args)
        sys.stdout.flush()  # a full stdout must fail here, with a message, not at exit
        return code
    except LivePredictError as e:
        if args.debug:
            raise
        print(f"livepredict: {e}", file=sys.stderr)
        return e.exit_code
    except Terminated:
        print("livepredict: stopped (SIGTERM); results written so far were kept.", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("livepredict: interrupted; results written so far were kept.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _discard_stdout()
        return 0
    except OSError as e:
        if not _stdout_failed(e):
            return _unexpected(args, e)
        print(f"livepredict: cannot write to standard output ({e.strerror or type(e).__name__}); free some "
              "space or send the output elsewhere.", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - last line of defence: one sentence, no traceback
        return _unexpected(args, e)
    finally:
        _restore_sigterm(previous_sigterm)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl+C so every ``finally`` runs (result files are closed and kept)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def _sigterm_raises() -> object:
    """Turn SIGTERM into :class:`Terminated` for this command (commands with a clean stop of their own
    install their handler over it). Returns the previous handler (None off the main thread)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


def _restore_sigterm(previous: object) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


def _discard_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail (and print) again."""
    import contextlib

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _stdout_failed(e: OSError) -> bool:
    """True when ``e`` came from writing standard output (full disk, /dev/full, I/O error).

    Errors of files the app opens carry the file name (or became OutputWriteError); a write error
    without one, or standard output refusing what is still buffered, is the output's.
    """
    import errno

    failed = e.filename is None and e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)
    try:
        sys.stdout.flush()
    except OSError:
        failed = True
    if failed:
        _discard_stdout()
    return failed


def _unexpected(args: argparse.Namespace, e: Exception) -> int:
    if args.debug:
        raise e
    print(f"livepredict: unexpected error ({type(e).__name__}: {e}); run again with --debug "
          "for details.", file=sys.stderr)
    return 1


def _print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


# ---------------------------------------------------------------- info / classify / bench (engine)

def _status_printer() -> Callable[[str], None] | None:
    """Loading progress on stderr for people at a terminal (not for scripts and pipes)."""
    if not sys.stderr.isatty():
        return None
    return lambda text: print(f"livepredict: {text}", file=sys.stderr, flush=True)


def _open_for_cli(args: argparse.Namespace):
    from livepredict.inference.loader import open_model

    return open_model(args.model, trust=args.trust, status=_status_printer(), output=getattr(args, "output", None))


def _format_info(info) -> str:
    def shape(t) -> str:
        return "(" + ", ".join("None" if d is None else str(d) for d in t.shape) + ")"

    lines = [f"Model       {info.path}", f"Format      {info.format}", f"Task        {info.task}"]
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
    model = _open_for_cli(args)
    try:
        if args.json:
            _print_json(model.info.to_json())
        else:
            print(_format_info(model.info))
    finally:
        model.close()
    return 0


def _read_chunk(paths, pool):
    from livepredict.sources.images import read_image

    def read(p):
        try:
            return read_image(p), None
        except LivePredictError as e:
            return None, str(e)

    return [pool.submit(read, p) for p in paths]


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
        return _classify_into(args, paths, writer)
    finally:
        if writer is not None:
            writer.close()


def _classify_into(args: argparse.Namespace, paths, writer) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    from livepredict.core.types import Prediction
    from livepredict.inference.predict import check_image_classifier, predict_images

    model = _open_for_cli(args)
    results: list[Prediction] = []
    try:
        check_image_classifier(model)
        chunk = getattr(model.runtime, "batch", 16)
        if writer is not None:
            header = ["path"]
            for i in range(1, args.top + 1):
                header += [f"label_{i}", f"score_{i}"]
            writer.row(header + ["error"])
        with ThreadPoolExecutor(max_workers=2) as pool, tqdm(total=len(paths), unit="img", file=sys.stderr,
                                                             disable=None, leave=False) as bar:
            pending = _read_chunk(paths[:chunk], pool)
            for start in range(0, len(paths), chunk):
                part = paths[start:start + chunk]
                loaded = [f.result() for f in pending]
                pending = _read_chunk(paths[start + chunk:start + 2 * chunk], pool)  # read ahead
                good = [(i, img) for i, (img, err) in enumerate(loaded) if err is None]
                preds = predict_images(model, [img for _, img in good], top_k=args.top,
                                              paths=[str(part[i]) for i, _ in good]) if good else []
                by_index = {i: p for (i, _), p in zip(good, preds, strict=True)}
                for i, p in enumerate(part):
                    pred = by_index.get(i) or Prediction(top=(), path=str(p), error=loaded[i][1])
                    results.append(pred)
                    if writer is not None:
                        row = [str(p)]
                        for j in range(args.top):
                            row += ([pred.top[j][0], f"{pred.top[j][1]:.6f}"] if j < len(pred.top) else ["", ""])
                        writer.row(row + [pred.error or ""])
                    if not args.json:
                        bar.clear()
                        print(_format_prediction(pred), flush=True)
                bar.update(len(part))
    finally:
        model.close()
    if args.json:
        _print_json([r.to_json(args.top) for r in results])
    failed = sum(1 for r in results if r.error)
    if failed:
        print(f"livepredict: {failed} of {len(results)} files could not be classified (see their errors).",
              file=sys.stderr)
        if failed == len(results):
            return 2  # nothing could be classified: scripts must see it (partial runs keep exit 0)
    return 0


def _classify_text(args: argparse.Namespace) -> int:
    from livepredict.inference.text import classify_texts

    if args.paths or args.csv:
        raise LivePredictError("--text classifies the given text only; leave out image paths and --csv.")
    model = _open_for_cli(args)
    try:
        preds = classify_texts(model, args.text, top_k=args.top)
    finally:
        model.close()
    if args.json:
        _print_json([p.to_json(args.top) for p in preds])
    else:
        for p in preds:
            print(_format_prediction(p))
    return 0


def _format_prediction(pred) -> str:
    if pred.error:
        return f"{pred.path}\terror: {pred.error}"
    best, *rest = pred.top
    others = ", ".join(f"{lbl} {s:.3f}" for lbl, s in rest)
    return f"{pred.path}\t{best[0]} {best[1]:.3f}" + (f"\t({others})" if others else "")


def cmd_bench(args: argparse.Namespace) -> int:
    from livepredict.inference.benchmark import run_bench

    if not args.seconds > 0:
        raise LivePredictError(f"--seconds must be more than 0, not {args.seconds:g}; try --seconds 2.")
    result = run_bench(args.model, seconds=args.seconds, trust=args.trust, status=_status_printer())
    if args.json:
        _print_json(result)
        return 0
    print(f"Model   {result['model']} ({result['format']}), batch 1, {args.seconds:g} s per path")
    print(f"{'path':<12}{'median ms':>12}{'p95 ms':>12}{'per s':>12}")
    for name, st in result["paths"].items():
        mark = "  <- chosen" if name == result["chosen"] else ""
        print(f"{name:<12}{st['ms_median']:>12.3f}{st['ms_p95']:>12.3f}{st['per_s']:>12.1f}{mark}")
    if result["speedup_vs_predict"] is not None:
        print(f"Chosen ({result['chosen']}) is {result['speedup_vs_predict']:.1f}x faster than predict")
    print(f"Chosen vs fastest runtime ({result['fastest']}): {result['chosen_vs_best']:.2f}x")
    return 0


# ---------------------------------------------------------------- generate (generation)

def _history_from(text: str) -> list[float]:
    """Forecast history from ``--seed-text``: numbers separated by commas/spaces, or a CSV/text file
    (the last number of each line; lines without a number, like a header, are skipped)."""
    import re
    from pathlib import Path

    number = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
    p = Path(text).expanduser()
    if text and p.is_file():
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise LivePredictError(f"Cannot read the history file {p.name} ({type(e).__name__}); give a CSV or "
                                   "text file of numbers.") from e
        values = [float(found[-1]) for line in lines if (found := number.findall(line))]
    else:
        values = [float(v) for v in number.findall(text)]
    return values


def cmd_generate(args: argparse.Namespace) -> int:
    """Stream generated text (flushing per token), or print a forecast (``--horizon``)."""
    import time

    from livepredict.core.sampling import Sampler, SamplingSettings
    from livepredict.inference.generation import Forecaster, open_generator

    if args.length < 0:
        raise LivePredictError(f"--length must be 0 or more, not {args.length}; ask for e.g. --length 200.")
    try:
        settings = SamplingSettings(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p)
    except ValueError as e:
        raise LivePredictError(f"Bad sampling setting: {e}; use --temperature >= 0, --top-k >= 0 and "
                               "--top-p in (0, 1].") from e
    if args.horizon is not None and args.horizon < 1:
        raise LivePredictError(f"--horizon must be at least 1, not {args.horizon}.")
    gen = open_generator(args.model, trust=args.trust, status=_status_printer())
    out = sys.stdout
    try:
        if isinstance(gen, Forecaster):
            history = _history_from(args.seed_text)
            if len(history) < gen.min_history():
                raise LivePredictError(f"This forecaster needs at least {gen.min_history()} past values and got "
                                       f"{len(history)}; pass them with --seed-text '1.5, 2.0, …' or a CSV file "
                                       "path.")
            horizon = args.horizon or 10
            t0 = time.perf_counter()
            values = gen.forecast(history, horizon)
            ms = (time.perf_counter() - t0) * 1000.0
            if args.json:
                _print_json({"forecast": [float(v) for v in values.ravel()], "horizon": horizon,
                             "history": len(history), "runtime": gen.runtime, "forecast_ms": round(ms, 3)})
            else:
                for v in values.ravel():
                    print(f"{float(v):.6g}", flush=True)
            return 0
        if args.horizon is not None:
            raise LivePredictError("--horizon is for forecasters and this model generates text; use --length "
                                   "to choose how many tokens to make.")
        sampler = Sampler(settings, args.seed)
        t0 = time.perf_counter()
        gen.reset()
        gen.prime(args.seed_text)
        first_ms = None
        parts: list[str] = []
        if not args.json and args.seed_text:
            out.write(args.seed_text)
            out.flush()
        for tok in gen.stream(args.length, sampler):
            if first_ms is None:
                first_ms = (time.perf_counter() - t0) * 1000.0
            parts.append(tok.text)
            if not args.json:
                out.write(tok.text)
                out.flush()
        seconds = time.perf_counter() - t0
        if args.json:
            _print_json({"text": "".join(parts), "tokens": len(parts),
                         "tokens_per_s": round(len(parts) / seconds, 1) if seconds > 0 else 0.0,
                         "first_token_ms": round(first_ms, 3) if first_ms is not None else None,
                         "runtime": gen.runtime, "seed_text": args.seed_text, "seed": args.seed,
                         "temperature": settings.temperature, "top_k": settings.top_k, "top_p": settings.top_p})
        else:
            out.write("\n")
            out.flush()
        return 0
    finally:
        gen.close()


# ---------------------------------------------------------------- live (live pipeline)

def cmd_live(args: argparse.Namespace) -> int:
    """The live pipeline without a window: one line per inferred frame (or a JSON summary)."""
    import logging

    from livepredict.live_command import SUMMARY_KEYS, run_live

    if not args.debug and not logging.getLogger().handlers:
        logging.getLogger("livepredict").addHandler(logging.NullHandler())  # failures are raised, once

    def show(pred, latency_ms: float) -> None:
        print(f"frame {pred.frame_index:6d}  {pred.label:<20} {pred.score:6.3f}  preprocess "
              f"{pred.preprocess_ms:6.2f} ms  inference {pred.infer_ms:6.2f} ms  latency {latency_ms:7.1f} ms",
              flush=True)

    summary = run_live(args.model, args.source, frames=args.frames, unthrottled=args.unthrottled,
                       trace=args.trace, trust=args.trust, on_prediction=None if args.json else show,
                       on_status=_status_printer())
    if args.json:
        _print_json({k: summary[k] for k in SUMMARY_KEYS})
    else:
        def fmt(v, unit=" ms"):
            return "n/a" if v is None else f"{v:.2f}{unit}"

        print(f"{summary['frames_inferred']} of {summary['frames_read']} frames inferred "
              f"({summary['frames_dropped']} dropped), {summary['inference_fps']:.1f} inferences/s; preprocess "
              f"{fmt(summary['preprocess_ms_p50'])}, inference {fmt(summary['infer_ms_p50'])}, latency p50 "
              f"{fmt(summary['latency_ms_p50'])}, p95 {fmt(summary['latency_ms_p95'])}.")
    return 0


# ---------------------------------------------------------------- serve (feed)

def cmd_serve(args: argparse.Namespace) -> int:
    """Publish live predictions (and answer classify requests) over WebSocket until Ctrl+C/SIGTERM.

    The app's InferenceController owns the model either way: its InferenceWorker answers classify
    requests on the inference thread (``threads.feed_bridge``). With ``--source`` the live pipeline
    runs headless (``live_command.serve_live``) and the worker publishes each prediction on
    its own thread; a video file or folder loops while serving, unless ``--frames N`` (stop after N
    predictions, or at the end). Without ``--source`` it only answers classify requests
    (``threads.feed_bridge.serve_classify_requests``). Prints the client address on stdout
    (``--port 0`` picks a free port). ``$LIVEPREDICT_THREAD_REPORT``: which threads imported and
    called the engine, written at exit.
    """
    import logging

    from livepredict.feed.server import FeedServer
    from livepredict.threads.engine.guard import install_import_watch

    feed = FeedServer(host=args.host, port=args.port, token=args.token)  # refuses a bare network host
    if args.frames is not None and args.frames <= 0:
        raise LivePredictError("--frames must be a positive number of predictions.")
    if args.frames is not None and not args.source:
        raise LivePredictError("--frames counts live predictions, so it needs --source.")
    if not args.debug and not logging.getLogger().handlers:
        logging.getLogger("livepredict").addHandler(logging.NullHandler())  # failures are raised, once
    install_import_watch()

    def announce(model_name: str) -> None:
        print(feed.client_url(), flush=True)
        page = feed.url.replace("ws://", "http://", 1) + "/" + (f"?token={feed.token}" if feed.token else "")
        print(f"livepredict: serving {model_name} at {feed.url}"
              + (f" from {args.source}" if args.source else " (classify requests only)")
              + f"; web page {page}; Ctrl+C stops.", file=sys.stderr, flush=True)
        others = feed.network_urls()
        if others:
            print(f"livepredict: from other machines: {', '.join(others)}", file=sys.stderr, flush=True)

    try:
        from livepredict.live_command import serve_live
        from livepredict.threads.feed_bridge import serve_classify_requests

        if args.source:
            summary = serve_live(args.model, args.source, feed, frames=args.frames, trust=args.trust,
                                 on_status=_status_printer(), on_ready=announce)
            print(f"livepredict: published {feed.published} predictions ({summary['frames_inferred']} frames "
                  f"inferred of {summary['frames_read']} read).", file=sys.stderr, flush=True)
        else:
            serve_classify_requests(args.model, feed, trust=args.trust, on_status=_status_printer(),
                                    on_ready=announce)
        return 0
    finally:
        feed.publish_status("stopped", "The feed is shutting down.")
        feed.stop()
        _write_thread_report()


def _write_thread_report() -> None:
    """``$LIVEPREDICT_THREAD_REPORT``: the thread guard's record (engine calls and imports by thread)."""
    path = os.environ.get("LIVEPREDICT_THREAD_REPORT")
    if not path:
        return
    import threading

    from livepredict.threads.engine.guard import THREAD_GUARD

    report = {**THREAD_GUARD.report(), "main_thread": threading.main_thread().name}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
