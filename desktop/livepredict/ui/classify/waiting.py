"""Images given before any model is open: kept (and said so on the drop zone), classified once a model is ready."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livepredict.core.wording import count
from livepredict.ui.widgets import DropZone


class WaitingImages:
    """The images and folders waiting for a model, shown on the Classify tab's empty state."""

    def __init__(self, hint: DropZone) -> None:
        self.items: list[Any] = []
        self.hint = hint
        self._title, self._text = hint.title, hint.hint

    def add(self, items: list[Any]) -> str:
        """Keep ``items``; returns the sentence that says so."""
        self.items += list(items)
        folders = sum(1 for i in self.items if isinstance(i, str) and Path(i).is_dir())
        what = count(len(self.items) - folders, "image") + (f" and {count(folders, 'folder')}" if folders else "")
        self.hint.title = f"{what} waiting for a model"
        self.hint.hint = ("Open a model (File › Open Model, Ctrl+O, or drop a model file here):\n"
                          "they are classified as soon as it is ready.")
        self.hint.update()
        return f"No model is open yet: {what} kept, classified as soon as a model is ready."

    def take(self) -> list[Any]:
        """The waiting items (none are kept afterwards); the drop zone says what it said before."""
        items, self.items = self.items, []
        self.hint.title, self.hint.hint = self._title, self._text
        self.hint.update()
        return items
