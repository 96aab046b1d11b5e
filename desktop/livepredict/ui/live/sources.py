"""The Live tab's source picker: cameras found, the bundled sample video, typed paths and URLs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox

import livepredict
from livepredict.threads.pipeline import CameraEntry

VIDEO_FILTER = ("Videos (*.avi *.mp4 *.m4v *.mkv *.mov *.webm *.mpg *.mpeg *.wmv *.gif *.mjpg);;"
                "All files (*)")


def sample_video() -> Path | None:
    p = livepredict.data_dir() / "resources" / "samples" / "shapes.avi"
    return p if p.exists() else None


def fill_sources(box: QComboBox, cameras: list[CameraEntry]) -> None:
    """The cameras found, the sample video, and "Camera 0" when none was found; typed text is kept."""
    text = box.currentText()
    box.clear()
    for cam in cameras:
        box.addItem(cam.label, str(cam.index))
    sample = sample_video()
    if sample is not None:
        box.addItem(f"Sample video: {sample.name}", str(sample))
    if not cameras:
        box.addItem("Camera 0", "0")
    if text:
        box.setEditText(text)


def chosen_source(box: QComboBox) -> str:
    """What to open: the data of the picked entry (camera index, file path), else the typed text."""
    text = box.currentText().strip()
    i = box.currentIndex()
    if i >= 0 and box.itemText(i) == text and box.itemData(i):
        return str(box.itemData(i))
    return text
