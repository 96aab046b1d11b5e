"""Explanation heatmaps in the window: the controls, the colour legend, and the live video's heatmap layer.

The heatmap is its own layer: on the live video an ``ImageItem`` above the frame (and below the label)
whose RGBA lookup table carries the colour map and the opacity, so the blend is done while painting;
on the Classify tab (``ui.classify.explain``) a blended copy of the thumbnail. The maps come from
the inference thread (``threads.engine.explain``) already on the picture's pixels; the live layer
is repainted by the live panel's display timer (``paint``), never per result.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QLinearGradient, QPainter
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSlider, QWidget

from livepredict.core.heatmap import COLORMAPS, blend, lut, resample
from livepredict.threads.engine.explain import ExplainRequest, LiveHeatmap
from livepredict.threads.engine.payloads import MAIN, ModelLoaded
from livepredict.ui.explain_layer import layer_choice

TOP1 = "Top-1 class"
LIVE_SIDE = 160  # the live layer draws the map at most this many samples across (it is smooth anyway)


def rgba_lut(colormap: str, opacity: float) -> np.ndarray:
    """(256, 4) uint8: the colour map with alpha rising with the value (cold places stay clear)."""
    out = np.empty((256, 4), np.uint8)
    out[:, :3] = lut(colormap)
    out[:, 3] = np.rint(np.linspace(0.0, 255.0 * float(np.clip(opacity, 0, 1)), 256)).astype(np.uint8)
    return out


class Legend(QWidget):
    """The colour map as a bar from "low" to "high" (what the heatmap colours mean)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colormap = "inferno"
        self.setToolTip("Heatmap colours: how much each place raised the explained class's score")
        self.setMinimumWidth(120)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(150, 22)

    def set_colormap(self, name: str) -> None:
        self.colormap = name
        self.update()

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        fm = p.fontMetrics()
        lw, hw = fm.horizontalAdvance("low "), fm.horizontalAdvance(" high")
        bar = QRectF(lw, 5, max(10, self.width() - lw - hw), self.height() - 10)
        grad = QLinearGradient(bar.left(), 0, bar.right(), 0)
        table = lut(self.colormap)
        for i in range(0, 256, 32):
            grad.setColorAt(i / 255.0, QColor(*[int(v) for v in table[i]]))
        grad.setColorAt(1.0, QColor(*[int(v) for v in table[255]]))
        p.fillRect(bar, grad)
        p.setPen(self.palette().windowText().color())
        p.drawText(QRectF(0, 0, lw, self.height()), Qt.AlignmentFlag.AlignVCenter, "low")
        p.drawText(QRectF(bar.right(), 0, hw, self.height()), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                   "high")
        p.end()


class ExplainControls(QWidget):
    """Explain toggle, which class (top-1 or a label), opacity, colour map, legend and a status line.

    Signals:
        request_changed(): the toggle or the class changed (the maps must be made again).
        look_changed(): opacity or colour map changed (the same maps drawn again).
    """

    request_changed = Signal()
    look_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.toggle = QCheckBox("Explain")
        self.toggle.setToolTip("Show where the model looked: a heatmap of what raised the class's score "
                               "(Grad-CAM for Keras models, occlusion otherwise)")
        self.label_box = QComboBox()
        self.label_box.addItem(TOP1)
        self.label_box.setToolTip("The class the heatmap explains")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(60)
        self.opacity.setFixedWidth(80)
        self.opacity.setToolTip("Heatmap opacity")
        self.colormap_box = QComboBox()
        self.colormap_box.addItems(list(COLORMAPS[::-1]))  # inferno first
        self.colormap_box.setToolTip("Colour map (perceptually uniform)")
        self.legend = Legend()
        self.status = QLabel("")
        self.status.setObjectName("Muted")
        for w in (self.toggle, self.label_box, QLabel("Opacity"), self.opacity, self.colormap_box, self.legend):
            lay.addWidget(w)
        lay.addWidget(self.status, 1)
        self.toggle.toggled.connect(self._on_toggle)
        self.label_box.currentIndexChanged.connect(lambda _i: self.request_changed.emit())
        self.opacity.valueChanged.connect(lambda _v: self.look_changed.emit())
        self.colormap_box.currentTextChanged.connect(self._on_colormap)
        layer_choice().changed.connect(self.request_changed)  # the Model tab picked another layer
        self._on_toggle(False)

    @property
    def enabled(self) -> bool:
        return self.toggle.isChecked()

    @property
    def alpha(self) -> float:
        return self.opacity.value() / 100.0

    @property
    def colormap(self) -> str:
        return self.colormap_box.currentText()

    def request(self) -> ExplainRequest:
        label = self.label_box.currentText()
        return ExplainRequest(label=None if self.label_box.currentIndex() <= 0 else label, layer=layer_choice().layer)

    def set_labels(self, labels: Sequence[str]) -> None:
        """The classes of the open model (the choice goes back to the top-1 class)."""
        self.label_box.blockSignals(True)
        self.label_box.clear()
        self.label_box.addItem(TOP1)
        self.label_box.addItems([str(x) for x in labels])
        self.label_box.blockSignals(False)

    def _on_toggle(self, on: bool) -> None:
        for i in range(1, self.layout().count()):
            w = self.layout().itemAt(i).widget()
            if w is not None:
                w.setVisible(on)
        self.request_changed.emit()

    def _on_colormap(self, name: str) -> None:
        self.legend.set_colormap(name)
        self.look_changed.emit()


class LiveHeatmapLayer(QObject):
    """The heatmap over the live video (``view``: a ``ui.plots.VideoView``); the controls are added
    to the layout ``row``; ``display`` is the panel's display timer, which repaints the layer."""

    def __init__(self, view: Any, controller: Any, row: Any = None, display: Any = None, slot: str = MAIN) -> None:
        import pyqtgraph as pg  # here, not at import: the Classify tab's controls come before the window

        super().__init__(view)
        self.view, self.controller, self.slot = view, controller, slot
        self.controls = ExplainControls()
        if row is not None:
            row.addWidget(self.controls)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.item.setZValue(5)  # above the frame, below the label
        self.item.setVisible(False)
        view.view.addItem(self.item)
        self.latest: LiveHeatmap | None = None
        self._painted: LiveHeatmap | None = None
        self._age_text = ""
        self._age_due = 0.0
        self.controls.request_changed.connect(self._send)
        self.controls.look_changed.connect(self._restyle)
        controller.live_explained.connect(self.on_heatmap)
        controller.model_loaded.connect(self.on_model_loaded)
        if display is not None:
            display.timeout.connect(self.paint)
        self._restyle()

    @Slot()
    def _send(self) -> None:
        on = self.controls.enabled
        self.controller.explain_live(self.controls.request() if on else None, self.slot)
        self.controls.status.setText("Waiting for a frame…" if on else "")
        if not on:
            self.latest = None
            self.item.setVisible(False)

    @Slot()
    def _restyle(self) -> None:
        self.item.setLookupTable(rgba_lut(self.controls.colormap, self.controls.alpha))

    @Slot(object)
    def on_model_loaded(self, loaded: ModelLoaded) -> None:
        if loaded.slot != self.slot:
            return
        self.controls.set_labels(loaded.info.labels)
        self.latest = None
        self.item.setVisible(False)
        if self.controls.enabled:
            self._send()

    @Slot(object)
    def on_heatmap(self, h: LiveHeatmap) -> None:
        if h.slot == self.slot and self.controls.enabled:
            self.latest = h  # drawn by the next display tick

    @Slot()
    def paint(self) -> None:
        """One display tick: the newest heatmap (if new) and how old it is."""
        h = self.latest
        if h is None:
            return
        if h is not self._painted:
            self._painted = h
            if h.heatmap is None:
                self.controls.status.setText(h.error)
                self.item.setVisible(False)
                return
            values = h.heatmap.values
            step = max(1, int(np.ceil(max(values.shape) / LIVE_SIDE)))
            self.item.setImage(values[::step, ::step], autoLevels=False, levels=(0.0, 1.0))
            rows, cols = h.frame_shape if h.frame_shape[0] else values.shape
            self.item.setRect(QRectF(0, 0, cols, rows))  # the map covers the whole frame
            self.item.setVisible(True)
            self.controls.status.setToolTip(f"The heatmap shown explains {h.heatmap.label} ({h.heatmap.method}, "
                                            f"{h.heatmap.layer}) in the frame captured that long ago")
        now = time.monotonic()
        if h.heatmap is not None and now >= self._age_due:  # the age line changes 4 times a second at most
            self._age_due = now + 0.25
            text = f"{h.heatmap.label}, {max(0.0, now - h.capture_ts):.1f} s old"
            if text != self._age_text:
                self._age_text = text
                self.controls.status.setText(text)

    def blend_onto(self, rgb: np.ndarray) -> np.ndarray:
        """``rgb`` (a frame) with the shown heatmap blended on it (for snapshots); as it is when none."""
        h = self.latest
        if not self.controls.enabled or h is None or h.heatmap is None:
            return rgb
        values = h.heatmap.values
        if values.shape != rgb.shape[:2]:
            values = resample(values, rgb.shape[:2])
        return blend(rgb, values, self.controls.alpha, self.controls.colormap)

