"""The analysis of a linear recurrent model and its single-step Keras rebuild.

:func:`analyse` reads the layers (Embedding or one-hot or values in, stacked LSTM / GRU /
SimpleRNN, per-step layers after) into a :class:`Plan`; :func:`build_step_model` rebuilds them as
``(token or values, state) -> (output, state)`` with the recurrent copies ``unroll=True`` and the
original weights, all layer states carried as one float vector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from livepredict.core.errors import UnsupportedModelError

RECURRENT = ("LSTM", "GRU", "SimpleRNN")
PASS_THROUGH = ("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                "ActivityRegularization", "InputLayer")
PER_STEP = ("Dense", "Activation", "LayerNormalization", "BatchNormalization", "Softmax", "ReLU",
            "LeakyReLU", "PReLU", "ELU")


class InputKind(StrEnum):
    """What a recurrent model reads at each step."""

    EMBEDDING = "embedding"  # token ids into an Embedding layer
    ONEHOT = "onehot"  # one-hot tokens (a vocabulary in, the same vocabulary out)
    VALUES = "values"  # numbers (a forecaster)


@dataclass
class Plan:
    """The layers of a linear recurrent model, in order, as the step model will use them."""

    input_kind: InputKind
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


def _flat(model: Any) -> list[Any]:
    from livepredict.inference.describe import flat_layers

    return flat_layers(model)


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
        kind, feats = InputKind.EMBEDDING, int(embedding.input_dim)
    elif len(in_shape) == 3:
        feats = int(in_shape[-1] or 0)
        out_dim = int(outputs[0].shape[-1] or 0)
        soft = bool(layers[last + 1:]) and _activation_name(_inner(layers[-1])) == "softmax"
        kind = InputKind.ONEHOT if (feats == out_dim and feats >= 2 and soft) else InputKind.VALUES
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
    if plan.input_kind == InputKind.VALUES:
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
    if plan.input_kind != InputKind.VALUES and not plan.softmax_inside:
        x = ops.softmax(x, axis=-1)
    state_out = new_states[0] if len(new_states) == 1 else ops.concatenate(new_states, axis=-1)
    name = "prime" if sequence else "step"
    return keras.Model([x_in, s_in], [x, state_out], name=name)
