"""Small rules of the Live tab's controls: what is offered when (resolution only for a camera,
Snapshot and Record only once there is a frame), and checking a button without its signal."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QComboBox, QWidget


def is_camera(text: str) -> bool:
    """A camera number ("0", "1") or a picked camera entry ("Camera 0: …")."""
    t = text.strip()
    return t.isdigit() or t.lower().startswith("camera ")


def follow_camera_choice(source_box: QComboBox, resolution: QWidget) -> None:
    """Show the camera-resolution picker only while the source is a camera (a file has its own size)."""
    def update(text: str) -> None:
        resolution.setVisible(is_camera(text))

    source_box.currentTextChanged.connect(update)
    update(source_box.currentText())


def offer_shots(on: bool, *buttons: QAbstractButton) -> None:
    """Snapshot and Record make sense once a frame is on screen."""
    for b in buttons:
        b.setEnabled(on)


def set_checked_quietly(button: QAbstractButton, on: bool) -> None:
    """Check or uncheck ``button`` without emitting ``toggled``."""
    if button.isChecked() != on:
        button.blockSignals(True)
        button.setChecked(on)
        button.blockSignals(False)
