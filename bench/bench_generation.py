"""Text generation speed, measured in one run: the predict-per-token loop vs the compiled step.

    .venv/bin/python bench/bench_generation.py [--seconds S] [--tokens N] [--skip-bundled]

1. A char LSTM(128) (Embedding(96, 32) → LSTM(128) → Dense(96, softmax), random weights, seed 0)
   built here and saved to a temporary .keras file with a vocabulary sidecar;
2. the bundled ``models/chars.keras`` (LSTM(256), 94 characters).

For each: ``benchmark.bench_generator`` (every path timed per generated token in interleaved
rounds: ``predict`` = ``model.predict`` on the last 100 tokens for every token, the naive loop;
``keras`` = the single-step model as a ``tf.function``; ``litert`` = the converted step), then
``--tokens`` tokens streamed through ``TextGenerator.stream`` as the CLI does (sampling included,
first-token latency includes priming with the seed text). Prints the ratios; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import string
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def build_lstm128(folder: Path) -> Path:
    import keras

    keras.utils.set_random_seed(0)
    vocab = list(string.printable[:95]) + ["\t"]  # 96 characters
    m = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(len(vocab), 32),
                          keras.layers.LSTM(128, return_sequences=True),
                          keras.layers.Dense(len(vocab), activation="softmax")])
    path = folder / "lstm128.keras"
    m.save(path)
    (folder / "lstm128.keras.livepredict.json").write_text(json.dumps({"task": "text-generator", "vocab": vocab}),
                                                           encoding="utf-8")
    return path


def run(path: Path, seconds: float, tokens: int) -> dict:
    from livepredict.core.sampling import SamplingSettings
    from livepredict.inference.benchmark import bench_generator
    from livepredict.inference.generation import open_generator, stream_stats

    t0 = time.perf_counter()
    res = bench_generator(path, seconds=seconds)
    gen = open_generator(path)
    try:
        stream_stats(gen, "The ", 2000, SamplingSettings(temperature=0.8), seed=0)  # warm
        cpu0 = time.process_time()
        st = stream_stats(gen, "The quick brown fox ", tokens, SamplingSettings(temperature=0.8), seed=0)
        cpu = time.process_time() - cpu0
    finally:
        gen.close()
    predict = res["paths"]["predict"]["per_s"]
    return {"model": path.name, "runtime": res["chosen"], "check": res["runtime_check"],
            "per_token_paths": {k: {"tokens_per_s": v["per_s"], "ms_median": v["ms_median"]}
                                for k, v in res["paths"].items()},
            "streamed_tokens": st["tokens"], "streamed_tokens_per_s": round(st["tokens_per_s"], 1),
            "first_token_ms": round(st["first_token_ms"], 3),
            "streamed_tokens_per_cpu_s": round(st["tokens"] / cpu, 1) if cpu > 0 else None,
            "load_average_1min": round(os.getloadavg()[0], 2),
            "streamed_vs_predict": round(st["tokens_per_s"] / predict, 1),
            "chosen_step_vs_predict": res["speedup_vs_predict"], "wall_s": round(time.perf_counter() - t0, 1)}


def show(r: dict) -> None:
    print(f"\n== {r['model']} (chosen step runtime: {r['runtime']}; check: "
          f"{'passed' if r['check'] and r['check']['passed'] else 'failed'}, max diff "
          f"{(r['check'] or {}).get('max_abs_diff')})")
    for name, v in r["per_token_paths"].items():
        print(f"  {name:<8} {v['tokens_per_s']:>12,.1f} tokens/s   {v['ms_median']:>10.4f} ms/token")
    print(f"  streamed {r['streamed_tokens']:,} tokens: {r['streamed_tokens_per_s']:,.1f} tokens/s, first token "
          f"{r['first_token_ms']:.2f} ms ({r['streamed_tokens_per_cpu_s']:,.1f} tokens per CPU second; "
          f"load average {r['load_average_1min']} on {os.cpu_count()} cores)")
    print(f"  streamed / predict loop: {r['streamed_vs_predict']:,.1f}x   (step alone: {r['chosen_step_vs_predict']:,.1f}x)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="seconds per path in the per-token timing")
    ap.add_argument("--tokens", type=int, default=50_000, help="tokens streamed for tokens/s")
    ap.add_argument("--skip-bundled", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        results.append(run(build_lstm128(Path(tmp)), args.seconds, args.tokens))
    bundled = ROOT / "models" / "chars.keras"
    if not args.skip_bundled and bundled.exists():
        results.append(run(bundled, args.seconds, args.tokens))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            show(r)
        print("\nTargets for the LSTM(128): >= 10,000 tokens/s streamed, first token < 50 ms, >= 600x predict.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
