"""Train the bundled character model ``models/chars.keras`` (+ its sidecar with the vocabulary).

    .venv/bin/python models/train/build_char.py [--minutes M] [--units U]

Text: the documentation topics that ship with CPython (``pydoc_data/topics.py``: the Python
language reference and library help text, PSF licence), read from this interpreter's standard
library, so nothing is downloaded. Characters outside printable ASCII are mapped to ASCII
(curly quotes, dashes) or dropped; runs of more than four spaces are shortened to four.

Model: Embedding(V, 32) → LSTM(U) → Dense(V, softmax), trained with ``return_sequences`` on windows
of 100 characters (every position predicts the next character); the last 5 % of the text is the
validation set. Seeds fixed (1). Training stops after ``--minutes`` of wall time (a few minutes on
two cores) and keeps the weights with the best validation loss. Prints and stores (sidecar notes)
the validation loss in nats/char and a sample at temperature 0.5.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent
SEQ = 100
SEED = 1
REPLACE = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "--", "\u2013": "-",
           "\u2026": "...", "\u00a0": " ", "\t": "    "}


def corpus() -> str:
    import pydoc_data.topics as topics

    parts = [topics.topics[k] for k in sorted(topics.topics)]
    text = "\n".join(parts)
    text = "".join(REPLACE.get(c, c) for c in text)
    text = "".join(c for c in text if c == "\n" or 32 <= ord(c) < 127)
    text = re.sub(r" {5,}", "    ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text


def build_model(vocab_size: int, units: int):
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((None,), dtype="int32", name="chars"),
        layers.Embedding(vocab_size, 32, name="embedding"),
        layers.LSTM(units, return_sequences=True, name="lstm"),
        layers.Dense(vocab_size, activation="softmax", name="next_char"),
    ], name="chars")


def windows(ids, rng, n: int | None = None):
    import numpy as np

    starts = np.arange(0, len(ids) - SEQ - 1, SEQ)
    if n is None:
        starts = starts + rng.integers(0, SEQ, len(starts))
        starts = starts[starts < len(ids) - SEQ - 1]
    idx = starts[:, None] + np.arange(SEQ + 1)[None]
    w = ids[idx]
    return w[:, :-1], w[:, 1:]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=6.0)
    ap.add_argument("--units", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--out", default=str(MODELS / "chars.keras"))
    args = ap.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    keras.utils.set_random_seed(SEED)
    text = corpus()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = np.array([index[c] for c in text], np.int32)
    cut = int(len(ids) * 0.95)
    train_ids, val_ids = ids[:cut], ids[cut:]
    print(f"text: {len(text):,} characters, vocabulary {len(vocab)}, train {cut:,}, validation "
          f"{len(val_ids):,}", flush=True)
    rng = np.random.default_rng(SEED)
    xv, yv = windows(val_ids, rng, n=0)
    model = build_model(len(vocab), args.units)
    model.compile(optimizer=keras.optimizers.Adam(3e-3, clipnorm=1.0),
                  loss="sparse_categorical_crossentropy")
    deadline = time.monotonic() + args.minutes * 60
    best, best_w, epoch, history = float("inf"), None, 0, []
    while time.monotonic() < deadline:
        epoch += 1
        xt, yt = windows(train_ids, rng)
        order = rng.permutation(len(xt))
        t0 = time.monotonic()
        h = model.fit(xt[order], yt[order], batch_size=args.batch, epochs=1, verbose=0,
                      validation_data=(xv, yv))
        loss, val = h.history["loss"][0], h.history["val_loss"][0]
        history.append((epoch, round(loss, 4), round(val, 4)))
        print(f"epoch {epoch}: loss {loss:.4f}, validation {val:.4f} nats/char ({time.monotonic() - t0:.0f} s)",
              flush=True)
        if val < best:
            best, best_w = val, model.get_weights()
        if epoch == 6:
            model.optimizer.learning_rate.assign(1e-3)
    model.set_weights(best_w)
    out = Path(args.out)
    bare = build_model(len(vocab), args.units)  # saved without the optimizer state (a third of the size)
    bare.set_weights(best_w)
    bare.save(out)
    sample = sample_text(model, vocab, "The ", 300, 0.5)
    print("sample at temperature 0.5:\n" + sample, flush=True)
    notes = (f"Character LSTM({args.units}) trained on the CPython documentation topics "
             f"(pydoc_data/topics.py, {len(text):,} characters) by models/train/build_char.py, seed {SEED}, "
             f"{epoch} epochs; validation loss {best:.3f} nats/char (last 5% of the text).")
    data = {"task": "text-generator", "vocab": vocab, "notes": notes}
    (out.parent / (out.name + ".livepredict.json")).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (HERE / "chars_report.json").write_text(json.dumps({
        "validation_loss_nats_per_char": round(best, 4), "epochs": history, "characters": len(text),
        "vocab_size": len(vocab), "units": args.units, "params": int(model.count_params()),
        "file_bytes": out.stat().st_size, "sample_t0.5": sample}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB), validation loss {best:.4f}", flush=True)
    return 0


def sample_text(model, vocab, seed: str, n: int, temperature: float) -> str:
    """A sample through the app's own generator (single-step model, numpy sampling)."""
    sys.path.insert(0, str(MODELS.parent / "desktop"))
    from livepredict.core.sampling import SamplingSettings
    from livepredict.inference.generation import TextGenerator, Vocab, analyse, build_step_engine

    gen = TextGenerator(build_step_engine(model, analyse(model)), Vocab(vocab))
    return seed + gen.generate(seed, n, SamplingSettings(temperature=temperature), seed=SEED)


if __name__ == "__main__":
    sys.exit(main())
