"""Text for a sequence classifier: tokens → ids with the sidecar's vocabulary, then scores.

The tokenisation is Keras' ``TextVectorization`` default, so a vocabulary saved from
``vectorizer.get_vocabulary()`` gives the ids the model was trained on: lower case, punctuation
stripped, split on whitespace (``tokenize: words``), or one token per character
(``tokenize: chars``). Unknown tokens take the id of ``[UNK]`` (Keras puts it at 1, after the
padding token ``""`` at 0). A model with a fixed input length gets its ids padded with 0 or cut at
the end, as ``output_sequence_length`` does; otherwise each text is one batch of its own length.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from livepredict.core.errors import UnsupportedModelError
from livepredict.core.types import Prediction, Task
from livepredict.core.wording import a
from livepredict.inference.predict import decode_outputs

_PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")
OOV = "[UNK]"


def tokenize_mode(vocab: Sequence[str], wanted: str | None = None) -> str:
    """``words`` or ``chars``: the sidecar's choice, else ``words`` when any token is longer than
    one character."""
    if wanted:
        return wanted
    return "words" if any(len(t) > 1 for t in vocab if t not in ("", OOV)) else "chars"


def encode(text: str, vocab: Sequence[str], mode: str, length: int | None = None) -> np.ndarray:
    """The ids of ``text`` (1-D int array), padded with 0 or cut to ``length`` when given."""
    index = {t: i for i, t in enumerate(vocab)}
    oov = index.get(OOV)
    if mode == "words":
        tokens = _PUNCT.sub("", text.lower()).split()
    else:
        tokens = list(text)
    ids = [index.get(t, oov) for t in tokens]
    ids = [i for i in ids if i is not None]
    if length:
        ids = (ids + [0] * length)[:length]
    return np.asarray(ids or [0], np.int64)


def classify_texts(model: Any, texts: Sequence[str], top_k: int = 5, tokenize: str | None = None
                   ) -> list[Prediction]:
    """Predictions for ``texts`` from a loaded text classifier (``model.info.vocab`` needed)."""
    info = model.info
    if info.task != Task.TEXT_CLASSIFIER:
        raise UnsupportedModelError(f"This model is {a(info.task)}, not a text classifier; --text needs a model "
                                    "that takes token ids and gives class scores.")
    if not info.vocab:
        raise UnsupportedModelError("This text classifier has no vocabulary; add \"vocab\" (the tokens in id "
                                    "order, e.g. TextVectorization.get_vocabulary()) to its sidecar.")
    shape = info.inputs[0].shape
    length = shape[1] if len(shape) == 2 and shape[1] else None
    mode = tokenize_mode(info.vocab, tokenize or info.extras.get("tokenize"))
    preds = []
    for text in texts:
        t0 = time.perf_counter()
        ids = encode(text, info.vocab, mode, length)[None]
        t1 = time.perf_counter()
        outs = model.infer_all(ids)
        t2 = time.perf_counter()
        result = decode_outputs(model, [o[0] for o in outs], top_k, what="text")
        preds.append(Prediction(top=result.top, scores=result.scores, result=result,
                                preprocess_ms=(t1 - t0) * 1000.0, infer_ms=(t2 - t1) * 1000.0, path=text))
    return preds
