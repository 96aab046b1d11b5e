"""Which detector or segmenter layout a model's outputs follow, and why (no TensorFlow, no values).

:func:`recognise` looks, in this order, at what the sidecar's ``decoder`` says, what the model's
embedded metadata says (a ``.tflite`` with a metadata entry), the outputs' names (the TF Object
Detection API's ``detection_boxes`` …, Keras dict outputs ``boxes``, ``confidence`` …) and their
shapes (the TFLite detection post-process op in its TF1 and TF2 orders, raw SSD box regressors
with scores against generated anchors, YOLO-style raw and end-to-end outputs, masks). It returns a
:class:`Layout` naming the decoder, the output of each role and the reason, or None. What can only
be told from values (boxes normalised or in pixels, which of two same-shape outputs holds the
scores) is settled by the decoders (``heads/decoders.py``) on each result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from livepredict.core.types import Task, TensorInfo
from livepredict.inference.heads import anchors as ssd_anchors

DECODERS = ("yolo", "yolo-objectness", "end-to-end", "ssd-postprocess", "anchors", "od-api", "dict", "mask")
DETECTOR_DECODERS = DECODERS[:-1]
BACKGROUND_NAMES = ("background", "???", "__background__", "bg", "_background_")
_SIDECAR_KEYS = ("type", "box_format", "normalized", "score_threshold", "iou_threshold", "anchors", "background")


@dataclass(frozen=True)
class Layout:
    """A recognised layout: ``roles`` maps a role (``boxes``, ``scores`` …) to its output index;
    ``options`` holds the decoder's options (from the sidecar, the metadata or the shapes)."""

    task: Task
    decoder: str
    reason: str
    roles: dict[str, int] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"task": str(self.task), "type": self.decoder, "reason": self.reason, "outputs": dict(self.roles),
                "options": dict(self.options)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Layout:
        return cls(Task(d["task"]), d["type"], d.get("reason", ""), dict(d.get("outputs") or {}),
                   dict(d.get("options") or {}))


def base_name(name: str) -> str:
    """``detection_boxes`` of ``StatefulPartitionedCall/detection_boxes:0``."""
    return name.split(":")[0].split("/")[-1].lower()


def has_background(labels: Sequence[str]) -> bool:
    return bool(labels) and labels[0].strip().lower() in BACKGROUND_NAMES


def _shapes(outputs: Sequence[TensorInfo]) -> str:
    return ", ".join(f"{list(t.shape)}" for t in outputs)


def unfit_sentence(outputs: Sequence[TensorInfo], sidecar_name: str, asked: str = "") -> str:
    """The one sentence for a model whose outputs fit no decoder."""
    why = f"{asked}, but its" if asked else "Its"
    return (f"{why} outputs ({_shapes(outputs)}) fit no detector or segmenter layout Live Predict knows, so "
            f"it opens as generic; to read them, set \"task\" and \"decoder\" (\"type\": "
            f"{', '.join(DECODERS)}; \"box_format\", \"normalized\", \"anchors\") in the sidecar {sidecar_name}.")


# ---------------------------------------------------------------- by names

def _by_names(outputs: Sequence[TensorInfo], want: str | None) -> tuple[str, dict[str, int], str] | None:
    names = {base_name(t.name): i for i, t in enumerate(outputs)}
    od = {"boxes": "detection_boxes", "scores": "detection_scores", "classes": "detection_classes",
          "count": "num_detections"}
    if want in (None, "od-api") and all(od[k] in names for k in ("boxes", "scores", "classes")):
        roles = {k: names[v] for k, v in od.items() if v in names}
        return "od-api", roles, "its outputs are named as the TF Object Detection API names them (detection_boxes …)"
    score_name = "confidence" if "confidence" in names else "scores"
    if want in (None, "dict") and "boxes" in names and "classes" in names and score_name in names:
        roles = {"boxes": names["boxes"], "scores": names[score_name], "classes": names["classes"]}
        if "num_detections" in names:
            roles["count"] = names["num_detections"]
        return "dict", roles, f"its outputs are named boxes, {score_name}, classes"
    return None


# ---------------------------------------------------------------- by shapes

def _postprocess(outputs: Sequence[TensorInfo]) -> tuple[dict[str, int], dict[str, Any], str] | None:
    """Four outputs of the TFLite detection post-process op: boxes (N, 4), classes, scores (N), count."""
    if len(outputs) != 4:
        return None
    ranks = [len(t.shape) for t in outputs]
    box = [i for i, t in enumerate(outputs) if len(t.shape) == 3 and t.shape[2] == 4]
    count = [i for i, t in enumerate(outputs) if len(t.shape) == 1 or (len(t.shape) == 2 and t.shape[1] == 1)]
    pair = [i for i, r in enumerate(ranks) if r == 2 and i not in count]
    if len(box) != 1 or len(count) != 1 or len(pair) != 2:
        return None
    if box[0] == 0:  # TF1 order: boxes, classes, scores, count
        return ({"boxes": box[0], "classes": pair[0], "scores": pair[1], "count": count[0]}, {"order": "tf1"},
                "four outputs shaped as the TFLite detection post-process op's, boxes first (TF1 order)")
    return ({"boxes": box[0], "scores": pair[0], "classes": pair[1], "count": count[0]}, {"order": "tf2"},
            "four outputs shaped as the TFLite detection post-process op's, scores first (TF2 order)")


def _anchor_layout(outputs: Sequence[TensorInfo], hw: tuple[int | None, int | None],
                   sidecar_anchors: dict[str, Any] | None) -> tuple[dict[str, int], dict[str, Any], str] | None:
    """Raw SSD outputs: box regressors (N, 4 + 2k) and scores (N, classes) against generated anchors."""
    if len(outputs) != 2 or any(len(t.shape) != 3 for t in outputs):
        return None
    a, b = outputs
    if not a.shape[1] or a.shape[1] != b.shape[1] or not a.shape[2] or not b.shape[2]:
        return None
    reg, sc = (0, 1) if a.shape[2] > b.shape[2] else (1, 0)
    width = outputs[reg].shape[2] or 0
    if width < 4 or (width - 4) % 2 or hw[0] is None or hw[1] is None:
        return None
    n = int(outputs[reg].shape[1] or 0)
    options = ssd_anchors.options_for(n, (int(hw[0]), int(hw[1])), sidecar_anchors)
    if options is None:
        return None
    how = "the sidecar's anchors" if sidecar_anchors else f"anchors of strides {options['strides']}"
    return ({"boxes": reg, "scores": sc}, {"anchors": options},
            f"box regressors {list(outputs[reg].shape)} and scores {list(outputs[sc].shape)} match {n} {how}")


def _yolo(outputs: Sequence[TensorInfo], labels: Sequence[str], want: str | None
          ) -> tuple[str, dict[str, int], dict[str, Any], str] | None:
    rank3 = [i for i, t in enumerate(outputs) if len(t.shape) == 3 and t.shape[1] and t.shape[2]]
    if len(outputs) != 1 or len(rank3) != 1:
        return None
    shape = outputs[0].shape
    a, b = int(shape[1] or 0), int(shape[2] or 0)
    if want == "end-to-end" or (want is None and b == 6 and a <= 1000 and len(labels) != 2):
        if b != 6:
            return None
        return "end-to-end", {"boxes": 0}, {}, f"one output {list(shape)}: x0, y0, x1, y1, score, class per box"
    transposed = a < b
    ch, n = (a, b) if transposed else (b, a)
    if ch < 5:
        return None
    objectness = want == "yolo-objectness" or (want is None and (
        (labels and ch == 5 + len(labels)) or (not labels and ch == 85)))
    kind = "yolo-objectness" if objectness else "yolo"
    axes = f"{ch} values per box on axis {1 if transposed else 2}"
    what = "cx, cy, w, h, objectness, then class scores" if objectness else "cx, cy, w, h, then class scores"
    return kind, {"boxes": 0}, {"transposed": transposed}, f"one output {list(shape)}: {n} boxes, {axes} ({what})"


def _spatial(h: int | None, w: int | None, hw: tuple[int | None, int | None]) -> bool:
    if None in (h, w, hw[0], hw[1]):
        return True
    ry, rx = (hw[0] or 1) / (h or 1), (hw[1] or 1) / (w or 1)
    return math.isclose(ry, rx, rel_tol=0.05) and any(math.isclose(ry, s, rel_tol=0.05) for s in (1, 2, 4, 8, 16, 32))


def _mask(outputs: Sequence[TensorInfo], hw: tuple[int | None, int | None], in_channels: int | None,
          activation: str | None, kind: str | None, asked: bool) -> tuple[dict[str, int], dict[str, Any], str] | None:
    if len(outputs) != 1:
        return None
    shape = outputs[0].shape
    if len(shape) == 4 and _spatial(shape[1], shape[2], hw):
        c = shape[3]
        if c == 1:
            return {"mask": 0}, {"map": "sigmoid"}, f"one output {list(shape)}: a mask per pixel"
        probs = activation == "softmax" or kind == "softmax"
        if c and (asked or probs or c != in_channels):
            what = "class probabilities" if probs else "class scores"
            return {"mask": 0}, {"map": "scores"}, f"one output {list(shape)}: {what} per pixel"
        return None
    if len(shape) == 3 and shape[1] and shape[2] and _spatial(shape[1], shape[2], hw) and (shape[1] or 0) >= 4:
        return {"mask": 0}, {"map": "classes"}, f"one output {list(shape)}: a class id per pixel"
    return None


def _shape_layout(outputs: Sequence[TensorInfo], hw: tuple[int | None, int | None], labels: Sequence[str],
                  want: str | None, sidecar: dict[str, Any], in_channels: int | None, activation: str | None,
                  kind: str | None, task: str | None) -> Layout | None:
    if want in (None, "ssd-postprocess") and (found := _postprocess(outputs)):
        return Layout(Task.OBJECT_DETECTOR, "ssd-postprocess", found[2], found[0], found[1])
    if want in (None, "anchors") and (found := _anchor_layout(outputs, hw, sidecar.get("anchors"))):
        return Layout(Task.OBJECT_DETECTOR, "anchors", found[2], found[0], found[1])
    if want in (None, "mask") and task != Task.OBJECT_DETECTOR and (
            found := _mask(outputs, hw, in_channels, activation, kind, want == "mask" or task == Task.SEGMENTER)):
        return Layout(Task.SEGMENTER, "mask", found[2], found[0], found[1])
    if want in (None, "yolo", "yolo-objectness", "end-to-end") and task != Task.SEGMENTER and (
            y := _yolo(outputs, labels, want)):
        return Layout(Task.OBJECT_DETECTOR, y[0], y[3], y[1], y[2])
    return None


def _picture_input(t: TensorInfo) -> bool:
    """(N, H, W, 1 | 3 | 4) or a grayscale (N, H, W) of at least 16x16 (not a (N, time, features) series)."""
    shape = t.shape
    if len(shape) == 4:
        return shape[3] in (1, 3, 4, None)
    return len(shape) == 3 and (shape[1] or 0) >= 16 and (shape[2] or 0) >= 16


def recognise(inputs: Sequence[TensorInfo], outputs: Sequence[TensorInfo], labels: Sequence[str] = (), *,
              sidecar_decoder: dict[str, Any] | None = None, task: str | None = None,
              metadata: dict[str, Any] | None = None, activation: str | None = None,
              kind: str | None = None) -> Layout | None:
    """The layout of a model that takes one picture, or None (``task``: the sidecar's, if any).

    ``metadata``: what the file's embedded metadata says (``task``, ``decoder``, ``source``)."""
    if len(inputs) != 1 or not _picture_input(inputs[0]) or not outputs:
        return None
    if task not in (None, Task.OBJECT_DETECTOR, Task.SEGMENTER):
        return None
    shape = inputs[0].shape
    hw = (shape[1], shape[2])
    in_channels = shape[3] if len(shape) == 4 else 1
    meta = metadata or {}
    sidecar = dict(meta.get("decoder") or {})
    sidecar.update(sidecar_decoder or {})
    want = sidecar.get("type")
    task = task or meta.get("task")
    if want is not None and task is None:
        task = Task.SEGMENTER if want == "mask" else Task.OBJECT_DETECTOR
    options = {k: v for k, v in sidecar.items() if k in _SIDECAR_KEYS and k not in ("type", "anchors")}
    found: Layout | None = None
    named = _by_names(outputs, want) if want in (None, "od-api", "dict") and task != Task.SEGMENTER else None
    if named is not None:
        found = Layout(Task.OBJECT_DETECTOR, named[0], named[2], named[1])
    else:
        found = _shape_layout(outputs, hw, labels, want, sidecar, in_channels, activation, kind, task)
    if found is None:
        return None
    why = found.reason
    if sidecar_decoder and sidecar_decoder.get("type"):
        why = f"the sidecar names the {found.decoder} decoder; {why}"
    elif meta.get("source"):
        why = f"{meta['source']}; {why}"
    return Layout(found.task, found.decoder, why, found.roles, {**found.options, **options})
