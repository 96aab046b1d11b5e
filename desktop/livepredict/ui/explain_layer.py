"""The Model tab's choice of the layer Grad-CAM explains at (shared by the Classify and Live heatmaps).

``layer_choice()`` is the one :class:`LayerChoice` of the application (made on first use, in the
GUI thread): the explain controls put its layer into every request and ask again when it changes.
:class:`ExplainLayerBox` is the Model tab's group: "Automatic" (the sidecar's ``explain_layer``,
else the last layer with a spatial output) or a layer by name, and "Save in sidecar" writes the
choice as the model's ``explain_layer`` (plain JSON; TensorFlow is not involved).
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from livepredict.core.errors import LivePredictError
from livepredict.threads.engine.explain import ExplainFinished
from livepredict.threads.engine.payloads import ModelLoaded

AUTO = "Automatic (last layer with a spatial output)"
_SPATIAL = re.compile(r"^\(\s*None\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*\d+\s*\)$")


class LayerChoice(QObject):
    """The Grad-CAM layer chosen for the open model (None: automatic). Signals: changed()."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.layer: str | None = None

    def set(self, layer: str | None) -> None:
        if layer != self.layer:
            self.layer = layer
            self.changed.emit()


_CHOICE: list[LayerChoice] = []


def layer_choice() -> LayerChoice:
    if not _CHOICE:
        _CHOICE.append(LayerChoice())
    return _CHOICE[0]


def spatial_layers(info: Any) -> list[str]:
    """Layers of ``info`` whose output is (None, H, W, C) with H x W > 1, in model order."""
    out = []
    for layer in getattr(info, "layers", ()) or ():
        m = _SPATIAL.match(str(layer.output_shape))
        if m and layer.kind != "InputLayer" and int(m.group(1)) * int(m.group(2)) > 1:
            out.append(layer.name)
    return out


class ExplainLayerBox(QGroupBox):
    """Model tab: which layer Grad-CAM explains at (see the module docstring)."""

    def __init__(self, controller: Any) -> None:
        super().__init__("Explanations")
        self.controller = controller
        self.choice = layer_choice()
        self.path = ""
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Grad-CAM layer"))
        self.box = QComboBox()
        self.box.setToolTip("The layer whose activations the Explain heatmaps weigh (the last spatial one "
                            "gives the most localised map)")
        row.addWidget(self.box, 1)
        self.save_button = QPushButton("Save in sidecar")
        self.save_button.setToolTip("Remember this layer for the model (explain_layer in its sidecar)")
        row.addWidget(self.save_button)
        lay.addLayout(row)
        self.note = QLabel("")
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.box.currentIndexChanged.connect(self._on_pick)
        self.save_button.clicked.connect(self.save)
        controller.model_loaded.connect(self.on_model_loaded)
        controller.explain_finished.connect(self.on_explained)
        self.set_layers([])

    def set_layers(self, names: list[str], keep: str | None = None) -> None:
        self.box.blockSignals(True)
        self.box.clear()
        self.box.addItem(AUTO)
        self.box.addItems(names)
        if keep and keep in names:
            self.box.setCurrentText(keep)
        self.box.blockSignals(False)
        self.save_button.setEnabled(bool(self.path))

    @Slot(object)
    def on_model_loaded(self, loaded: ModelLoaded) -> None:
        if loaded.load_id != self.controller.load_id:
            return
        self.path = loaded.info.path
        self.choice.set(None)
        self.set_layers(spatial_layers(loaded.info))
        self.note.setText("")

    @Slot(object)
    def on_explained(self, f: ExplainFinished) -> None:
        """The layers Grad-CAM found (nested models entered): a more complete list than the table's."""
        if f.layers and self.controller.is_current(f.load_id):
            self.set_layers(list(f.layers), keep=self.box.currentText())
            self.note.setText(f"Explanations use {f.layer}." if f.method == "gradcam" else "")

    @Slot(int)
    def _on_pick(self, index: int) -> None:
        self.choice.set(None if index <= 0 else self.box.currentText())

    @Slot()
    def save(self) -> None:
        from livepredict.threads.engine.tools import set_sidecar_key

        try:
            where = set_sidecar_key(self.path, "explain_layer", self.choice.layer)
        except (LivePredictError, OSError) as e:
            self.note.setText(f"The sidecar was not saved: {e}")
            return
        self.note.setText(f"Saved in {where.name}.")
