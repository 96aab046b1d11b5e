"""Opening a Keras file as a :class:`TextGenerator` or a :class:`Forecaster`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from livepredict.core.errors import SidecarError, UnsupportedModelError
from livepredict.core.types import Task
from livepredict.inference.generation.forecast import Forecaster, open_forecaster
from livepredict.inference.generation.plan import RECURRENT, InputKind, Plan, _flat, _kind, analyse
from livepredict.inference.generation.steps import build_step_engine
from livepredict.inference.generation.text import TextGenerator, Vocab, read_vocab_file
from livepredict.inference.runtimes import DEFAULT_TOLERANCE
from livepredict.inference.tf_env import Status

Generator = TextGenerator | Forecaster


def load_keras(path: Path, trust: bool, status: Status) -> Any:
    from livepredict.inference.loader import _load_keras_file, detect_format

    fmt = detect_format(path)
    if fmt not in ("keras", "h5"):
        raise UnsupportedModelError(f"{path.name} is a {fmt} model; generation needs the Keras model (.keras or "
                                    ".h5) to rebuild its recurrent step.")
    return _load_keras_file(path, fmt, trust, status)[0]


def _is_text(plan: Plan, sidecar: dict[str, Any] | None) -> bool:
    task = (sidecar or {}).get("task")
    if task == Task.TEXT_GENERATOR:
        return True
    if task == Task.SEQUENCE_FORECASTER:
        return False
    if (sidecar or {}).get("vocab"):
        return True
    return plan.input_kind in (InputKind.EMBEDDING, InputKind.ONEHOT)


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
    model = keras_model if keras_model is not None else load_keras(p, trust, status)
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
        if plan.input_kind == InputKind.VALUES and plan.in_features == plan.out_features:
            plan.input_kind = InputKind.ONEHOT  # a vocabulary in, the same vocabulary out: one-hot characters
        if plan.input_kind == InputKind.VALUES:
            raise UnsupportedModelError(f"{name} takes {plan.in_features} numbers per step, not tokens; open it "
                                        "as a forecaster or use a model with an Embedding or one-hot input.")
        engine = build_step_engine(model, plan, runtime=runtime, status=status, tolerance=tolerance)
        return TextGenerator(engine, Vocab(tokens), name=name)
    return open_forecaster(p, model, plan, sidecar, runtime=runtime, status=status, tolerance=tolerance)


def _looks_numeric(model: Any) -> bool:
    ins = list(getattr(model, "inputs", []) or [])
    return len(ins) == 1 and len(ins[0].shape) == 3 and not str(ins[0].dtype).startswith("int")
