"""The rows ``livepredict classify --csv`` writes, shared by the local run and the Ray run.

A classifier has one row per picture with its top labels; a detector one row per detection and a
segmenter one row per class present (``commands.vision_out``). A picture that failed gets one row
of the model's own width with the error in the last cell.
"""

from __future__ import annotations

from typing import Any


def csv_header(top: int, task: str = "") -> list[str]:
    from livepredict.commands.vision_out import csv_header as vision_header

    vision = vision_header(task, top)
    if vision is not None:
        return vision
    header = ["path"]
    for i in range(1, top + 1):
        header += [f"label_{i}", f"score_{i}"]
    return header + ["error"]


def csv_rows(path: str, pred: Any, top: int, task: str = "") -> list[list[Any]]:
    """The rows of one picture's prediction (a failed picture: one row, the error last)."""
    from livepredict.core.results import csv_rows as vision_rows

    rows = vision_rows(pred.result)
    if rows is not None:
        return [[str(path), *r, pred.error or ""] for r in rows]
    width = len(csv_header(top, task))
    if pred.error and width != 2 * top + 2:  # a detector's or segmenter's picture that failed
        return [[str(path), *([""] * (width - 2)), pred.error]]
    row = [str(path)]
    for j in range(top):
        row += ([pred.top[j][0], f"{pred.top[j][1]:.6f}"] if j < len(pred.top) else ["", ""])
    return [row + [pred.error or ""]]
