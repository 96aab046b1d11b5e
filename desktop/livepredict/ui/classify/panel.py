"""Classify panel: dropped/opened/pasted images become cards with top-k bars, filled as results come.

Cards (``classify.cards``) are rows of a list model painted by a delegate. A folder batch shows a
progress row (count, rate, time left, Cancel). Results are exported (``classify.export``) as CSV/JSON
with the same content as ``livepredict classify``. The side panel shows the tensor fed to the model
for the selected card.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from livepredict.core.types import Task
from livepredict.threads.engine.payloads import (
    BatchFinished,
    BatchProgress,
    ImageResult,
    ModelLoaded,
    NamedImage,
    TensorPreview,
)
from livepredict.ui.classify.arrange import ArrangeBar, label_counts, shown, sort_key, summary_text
from livepredict.ui.classify.cards import Card, CardDelegate, CardModel, CardRole, CardView
from livepredict.ui.classify.compare import CompareCards
from livepredict.ui.classify.explain import ClassifyExplain
from livepredict.ui.classify.export import results_json, write_results
from livepredict.ui.classify.first_steps import add_first_steps, ask_folder, sample_images
from livepredict.ui.classify.found import Thresholds, preview_pixmap
from livepredict.ui.classify.incoming import Incoming
from livepredict.ui.classify.text_box import TextClassifyBox
from livepredict.ui.classify.waiting import WaitingImages
from livepredict.ui.panel import AppContext
from livepredict.ui.widgets import DropZone, SteadyText, format_duration, pixmap_from_rgb

log = logging.getLogger(__name__)

MAX_RERUN = 500
MAX_THUMBS = 3000  # about 150 MB of pixmaps at most


class TensorView(QFrame):
    """Side panel: the selected image and the tensor the model receives (same pixels, same size)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SidePanel")
        self.setFixedWidth(270)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 14, 14, 14)
        lay.setSpacing(8)
        title = QLabel("Tensor fed to the model")
        title.setObjectName("Title")
        lay.addWidget(title)
        self.image = QLabel()
        self.image.setObjectName("TensorImage")
        self.image.setFixedSize(240, 240)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.image)
        self.caption = QLabel("Select a card to see the exact input after resizing, cropping and colour "
                              "conversion.")
        self.caption.setObjectName("Muted")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.spec = QLabel("")
        self.spec.setObjectName("Muted")
        self.spec.setWordWrap(True)
        lay.addWidget(self.spec)
        lay.addStretch(1)
        self.key = ""
        self.preview: TensorPreview | None = None

    def show_preview(self, prev: TensorPreview, spec_text: str, result: Any = None, spec: Any = None) -> None:
        self.preview = prev
        # nearest-neighbour: each tensor pixel stays visible as it is; boxes/masks where the model saw them
        self.image.setPixmap(preview_pixmap(prev.image, result, spec, 240))
        shape = "x".join(str(s) for s in prev.shape)
        lo, hi = prev.value_range
        self.caption.setText(f"{Path(prev.key).name}\n{shape} {prev.dtype}, values {lo:.2f} … {hi:.2f}")
        self.spec.setText(spec_text)

    def clear(self) -> None:
        self.preview = None
        self.key = ""
        self.image.clear()
        self.caption.setText("Select a card to see the exact input after resizing, cropping and colour "
                             "conversion.")


class ClassifyPanel(QWidget):
    """Drop images here. Signals: export_requested() (the window runs the file dialog)."""

    export_requested = Signal()
    open_images_requested = Signal()
    open_model_requested = Signal()
    paste_requested = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.controller = controller = context.controller
        top_k = context.settings.top_k()
        self._jobs: dict[int, int] = {}  # job id -> load id
        self._batch_job: int | None = None
        self._spec_text = ""
        self._model: ModelLoaded | None = None
        self._pasted = 0
        self._failed_load = 0  # the load id of the newest load that failed

        self._build(top_k)
        self.incoming = Incoming(self._deliver, self)  # cards and progress, at most 10 times a second
        self.waiting = WaitingImages(self.hint)  # images given before any model was open
        self.compare_cards = CompareCards(self, context.compare)

        controller.classification_ready.connect(self.on_result)
        controller.batch_progress.connect(self.on_progress)
        controller.batch_finished.connect(self.on_finished)
        controller.tensor_previewed.connect(self.on_preview)
        controller.model_loaded.connect(self.on_model_loaded)
        controller.profile_applied.connect(self.on_profile_applied)
        controller.load_failed.connect(self._on_load_failed)

    def _build(self, top_k: int) -> None:
        root = QHBoxLayout(self)
        root.setContentsMargins(12, 12, 12, 12)
        root.setSpacing(12)
        left = QVBoxLayout()
        left.setSpacing(8)
        root.addLayout(left, 1)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.open_button = QPushButton("Open Images…")
        self.open_button.clicked.connect(self.open_images_requested)
        self.paste_button = QPushButton("Paste")
        self.paste_button.clicked.connect(self.paste_requested)
        bar.addWidget(self.open_button)
        bar.addWidget(self.paste_button)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Top"))
        self.top_spin = QSpinBox()
        self.top_spin.setRange(1, 10)
        self.top_spin.setValue(top_k)
        self.top_spin.setToolTip("How many labels each card shows (and the export contains)")
        self.top_spin.valueChanged.connect(self._on_top_k)
        bar.addWidget(self.top_spin)
        self.disagree_box = QCheckBox("Only disagreements")  # shown while models are compared
        self.disagree_box.hide()
        bar.addWidget(self.disagree_box)
        bar.addSpacing(12)
        self.thresholds = Thresholds()  # a detector's Score and IoU: re-filter the cards, no model run
        self.thresholds.hide()
        self.thresholds.changed.connect(self._on_thresholds)
        bar.addWidget(self.thresholds)
        bar.addStretch(1)
        self.summary = SteadyText("88,888 images · 888.8 ms avg · 88 errors", right=True)
        bar.addWidget(self.summary)
        bar.addSpacing(8)
        self.export_button = QPushButton("Export…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_requested)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setEnabled(False)
        self.clear_button.clicked.connect(self.clear)
        bar.addWidget(self.export_button)
        bar.addWidget(self.clear_button)
        left.addLayout(bar)
        self.arrange = ArrangeBar()  # sort, filter, "uncertain below", a count per label
        self.arrange.hide()
        self.arrange.changed.connect(self.rearrange)
        left.addWidget(self.arrange)

        self.progress_row = QWidget()
        pr = QHBoxLayout(self.progress_row)
        pr.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress_label = SteadyText("88,888 / 88,888 images · 888.8 img/s · 88 min left")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_batch)
        pr.addWidget(self.progress, 1)
        pr.addWidget(self.progress_label)
        pr.addWidget(self.cancel_button)
        self.progress_row.hide()
        left.addWidget(self.progress_row)
        self.text_box = TextClassifyBox(self.context)  # shown for a text classifier
        self.text_box.top_k = top_k
        self.text_box.hide()
        left.addWidget(self.text_box)

        self.stack = QStackedWidget()
        self.hint = DropZone("Drop images or folders here",
                             "or use File › Open Images (Ctrl+Shift+O), paste an image (Ctrl+V).\n"
                             "Drop a model file (.keras, .h5, .tflite, SavedModel) to switch models.")
        steps = [("Open Images…", self.open_images_requested.emit), ("Open Folder…", self.open_folder),
                 ("Open Model…", self.open_model_requested.emit)]
        if sample_images() is not None:
            steps.insert(0, ("Try the Sample Images", self.try_samples))
        self.first_steps = add_first_steps(self.hint, steps)
        self.model = CardModel(self)
        self.delegate = CardDelegate(self)
        self.delegate.top_k = top_k
        self.delegate.uncertain_below = self.arrange.threshold_value()
        self.delegate.shown = self.thresholds.shown
        self.view = CardView(self.delegate)
        self.view.setObjectName("Cards")
        self.view.setModel(self.model)
        self.view.setItemDelegate(self.delegate)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setWrapping(True)
        self.view.setSpacing(0)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self.view)
        left.addWidget(self.stack, 1)

        self.tensor = TensorView()
        root.addWidget(self.tensor)
        self.explain = ClassifyExplain(self, left)  # the Explain toggle, heatmaps on the cards (classify.explain)

    def shutdown(self) -> None:
        """Nothing to stop: the jobs end with the inference thread."""

    # -- requests
    def top_k(self) -> int:
        return self.top_spin.value()

    def classify(self, items: list[Any]) -> int | None:
        """Classify paths (files/folders) and NamedImages; returns the job id."""
        if not items:
            return None
        c = self.controller
        if c.active_load_id < 0 and c.load_id in (0, self._failed_load):  # no model open, none coming
            self.context.show_message(self.waiting.add(items))
            self.stack.setCurrentWidget(self.hint)
            return None
        job = self.adopt_job(self.controller.classify(items, self.top_k()))
        self.compare_cards.classify(items, self.top_k())
        return job

    def adopt_job(self, job: int) -> int:
        """Show the results and progress of a job submitted to the controller (also by the app)."""
        self._jobs[job] = self.controller.load_id
        self._batch_job = job
        self.progress.setRange(0, 0)
        self.progress_label.setText("Finding images…")
        self.progress_row.show()
        self.stack.setCurrentWidget(self.view)
        return job

    @Slot()
    def try_samples(self) -> None:
        folder = sample_images()
        if folder is not None:
            self.classify([str(folder)])

    @Slot()
    def open_folder(self) -> None:
        settings = self.context.settings
        folder = ask_folder(self, settings.last_dir("images"))
        if folder:
            settings.set_last_dir("images", folder)
            self.classify([folder])

    def classify_image(self, rgb, name: str | None = None) -> int | None:
        self._pasted += 1
        return self.classify([NamedImage(name or f"Pasted image {self._pasted}", rgb)])

    @Slot()
    def cancel_batch(self) -> None:
        for job in list(self._jobs):
            self.controller.cancel(job)
        self.progress_label.setText("Cancelling…")

    @Slot()
    def clear(self) -> None:
        self.cancel_batch() if self._jobs else None
        self.incoming.drop()
        self.model.clear()
        self.tensor.clear()
        self.stack.setCurrentWidget(self.hint)
        self._update_summary()

    # -- results (GUI thread; each does a little work only)
    def _is_current(self, load_id: int) -> bool:
        return load_id == self.controller.load_id

    @Slot(object)
    def on_result(self, r: ImageResult) -> None:
        if r.job_id not in self._jobs or not self._is_current(r.load_id):
            return  # an older model's result: never shown as the current model's
        name = Path(r.path).name if not r.path.startswith("Pasted") else r.path
        # Thumbnails for the first MAX_THUMBS cards only: memory stays bounded on huge folders.
        keep = r.thumbnail is not None and self.model.rowCount() < MAX_THUMBS
        thumb = pixmap_from_rgb(r.thumbnail) if keep else None
        src: Any = r.path
        if r.path.startswith("Pasted"):
            src = None
        self.incoming.add(Card(key=r.path, name=name, load_id=r.load_id, job_id=r.job_id,
                               prediction=r.prediction, error=r.error, total_ms=r.total_ms, thumb=thumb, source=src))

    def _deliver(self, cards: list[Card], progress: BatchProgress | None) -> None:
        first = self.model.rowCount() == 0
        self.model.add_many(cards)
        if first and cards:
            self.view.setCurrentIndex(self.model.index(0))
        if cards:
            self._update_summary()
        if progress is not None:
            self._show_progress(progress)

    @Slot(object)
    def on_progress(self, p: BatchProgress) -> None:
        if p.job_id == self._batch_job:
            self.incoming.progress(p)

    def _show_progress(self, p: BatchProgress) -> None:
        if p.job_id != self._batch_job:
            return
        if p.total <= 0:
            return
        self.progress.setRange(0, p.total)
        self.progress.setValue(p.done)
        eta = p.eta_s
        text = f"{p.done} / {p.total} images"
        if p.done:
            text += f" · {p.rate:.1f} img/s · {format_duration(eta)} left"
        self.progress_label.setText(text)

    @Slot(object)
    def on_finished(self, f: BatchFinished) -> None:
        if f.job_id not in self._jobs:
            return
        self.incoming.flush()  # its last cards, before the summary says it ended
        self._jobs.pop(f.job_id, None)
        if f.job_id == self._batch_job:
            self._batch_job = None
        if not self._jobs:
            self.progress_row.hide()
        if f.message and self._is_current(f.load_id):
            self.context.show_message(f.message)
        if not self.model.cards:
            self.stack.setCurrentWidget(self.hint)
        self._update_summary(f)
        self.rearrange()

    @Slot(object)
    def on_preview(self, prev: TensorPreview) -> None:
        cur = self.current_card()
        if cur is None or cur.key != prev.key or not self._is_current(prev.load_id):
            return
        result = cur.prediction.result if cur.prediction is not None else None
        spec = self._model.info.preprocess if self._model is not None else None
        self.tensor.show_preview(prev, self._spec_text, self.thresholds.shown(result), spec)

    @Slot(object)
    def on_model_loaded(self, loaded: ModelLoaded) -> None:
        if loaded.load_id != self.controller.load_id:
            return  # a newer model was asked for meanwhile; its results will replace these
        self._model = loaded
        is_text = loaded.info.task == Task.TEXT_CLASSIFIER
        self.thresholds.setVisible(loaded.info.task == Task.OBJECT_DETECTOR)
        self.text_box.setVisible(is_text)
        for w in (self.stack, self.tensor):  # pictures do not apply to a text classifier
            w.setVisible(not is_text)
        for b in (self.open_button, self.paste_button):
            b.setEnabled(not is_text)
        if not is_text:
            self.text_box.clear()
        spec = loaded.info.preprocess
        self._spec_text = (f"Preprocessing: {spec.describe()} (from {loaded.info.preprocess_source})"
                           if spec else "")
        stale = [c for c in self.model.cards if c.load_id != loaded.load_id]
        if stale:
            # Results of the previous model are dropped and the same files classified again.
            again = [c.source for c in self.model.cards if c.source is not None][:MAX_RERUN]
            self.incoming.drop()
            self.model.clear()
            self.tensor.clear()
            if again:
                self.classify(again)
            else:
                self.stack.setCurrentWidget(self.hint)
        if self.waiting.items:
            self.classify(self.waiting.take())
        self._update_summary()

    @Slot(object)
    def _on_load_failed(self, failed: Any) -> None:
        self._failed_load = failed.load_id

    @Slot(object)
    def on_profile_applied(self, loaded: ModelLoaded) -> None:
        # Same load, new preprocessing/labels: classify the same files again.
        self._model = loaded
        spec = loaded.info.preprocess
        self._spec_text = f"Preprocessing: {spec.describe()} (edited)" if spec else ""
        again = [c.source for c in self.model.cards if c.source is not None][:MAX_RERUN]
        if again:
            self.incoming.drop()
            self.model.clear()
            self.tensor.clear()
            self.classify(again)

    @Slot(QModelIndex, QModelIndex)
    def _on_current(self, current: QModelIndex, previous: QModelIndex) -> None:
        card = current.data(CardRole) if current.isValid() else None
        if card is not None and not card.error:
            self.tensor.key = card.key
            self.controller.preview(card.key)

    @Slot(int)
    def _on_top_k(self, k: int) -> None:
        self.delegate.top_k = k
        self.text_box.top_k = k
        self.view.doItemsLayout()
        self.view.viewport().update()

    @Slot()
    def rearrange(self) -> None:
        """Apply the arrange bar: uncertainty mark, order, which cards are shown."""
        bar, model = self.arrange, self.model
        self.delegate.uncertain_below = bar.threshold_value()
        key = sort_key(bar.sort_mode())
        model.layoutAboutToBeChanged.emit()
        model.cards.sort(key=key if key is not None else lambda c: c.seq)
        model.layoutChanged.emit()
        for row, card in enumerate(model.cards):
            self.view.setRowHidden(row, not self.card_visible(card))
        bar.set_labels(sorted({c.top[0][0] for c in model.cards if c.top and not c.error}))
        self._update_summary()
        self.view.viewport().update()

    @Slot()
    def _on_thresholds(self) -> None:
        self.view.viewport().update()
        if self.tensor.preview is not None:
            self.on_preview(self.tensor.preview)

    def card_visible(self, card: Card) -> bool:
        """The arrange bar's "Show" choice, and "Only disagreements" while models are compared."""
        if not shown(card, self.arrange.show_what(), self.delegate.uncertain_below):
            return False
        return not (self.disagree_box.isChecked() and not self.compare_cards.disagrees(card))

    def current_card(self) -> Card | None:
        idx = self.view.currentIndex()
        return idx.data(CardRole) if idx.isValid() else None

    def _update_summary(self, finished: BatchFinished | None = None) -> None:
        cards = self.model.cards
        self.export_button.setEnabled(bool(cards))
        self.clear_button.setEnabled(bool(cards))
        self.arrange.setVisible(bool(cards))
        self.arrange.set_counts(label_counts(cards, self.delegate.uncertain_below))
        self.summary.setText(summary_text(cards, finished))

    # -- export (same content as `livepredict classify --json` / `--csv`)
    def results_json(self) -> list[dict[str, Any]]:
        return results_json(self.model.cards, self.top_k(), self.thresholds.shown)

    def export(self, path: str | Path) -> Path:
        task = str(self._model.info.task) if self._model is not None else ""
        return write_results(path, self.model.cards, self.top_k(), task, self.thresholds.shown)
