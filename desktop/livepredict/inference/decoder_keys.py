"""The sidecar's ``decoder`` object: how a detector's or segmenter's outputs are read.

Keys (all optional): ``type`` (one of ``heads.layouts.DECODERS``; guessed when absent),
``box_format`` (``xyxy``, ``yxyx``, ``cxcywh``), ``normalized`` (boxes in 0..1 rather than
model-input pixels), ``score_threshold`` and ``iou_threshold`` (0..1), ``anchors`` (raw SSD
anchor options: ``strides``, ``min_scale``, ``max_scale``, ``aspect_ratios``,
``interpolated_scale_aspect_ratio``, ``anchor_offset``, ``fixed_anchor_size``, ``scale``,
``nms`` ``weighted``/``plain``, ``keypoints``), ``background`` (the class id of the background
label, 0, or null when there is none). :func:`decoder_problem` says what is wrong, in a few words.
"""

from __future__ import annotations

from typing import Any

from livepredict.core.boxes import BOX_FORMATS
from livepredict.inference.heads.anchors import KEYS as ANCHOR_KEYS
from livepredict.inference.heads.layouts import DECODERS

DECODER_KEYS = ("type", "box_format", "normalized", "score_threshold", "iou_threshold", "anchors", "background")


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _anchors_problem(a: Any) -> str | None:
    if not isinstance(a, dict):
        return "'anchors' that is not a JSON object"
    unknown = sorted(set(a) - set(ANCHOR_KEYS))
    if unknown:
        return f"unknown 'anchors' key(s) {', '.join(unknown)} (allowed: {', '.join(ANCHOR_KEYS)})"
    strides = a.get("strides")
    if strides is not None and not (isinstance(strides, list) and strides and all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in strides)):
        return "'anchors' 'strides' that is not a list of positive whole numbers"
    for key in ("min_scale", "max_scale", "interpolated_scale_aspect_ratio", "anchor_offset"):
        if a.get(key) is not None and not _number(a[key]):
            return f"'anchors' '{key}' that is not a number"
    ratios = a.get("aspect_ratios")
    if ratios is not None and not (isinstance(ratios, list) and all(_number(r) and r > 0 for r in ratios)):
        return "'anchors' 'aspect_ratios' that is not a list of positive numbers"
    scale = a.get("scale")
    if scale is not None and not (isinstance(scale, list) and len(scale) == 4 and all(_number(s) and s > 0
                                                                                     for s in scale)):
        return "'anchors' 'scale' that is not four positive numbers (x, y, w, h)"
    if a.get("nms") is not None and a["nms"] not in ("weighted", "plain"):
        return f"'anchors' 'nms' {a['nms']!r}, not weighted or plain"
    return None


def decoder_problem(d: Any) -> str | None:
    """None when ``d`` is a valid ``decoder`` object, else what is wrong ("has …" completes it)."""
    if not isinstance(d, dict):
        return "'decoder' that is not a JSON object"
    unknown = sorted(set(d) - set(DECODER_KEYS))
    if unknown:
        return f"unknown 'decoder' key(s) {', '.join(unknown)} (allowed: {', '.join(DECODER_KEYS)})"
    if d.get("type") is not None and d["type"] not in DECODERS:
        return f"decoder type {d['type']!r}, not one of {', '.join(DECODERS)}"
    if d.get("box_format") is not None and d["box_format"] not in BOX_FORMATS:
        return f"box_format {d['box_format']!r}, not one of {', '.join(BOX_FORMATS)}"
    if d.get("normalized") is not None and not isinstance(d["normalized"], bool):
        return "'normalized' that is not true or false"
    for key in ("score_threshold", "iou_threshold"):
        v = d.get(key)
        if v is not None and not (_number(v) and 0.0 <= v <= 1.0):
            return f"'{key}' that is not a number from 0 to 1"
    bg = d.get("background")
    if bg is not None and not (isinstance(bg, int) and not isinstance(bg, bool) and bg >= 0):
        return "'background' that is neither a class id (0, 1, …) nor null"
    if d.get("anchors") is not None:
        return _anchors_problem(d["anchors"])
    return None
