"""Exporting the cards: CSV or JSON with the same content as ``livepredict classify --csv`` / ``--json``
(a detector's boxes at the Score and IoU the tab is set to), and the save dialog that picks the file."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from livepredict.core.outfile import CsvRows, write_text
from livepredict.core.results import table_header, table_rows
from livepredict.ui.classify.cards import Card


def _as_shown(result: Any) -> Any:
    return result


def results_json(cards: Sequence[Card], k: int, shown: Callable[[Any], Any] = _as_shown) -> list[dict[str, Any]]:
    return [c.to_json(k, shown) for c in cards]


def write_results(path: str | Path, cards: Sequence[Card], k: int, task: str = "",
                  shown: Callable[[Any], Any] = _as_shown) -> Path:
    """Write every card to ``path`` (JSON if it ends in .json, else CSV): the top ``k`` labels, or a
    detector's detections at the thresholds the tab shows (``shown``: ``Thresholds.shown``), or a
    segmenter's classes present, as ``livepredict classify --json`` / ``--csv`` would."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return write_text(path, json.dumps(results_json(cards, k, shown), indent=2, ensure_ascii=False) + "\n")
    # whole rows through a temporary file renamed over ``path`` (an older export is never emptied first)
    with CsvRows(path) as w:
        w.row(table_header(k, task))
        for c in cards:
            result = shown(c.prediction.result) if c.prediction is not None and not c.error else None
            for row in table_rows(c.key, c.top_k(k) if not c.error else (), result, c.error, k, task):
                w.row(row)
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
