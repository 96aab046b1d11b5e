"""Detections and segmentations as JSON, CSV rows and mask PNGs (the CLI, the feed, the exports).

``result_json(result)`` is what a :class:`~livepredict.core.types.Prediction`'s JSON gains for a
detector (``detections``: label, score, box x0, y0, x1, y1 in original pixels; ``dropped``; and
``image_size``, the picture's [height, width])
or a segmenter (``segmentation``: the fraction of the picture's pixels per label, the background
class); ``mask_png(seg)`` the class-id mask as an 8-bit palette PNG (pixel value = class id, a
distinct colour per class, the background black). numpy and Pillow only.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from livepredict.core.types import Detections, HeadResult, Prediction, Segmentation, Task

BOX_COLUMNS = ("x0", "y0", "x1", "y1")
# distinct colours for class ids 1, 2, … (0, the background, is black)
PALETTE = ((0, 0, 0), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
           (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128))


def segmentation_json(seg: Segmentation) -> dict[str, Any]:
    return {"labels": list(seg.labels), "background": seg.background,
            "fractions": {lbl: round(float(f), 6) for lbl, f in zip(seg.labels, seg.fractions, strict=False)},
            "size": [int(seg.mask.shape[0]), int(seg.mask.shape[1])]}


def result_json(result: HeadResult | None) -> dict[str, Any]:
    """The keys a detector's or segmenter's result adds to a prediction's JSON (empty otherwise)."""
    if isinstance(result, Detections):
        return {"detections": [d.to_json() for d in result.items], "dropped": int(result.dropped),
                "image_size": [int(result.image_size[0]), int(result.image_size[1])]}
    if isinstance(result, Segmentation):
        return {"segmentation": segmentation_json(result)}
    return {}


def prediction_json(pred: Prediction, k: int | None = None) -> dict[str, Any]:
    return {**pred.to_json(k), **result_json(pred.result)}


def palette_bytes(n: int = 256) -> list[int]:
    out: list[int] = []
    for i in range(n):
        out.extend(PALETTE[i] if i < len(PALETTE) else ((i * 67) % 256, (i * 141) % 256, (i * 29) % 256))
    return out


def mask_png(seg: Segmentation) -> bytes:
    """The mask as PNG bytes: an 8-bit palette image whose pixel values are the class ids."""
    from PIL import Image

    ids = np.asarray(seg.mask)
    if ids.size and int(ids.max()) > 255:
        raise ValueError("a mask PNG holds at most 256 classes")
    im = Image.fromarray(ids.astype(np.uint8), mode="P")
    im.putpalette(palette_bytes())
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def csv_rows(result: HeadResult | None) -> list[list[Any]] | None:
    """(label, score, x0, y0, x1, y1) per detection (one empty row when there is none), or
    (label, fraction) per class present in a segmentation; None for other results."""
    if isinstance(result, Detections):
        rows = [[d.label, f"{d.score:.6f}", *(f"{v:.2f}" for v in d.box)] for d in result.items]
        return rows or [["", "", "", "", "", ""]]
    if isinstance(result, Segmentation):
        rows = [[lbl, f"{f:.6f}"] for lbl, f in zip(result.labels, result.fractions, strict=False) if f > 0]
        return rows or [["", ""]]
    return None


def table_header(top: int, task: str = "") -> list[str]:
    """The header of ``classify --csv`` (and the Classify tab's CSV export): a classifier's row per
    picture with its ``top`` labels; a detector's row per detection (``path, label, score, x0, y0,
    x1, y1, error``), a segmenter's row per class present (``path, label, fraction, error``)."""
    if task == Task.OBJECT_DETECTOR:
        return ["path", "label", "score", *BOX_COLUMNS, "error"]
    if task == Task.SEGMENTER:
        return ["path", "label", "fraction", "error"]
    header = ["path"]
    for i in range(1, top + 1):
        header += [f"label_{i}", f"score_{i}"]
    return header + ["error"]


def table_rows(path: str, ranked: Sequence[tuple[str, float]], result: HeadResult | None, error: str | None,
               top: int, task: str = "") -> list[list[Any]]:
    """The rows of one picture under :func:`table_header`: its ``top`` ``ranked`` labels, or its
    detections or classes present (``result``); a picture that failed gets one row of the table's
    width with the ``error`` in the last cell."""
    rows = csv_rows(result) if not error else None
    if rows is not None:
        return [[str(path), *r, ""] for r in rows]
    width = len(table_header(top, task))
    if error and width != 2 * top + 2:  # a detector's or segmenter's picture that failed
        return [[str(path), *([""] * (width - 2)), error]]
    row = [str(path)]
    for j in range(top):
        row += ([ranked[j][0], f"{ranked[j][1]:.6f}"] if j < len(ranked) else ["", ""])
    return [row + [error or ""]]


def summary_text(result: HeadResult | None) -> str | None:
    """A one-line text summary of a detector's or segmenter's result, None for other results."""
    if isinstance(result, Detections):
        if not result.items:
            return "no detections"
        counts = ", ".join(f"{n} {lbl}" for lbl, n in sorted(result.counts().items(), key=lambda kv: -kv[1]))
        best = result.items[0]
        return f"{len(result.items)} detection{'s' if len(result.items) != 1 else ''} ({counts}); best {best.label} " \
               f"{best.score:.3f} at {[round(v) for v in best.box]}"
    if isinstance(result, Segmentation):
        top = result.top
        if not top:
            return "only background"
        return ", ".join(f"{lbl} {f:.1%}" for lbl, f in top[:5])
    return None
