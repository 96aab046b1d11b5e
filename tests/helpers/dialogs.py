"""Driving the app's real modal dialogs from a test: a ``ModalDriver`` polls for the dialog from a
timer (the app is inside the dialog's nested event loop), records what the user would see and answers
it like a user: type a file name and click Open/Save, pick a button, or Cancel."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLineEdit,
    QMessageBox,
)


@dataclass
class Seen:
    """A file dialog as it looked when it opened."""

    title: str
    directory: Path
    name_filters: list[str]
    selected: list[str]  # what the name field proposed, resolved against the folder
    accept_mode: QFileDialog.AcceptMode
    file_mode: QFileDialog.FileMode


class ModalDriver(QObject):
    """Waits (polling from a timer; the app is inside the dialog's nested event loop) for the next
    modal widget of type ``kind`` and hands it to ``answer``. An exception in ``answer`` rejects the
    dialog (so the app never hangs) and is raised again by ``driving`` once the app has returned; so is
    a dialog that never shows up as a visible widget (a native one) within ``give_up_s``."""

    def __init__(self, kind: type[QDialog], answer: Callable[[QDialog], None], give_up_s: float = 20.0) -> None:
        super().__init__()
        self.kind, self.answer = kind, answer
        self.deadline = time.monotonic() + give_up_s
        self.seen: list[Seen] = []  # file dialogs
        self.texts: list[str] = []  # message boxes: text and informative text
        self.error: BaseException | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    @Slot()
    def poll(self) -> None:
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, self.kind) or not dlg.isVisible():
            if time.monotonic() > self.deadline:
                self.timer.stop()
                self.error = AssertionError(f"no visible {self.kind.__name__} to answer")
                for w in QApplication.topLevelWidgets():
                    if isinstance(w, self.kind):
                        w.reject()
            return
        self.timer.stop()
        if isinstance(dlg, QFileDialog):
            self.seen.append(Seen(dlg.windowTitle(), Path(dlg.directory().absolutePath()), dlg.nameFilters(),
                                  dlg.selectedFiles(), dlg.acceptMode(), dlg.fileMode()))
        elif isinstance(dlg, QMessageBox):
            self.texts.append(dlg.text() + dlg.informativeText())
        try:
            self.answer(dlg)
        except BaseException as e:  # noqa: BLE001 - raised again in the test, after the dialog is gone
            self.error = e
            dlg.reject()


@contextlib.contextmanager
def driving(answer: Callable[[QDialog], None], kind: type[QDialog] = QFileDialog) -> Iterator[ModalDriver]:
    driver = ModalDriver(kind, answer)
    try:
        yield driver
    finally:
        driver.timer.stop()
        driver.deleteLater()
    if driver.error is not None:
        raise driver.error


def _button(dlg: QDialog, role: QDialogButtonBox.ButtonRole):
    box = dlg.findChild(QDialogButtonBox)
    return next(b for b in box.buttons() if box.buttonRole(b) == role)


def choose(*names: str | Path, folder: Path | None = None,
           name_filter: str | None = None) -> Callable[[QFileDialog], None]:
    """Answer: go to ``folder``, pick ``name_filter``, type the file name(s) and click Open/Save."""

    def answer(dlg: QFileDialog) -> None:
        if folder is not None:
            dlg.setDirectory(str(folder))
        if name_filter is not None:  # arrow keys on the "Files of type" box, as a user would
            combo = dlg.findChild(QComboBox, "fileTypeCombo")
            for _ in range(combo.count()):
                if combo.currentText() == name_filter:
                    break
                QTest.keyClick(combo, Qt.Key.Key_Down)
            assert dlg.selectedNameFilter() == name_filter
        edit = dlg.findChild(QLineEdit, "fileNameEdit")
        if names:
            edit.setText(str(names[0]) if len(names) == 1 else " ".join(f'"{n}"' for n in names))
        ok = _button(dlg, QDialogButtonBox.ButtonRole.AcceptRole)
        assert ok.isEnabled(), f"{ok.text()!r} is disabled for {edit.text()!r}"
        ok.click()

    return answer


def cancel(dlg: QDialog) -> None:
    _button(dlg, QDialogButtonBox.ButtonRole.RejectRole).click()
