"""Errors that stay: a banner above the tabs with the sentence, "Copy Details" and "Dismiss". It stays
until dismissed or replaced by the next error (a status-bar line is gone with the next action)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class ErrorBanner(QFrame):
    """One error sentence, kept on screen until the user dismisses it."""

    def __init__(self, copy_details: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ErrorBanner")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 6, 6)
        self.text = QLabel("")
        self.text.setObjectName("ErrorText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.text, 1)
        self.copy_button = QPushButton("Copy Details")
        self.copy_button.clicked.connect(copy_details)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(self.dismiss)
        row.addWidget(self.copy_button)
        row.addWidget(self.dismiss_button)
        self.hide()

    def show_error(self, message: str) -> None:
        self.text.setText(message)
        self.show()

    def dismiss(self) -> None:
        self.text.setText("")
        self.hide()


def above(banner: QWidget, widget: QWidget) -> QWidget:
    """``banner`` over ``widget`` in one container (the window's central widget)."""
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(0)
    lay.addWidget(banner)
    lay.addWidget(widget, 1)
    return box


def still_in_use(message: str, loaded: Any) -> str:
    """A failed open's sentence, plus which model is still open (nothing was lost)."""
    if loaded is None:
        return message
    return f"{message} {Path(loaded.info.path).name} is still open and in use."
