"""Detectors and segmenters among the opened models: the task and the decoder, and why.

Called where the task is settled (``profile.resolve_profile``) and where the model's info is
built (the decoder goes into ``info.extras["decoder"]`` with its reason, for ``info`` and the
heads). The order: the sidecar's ``task`` and ``decoder``, the file's embedded metadata, then the
outputs' names and shapes (``heads.layouts.recognise``). A model asked to be a detector or a
segmenter (or looking like an image-to-image model) whose outputs fit no decoder opens as
generic, with one sentence naming its output shapes and the sidecar keys to set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livepredict.core.types import Task
from livepredict.inference.describe import ModelStructure
from livepredict.inference.heads.layouts import Layout, recognise, unfit_sentence
from livepredict.inference.sidecar import sidecar_path

VISION_TASKS = (Task.OBJECT_DETECTOR, Task.SEGMENTER)


def _looks_visual(structure: ModelStructure) -> bool:
    """One picture in, and outputs with a spatial or box axis (rank 3 or more) only."""
    ins = structure.inputs
    return (len(ins) == 1 and len(ins[0].shape) == 4 and bool(structure.outputs)
            and all(len(t.shape) >= 3 for t in structure.outputs))


def layout_for(structure: ModelStructure, task: str, sidecar: dict[str, Any] | None, labels: tuple[str, ...],
               metadata: dict[str, Any] | None = None) -> Layout | None:
    """The recognised layout, or None (``task`` as settled so far)."""
    sc = sidecar or {}
    asked = sc.get("task")
    if asked and asked not in VISION_TASKS:
        return None
    if not (asked or sc.get("decoder") or metadata) and task not in ("generic", *VISION_TASKS) \
            and len(structure.outputs) < 2:
        return None
    index = structure.output_index
    activation = structure.activations[index] if len(structure.activations) > index else None
    return recognise(structure.inputs, structure.outputs, labels, sidecar_decoder=sc.get("decoder"),
                     task=asked or None, metadata=metadata, activation=activation, kind=structure.output_kind)


def settle(path: Path, structure: ModelStructure, task: str, sidecar: dict[str, Any] | None,
           labels: tuple[str, ...], metadata: dict[str, Any] | None = None) -> tuple[str, str | None]:
    """(task, warning or None): a detector or segmenter when a layout fits; generic with the one
    sentence when one was asked for (or the outputs look like one) but none fits."""
    layout = layout_for(structure, task, sidecar, labels, metadata)
    if layout is not None:
        return layout.task, None
    sc = sidecar or {}
    asked_task = sc.get("task") or (metadata or {}).get("task")
    if asked_task in VISION_TASKS or sc.get("decoder"):
        what = f"The sidecar says this model is a {asked_task}" if sc.get("task") else (
            f"{(metadata or {}).get('source', 'The model')} says this model is a {asked_task or 'detector'}")
        return Task.GENERIC, unfit_sentence(structure.outputs, sidecar_path(path).name, what)
    if task in (Task.GENERIC, *VISION_TASKS) and _looks_visual(structure):
        return Task.GENERIC, unfit_sentence(structure.outputs, sidecar_path(path).name)
    return task, None


def decoder_extras(structure: ModelStructure, task: str, sidecar: dict[str, Any] | None, labels: tuple[str, ...],
                   metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"decoder": layout JSON}`` for ``info.extras`` when ``task`` is a detector or segmenter."""
    if task not in VISION_TASKS:
        return {}
    layout = layout_for(structure, task, sidecar, labels, metadata)
    return {"decoder": layout.to_json()} if layout is not None and layout.task == task else {}
