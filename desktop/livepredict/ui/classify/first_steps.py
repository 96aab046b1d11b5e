"""The Classify tab's empty state offers first steps as buttons under the drop hint: try the bundled
sample images, open images, open a folder, open a model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

import livepredict

BELOW_TEXT_PX = 260  # the drop zone draws its picture and sentences around its middle; the buttons go below


def sample_images() -> Path | None:
    p = livepredict.data_dir() / "resources" / "samples" / "images"
    return p if p.is_dir() else None


def add_first_steps(zone: QWidget, actions: list[tuple[str, Callable[[], None]]]) -> list[QPushButton]:
    """Buttons (text, callback) in a row under the drop zone's sentences; returns them."""
    lay = QVBoxLayout(zone)
    lay.addStretch(1)
    lay.addSpacing(BELOW_TEXT_PX)
    row = QHBoxLayout()
    row.addStretch(1)
    buttons = []
    for text, slot in actions:
        b = QPushButton(text)
        b.clicked.connect(slot)
        row.addWidget(b)
        buttons.append(b)
    row.addStretch(1)
    lay.addLayout(row)
    lay.addStretch(1)
    return buttons


def ask_folder(parent: QWidget, start: str) -> str:
    """The "Open Folder" dialog; "" when cancelled."""
    return QFileDialog.getExistingDirectory(parent, "Open a folder of images", start)
