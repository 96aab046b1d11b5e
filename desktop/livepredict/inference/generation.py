"""Live generation with recurrent models: text one token at a time, and numeric forecasts.

Text generators (char- or token-level LSTM / GRU / SimpleRNN, stacked, Embedding or one-hot input,
``return_sequences`` or not) are rebuilt as a **single-step model**
``(token, state) -> (probabilities, state)`` that carries the recurrent state explicitly: the
recurrent layers are copied with ``unroll=True`` (one time step) and the original weights, the
Embedding/Dense layers are reused as they are. All layer states (LSTM h and c, GRU h, ...) travel
as one float vector, so a step is two tensors in and two out. That step runs in the fastest
runtime that matches Keras on probe steps: LiteRT (converted with the engine's ``convert_keras``,
verified with its ``verify``) or Keras (``tf.function`` with a fixed signature). The seed text
primes the state in one pass of a compiled sequence function; sampling is on numpy
(``core.sampling``), so nothing is retraced between generations.

Forecasters (numeric sequence models): a model with a fixed window (from its input shape or the
sidecar's ``window``) is run on the last ``window`` values and its prediction is fed back to roll
the forecast forward; a recurrent model without a fixed window is stepped with explicit state like
a text model. Values are normalised with the sidecar's ``mean`` and ``std``.

Entry point: :func:`open_generator` → :class:`TextGenerator` or :class:`Forecaster`.
Never ``model.predict`` (only the benchmark's naive reference uses it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.errors import LivePredictError, SidecarError, UnsupportedModelError
from livepredict.core.sampling import Sampler, SamplingSettings
from livepredict.core.types import RuntimeCheck
from livepredict.inference.runtimes import DEFAULT_TOLERANCE, KerasRuntime, LiteRTRuntime, Runtime
from livepredict.inference.tf_env import Status, _say

RECURRENT = ("LSTM", "GRU", "SimpleRNN")
PASS_THROUGH = ("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                "ActivityRegularization", "InputLayer")
PER_STEP = ("Dense", "Activation", "LayerNormalization", "BatchNormalization", "Softmax", "ReLU",
            "LeakyReLU", "PReLU", "ELU")
RUNTIMES = ("auto", "keras", "litert")
N_PROBE_STEPS = 24
LITERT_SLACK = 1.10


# ------------------------------------------------------------------ model analysis

@dataclass
class Plan:
    """The layers of a linear recurrent model, in order, as the step model will use them."""

    input_kind: str  # "embedding" | "onehot" | "values"
    in_features: int  # vocabulary size (one-hot), features (values) or vocabulary (embedding)
    embedding: Any  # the Embedding layer or None
    before: list[Any]  # per-step layers between input/embedding and the first recurrent layer
    recurrent: list[Any]  # the recurrent layers
    after: list[Any]  # per-step layers after the last recurrent layer
    out_features: int
    softmax_inside: bool  # the last layer already outputs probabilities
    time_dim: int | None  # fixed input length, if any
    stateful: bool
    state_sizes: list[list[int]] = field(default_factory=list)  # per recurrent layer

    @property
    def state_size(self) -> int:
        return int(sum(sum(s) for s in self.state_sizes))


def _kind(layer: Any) -> str:
    return type(layer).__name__


def _inner(layer: Any) -> Any:
    """TimeDistributed(Dense) → Dense; anything else unchanged."""
    if _kind(layer) == "TimeDistributed":
        return layer.layer
    return layer


def _state_sizes(layer: Any) -> list[int]:
    units = int(layer.units)
    return [units, units] if _kind(layer) == "LSTM" else [units]


def _activation_name(layer: Any) -> str:
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", str(act or "")).lower()


def analyse(model: Any) -> Plan:
    """The :class:`Plan` of a linear recurrent model; UnsupportedModelError with one sentence otherwise."""
    from livepredict.inference.describe import flat_layers

    inputs = list(getattr(model, "inputs", []) or [])
    outputs = list(getattr(model, "outputs", []) or [])
    if len(inputs) != 1 or len(outputs) != 1:
        raise UnsupportedModelError(f"This model has {len(inputs)} inputs and {len(outputs)} outputs; a "
                                    "generator needs one sequence input and one output.")
    in_shape = tuple(inputs[0].shape)
    layers = [x for x in flat_layers(model) if _kind(x) not in PASS_THROUGH]
    kinds = [_kind(x) for x in layers]
    if "Bidirectional" in kinds:
        raise UnsupportedModelError("This model reads sequences in both directions (Bidirectional), so it "
                                    "cannot generate one step at a time; use a model with forward LSTM, GRU "
                                    "or SimpleRNN layers.")
    rec_idx = [i for i, k in enumerate(kinds) if k in RECURRENT]
    if not rec_idx:
        found = ", ".join(dict.fromkeys(kinds)) or "no layers"
        raise UnsupportedModelError(f"This model has no recurrent layer ({found}), so it cannot generate step "
                                    "by step; use a model with LSTM, GRU or SimpleRNN layers.")
    first, last = rec_idx[0], rec_idx[-1]
    for i in range(first, last + 1):
        if kinds[i] not in RECURRENT:
            raise UnsupportedModelError(f"The layer {layers[i].name} ({kinds[i]}) sits between recurrent layers; "
                                        "only stacked LSTM, GRU or SimpleRNN layers can be stepped.")
    for i in rec_idx[:-1]:
        if not layers[i].return_sequences:
            raise UnsupportedModelError(f"The recurrent layer {layers[i].name} does not return sequences but "
                                        "another recurrent layer follows it; this stack cannot be stepped.")
    for layer in layers[first:last + 1]:
        if getattr(layer, "go_backwards", False):
            raise UnsupportedModelError(f"The recurrent layer {layer.name} reads backwards, so it cannot "
                                        "generate one step at a time.")
    head = layers[:first]
    embedding = None
    if head and _kind(head[0]) == "Embedding":
        embedding = head.pop(0)
    for layer in head + layers[last + 1:]:
        if _kind(_inner(layer)) not in PER_STEP:
            raise UnsupportedModelError(f"The layer {layer.name} ({_kind(layer)}) is not applied one time step "
                                        "at a time, so this model cannot be stepped; use a model made of "
                                        "Embedding, recurrent and Dense layers.")
    if embedding is not None:
        kind, feats = "embedding", int(embedding.input_dim)
    elif len(in_shape) == 3:
        feats = int(in_shape[-1] or 0)
        out_dim = int(outputs[0].shape[-1] or 0)
        soft = bool(layers[last + 1:]) and _activation_name(_inner(layers[-1])) == "softmax"
        kind = "onehot" if (feats == out_dim and feats >= 2 and soft) else "values"
    elif len(in_shape) == 2 and str(inputs[0].dtype).startswith("int"):
        raise UnsupportedModelError("This model takes token ids but has no Embedding layer; it cannot be "
                                    "stepped.")
    else:
        raise UnsupportedModelError(f"This model's input shape {list(in_shape)} is not a sequence; a generator "
                                    "takes (steps,) token ids or (steps, features) values.")
    after = [_inner(x) for x in layers[last + 1:]]
    out_features = int(outputs[0].shape[-1] or 0)
    softmax_inside = bool(after) and _activation_name(after[-1]) == "softmax" or (
        bool(after) and _kind(after[-1]) == "Softmax")
    time_dim = in_shape[1] if len(in_shape) >= 2 else None
    stateful = any(getattr(x, "stateful", False) for x in layers[first:last + 1])
    rec = layers[first:last + 1]
    return Plan(kind, feats, embedding, [_inner(x) for x in head], rec, after, out_features, softmax_inside,
                int(time_dim) if time_dim else None, stateful, [_state_sizes(x) for x in rec])


def _rnn_copy(layer: Any, *, sequences: bool, unroll: bool) -> Any:
    cfg = dict(layer.get_config())
    cfg.update(return_sequences=sequences, return_state=True, stateful=False, unroll=unroll,
               dropout=0.0, recurrent_dropout=0.0,
               # the weights are copied right after: skip the costly random (orthogonal) initialisation
               kernel_initializer="zeros", recurrent_initializer="zeros", bias_initializer="zeros")
    cfg.pop("name", None)
    cfg["name"] = f"{layer.name}_step" if unroll else f"{layer.name}_seq"
    return type(layer).from_config(cfg)


def build_step_model(plan: Plan, *, sequence: bool = False) -> Any:
    """A Keras model ``[token or values, state] -> [output, state]``.

    ``sequence=False``: one time step (recurrent copies with ``unroll=True``), token shape (1,),
    values shape (1, features). ``sequence=True``: any length (for priming), token shape (None,).
    The output is probabilities for text (a softmax is added when the model ends in logits) and the
    model's raw output for values.
    """
    from livepredict.inference.tf_env import import_keras

    keras = import_keras()
    ops = keras.ops
    steps = None if sequence else 1
    if plan.input_kind == "values":
        x_in = keras.Input(shape=(steps, plan.in_features), batch_size=1, dtype="float32", name="values")
        x = x_in
    else:
        x_in = keras.Input(shape=(steps,), batch_size=1, dtype="int32", name="token")
        x = plan.embedding(x_in) if plan.embedding is not None else ops.one_hot(x_in, plan.in_features)
    s_in = keras.Input(shape=(plan.state_size,), batch_size=1, dtype="float32", name="state")
    for layer in plan.before:
        x = layer(x)
    new_states = []
    offset = 0
    for i, layer in enumerate(plan.recurrent):
        copy = _rnn_copy(layer, sequences=(not sequence) or i < len(plan.recurrent) - 1, unroll=not sequence)
        init = []
        for size in plan.state_sizes[i]:
            init.append(s_in[:, offset:offset + size])
            offset += size
        outs = copy(x, initial_state=init)
        x, states = outs[0], list(outs[1:])
        copy.set_weights(layer.get_weights())
        new_states.extend(states)
    for layer in plan.after:
        x = layer(x)
    if not sequence:
        x = x[:, 0]
    elif len(x.shape) == 3:
        x = x[:, -1]
    if plan.input_kind != "values" and not plan.softmax_inside:
        x = ops.softmax(x, axis=-1)
    state_out = new_states[0] if len(new_states) == 1 else ops.concatenate(new_states, axis=-1)
    name = "prime" if sequence else "step"
    return keras.Model([x_in, s_in], [x, state_out], name=name)


# ------------------------------------------------------------------ step runtimes

class StepRuntime(Runtime):
    """``infer_all([x, state]) -> [output, state]`` for the step model, plus a tight ``step``."""

    def step(self, x: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out, st = self.infer_all([x, state])
        return out, st


class KerasStep(StepRuntime):
    """The step model through the engine's ``KerasRuntime`` (``tf.function``, fixed signature)."""

    name = "keras"

    def __init__(self, step_model: Any, x_shape: tuple[int, ...], x_dtype: str, state_size: int) -> None:
        self.inner = KerasRuntime(step_model, [x_shape, (state_size,)], [x_dtype, "float32"], batch=1)

    def infer_all(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self.inner.infer_all(list(batch))


class LiteRTStep(StepRuntime):
    """The converted step model; inputs and outputs matched to the Keras step by dtype and a probe."""

    name = "litert"

    def __init__(self, blob: bytes, reference: StepRuntime, probe: list[np.ndarray]) -> None:
        # one thread: a step is microseconds, and waking a thread pool between steps costs more
        self.inner = LiteRTRuntime(blob, num_threads=1, batch=1)
        self.blob = blob
        ins = self.inner.input_details
        # the token input is the integer one (or, for values, the one whose width is not the state's)
        state_w = probe[1].shape[-1]
        if probe[0].dtype.kind == "i":
            x_pos = next(i for i, d in enumerate(ins) if np.dtype(d["dtype"]).kind == "i")
        else:
            x_pos = next((i for i, d in enumerate(ins) if int(d["shape"][-1]) != state_w), 0)
        self._in_order = [x_pos, 1 - x_pos]
        ref = reference.infer_all(probe)
        raw = self._raw(probe)
        # which raw output is the model output: the one that matches the reference best
        d01 = self._diff(raw[0], ref[0]) + self._diff(raw[1], ref[1])
        d10 = self._diff(raw[1], ref[0]) + self._diff(raw[0], ref[1])
        self._out_order = [0, 1] if d01 <= d10 else [1, 0]
        it, in_idx, out_idx, dtypes = self.inner._interp(self.inner._default_shape)
        self._it = it
        self._x_index = in_idx[self._in_order[0]]
        self._s_index = in_idx[self._in_order[1]]
        order = self.inner.output_order  # raw output j is tensor out_idx[order[j]]
        self._o_index = out_idx[order[self._out_order[0]]]
        self._so_index = out_idx[order[self._out_order[1]]]
        self._x_dtype = dtypes[self._in_order[0]]

    @staticmethod
    def _diff(a: np.ndarray, b: np.ndarray) -> float:
        if a.shape != b.shape:
            return float("inf")
        return float(np.max(np.abs(np.asarray(a, np.float64) - b)))

    def _raw(self, xs: Sequence[np.ndarray]) -> list[np.ndarray]:
        feed = [None, None]
        for pos, arr in zip(self._in_order, xs, strict=True):
            feed[pos] = arr
        return self.inner.infer_all(feed)

    def infer_all(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        raw = self._raw(list(batch))
        return [raw[self._out_order[0]], raw[self._out_order[1]]]

    def step(self, x: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        it = self._it
        it.set_tensor(self._x_index, x)
        it.set_tensor(self._s_index, state)
        it.invoke()
        return it.get_tensor(self._o_index), it.get_tensor(self._so_index)

    def close(self) -> None:
        self.inner.close()


def _time_steps(rt: StepRuntime, probe: list[np.ndarray], budget_s: float = 0.15) -> float:
    """Median microseconds per chained step (state fed back) over about ``budget_s`` seconds."""
    x, state = probe
    rt.step(x, state)
    times = []
    end = time.perf_counter() + budget_s
    while len(times) < 5 or (time.perf_counter() < end and len(times) < 200):
        t0 = time.perf_counter()
        for _ in range(10):
            _, state = rt.step(x, state)
        times.append((time.perf_counter() - t0) * 1e5)
    return float(np.median(times))


def _step_probes(plan: Plan, n: int = 4) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(4321)
    probes = []
    for k in range(n):
        if plan.input_kind == "values":
            x = rng.standard_normal((1, 1, plan.in_features)).astype(np.float32)
        else:
            x = rng.integers(0, plan.in_features, (1, 1)).astype(np.int32)
        s = (np.zeros if k == 0 else rng.standard_normal)((1, plan.state_size)).astype(np.float32) * 0.5
        probes.append([x, s])
    return probes


def _verify_chain(candidate: StepRuntime, reference: StepRuntime, plan: Plan, tolerance: float) -> RuntimeCheck:
    """``runtimes.verify`` on single steps, then a chain of steps with the state fed back."""
    from livepredict.inference.runtimes import verify

    check = verify(candidate, reference, _step_probes(plan), tolerance)
    if not check.passed:
        return check
    rng = np.random.default_rng(99)
    s_ref = s_got = np.zeros((1, plan.state_size), np.float32)
    worst = check.max_abs_diff or 0.0
    for _ in range(N_PROBE_STEPS):
        if plan.input_kind == "values":
            x = rng.standard_normal((1, 1, plan.in_features)).astype(np.float32)
        else:
            x = rng.integers(0, plan.in_features, (1, 1)).astype(np.int32)
        o_ref, s_ref = reference.step(x, s_ref)
        o_got, s_got = candidate.step(x, s_got)
        if not (np.all(np.isfinite(o_got)) and np.all(np.isfinite(s_got))):
            return RuntimeCheck(check.compared, None, tolerance, False, f"{candidate.name} produced NaN or "
                                "infinite values over a chain of steps")
        worst = max(worst, float(np.max(np.abs(o_got - o_ref))), float(np.max(np.abs(s_got - s_ref))))
    limit = tolerance * max(1.0, float(np.max(np.abs(s_ref))))
    passed = worst <= limit
    compared = f"{candidate.name} vs {reference.name} step on 4 probes and a {N_PROBE_STEPS}-step chain"
    return RuntimeCheck(compared, worst, limit, passed, "outputs match within tolerance" if passed else
                        f"outputs differ by up to {worst:.3g}, more than the tolerance {limit:.3g}")


@dataclass
class StepEngine:
    """The chosen step runtime with every runtime that was built, the check and the timings."""

    plan: Plan
    runtime: StepRuntime
    runtimes: dict[str, StepRuntime]
    check: RuntimeCheck | None
    timings_us: dict[str, float]
    warnings: list[str]
    prime_fn: Any  # tf.function (x sequence, state) -> (output, state), or None


def build_step_engine(model: Any, plan: Plan, *, runtime: str = "auto", status: Status = None,
                      tolerance: float = DEFAULT_TOLERANCE) -> StepEngine:
    """Build the Keras step (reference), convert it to LiteRT, verify, time, choose."""
    from livepredict.inference import runtimes as rts
    from livepredict.inference.tf_env import import_tf

    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}")
    tf = import_tf(status)
    _say(status, "Building the step model…")
    step_model = build_step_model(plan)
    if plan.input_kind == "values":
        x_shape, x_dtype = (1, plan.in_features), "float32"
    else:
        x_shape, x_dtype = (1,), "int32"
    keras_rt = KerasStep(step_model, x_shape, x_dtype, plan.state_size)
    probes = _step_probes(plan)
    runtimes: dict[str, StepRuntime] = {"keras": keras_rt}
    timings = {"keras": _time_steps(keras_rt, probes[1])}
    warnings: list[str] = []
    check: RuntimeCheck | None = None
    chosen: StepRuntime = keras_rt
    if runtime != "keras":
        _say(status, "Converting the step to LiteRT…")
        try:
            lite: LiteRTStep | None = LiteRTStep(rts.convert_keras(step_model), keras_rt, probes[1])
        except Exception as e:  # noqa: BLE001 - some ops do not convert: keep Keras
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
            check = RuntimeCheck("litert vs keras step", None, tolerance, False,
                                 f"conversion to LiteRT failed ({first})")
            lite = None
        if lite is not None:
            _say(status, "Checking the LiteRT step against Keras…")
            check = _verify_chain(lite, keras_rt, plan, tolerance)
            runtimes["litert"] = lite
            if check.passed:
                timings["litert"] = _time_steps(lite, probes[1])
                if runtime == "litert" or timings["litert"] <= timings["keras"] * LITERT_SLACK:
                    chosen = lite
            elif runtime == "litert":
                chosen = lite
                warnings.append(f"LiteRT was forced although it does not match Keras: {check.reason}.")
        if check is not None and not check.passed and runtime == "auto":
            warnings.append(f"Using Keras instead of LiteRT for the step: {check.reason}.")
    prime_fn = None
    if plan.input_kind != "values":
        prime_model = build_step_model(plan, sequence=True)
        prime_fn = tf.function(lambda x, s: prime_model([x, s], training=False),
                               input_signature=[tf.TensorSpec((1, None), tf.int32),
                                                tf.TensorSpec((1, plan.state_size), tf.float32)],
                               reduce_retracing=False)
        _say(status, "Compiling the priming pass…")
        prime_fn(np.zeros((1, 2), np.int32), np.zeros((1, plan.state_size), np.float32))  # trace once now
    return StepEngine(plan, chosen, runtimes, check, timings, warnings, prime_fn)


# ------------------------------------------------------------------ vocabulary

def read_vocab_file(path: str | Path) -> list[str]:
    """A vocabulary from a JSON list, a sidecar (its ``vocab``) or a text file with one token per line
    (the escapes ``\\n``, ``\\t``, ``\\s`` (space) and ``\\\\`` stand for themselves)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SidecarError(f"Cannot read the vocabulary file {p.name} ({type(e).__name__}); pick a UTF-8 text "
                           "or JSON file.") from e
    stripped = text.strip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise SidecarError(f"The vocabulary file {p.name} is not valid JSON (line {e.lineno}); fix it or "
                               "use one token per line.") from e
        if isinstance(data, dict):
            data = data.get("vocab")
        if not (isinstance(data, list) and data and all(isinstance(t, str) for t in data)):
            raise SidecarError(f"The vocabulary file {p.name} has no list of strings; give a JSON list or a "
                               "sidecar with a 'vocab' list.")
        return list(data)
    tokens = []
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        tokens.append(line.replace("\\\\", "\0").replace("\\n", "\n").replace("\\t", "\t")
                      .replace("\\s", " ").replace("\0", "\\"))
    while tokens and tokens[-1] == "":
        tokens.pop()
    if not tokens:
        raise SidecarError(f"The vocabulary file {p.name} is empty; give one token per line.")
    return tokens


class Vocab:
    """Token ↔ id. Character-level when every token is one character, else whitespace words."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.char_level = all(len(t) == 1 for t in self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str) -> tuple[list[int], int]:
        """(ids, number of skipped unknown tokens)."""
        parts = list(text) if self.char_level else text.split()
        ids = [self.index[t] for t in parts if t in self.index]
        return ids, len(parts) - len(ids)

    def text(self, i: int) -> str:
        t = self.tokens[i]
        return t if self.char_level else t + " "

    def start_id(self) -> int:
        for t in ("\n", " ", "<s>", "<start>", "<bos>"):
            if t in self.index:
                return self.index[t]
        return 0


# ------------------------------------------------------------------ generators

@dataclass(frozen=True)
class Token:
    id: int
    text: str
    probs: np.ndarray  # the distribution the token was drawn from


class TextGenerator:
    """Streams tokens from a recurrent text model: ``prime(seed)``, then ``stream(...)``.

    The state lives here as a numpy vector; ``reset()`` zeroes it. Not thread-safe: use it from the
    thread that opened it (it owns a LiteRT interpreter).
    """

    kind = "text"

    def __init__(self, engine: StepEngine, vocab: Vocab, name: str = "", warnings: Sequence[str] = ()) -> None:
        self.engine = engine
        self.vocab = vocab
        self.name = name
        self.warnings = list(engine.warnings) + list(warnings)
        self.state = np.zeros((1, engine.plan.state_size), np.float32)
        self.probs: np.ndarray | None = None  # distribution for the next token
        self._x = np.zeros((1, 1), np.int32)

    @property
    def runtime(self) -> str:
        return self.engine.runtime.name

    def reset(self) -> None:
        self.state = np.zeros_like(self.state)
        self.probs = None

    def use_runtime(self, name: str) -> None:
        if name not in self.engine.runtimes:
            raise UnsupportedModelError(f"The {name} runtime is not available for this model; use "
                                        f"{' or '.join(self.engine.runtimes)}.")
        self.engine.runtime = self.engine.runtimes[name]

    def prime(self, text: str) -> int:
        """Feed ``text`` through the model in one pass (from the current state); returns the tokens fed.

        With empty text (or only unknown characters) and no distribution yet, a start token is fed.
        """
        ids, _ = self.vocab.encode(text)
        if not ids and self.probs is None:
            ids = [self.vocab.start_id()]
        if not ids:
            return 0
        x = np.asarray([ids], np.int32)
        if self.engine.prime_fn is not None and (len(ids) > 8 or self.engine.runtime.name == "keras"):
            out, st = self.engine.prime_fn(x, self.state)
            self.probs, self.state = np.asarray(out)[0], np.asarray(st)
        else:
            for i in ids:
                self._feed(i)
        return len(ids)

    def _feed(self, token_id: int) -> np.ndarray:
        self._x[0, 0] = token_id
        out, self.state = self.engine.runtime.step(self._x, self.state)
        self.probs = out[0]
        return self.probs

    def step(self, token_id: int) -> np.ndarray:
        """Feed one token; returns the next-token distribution."""
        return self._feed(token_id)

    def stream(self, length: int, sampler: Sampler, should_stop: Callable[[], bool] | None = None
               ) -> Iterator[Token]:
        """Yield up to ``length`` tokens, each drawn from the current distribution and then fed back.

        Call :meth:`prime` first (a start token is fed if nothing was). ``should_stop`` is checked
        before every step, so a stop takes effect within one step.
        """
        if self.probs is None:
            self.prime("")
        vocab = self.vocab
        for _ in range(int(length)):
            if should_stop is not None and should_stop():
                return
            probs = self.probs
            i = sampler(probs)
            self._feed(i)
            yield Token(i, vocab.text(i), probs)

    def generate(self, seed_text: str, length: int, settings: SamplingSettings | None = None,
                 seed: int | None = None) -> str:
        """Reset, prime with ``seed_text`` and return ``length`` generated tokens as text."""
        self.reset()
        self.prime(seed_text)
        sampler = Sampler(settings or SamplingSettings(), seed)
        return "".join(t.text for t in self.stream(length, sampler))

    def describe(self) -> dict[str, Any]:
        e = self.engine
        return {"kind": "text", "name": self.name, "runtime": self.runtime, "vocab_size": len(self.vocab),
                "char_level": self.vocab.char_level, "state_size": e.plan.state_size,
                "layers": [f"{_kind(x)}({x.units})" for x in e.plan.recurrent],
                "runtime_check": e.check.to_json() if e.check else None,
                "timings_us_per_step": {k: round(v, 2) for k, v in e.timings_us.items()},
                "warnings": list(self.warnings)}

    def close(self) -> None:
        for rt in self.engine.runtimes.values():
            rt.close()


class Forecaster:
    """Rolls a numeric sequence model forward: ``forecast(history, horizon)``.

    Windowed models (a fixed window) are run on the last ``window`` normalised values; the
    prediction is appended and the window slides. A model with no fixed window is stepped with
    explicit state (the history primes the state). Returns values in the series' own units.
    """

    kind = "forecast"

    def __init__(self, *, name: str, mean: np.ndarray, std: np.ndarray, features: int,
                 window: int | None = None, windowed: Runtime | None = None,
                 runtimes: dict[str, Any] | None = None, engine: StepEngine | None = None,
                 out_steps: int = 1, check: RuntimeCheck | None = None, timings_ms: dict[str, float] | None = None,
                 warnings: Sequence[str] = ()) -> None:
        self.name = name
        self.mean = np.asarray(mean, np.float32).reshape(-1)
        self.std = np.asarray(std, np.float32).reshape(-1)
        self.features = features
        self.window = window
        self.windowed = windowed
        self.runtimes = dict(runtimes or {})
        self.engine = engine
        self.out_steps = out_steps
        self.check = check if engine is None else engine.check
        self.timings_ms = dict(timings_ms or {})
        if engine is not None:
            self.timings_ms = {k: v / 1000.0 for k, v in engine.timings_us.items()}
        self.warnings = list(warnings) + (list(engine.warnings) if engine else [])

    @property
    def runtime(self) -> str:
        if self.engine is not None:
            return self.engine.runtime.name
        return self.windowed.name if self.windowed is not None else "none"

    def reset(self) -> None:
        pass

    def _norm(self, v: np.ndarray) -> np.ndarray:
        return ((np.asarray(v, np.float32).reshape(-1, self.features) - self.mean) / self.std).astype(np.float32)

    def _denorm(self, v: np.ndarray) -> np.ndarray:
        return np.asarray(v, np.float32).reshape(-1, self.features) * self.std + self.mean

    def min_history(self) -> int:
        return self.window or 1

    def forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        """``horizon`` future values (shape (horizon,) for one feature, else (horizon, features))."""
        hist = np.asarray(history, np.float32)
        n = len(hist)
        need = self.min_history()
        if n < need:
            raise UnsupportedModelError(f"This forecaster needs at least {need} past values, not {n}; give a "
                                        "longer history.")
        horizon = int(horizon)
        out = np.zeros((max(horizon, 0), self.features), np.float32)
        if horizon <= 0:
            return out[:, 0] if self.features == 1 else out
        z = self._norm(hist)
        if self.engine is not None:
            rt = self.engine.runtime
            state = np.zeros((1, self.engine.plan.state_size), np.float32)
            y = None
            for v in z:
                y, state = rt.step(v.reshape(1, 1, -1), state)
            for t in range(horizon):
                nxt = np.asarray(y, np.float32).reshape(-1)[: self.features]
                out[t] = nxt
                y, state = rt.step(nxt.reshape(1, 1, -1), state)
        else:
            assert self.windowed is not None and self.window is not None
            win = z[-self.window:].copy()
            t = 0
            while t < horizon:
                y = np.asarray(self.windowed.infer(win[None]), np.float32).reshape(-1)
                steps = y.reshape(-1, self.features)[: horizon - t]
                out[t:t + len(steps)] = steps
                t += len(steps)
                win = np.concatenate([win, steps])[-self.window:]
        vals = self._denorm(out)
        return vals[:, 0] if self.features == 1 else vals

    def one_step_predictions(self, series: np.ndarray) -> np.ndarray:
        """The one-step-ahead prediction for every index ≥ ``min_history()`` (NaN before)."""
        s = np.asarray(series, np.float32)
        preds = np.full((len(s), self.features), np.nan, np.float32)
        need = self.min_history()
        if self.engine is not None:
            rt = self.engine.runtime
            state = np.zeros((1, self.engine.plan.state_size), np.float32)
            z = self._norm(s)
            for i in range(len(s) - 1):
                y, state = rt.step(z[i].reshape(1, 1, -1), state)
                preds[i + 1] = self._denorm(np.asarray(y).reshape(-1)[: self.features])
        else:
            for i in range(need, len(s)):
                preds[i] = self.forecast(s[:i], 1).reshape(-1)
        return preds[:, 0] if self.features == 1 else preds

    def describe(self) -> dict[str, Any]:
        return {"kind": "forecast", "name": self.name, "runtime": self.runtime, "window": self.window,
                "features": self.features, "mean": self.mean.tolist(), "std": self.std.tolist(),
                "mode": "state" if self.engine is not None else "window",
                "runtime_check": self.check.to_json() if self.check else None,
                "timings_ms": {k: round(v, 4) for k, v in self.timings_ms.items()},
                "warnings": list(self.warnings)}

    def close(self) -> None:
        for rt in self.runtimes.values():
            rt.close()
        if self.engine is not None:
            for rt in self.engine.runtimes.values():
                rt.close()


Generator = TextGenerator | Forecaster


# ------------------------------------------------------------------ opening

def _load_keras(path: Path, trust: bool, status: Status) -> Any:
    from livepredict.inference.loader import _load_keras_file, detect_format

    fmt = detect_format(path)
    if fmt not in ("keras", "h5"):
        raise UnsupportedModelError(f"{path.name} is a {fmt} model; generation needs the Keras model (.keras or "
                                    ".h5) to rebuild its recurrent step.")
    return _load_keras_file(path, fmt, trust, status)[0]


def _is_text(plan: Plan, sidecar: dict[str, Any] | None) -> bool:
    task = (sidecar or {}).get("task")
    if task == "text-generator":
        return True
    if task == "sequence-forecaster":
        return False
    if (sidecar or {}).get("vocab"):
        return True
    return plan.input_kind in ("embedding", "onehot")


def open_generator(path: str | Path, *, trust: bool = False, runtime: str = "auto", status: Status = None,
                   keras_model: Any = None, vocab: Sequence[str] | str | Path | None = None,
                   tolerance: float = DEFAULT_TOLERANCE) -> Generator:
    """Open ``path`` as a :class:`TextGenerator` or a :class:`Forecaster`.

    ``keras_model``: an already loaded Keras model of that file (e.g. ``LoadedModel.keras_model``)
    to skip loading it again. ``vocab``: tokens, or a vocabulary file, when the sidecar has none.
    Raises UnsupportedModelError / SidecarError / ModelLoadError with one sentence.
    """
    from livepredict.inference.loader import detect_format
    from livepredict.inference.sidecar import read_sidecar, sidecar_path

    p = Path(path).expanduser()
    detect_format(p)
    p = p.resolve()
    sidecar = read_sidecar(p)
    model = keras_model if keras_model is not None else _load_keras(p, trust, status)
    name = p.name
    has_recurrent = any(_kind(x) in RECURRENT for x in _flat(model))
    try:
        plan = analyse(model)
    except UnsupportedModelError:
        if has_recurrent or not _looks_numeric(model):
            raise
        plan = None
    if plan is not None and _is_text(plan, sidecar):
        if vocab is None:
            tokens = (sidecar or {}).get("vocab")
        elif isinstance(vocab, str | Path):
            tokens = read_vocab_file(vocab)
        else:
            tokens = list(vocab)
        if not tokens:
            raise SidecarError(f"{name} is a text model but has no vocabulary; add a \"vocab\" list to "
                               f"{sidecar_path(p).name} beside it, or pick a vocabulary file (one token per "
                               "line), so its outputs can be turned into text.")
        if len(tokens) != plan.out_features:
            raise SidecarError(f"The vocabulary has {len(tokens)} tokens but {name} predicts {plan.out_features}; "
                               "give the vocabulary the model was trained with.")
        if plan.input_kind == "values" and plan.in_features == plan.out_features:
            plan.input_kind = "onehot"  # a vocabulary in, the same vocabulary out: one-hot characters
        if plan.input_kind == "values":
            raise UnsupportedModelError(f"{name} takes {plan.in_features} numbers per step, not tokens; open it "
                                        "as a forecaster or use a model with an Embedding or one-hot input.")
        engine = build_step_engine(model, plan, runtime=runtime, status=status, tolerance=tolerance)
        return TextGenerator(engine, Vocab(tokens), name=name)
    return _open_forecaster(p, model, plan, sidecar, runtime=runtime, status=status, tolerance=tolerance)


def _flat(model: Any) -> list[Any]:
    from livepredict.inference.describe import flat_layers

    return flat_layers(model)


def _looks_numeric(model: Any) -> bool:
    ins = list(getattr(model, "inputs", []) or [])
    return len(ins) == 1 and len(ins[0].shape) == 3 and not str(ins[0].dtype).startswith("int")


def _open_forecaster(p: Path, model: Any, plan: Plan | None, sidecar: dict[str, Any] | None, *, runtime: str,
                     status: Status, tolerance: float) -> Forecaster:
    from livepredict.inference import runtimes as rts

    ins = list(model.inputs)
    if len(ins) != 1 or len(ins[0].shape) != 3 or str(ins[0].dtype).startswith("int"):
        raise UnsupportedModelError(f"{p.name} is not a sequence model (input shape {list(ins[0].shape)}); a "
                                    "forecaster takes (steps, features) numbers and a text generator token ids.")
    features = int(ins[0].shape[-1] or 1)
    sc = sidecar or {}
    mean = np.asarray(sc.get("mean", 0.0), np.float32).reshape(-1)
    std = np.asarray(sc.get("std", 1.0), np.float32).reshape(-1)
    if np.any(std == 0):
        raise SidecarError(f"The sidecar of {p.name} has a std of 0; give the series' real standard deviation.")
    warnings = []
    if "mean" not in sc or "std" not in sc:
        warnings.append("No mean/std in the sidecar: values are fed to the model as they are.")
    fixed = ins[0].shape[1]
    window = int(sc["window"]) if sc.get("window") else (int(fixed) if fixed else None)
    if fixed and window != int(fixed):
        warnings.append(f"The sidecar window {window} differs from the model's input length {fixed}; using {fixed}.")
        window = int(fixed)
    out_shape = model.outputs[0].shape
    name = p.name
    if plan is not None and plan.stateful and plan.input_kind == "values":
        window = None  # a stateful model carries its state from call to call: step it with explicit state
    if window is None:
        if plan is None or plan.input_kind != "values":
            raise UnsupportedModelError(f"{name} has no fixed window and cannot be stepped; put \"window\" in its "
                                        "sidecar or use a recurrent model.")
        engine = build_step_engine(model, plan, runtime=runtime, status=status, tolerance=tolerance)
        return Forecaster(name=name, mean=mean, std=std, features=features, engine=engine, warnings=warnings)
    # windowed: one prediction from the last `window` values
    out_last = int(out_shape[-1] or 1)
    out_steps = 1
    if len(out_shape) == 2 and features == 1 and out_last > 1:
        out_steps = out_last  # direct multi-step output
    elif out_last != features:
        raise UnsupportedModelError(f"{name} predicts {out_last} values per step for {features} input "
                                    "features; a forecaster must predict the next value of each feature.")
    if len(out_shape) == 3:
        model = _last_step_model(model)
    if any(_kind(x) in RECURRENT for x in _flat(model)):
        # a fixed window: an unroll=True copy converts to plain LiteRT ops (no TensorList loops)
        model = _unrolled_copy(model, window)
    ref = KerasRuntime(model, [(window, features)], ["float32"], batch=1)
    rng = np.random.default_rng(7)
    probes = [[rng.standard_normal((1, window, features)).astype(np.float32)] for _ in range(4)]
    rts_built: dict[str, Runtime] = {"keras": ref}
    timings = {"keras": rts.time_runtime(ref, probes[0], 0.15)}
    check = None
    chosen: Runtime = ref
    if runtime != "keras":
        _say(status, "Converting to LiteRT…")
        try:
            lite = LiteRTRuntime(rts.convert_keras(model), batch=1)
            check = rts.verify(lite, ref, probes, tolerance)
            rts_built["litert"] = lite
            if check.passed:
                timings["litert"] = rts.time_runtime(lite, probes[0], 0.15)
                if runtime == "litert" or timings["litert"] <= timings["keras"] * LITERT_SLACK:
                    chosen = lite
            elif runtime == "litert":
                chosen = lite
            if not check.passed:
                warnings.append(f"Using Keras instead of LiteRT: {check.reason}.")
        except Exception as e:  # noqa: BLE001
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
            check = RuntimeCheck("litert vs keras", None, tolerance, False, f"conversion to LiteRT failed ({first})")
            warnings.append(f"Using Keras instead of LiteRT: {check.reason}.")
    return Forecaster(name=name, mean=mean, std=std, features=features, window=window, windowed=chosen,
                      runtimes=rts_built, out_steps=out_steps, check=check, timings_ms=timings, warnings=warnings)


def _unrolled_copy(model: Any, window: int) -> Any:
    """The same model (same weights) with every recurrent layer ``unroll=True``, input length fixed."""
    from livepredict.inference.tf_env import import_keras

    keras = import_keras()

    def clone(layer: Any) -> Any:
        cfg = layer.get_config()
        if _kind(layer) in RECURRENT:
            cfg.update(unroll=True, stateful=False, kernel_initializer="zeros", recurrent_initializer="zeros")
        return type(layer).from_config(cfg)

    try:
        copy = keras.models.clone_model(model, clone_function=clone,
                                        input_tensors=keras.Input((window, model.inputs[0].shape[-1]),
                                                                  batch_size=1))
        copy.set_weights(model.get_weights())
        return copy
    except Exception:  # noqa: BLE001 - unusual graphs: keep the original (LiteRT may then fail and Keras is used)
        return model


def _last_step_model(model: Any) -> Any:
    from livepredict.inference.tf_env import import_keras

    keras = import_keras()
    x = keras.Input(shape=tuple(model.inputs[0].shape[1:]), batch_size=1, dtype="float32")
    y = model(x)
    return keras.Model(x, y[:, -1], name=f"{model.name}_last")


# ------------------------------------------------------------------ measuring

def stream_stats(gen: TextGenerator, seed_text: str, length: int, settings: SamplingSettings,
                 seed: int | None = 0) -> dict[str, Any]:
    """Generate ``length`` tokens after a reset; tokens/s and the first-token latency (ms, incl. priming)."""
    gen.reset()
    sampler = Sampler(settings, seed)
    t0 = time.perf_counter()
    gen.prime(seed_text)
    first = None
    parts = []
    for tok in gen.stream(length, sampler):
        if first is None:
            first = (time.perf_counter() - t0) * 1000.0
        parts.append(tok.text)
    total = time.perf_counter() - t0
    return {"text": "".join(parts), "tokens": len(parts), "seconds": total,
            "tokens_per_s": len(parts) / total if total > 0 else 0.0, "first_token_ms": first or 0.0}

__all__ = ["Forecaster", "Generator", "LivePredictError", "Plan", "TextGenerator", "Token", "Vocab", "analyse",
           "build_step_model", "open_generator", "read_vocab_file", "stream_stats"]
