"""inference.generation: the single-step model carries state exactly like the full-sequence model,
sampling is reproducible, streams stop on request, and bad models get one clear sentence.

Real tiny Keras models saved to real files (module-scoped: TensorFlow is slow to start)."""

from __future__ import annotations

import json
import string

import numpy as np
import pytest

from livepredict.core.errors import SidecarError, UnsupportedModelError
from livepredict.core.sampling import Sampler, SamplingSettings

VOCAB = list(string.ascii_lowercase + " .,\n")  # 30 characters
V = len(VOCAB)


def _keras():
    import keras

    return keras


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    keras = _keras()
    layers = keras.layers
    keras.utils.set_random_seed(3)
    d = tmp_path_factory.mktemp("gen")
    out = {}
    # char LSTM, Embedding input, return_sequences (trained-on-windows style), softmax head
    m = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(V, 8),
                          layers.LSTM(16, return_sequences=True), layers.Dropout(0.1),
                          layers.Dense(V, activation="softmax")])
    out["lstm"] = (d / "lstm.keras", m)
    # stacked GRU + SimpleRNN, one-hot input, last step only (windowed), logits head
    m = keras.Sequential([keras.Input((12, V)), layers.GRU(10, return_sequences=True),
                          layers.SimpleRNN(9), layers.Dense(V)])
    out["onehot"] = (d / "onehot.keras", m)
    # no vocabulary anywhere
    m = keras.Sequential([keras.Input((None,), dtype="int32"), layers.Embedding(V, 4), layers.GRU(6),
                          layers.Dense(V, activation="softmax")])
    out["novocab"] = (d / "novocab.keras", m)
    # not recurrent: a small image classifier
    m = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3), layers.GlobalAveragePooling2D(),
                          layers.Dense(3, activation="softmax")])
    out["cnn"] = (d / "cnn.keras", m)
    # windowed numeric forecaster (GRU over 8 values) and a step (no window) forecaster
    m = keras.Sequential([keras.Input((8, 1)), layers.GRU(8), layers.Dense(1)])
    out["window"] = (d / "window.keras", m)
    m = keras.Sequential([keras.Input((None, 1)), layers.LSTM(6, return_sequences=True), layers.Dense(1)])
    out["state"] = (d / "state.keras", m)
    for path, model in out.values():
        model.save(path)
    for name in ("lstm", "onehot"):
        (d / f"{name}.keras.livepredict.json").write_text(json.dumps({"vocab": VOCAB}), encoding="utf-8")
    (d / "window.keras.livepredict.json").write_text(json.dumps({"mean": 10.0, "std": 2.0}), encoding="utf-8")
    (d / "state.keras.livepredict.json").write_text(json.dumps({"mean": -1.0, "std": 3.0}), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def lstm_gen(models):
    from livepredict.inference.generation import open_generator

    gen = open_generator(models["lstm"][0])
    yield gen
    gen.close()


def _ids(n, seed=0):
    return np.random.default_rng(seed).integers(0, V, n).astype(np.int32)


@pytest.mark.parametrize("runtime", ["litert", "keras"])
def test_step_equals_full_sequence_output(models, lstm_gen, runtime):
    """Token by token with the state carried == the original model over the whole sequence."""
    model = models["lstm"][1]
    ids = _ids(25)
    full = np.asarray(model(ids[None]))[0]
    lstm_gen.use_runtime(runtime)
    try:
        lstm_gen.reset()
        for t, i in enumerate(ids):
            probs = lstm_gen.step(int(i))
            np.testing.assert_allclose(probs, full[t], atol=1e-5)
    finally:
        lstm_gen.use_runtime("litert")


def test_litert_is_chosen_and_checked(lstm_gen):
    d = lstm_gen.describe()
    assert d["runtime"] == "litert"
    assert d["runtime_check"]["passed"] is True
    assert d["runtime_check"]["max_abs_diff"] < 1e-4
    assert set(d["timings_us_per_step"]) == {"keras", "litert"}


def test_prime_in_one_pass_equals_stepping(models, lstm_gen):
    text = "the quick brown fox, jumps."
    lstm_gen.reset()
    lstm_gen.prime(text)
    primed_state, primed_probs = lstm_gen.state.copy(), lstm_gen.probs.copy()
    lstm_gen.reset()
    for c in text:
        lstm_gen.step(VOCAB.index(c))
    np.testing.assert_allclose(primed_probs, lstm_gen.probs, atol=1e-5)
    np.testing.assert_allclose(primed_state, lstm_gen.state, atol=1e-5)
    ids = np.array([[VOCAB.index(c) for c in text]], np.int32)
    np.testing.assert_allclose(primed_probs, np.asarray(models["lstm"][1](ids))[0, -1], atol=1e-5)


def test_stacked_onehot_windowed_logits_model(models):
    """GRU + SimpleRNN, one-hot input, last-step output in logits: the step gives softmax(logits)."""
    from livepredict.inference.generation import open_generator

    model = models["onehot"][1]
    gen = open_generator(models["onehot"][0])
    try:
        ids = _ids(12, seed=4)
        onehot = np.eye(V, dtype=np.float32)[ids][None]
        logits = np.asarray(model(onehot))[0]
        want = np.exp(logits - logits.max())
        want /= want.sum()
        gen.reset()
        for i in ids:
            probs = gen.step(int(i))
        np.testing.assert_allclose(probs, want, atol=1e-5)
        assert gen.describe()["layers"] == ["GRU(10)", "SimpleRNN(9)"]
    finally:
        gen.close()


def test_same_seed_same_text_other_seed_other_text(lstm_gen):
    s = SamplingSettings(temperature=1.0)
    a = lstm_gen.generate("hello", 80, s, seed=11)
    b = lstm_gen.generate("hello", 80, s, seed=11)
    c = lstm_gen.generate("hello", 80, s, seed=12)
    assert a == b
    assert a != c
    assert len(a) == 80 and set(a) <= set(VOCAB)


def test_temperature_zero_is_greedy(models, lstm_gen):
    """Greedy text == repeatedly taking the argmax of the full model over the growing sequence."""
    model = models["lstm"][1]
    text = lstm_gen.generate("ab", 12, SamplingSettings(temperature=0.0), seed=None)
    seq = [VOCAB.index("a"), VOCAB.index("b")]
    for _ in range(12):
        probs = np.asarray(model(np.array([seq], np.int32)))[0, -1]
        seq.append(int(np.argmax(probs)))
    assert text == "".join(VOCAB[i] for i in seq[2:])


def test_top_k_stream_stays_in_the_allowed_set(lstm_gen):
    lstm_gen.reset()
    lstm_gen.prime("some text")
    sampler = Sampler(SamplingSettings(temperature=2.0, top_k=3), seed=0)
    for tok in lstm_gen.stream(200, sampler):
        assert tok.id in set(np.argsort(-tok.probs, kind="stable")[:3].tolist())


def test_stop_mid_stream_takes_effect_within_one_step(lstm_gen):
    made = []

    def should_stop():
        return len(made) >= 7

    lstm_gen.reset()
    lstm_gen.prime("x")
    for tok in lstm_gen.stream(10_000, Sampler(SamplingSettings(), seed=1), should_stop=should_stop):
        made.append(tok)
    assert len(made) == 7


def test_no_vocabulary_asks_for_one_and_a_vocabulary_file_works(models, tmp_path):
    from livepredict.inference.generation import open_generator

    with pytest.raises(SidecarError) as e:
        open_generator(models["novocab"][0])
    msg = str(e.value)
    assert "no vocabulary" in msg and "novocab.keras.livepredict.json" in msg and "\n" not in msg
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("\n".join(t.replace("\n", "\\n") for t in VOCAB) + "\n", encoding="utf-8")
    gen = open_generator(models["novocab"][0], vocab=vocab_file, runtime="keras")
    try:
        assert gen.vocab.tokens == VOCAB
        assert len(gen.generate("abc", 5, SamplingSettings(), seed=0)) == 5
    finally:
        gen.close()
    short = tmp_path / "short.txt"
    short.write_text("a\nb\nc\n", encoding="utf-8")
    with pytest.raises(SidecarError, match="3 tokens but .* predicts 30"):
        open_generator(models["novocab"][0], vocab=short)


def test_non_recurrent_model_is_refused_with_one_sentence(models):
    from livepredict.inference.generation import open_generator

    with pytest.raises(UnsupportedModelError) as e:
        open_generator(models["cnn"][0])
    msg = str(e.value)
    assert "no recurrent layer" in msg and "LSTM" in msg and "\n" not in msg


def test_bidirectional_model_is_refused():
    from livepredict.inference.generation import analyse

    keras = _keras()
    m = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(V, 4),
                          keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True)),
                          keras.layers.Dense(V, activation="softmax")])
    with pytest.raises(UnsupportedModelError, match="both directions"):
        analyse(m)


def test_windowed_forecaster_rolls_predictions_forward(models):
    from livepredict.inference.generation import Forecaster, open_generator

    model = models["window"][1]
    fc = open_generator(models["window"][0])
    try:
        assert isinstance(fc, Forecaster) and fc.window == 8
        assert fc.runtime == "litert" and fc.check.passed
        hist = 10.0 + 2.0 * np.sin(np.arange(30) / 3.0)
        got = fc.forecast(hist, 5)
        z = list((hist - 10.0) / 2.0)
        want = []
        for _ in range(5):
            y = float(np.asarray(model(np.array(z[-8:], np.float32)[None, :, None]))[0, 0])
            z.append(y)
            want.append(y * 2.0 + 10.0)
        np.testing.assert_allclose(got, want, atol=1e-4)
        with pytest.raises(UnsupportedModelError, match="at least 8 past values"):
            fc.forecast(hist[:5], 3)
        one = fc.one_step_predictions(hist)
        assert np.all(np.isnan(one[:8])) and np.isfinite(one[8:]).all()
        np.testing.assert_allclose(one[20], fc.forecast(hist[:20], 1)[0], atol=1e-6)
    finally:
        fc.close()


def test_step_forecaster_carries_state_over_the_history(models):
    from livepredict.inference.generation import open_generator

    model = models["state"][1]
    fc = open_generator(models["state"][0])
    try:
        assert fc.describe()["mode"] == "state"
        hist = np.cos(np.arange(17) / 2.0).astype(np.float32) * 3.0 - 1.0
        z = (hist + 1.0) / 3.0
        full = np.asarray(model(z[None, :, None]))[0, -1, 0]
        np.testing.assert_allclose(fc.forecast(hist, 1)[0], full * 3.0 - 1.0, atol=1e-4)
        two = fc.forecast(hist, 2)
        z2 = np.append(z, full).astype(np.float32)
        nxt = np.asarray(model(z2[None, :, None]))[0, -1, 0]
        np.testing.assert_allclose(two[1], nxt * 3.0 - 1.0, atol=1e-4)
    finally:
        fc.close()


def test_read_vocab_file_formats(tmp_path):
    from livepredict.inference.generation import read_vocab_file

    j = tmp_path / "v.json"
    j.write_text(json.dumps(["a", "\n", " "]), encoding="utf-8")
    assert read_vocab_file(j) == ["a", "\n", " "]
    t = tmp_path / "v.txt"
    t.write_text("a\n\\s\n\\n\n\\\\\n", encoding="utf-8")
    assert read_vocab_file(t) == ["a", " ", "\n", "\\"]
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(SidecarError, match="not valid JSON"):
        read_vocab_file(bad)


def test_stateful_forecaster_is_stepped_with_explicit_state(tmp_path):
    """A stateful model (batch 1, one step per call) forecasts like calling it value after value."""
    from livepredict.inference.generation import open_generator

    keras = _keras()
    keras.utils.set_random_seed(8)
    inp = keras.Input(batch_shape=(1, 1, 1))
    out = keras.layers.Dense(1)(keras.layers.GRU(5, stateful=True)(inp))
    model = keras.Model(inp, out)
    path = tmp_path / "stateful.keras"
    model.save(path)
    fc = open_generator(path)
    try:
        assert fc.describe()["mode"] == "state"
        hist = np.linspace(-1.0, 1.0, 9).astype(np.float32)
        for layer in model.layers:
            if hasattr(layer, "reset_state"):
                layer.reset_state()
        y = None
        for v in hist:
            y = float(np.asarray(model(np.full((1, 1, 1), v, np.float32)))[0, 0])
        np.testing.assert_allclose(fc.forecast(hist, 1)[0], y, atol=1e-5)
    finally:
        fc.close()


def test_building_the_step_runs_without_collections(models):
    """Building, converting and checking the step is a load too (core.gc_defer): no collection meanwhile."""
    import gc

    from livepredict.inference.generation import open_generator

    seen: list[tuple[str, bool]] = []
    gen = open_generator(models["lstm"][0], status=lambda msg: seen.append((msg, gc.isenabled())))
    gen.close()
    steps = [enabled for msg, enabled in seen if "step" in msg.lower()]
    assert steps and not any(steps), seen
    assert gc.isenabled()
