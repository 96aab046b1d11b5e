"""The Model tab's view of the tensor the model receives, beside the preprocessing fields, so an edit
shows its effect where it is made (the picture is the one selected in the Classify tab)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from livepredict.threads.engine.payloads import TensorPreview
from livepredict.ui.widgets import pixmap_from_rgb

SIDE = 150
EMPTY = "Select a picture in the Classify tab to see here what the model receives."


class ModelTensorPreview(QWidget):
    """The newest tensor preview of the open model; asks for it again after a profile is applied."""

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.key = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.image = QLabel()
        self.image.setObjectName("TensorImage")
        self.image.setFixedSize(SIDE, SIDE)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.image)
        self.caption = QLabel(EMPTY)
        self.caption.setObjectName("Muted")
        self.caption.setWordWrap(True)
        self.caption.setFixedWidth(SIDE)
        lay.addWidget(self.caption)
        lay.addStretch(1)
        controller.tensor_previewed.connect(self.on_preview)
        controller.profile_applied.connect(self.on_profile_applied)
        controller.model_loaded.connect(self.on_model_loaded)

    @Slot(object)
    def on_preview(self, prev: TensorPreview) -> None:
        if prev.load_id != self.controller.active_load_id:
            return
        self.key = prev.key
        self.image.setPixmap(pixmap_from_rgb(prev.image).scaled(
            SIDE, SIDE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))
        lo, hi = prev.value_range
        self.caption.setText(f"{'x'.join(str(s) for s in prev.shape)} {prev.dtype}\nvalues {lo:.2f} … {hi:.2f}")

    @Slot(object)
    def on_profile_applied(self, loaded: Any) -> None:
        if self.key:  # the same picture through the new preprocessing
            self.controller.preview(self.key)

    @Slot(object)
    def on_model_loaded(self, loaded: Any) -> None:
        self.key = ""
        self.image.clear()
        self.caption.setText(EMPTY)
