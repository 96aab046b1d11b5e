"""File › Recent Models: the models opened last, newest first, and "Clear Menu"."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from livepredict.settings import Settings


class RecentModelsMenu(QMenu):
    """Signals: chosen(str) — the path of the model picked."""

    chosen = Signal(str)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__("&Recent Models", parent)
        self.settings = settings
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        recent = self.settings.recent_models()
        names = [Path(p).name for p in recent]
        for path in recent:
            name = Path(path).name  # two models of the same name also show their folder
            a = QAction(name if names.count(name) == 1 else f"{name} — {_folder(path)}", self)
            a.setToolTip(path)
            a.setStatusTip(path)
            a.setData(path)
            a.triggered.connect(self._on_recent)
            self.addAction(a)
        if recent:
            self.addSeparator()
            self.addAction("Clear Menu", self._clear)
        self.setEnabled(bool(recent))

    @Slot()
    def _on_recent(self) -> None:
        a = self.sender()
        if isinstance(a, QAction) and a.data():
            self.chosen.emit(a.data())

    @Slot()
    def _clear(self) -> None:
        self.settings.clear_recent_models()
        self.refresh()


def _folder(path: str, limit: int = 48) -> str:
    """The folder of ``path`` for a menu: ``~`` for the home folder, the start elided when long."""
    folder, home = str(Path(path).parent), str(Path.home())
    if folder == home or folder.startswith(home + "/"):
        folder = "~" + folder[len(home):]
    return folder if len(folder) <= limit else "…" + folder[-(limit - 1):]
