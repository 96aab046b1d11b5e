"""The head seam: a head turns one input's raw model outputs into a typed result (DESIGN §9).

A runtime returns raw tensors; the head registered for the model's task (from the sidecar or
detected by the loader) decodes them. When no head claims the task, the first head whose
``detect`` recognises the outputs is used. Heads are numpy only (no TensorFlow): they run on the
inference thread right after the runtime, and in tests without a model.

Adding a head (a detector, a segmenter, a regression): one module in this package with a class
decorated ``@register``, and its module name in the import line of ``heads/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

import numpy as np

from livepredict.core.errors import UnsupportedModelError
from livepredict.core.geometry import Placement
from livepredict.core.types import HeadResult, ModelInfo, Task


class Head(Protocol):
    """Decodes the raw outputs of one input (one array per model output, batch axis removed)."""

    name: ClassVar[str]
    tasks: ClassVar[tuple[Task, ...]]  # the tasks this head serves when the model declares them

    def __init__(self, info: ModelInfo) -> None: ...

    @classmethod
    def detect(cls, info: ModelInfo) -> bool:
        """True when the model's outputs look like this head's (used when no head claims the task)."""
        ...

    def decode(self, outputs: Sequence[np.ndarray], top_k: int,
               placement: Placement | None = None) -> HeadResult:
        """The result of one input. ``placement`` says where the original picture sits in the model
        input (``core.geometry``): heads that return boxes or masks map them back through it."""
        ...


_HEADS: list[type[Head]] = []


def register(cls: type[Head]) -> type[Head]:
    """Class decorator: make ``cls`` available to :func:`head_for` (in import order)."""
    if cls not in _HEADS:
        _HEADS.append(cls)
    return cls


def registered() -> tuple[type[Head], ...]:
    return tuple(_HEADS)


def head_class(info: ModelInfo) -> type[Head]:
    """The head for ``info``: the one that serves its task, else the first that detects its outputs."""
    for cls in _HEADS:
        if info.task in cls.tasks:
            return cls
    for cls in _HEADS:
        if cls.detect(info):
            return cls
    raise UnsupportedModelError(f"Live Predict cannot read the outputs of this {info.task} model "
                                f"({len(info.outputs)} outputs); no output head fits it.")


def head_for(info: ModelInfo) -> Head:
    return head_class(info)(info)
