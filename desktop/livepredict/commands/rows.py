"""The rows ``livepredict classify --csv`` writes, shared by the local run and the Ray run."""

from __future__ import annotations

from typing import Any


def csv_header(top: int) -> list[str]:
    header = ["path"]
    for i in range(1, top + 1):
        header += [f"label_{i}", f"score_{i}"]
    return header + ["error"]


def csv_row(path: str, pred: Any, top: int) -> list[str]:
    row = [str(path)]
    for j in range(top):
        row += ([pred.top[j][0], f"{pred.top[j][1]:.6f}"] if j < len(pred.top) else ["", ""])
    return row + [pred.error or ""]
