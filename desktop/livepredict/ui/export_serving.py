"""File › Export for Serving…: the dialog that picks OUT_DIR, name and version, and the messages after.

The export itself runs on the inference thread (``InferenceController.export_for_serving``); this
module only asks and reports: progress in the status line, the folder written, or one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from livepredict.core.serving import default_name
from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.export_task import ExportFinished, ExportProgress
from livepredict.threads.engine.payloads import ModelLoaded


class ExportServingDialog(QDialog):
    """Folder, model name, version and how many labels to return."""

    def __init__(self, parent: QWidget | None, folder: str, name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export for TensorFlow Serving")
        self.folder = QLineEdit(folder)
        self.folder.setObjectName("exportFolder")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.name = QLineEdit(name)
        self.name.setObjectName("exportName")
        self.version = QSpinBox()
        self.version.setRange(1, 999_999)
        self.top = QSpinBox()
        self.top.setRange(1, 100)
        self.top.setValue(5)
        self.where = QLabel()
        self.where.setObjectName("Muted")
        self.where.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Models folder", row)
        form.addRow("Model name", self.name)
        form.addRow("Version", self.version)
        form.addRow("Top labels", self.top)
        form.addRow("", self.where)
        for edit in (self.folder, self.name):
            edit.textChanged.connect(self._show_target)
        self.version.valueChanged.connect(self._show_target)
        self._show_target()
        self.setMinimumWidth(520)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @Slot()
    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Models folder", self.folder.text())
        if path:
            self.folder.setText(path)

    @Slot()
    def _show_target(self) -> None:
        self.where.setText(f"Writes {self.target()} (a SavedModel that TensorFlow Serving serves as "
                           f"model '{self.name.text()}', version {self.version.value()}).")

    def target(self) -> str:
        return str(Path(self.folder.text()) / self.name.text() / str(self.version.value()))


class ServingExport(QObject):
    """Asks with :class:`ExportServingDialog`, sends the request, reports the answer."""

    def __init__(self, parent: QWidget, controller: InferenceController, settings: Settings,
                 current_model: Callable[[], ModelLoaded | None], show_message: Callable[[str], None],
                 show_error: Callable[[str, str], None]) -> None:
        super().__init__(parent)
        self._parent = parent
        self.controller = controller
        self.settings = settings
        self.current_model = current_model
        self.show_message = show_message
        self.show_error = show_error
        self.dialog: ExportServingDialog | None = None
        controller.export_progress.connect(self.on_progress)
        controller.export_finished.connect(self.on_finished)

    @Slot()
    def ask(self) -> None:
        loaded = self.current_model()
        if loaded is None:
            self.show_message("Open a picture model first (File › Open Model…), then export it.")
            return
        start = self.settings.last_dir("serving") or str(Path.home() / "serving-models")
        self.dialog = dialog = ExportServingDialog(self._parent, start, default_name(loaded.info.path))
        if dialog.exec():
            self.start(dialog.folder.text(), dialog.name.text(), str(dialog.version.value()), dialog.top.value())
        dialog.deleteLater()
        self.dialog = None

    def start(self, folder: str, name: str, version: str, top_k: int = 5) -> None:
        self.settings.set_last_dir("serving", folder)
        self.show_message(f"Exporting to {Path(folder) / name / version}…")
        self.controller.export_for_serving(folder, name, version, top_k)

    @Slot(object)
    def on_progress(self, p: ExportProgress) -> None:
        self.show_message(p.text)

    @Slot(object)
    def on_finished(self, f: ExportFinished) -> None:
        if f.error:
            self.show_error(f.error, f.details)
        else:
            self.show_message(f.summary)
