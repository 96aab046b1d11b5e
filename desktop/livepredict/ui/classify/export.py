"""Exporting the cards: CSV or JSON with the same content as ``livepredict classify --csv`` / ``--json``,
and the save dialog that picks the file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from livepredict.core.outfile import CsvRows, write_text
from livepredict.ui.classify.cards import Card


def results_json(cards: Sequence[Card], k: int) -> list[dict[str, Any]]:
    return [c.to_json(k) for c in cards]


def write_results(path: str | Path, cards: Sequence[Card], k: int) -> Path:
    """Write the top ``k`` labels of every card to ``path`` (JSON if it ends in .json, else CSV)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return write_text(path, json.dumps(results_json(cards, k), indent=2, ensure_ascii=False) + "\n")
    # whole rows through a temporary file renamed over ``path`` (an older export is never emptied first)
    with CsvRows(path) as w:
        header = ["path"]
        for i in range(1, k + 1):
            header += [f"label_{i}", f"score_{i}"]
        w.row(header + ["error"])
        for c in cards:
            row = [c.key]
            top = c.top_k(k) if not c.error else ()
            for j in range(k):
                row += [top[j][0], f"{top[j][1]:.6f}"] if j < len(top) else ["", ""]
            w.row(row + [c.error or ""])
    return path


def ask_export_path(parent: QWidget, start: str) -> str:
    """The "Export Results" save dialog; "" when cancelled.

    Not getSaveFileName: a name typed without an extension must get the one of the type picked in the
    dialog (the export goes by the suffix), and before the dialog asks about replacing an existing file.
    """
    dialog = QFileDialog(parent, "Export Results", start, "CSV (*.csv);;JSON (*.json)")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("csv")
    dialog.filterSelected.connect(lambda f: dialog.setDefaultSuffix("json" if "json" in f.lower() else "csv"))
    path = dialog.selectedFiles()[0] if dialog.exec() and dialog.selectedFiles() else ""
    dialog.deleteLater()
    return path
