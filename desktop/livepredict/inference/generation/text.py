"""Text generation: a vocabulary and the :class:`TextGenerator` that streams tokens.

The seed text primes the recurrent state in one pass of the compiled sequence function; then each
token is drawn on numpy (``core.sampling``) from the step's distribution and fed back, so nothing
is retraced between generations.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from livepredict.core.errors import SidecarError, UnsupportedModelError
from livepredict.core.paths import not_a_file
from livepredict.core.sampling import Sampler, SamplingSettings
from livepredict.inference.generation.plan import _kind
from livepredict.inference.generation.steps import StepEngine

# ------------------------------------------------------------------ vocabulary

def read_vocab_file(path: str | Path) -> list[str]:
    """A vocabulary from a JSON list, a sidecar (its ``vocab``) or a text file with one token per line
    (the escapes ``\\n``, ``\\t``, ``\\s`` (space) and ``\\\\`` stand for themselves)."""
    p = Path(path)
    kind = not_a_file(p)
    if kind is not None:  # reading a named pipe would block forever
        raise SidecarError(f"The vocabulary file {p.name} is {kind}, not a file; pick a UTF-8 text or JSON file.")
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

class Token(NamedTuple):
    """One generated token (a named tuple: made once per token, it must be cheap)."""

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
        draw = self.next_token
        for _ in range(int(length)):
            if should_stop is not None and should_stop():
                return
            yield draw(sampler)

    def next_token(self, sampler: Sampler) -> Token:
        """Draw one token from the current distribution and feed it back (call :meth:`prime` first)."""
        probs = self.probs
        if probs is None:
            self.prime("")
            probs = self.probs
        assert probs is not None  # primed above, and every step sets it
        i = sampler(probs)
        x = self._x
        x[0, 0] = i
        out, self.state = self.engine.runtime.step(x, self.state)
        self.probs = out[0]
        return Token(i, self.vocab.text(i), probs)

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
