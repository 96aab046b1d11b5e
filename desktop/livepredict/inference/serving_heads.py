"""What an exported model returns: each output head's decoding written as TensorFlow operations.

The heads (``inference.heads``) decode with numpy in the app; an export needs the same decoding
inside the SavedModel. A head that can be exported registers its graph counterpart here under the
head's ``name`` (``@serving_outputs("classifier")``); a model whose head has none cannot be exported
(one sentence says so). A detector head registers one that returns boxes, mapped back to the
original picture with the :class:`ServingContext`'s placement (the same arithmetic as
``core.geometry.placement``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from livepredict.core.types import OutputKind, PreprocessSpec


@dataclass(frozen=True)
class ServingContext:
    """What a head's graph outputs may use besides the raw outputs.

    ``labels`` is a tf.string tensor (the labels stored in the SavedModel, in class order);
    ``original_hw`` (N, 2) int32 holds each picture's size before the resize, or None in the
    signature that takes preprocessed tensors (boxes then stay in model-input pixels).
    """

    top_k: int
    labels: Any
    spec: PreprocessSpec
    original_hw: Any = None


OutputsFn = Callable[[Any, Any, list[Any], ServingContext], dict[str, Any]]
_OUTPUTS: dict[str, OutputsFn] = {}
# Labels the SavedModel stores, per head name: (head, number of units) -> labels in class order.
_LABELS: dict[str, Callable[[Any, int], tuple[str, ...]]] = {}
# Why a head of that name cannot be exported (one sentence), or None when it can.
_REFUSE: dict[str, Callable[[Any], str | None]] = {}


def serving_outputs(head_name: str, labels: Callable[[Any, int], tuple[str, ...]] | None = None,
                    refuse: Callable[[Any], str | None] | None = None) -> Callable[[OutputsFn], OutputsFn]:
    """Register the graph outputs of the head called ``head_name``, how its labels are listed and
    (``refuse``) which of its models cannot be exported."""
    def register(fn: OutputsFn) -> OutputsFn:
        _OUTPUTS[head_name] = fn
        if labels is not None:
            _LABELS[head_name] = labels
        if refuse is not None:
            _REFUSE[head_name] = refuse
        return fn

    return register


def refusal(head_name: str, head: Any) -> str | None:
    fn = _REFUSE.get(head_name)
    return fn(head) if fn is not None else None


def outputs_for(head_name: str) -> OutputsFn | None:
    return _OUTPUTS.get(head_name)


def exportable_heads() -> tuple[str, ...]:
    return tuple(_OUTPUTS)


def stored_labels(head_name: str, head: Any, units: int) -> tuple[str, ...]:
    fn = _LABELS.get(head_name)
    return fn(head, units) if fn is not None else tuple(getattr(head, "labels", ()))


def _classifier_labels(head: Any, units: int) -> tuple[str, ...]:
    """The labels the classifier head shows for ``units`` outputs (binary outputs get two)."""
    return tuple(head.scores(np.zeros(max(1, units), np.float32))[1])


@serving_outputs("classifier", labels=_classifier_labels)
def classifier_outputs(tf: Any, head: Any, raw: list[Any], ctx: ServingContext) -> dict[str, Any]:
    """``ClassifierHead.decode`` in the graph: display scores per its output kind, then the top k.

    Outputs: ``scores`` (N, classes) float32, ``top_scores`` (N, k) float32, ``top_labels`` (N, k)
    string and ``top_classes`` (N, k) int32, best first (ties: the lower class first, as the app).
    """
    out = raw[head.output_index] if len(raw) > head.output_index else raw[0]
    units = int(out.shape[-1]) if out.shape.rank and out.shape[-1] is not None else None
    r = tf.reshape(tf.cast(out, tf.float32), [-1, units] if units else [tf.shape(out)[0], -1])
    kind = head.kind
    if kind == OutputKind.SIGMOID_BINARY or (kind == OutputKind.LOGITS and units == 1):
        p = tf.sigmoid(r[:, :1]) if kind == OutputKind.LOGITS else r[:, :1]
        scores = tf.concat([1.0 - p, p], axis=1)
    elif kind == OutputKind.LOGITS:
        scores = tf.nn.softmax(r, axis=-1)
    else:
        scores = r
    k = max(1, min(int(ctx.top_k), int(ctx.labels.shape[0])))
    top = tf.math.top_k(scores, k=k, sorted=True)
    return {"scores": scores, "top_scores": top.values, "top_classes": top.indices,
            "top_labels": tf.gather(ctx.labels, top.indices)}
