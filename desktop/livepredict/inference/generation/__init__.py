"""Live generation with recurrent models: text one token at a time, and numeric forecasts.

Text generators (char- or token-level LSTM / GRU / SimpleRNN, stacked, Embedding or one-hot input,
``return_sequences`` or not) are rebuilt as a **single-step model**
``(token, state) -> (probabilities, state)`` that carries the recurrent state explicitly
(``plan``). That step runs in the fastest runtime that matches Keras on probe steps: LiteRT or
Keras (``steps``). The seed text primes the state in one pass; sampling is on numpy (``text``).
Forecasters (``forecast``) roll a numeric sequence model forward.

Entry point: :func:`open_generator` (``open``) → :class:`TextGenerator` or :class:`Forecaster`.
Never ``model.predict`` (only the benchmark's naive reference uses it).

Modules: ``plan`` (analyse a model, build its step model), ``steps`` (step runtimes, the
verified engine), ``text`` (vocabulary, TextGenerator, stream_stats), ``forecast`` (Forecaster
and its opening), ``open`` (open_generator).
"""

from livepredict.inference.generation.forecast import Forecaster
from livepredict.inference.generation.open import Generator, load_keras, open_generator
from livepredict.inference.generation.plan import InputKind, Plan, analyse, build_step_model
from livepredict.inference.generation.steps import StepEngine, StepRuntime, build_step_engine
from livepredict.inference.generation.text import TextGenerator, Token, Vocab, read_vocab_file, stream_stats

__all__ = ["Forecaster", "Generator", "InputKind", "Plan", "StepEngine", "StepRuntime", "TextGenerator", "Token",
           "Vocab", "analyse", "build_step_engine", "build_step_model", "load_keras", "open_generator",
           "read_vocab_file", "stream_stats"]
