"""``livepredict generate`` (and ``bench`` on a generator): streaming, JSON, forecasts, bad input."""

from __future__ import annotations

import json
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest

from livepredict import cli

VOCAB = list(string.ascii_lowercase + " .\n")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import keras

    keras.utils.set_random_seed(5)
    d = tmp_path_factory.mktemp("gencli")
    v = len(VOCAB)
    text = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(v, 8),
                             keras.layers.GRU(16, return_sequences=True),
                             keras.layers.Dense(v, activation="softmax")])
    text.save(d / "text.keras")
    (d / "text.keras.livepredict.json").write_text(json.dumps({"vocab": VOCAB}), encoding="utf-8")
    text.save(d / "bare.keras")
    fc = keras.Sequential([keras.Input((6, 1)), keras.layers.LSTM(4), keras.layers.Dense(1)])
    fc.save(d / "fc.keras")
    (d / "fc.keras.livepredict.json").write_text(json.dumps({"mean": 5.0, "std": 2.0}), encoding="utf-8")
    return d


def _run(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_has_the_documented_keys_and_is_reproducible(files, capsys):
    rc, out, err = _run(capsys, "generate", str(files / "text.keras"), "--seed-text", "hello", "--length", "40",
                        "--temperature", "0.8", "--top-k", "5", "--seed", "3", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert {"text", "tokens", "tokens_per_s", "first_token_ms", "runtime"} <= set(data)
    assert data["tokens"] == 40 and len(data["text"]) == 40 and set(data["text"]) <= set(VOCAB)
    assert data["runtime"] == "litert" and data["tokens_per_s"] > 0 and data["first_token_ms"] >= 0
    # the streamed (plain) output with the same seed is the seed text + the same tokens
    rc, plain, _ = _run(capsys, "generate", str(files / "text.keras"), "--seed-text", "hello", "--length", "40",
                        "--temperature", "0.8", "--top-k", "5", "--seed", "3")
    assert rc == 0
    assert plain == "hello" + data["text"] + "\n"


def test_forecast_prints_horizon_values(files, capsys):
    history = ", ".join(str(5 + i % 3) for i in range(10))
    rc, out, err = _run(capsys, "generate", str(files / "fc.keras"), "--seed-text", history, "--horizon", "4")
    assert rc == 0, err
    values = [float(x) for x in out.split()]
    assert len(values) == 4
    csv = files / "series.csv"
    csv.write_text("year,value\n" + "\n".join(f"{2000 + i},{5 + i % 3}" for i in range(10)) + "\n",
                   encoding="utf-8")
    rc, out, _ = _run(capsys, "generate", str(files / "fc.keras"), "--seed-text", str(csv), "--horizon", "4",
                      "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["forecast"] == pytest.approx(values, rel=1e-4) and data["history"] == 10


@pytest.mark.parametrize("argv, needle", [
    (["text.keras", "--horizon", "3"], "--horizon is for forecasters"),
    (["text.keras", "--temperature", "-1"], "temperature"),
    (["text.keras", "--top-p", "0"], "top-p"),
    (["bare.keras"], "no vocabulary"),
    (["fc.keras", "--seed-text", "1, 2"], "at least 6 past values"),
])
def test_bad_input_is_one_line_and_exit_2(files, capsys, argv, needle):
    rc, out, err = _run(capsys, "generate", str(files / argv[0]), *argv[1:])
    assert rc == 2
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_text_streams_before_the_process_ends(files):
    """Tokens reach stdout while generation is still running (flushed per token)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"))
    proc = subprocess.Popen([sys.executable, "-m", "livepredict", "generate", str(files / "text.keras"),
                             "--length", "100000000", "--seed", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    try:
        first = proc.stdout.read(200)
        assert len(first) == 200 and set(first.decode()) <= set("".join(VOCAB))
        assert proc.poll() is None  # still generating: the text was streamed, not printed at the end
    finally:
        proc.kill()
        proc.communicate()


def test_bench_on_a_generator_reports_tokens_per_second(files, capsys):
    rc, out, err = _run(capsys, "bench", str(files / "text.keras"), "--seconds", "0.2", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["unit"] == "token" and set(data["paths"]) == {"predict", "keras", "litert"}
    assert data["chosen"] == "litert" and data["runtime_check"]["passed"]
    assert data["streamed"]["tokens_per_s"] > 0
    assert data["paths"]["litert"]["per_s"] > data["paths"]["predict"]["per_s"]
