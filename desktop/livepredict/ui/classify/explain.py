"""Explanations on the Classify tab: heatmaps blended on the card thumbnails and on a large view.

``ClassifyExplain`` adds the explain controls (``ui.heatmap.ExplainControls``) to the panel's tool
bar and a large view ("Where the model looked") to its side panel. With Explain on, every card of
the current model is explained on the inference thread (``controller.explain``; new cards as their
folder finishes); each result's thumbnail-sized map is blended once into the card's ``overlay``
pixmap, again only when the opacity or colour map changes. The class (top-1 or a label) asks for
new maps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QModelIndex, QObject, Qt, Slot
from PySide6.QtWidgets import QLabel

from livepredict.core.heatmap import blend
from livepredict.threads.engine.explain import ExplainFinished, ExplainResult
from livepredict.threads.engine.payloads import BatchFinished, ImageResult, ModelLoaded
from livepredict.ui.heatmap import ExplainControls
from livepredict.ui.widgets import pixmap_from_rgb

MAX_EXPLAINED = 500  # cards explained at most (each keeps a 240-px picture and its map)
LARGE = 240


class ClassifyExplain(QObject):
    """See the module docstring; ``panel`` is the ``ClassifyPanel``; the controls go in a row of their
    own at ``row_index`` of the layout ``column`` (under the tool bar)."""

    def __init__(self, panel: Any, column: Any, row_index: int = 1) -> None:
        super().__init__(panel)
        self.panel = panel
        self.controller = panel.controller
        self.controls = ExplainControls()
        column.insertWidget(row_index, self.controls)
        self.large = QLabel()
        self.large.setObjectName("ExplainView")
        self.large.setFixedSize(LARGE, LARGE)
        self.large.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.large_caption = QLabel("")
        self.large_caption.setObjectName("Muted")
        self.large_caption.setWordWrap(True)
        side = panel.tensor.layout()
        side.insertWidget(side.count() - 1, self.large)
        side.insertWidget(side.count() - 1, self.large_caption)
        self.results: dict[str, ExplainResult] = {}  # card key -> its explanation
        self._jobs: set[int] = set()
        self._pending: list[str] = []
        self._set_large_visible(False)
        self.controls.request_changed.connect(self.refresh)
        self.controls.look_changed.connect(self.restyle)
        c = self.controller
        c.explanation_ready.connect(self.on_explained)
        c.explain_finished.connect(self.on_finished)
        c.classification_ready.connect(self.on_classified)
        c.batch_finished.connect(self.on_batch_finished)
        c.model_loaded.connect(self.on_model_loaded)
        panel.view.selectionModel().currentChanged.connect(self.on_current)

    # -- requests
    def _explain(self, keys: list[str]) -> None:
        keys = [k for k in keys if k not in self.results][: max(0, MAX_EXPLAINED - len(self.results))]
        if keys:
            self._jobs.add(self.controller.explain(keys, self.controls.request()))
            self.controls.status.setText("Explaining…")

    @Slot()
    def refresh(self) -> None:
        """The toggle or the class changed: drop the maps shown and ask for new ones."""
        for job in self._jobs:
            self.controller.cancel(job)
        self._jobs.clear()
        self.results.clear()
        for card in self.panel.model.cards:
            card.overlay = None
        if self.controls.enabled:
            self._explain([c.key for c in self.panel.model.cards if not c.error])
        else:
            self.controls.status.setText("")
        self._set_large_visible(self.controls.enabled)
        self._update_large()
        self.panel.view.viewport().update()

    @Slot(object)
    def on_classified(self, r: ImageResult) -> None:
        if self.controls.enabled and r.error is None and self.controller.is_current(r.load_id):
            self._pending.append(r.path)
            if len(self._pending) >= 16:
                self._flush()

    @Slot(object)
    def on_batch_finished(self, f: BatchFinished) -> None:
        self._flush()

    def _flush(self) -> None:
        keys, self._pending = self._pending, []
        if self.controls.enabled:
            self._explain(keys)

    @Slot(object)
    def on_model_loaded(self, loaded: ModelLoaded) -> None:
        if loaded.load_id == self.controller.load_id:
            self.controls.set_labels(loaded.info.labels)
            self.results.clear()  # the panel classifies the cards again; they are explained as they come

    # -- results
    @Slot(object)
    def on_explained(self, r: ExplainResult) -> None:
        if r.job_id not in self._jobs or not self.controller.is_current(r.load_id):
            return
        if r.heatmap is None:
            self.controls.status.setText(r.error or "")
            return
        self.results[r.path] = r
        self.controls.status.setText(f"Explaining… {len(self.results)} done")
        card = self._card(r.path)
        if card is not None:
            card.overlay = self._blended(r)
            self.panel.view.viewport().update()
        if self._current_key() == r.path:
            self._update_large()

    @Slot(object)
    def on_finished(self, f: ExplainFinished) -> None:
        if f.job_id not in self._jobs:
            return
        self._jobs.discard(f.job_id)
        if f.message:
            self.controls.status.setText(f.message)
        elif f.method:
            how = f"Grad-CAM at {f.layer}" if f.method == "gradcam" else f"occlusion ({f.layer})"
            self.controls.status.setText(f"{len(self.results)} explained · {how}")

    @Slot()
    def restyle(self) -> None:
        for card in self.panel.model.cards:
            r = self.results.get(card.key)
            card.overlay = self._blended(r) if r is not None else None
        self._update_large()
        self.panel.view.viewport().update()

    # -- drawing
    def _blended_rgb(self, r: ExplainResult) -> np.ndarray:
        assert r.thumbnail is not None and r.heatmap is not None
        return blend(r.thumbnail, r.heatmap.values, self.controls.alpha, self.controls.colormap)

    def _blended(self, r: ExplainResult) -> Any:
        return pixmap_from_rgb(self._blended_rgb(r))

    def _card(self, key: str) -> Any:
        for card in self.panel.model.cards:
            if card.key == key:
                return card
        return None

    def _current_key(self) -> str:
        card = self.panel.current_card()
        return card.key if card is not None else ""

    @Slot(QModelIndex, QModelIndex)
    def on_current(self, current: QModelIndex, previous: QModelIndex) -> None:
        self._update_large()

    def _update_large(self) -> None:
        r = self.results.get(self._current_key()) if self.controls.enabled else None
        if r is None or r.heatmap is None:
            self.large.clear()
            self.large_caption.setText("Select a card to see where the model looked." if self.controls.enabled else "")
            return
        pm = pixmap_from_rgb(self._blended_rgb(r))
        self.large.setPixmap(pm.scaled(LARGE, LARGE, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation))
        h = r.heatmap
        self.large_caption.setText(f"Where the model looked for {h.label} ({100 * h.score:.1f}%): "
                                   f"{'Grad-CAM at ' + h.layer if h.method == 'gradcam' else 'occlusion, ' + h.layer}")

    def _set_large_visible(self, on: bool) -> None:
        self.large.setVisible(on)
        self.large_caption.setVisible(on)

