"""The Model tab's "Fast (int8)" group: quantise the open classifier, see how it compares, opt in.

"Quantise and Check" asks the inference thread to quantise the model to int8, calibrated on the
pictures classified with it since it was opened, or on a folder the user picks (synthetic pictures when
there are none), and to check it against the float runtime on other pictures. The group then shows
the top-1 agreement, the largest |score difference| and both speeds, and offers "Use Fast (int8)"
only when the agreement is high enough. Nothing is chosen silently: the user ticks the box, and the
status bar and the Runtime field say which runtime runs.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livepredict.core.types import INT8_RUNTIME, Task
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.int8_task import RECENT, Int8Progress, Int8Ready
from livepredict.threads.engine.payloads import ModelLoaded

INTRO = ("Quantise the model to 8-bit integers for speed. It is checked against the float model on "
         "pictures it was not calibrated on, and offered only when their top-1 labels agree on 99% or more.")
SOURCES = (("Pictures classified with this model", RECENT), ("A folder of pictures…", ""))


class Int8Box(QGroupBox):
    """The group; follows the main slot's model (``model_loaded``, ``runtime_switched``)."""

    def __init__(self, controller: InferenceController, parent: QWidget | None = None) -> None:
        super().__init__("Fast (int8)", parent)
        self.setObjectName("int8Box")
        self.controller = controller
        self.loaded: ModelLoaded | None = None
        self.ready: Int8Ready | None = None
        lay = QVBoxLayout(self)
        intro = QLabel(INTRO)
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        row = QHBoxLayout()
        row.addWidget(QLabel("Calibrate on"))
        self.source = QComboBox()
        for text, _ in SOURCES:
            self.source.addItem(text)
        row.addWidget(self.source, 1)
        self.try_button = QPushButton("Quantise and Check")
        self.try_button.clicked.connect(self.try_int8)
        row.addWidget(self.try_button)
        lay.addLayout(row)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setObjectName("int8Result")
        lay.addWidget(self.result)
        self.use = QCheckBox("Use Fast (int8)")
        self.use.setToolTip("Run this model on its int8 runtime (until another model is opened)")
        self.use.toggled.connect(self._on_use)
        lay.addWidget(self.use)
        self._reset(None)
        controller.model_loaded.connect(self.on_model_loaded)
        controller.runtime_switched.connect(self.on_runtime_switched)
        controller.int8_progress.connect(self.on_progress)
        controller.int8_ready.connect(self.on_ready)
        controller.error_occurred.connect(self.on_error)

    def _main(self, payload: Any) -> bool:
        return payload.slot == self.controller.MAIN_SLOT and payload.load_id == self.controller.load_id

    def _reset(self, loaded: ModelLoaded | None) -> None:
        self.loaded, self.ready = loaded, None
        info = loaded.info if loaded is not None else None
        ok = info is not None and info.task == Task.IMAGE_CLASSIFIER and info.format in ("keras", "h5")
        self.try_button.setEnabled(ok)
        self.source.setEnabled(ok)
        self._set_use(False, enabled=False)
        if info is None:
            self.result.setText("Open a model first.")
        elif not ok:
            self.result.setText("Offered for image classifiers opened from a Keras file (.keras or .h5).")
        else:
            self.result.setText("Not tried yet for this model.")

    def _set_use(self, on: bool, enabled: bool) -> None:
        self.use.blockSignals(True)
        self.use.setChecked(on)
        self.use.setEnabled(enabled)
        self.use.blockSignals(False)

    @Slot(object)
    def on_model_loaded(self, loaded: ModelLoaded) -> None:
        if self._main(loaded):
            self._reset(loaded)

    @Slot(object)
    def on_runtime_switched(self, switched: Any) -> None:
        if self._main(switched):
            self.loaded = switched.loaded
            offered = self.ready is not None and self.ready.offered
            self._set_use(switched.loaded.info.runtime == INT8_RUNTIME, enabled=offered)
            self._show_ready()

    @Slot()
    def try_int8(self) -> None:
        source = SOURCES[self.source.currentIndex()][1]
        if not source:
            source = QFileDialog.getExistingDirectory(self, "Pictures to calibrate int8 on")
            if not source:
                return
        self.start(source)

    def start(self, source: str) -> None:
        """Quantise and check on ``source`` ("recent" or a folder); the result arrives as ``on_ready``."""
        self.try_button.setEnabled(False)
        self._set_use(self.use.isChecked(), enabled=False)
        self.result.setText("Quantising…")
        self.controller.try_int8(source)

    @Slot(object)
    def on_progress(self, progress: Int8Progress) -> None:
        if self._main(progress):
            self.result.setText(progress.text)

    @Slot(object)
    def on_ready(self, ready: Int8Ready) -> None:
        if not self._main(ready):
            return
        self.ready = ready
        self.try_button.setEnabled(True)
        if ready.error:
            self.result.setText(ready.error)
            self._set_use(False, enabled=False)
            return
        running = self.loaded is not None and self.loaded.info.runtime == INT8_RUNTIME
        self._set_use(running, enabled=ready.offered)
        self._show_ready()

    def _show_ready(self) -> None:
        ready = self.ready
        if ready is None or ready.error:
            return
        running = self.loaded is not None and self.loaded.info.runtime == INT8_RUNTIME
        verdict = ("In use." if running else "Offered: tick the box to use it.") if ready.offered else "Not offered."
        self.result.setText(f"{verdict} {ready.summary[:1].upper()}{ready.summary[1:]}.")

    @Slot(object)
    def on_error(self, err: Any) -> None:
        if getattr(err, "context", "") == "int8":
            self.result.setText(err.message)
            self._set_use(False, enabled=bool(self.ready and self.ready.offered))

    @Slot(bool)
    def _on_use(self, on: bool) -> None:
        self.controller.use_int8(on)
