"""``generate``: stream text from a recurrent model, or forecast a series."""

from __future__ import annotations

import argparse
import sys

from livepredict.commands.common import print_json, status_printer
from livepredict.core.errors import LivePredictError


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
    from livepredict.core.sampling import SamplingSettings
    from livepredict.inference.generation import open_generator

    if args.length < 0:
        raise LivePredictError(f"--length must be 0 or more, not {args.length}; ask for e.g. --length 200.")
    try:
        settings = SamplingSettings(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p)
    except ValueError as e:
        raise LivePredictError(f"Bad sampling setting: {e}; use --temperature >= 0, --top-k >= 0 and "
                               "--top-p in (0, 1].") from e
    if args.horizon is not None and args.horizon < 1:
        raise LivePredictError(f"--horizon must be at least 1, not {args.horizon}.")
    from livepredict.threads.stop_signals import StopSignals

    stop = StopSignals().install()  # SIGINT / SIGTERM end the stream cleanly: the text so far is kept
    try:
        return _run(args, settings, open_generator(args.model, trust=args.trust, status=status_printer()), stop)
    finally:
        stop.restore()


def _stopped_note(stop, tokens: int) -> None:
    import signal

    name = signal.Signals(stop.signalled).name
    print(f"livepredict: stopped ({name}) after {tokens} tokens; the text so far is above.", file=sys.stderr)


def _run(args: argparse.Namespace, settings, gen, stop) -> int:
    import time

    from livepredict.core.sampling import Sampler
    from livepredict.inference.generation import Forecaster

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
                print_json({"forecast": [float(v) for v in values.ravel()], "horizon": horizon,
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
            if stop.signalled:
                break
            if first_ms is None:
                first_ms = (time.perf_counter() - t0) * 1000.0
            parts.append(tok.text)
            if not args.json:
                out.write(tok.text)
                out.flush()
        seconds = time.perf_counter() - t0
        if args.json:
            print_json({"text": "".join(parts), "tokens": len(parts),
                         "tokens_per_s": round(len(parts) / seconds, 1) if seconds > 0 else 0.0,
                         "first_token_ms": round(first_ms, 3) if first_ms is not None else None,
                         "runtime": gen.runtime, "seed_text": args.seed_text, "seed": args.seed,
                         "temperature": settings.temperature, "top_k": settings.top_k, "top_p": settings.top_p,
                         "stopped": bool(stop.signalled)})
        else:
            out.write("\n")
            out.flush()
        if stop.signalled:
            _stopped_note(stop, len(parts))
        return 0
    finally:
        gen.close()

