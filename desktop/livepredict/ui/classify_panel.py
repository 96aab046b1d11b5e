"""Classify panel: dropped/opened/pasted images become cards with top-k bars, filled as results come.

Cards are rows of a list model painted by a delegate (cheap for thousands of images). A folder batch
shows a progress row (count, rate, time left, Cancel). Results are exported as CSV/JSON with the same
content as ``livepredict classify``. The side panel shows the tensor fed to the model for the
selected card.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from livepredict.core.types import Prediction
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.payloads import (
    BatchFinished,
    BatchProgress,
    ImageResult,
    ModelLoaded,
    NamedImage,
    TensorPreview,
)
from livepredict.ui import theme
from livepredict.ui.widgets import DropZone, format_duration, format_ms, pixmap_from_rgb

log = logging.getLogger(__name__)

CARD_W = 330
THUMB = 100
ROW_H = 20
MAX_RERUN = 500
MAX_THUMBS = 3000  # about 150 MB of pixmaps at most


@dataclass
class Card:
    key: str  # file path or pasted-image name
    name: str
    load_id: int
    job_id: int
    prediction: Prediction | None
    error: str | None
    total_ms: float
    thumb: QPixmap | None
    source: Any = None  # path str or NamedImage, to classify again with another model

    @property
    def top(self) -> tuple[tuple[str, float], ...]:
        return self.prediction.top if self.prediction is not None else ()

    def time_text(self) -> str:
        """Total time for this image (read + prepare + model) and the model's own share."""
        if self.prediction is None:
            return format_ms(self.total_ms)
        return f"{format_ms(self.total_ms)} total · model {format_ms(self.prediction.infer_ms)}"

    def to_json(self, k: int) -> dict[str, Any]:
        if self.prediction is not None and not self.error:
            return self.prediction.to_json(k) | {"path": self.key}
        return {"path": self.key, "top": [], "error": self.error}


CardRole = Qt.ItemDataRole.UserRole + 1


class CardModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: list[Card] = []

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.cards)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.cards):
            return None
        card = self.cards[index.row()]
        if role == CardRole:
            return card
        if role == Qt.ItemDataRole.DisplayRole:
            return card.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return card.key if not card.error else f"{card.key}\n{card.error}"
        return None

    def add(self, card: Card) -> None:
        n = len(self.cards)
        self.beginInsertRows(QModelIndex(), n, n)
        self.cards.append(card)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.cards.clear()
        self.endResetModel()


class CardDelegate(QStyledItemDelegate):
    """Paints one card: thumbnail, name, top-k bars with percentages, time or error sentence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.top_k = 3
        self.card_w = CARD_W

    def card_height(self) -> int:
        return max(THUMB + 24, 44 + ROW_H * self.top_k + 22)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(self.card_w, self.card_height())

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        card: Card | None = index.data(CardRole)
        if card is None:
            return
        c = theme.current()
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(option.rect).adjusted(5, 5, -5, -5)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        p.setPen(QColor(c.accent if selected else c.card_border))
        p.setBrush(QColor(c.error_bg if card.error else c.card))
        p.drawRoundedRect(r, 8, 8)
        # thumbnail, centred on a soft square
        tr = QRectF(r.left() + 10, r.top() + (r.height() - THUMB) / 2, THUMB, THUMB)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(c.bar_bg))
        p.drawRoundedRect(tr, 6, 6)
        if card.thumb is not None and not card.thumb.isNull():
            pm = card.thumb.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
            path = QPainterPath()
            pr = QRectF(tr.left() + (THUMB - pm.width()) / 2, tr.top() + (THUMB - pm.height()) / 2,
                        pm.width(), pm.height())
            path.addRoundedRect(pr, 6, 6)
            p.setClipPath(path)
            p.drawPixmap(pr.topLeft(), pm)
            p.setClipping(False)
        x = tr.right() + 12
        w = r.right() - 12 - x
        base = QFont(option.font)
        bold = QFont(base)
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(QColor(c.text))
        fm = QFontMetrics(bold)
        y = r.top() + 10
        p.drawText(QRectF(x, y, w, fm.height()), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(card.name, Qt.TextElideMode.ElideMiddle, int(w)))
        y += fm.height() + 8
        p.setFont(base)
        fmb = QFontMetrics(base)
        if card.error:
            p.setPen(QColor(c.error))
            p.drawText(QRectF(x, y, w, r.bottom() - y - 8),
                       int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) | int(Qt.TextFlag.TextWordWrap),
                       card.error)
        else:
            label_w = min(120.0, w * 0.34)
            pct_w = float(fmb.horizontalAdvance("100.0%") + 4)
            bar_x = x + label_w + 6
            bar_w = max(10.0, w - label_w - pct_w - 10)
            for i, (label, score) in enumerate(card.top[: self.top_k]):
                ry = y + i * ROW_H
                f = bold if i == 0 else base
                p.setFont(f)
                p.setPen(QColor(c.text if i == 0 else c.muted))
                p.drawText(QRectF(x, ry, label_w, ROW_H - 4),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                           QFontMetrics(f).elidedText(label, Qt.TextElideMode.ElideRight, int(label_w)))
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(c.bar_bg))
                br = QRectF(bar_x, ry + 4, bar_w, ROW_H - 12)
                p.drawRoundedRect(br, 4, 4)
                s = min(1.0, max(0.0, float(score)))
                if s > 0:
                    p.setBrush(QColor(c.accent if i == 0 else c.bar_other))
                    p.drawRoundedRect(QRectF(br.left(), br.top(), max(4.0, bar_w * s), br.height()), 4, 4)
                p.setPen(QColor(c.text if i == 0 else c.muted))
                p.drawText(QRectF(bar_x + bar_w + 4, ry, pct_w, ROW_H - 4),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{100.0 * s:.1f}%")
            p.setFont(base)
            p.setPen(QColor(c.muted))
            p.drawText(QRectF(x, r.bottom() - fmb.height() - 8, w, fmb.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, card.time_text())
        p.restore()


class CardView(QListView):
    """A wrapping list of cards whose width is stretched so the columns fill the viewport."""

    def __init__(self, delegate: CardDelegate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._delegate = delegate

    def resizeEvent(self, event) -> None:  # noqa: N802
        # Leave room for the vertical scroll bar whether or not it is shown yet, so that its
        # appearance never drops a column.
        w = self.width() - 2 * self.frameWidth() - self.verticalScrollBar().sizeHint().width() - 2
        cols = max(1, w // CARD_W)
        width = max(CARD_W - 40, w // cols)
        if width != self._delegate.card_w:
            self._delegate.card_w = width
            self.scheduleDelayedItemsLayout()
        super().resizeEvent(event)


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

    def show_preview(self, prev: TensorPreview, spec_text: str) -> None:
        self.preview = prev
        pm = pixmap_from_rgb(prev.image)
        # nearest-neighbour: each tensor pixel stays visible as it is
        self.image.setPixmap(pm.scaled(240, 240, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.FastTransformation))
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
    paste_requested = Signal()

    def __init__(self, controller: InferenceController, top_k: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._jobs: dict[int, int] = {}  # job id -> load id
        self._batch_job: int | None = None
        self._spec_text = ""
        self._model: ModelLoaded | None = None
        self._pasted = 0

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
        bar.addStretch(1)
        self.summary = QLabel("")
        self.summary.setObjectName("Muted")
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

        self.progress_row = QWidget()
        pr = QHBoxLayout(self.progress_row)
        pr.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("Muted")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_batch)
        pr.addWidget(self.progress, 1)
        pr.addWidget(self.progress_label)
        pr.addWidget(self.cancel_button)
        self.progress_row.hide()
        left.addWidget(self.progress_row)

        self.stack = QStackedWidget()
        self.hint = DropZone("Drop images or folders here",
                             "or use File › Open Images (Ctrl+Shift+O), paste an image (Ctrl+V).\n"
                             "Drop a model file (.keras, .h5, .tflite, SavedModel) to switch models.")
        self.model = CardModel(self)
        self.delegate = CardDelegate(self)
        self.delegate.top_k = top_k
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

        controller.classification_ready.connect(self.on_result)
        controller.batch_progress.connect(self.on_progress)
        controller.batch_finished.connect(self.on_finished)
        controller.tensor_previewed.connect(self.on_preview)
        controller.model_loaded.connect(self.on_model_loaded)
        controller.profile_applied.connect(self.on_profile_applied)

    # -- requests
    def top_k(self) -> int:
        return self.top_spin.value()

    def classify(self, items: list[Any]) -> int | None:
        """Classify paths (files/folders) and NamedImages; returns the job id."""
        if not items:
            return None
        return self.adopt_job(self.controller.classify(items, self.top_k()))

    def adopt_job(self, job: int) -> int:
        """Show the results and progress of a job submitted to the controller (also by the app)."""
        self._jobs[job] = self.controller.load_id
        self._batch_job = job
        self.progress.setRange(0, 0)
        self.progress_label.setText("Finding images…")
        self.progress_row.show()
        self.stack.setCurrentWidget(self.view)
        return job

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
        self.model.add(Card(key=r.path, name=name, load_id=r.load_id, job_id=r.job_id,
                            prediction=r.prediction, error=r.error, total_ms=r.total_ms, thumb=thumb, source=src))
        if self.model.rowCount() == 1:
            self.view.setCurrentIndex(self.model.index(0))
        self._update_summary()

    @Slot(object)
    def on_progress(self, p: BatchProgress) -> None:
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
        self._jobs.pop(f.job_id, None)
        if f.job_id == self._batch_job:
            self._batch_job = None
        if not self._jobs:
            self.progress_row.hide()
        if f.message and self._is_current(f.load_id):
            window = self.window()
            if hasattr(window, "show_message"):
                window.show_message(f.message)
        if not self.model.cards:
            self.stack.setCurrentWidget(self.hint)
        self._update_summary(f)

    @Slot(object)
    def on_preview(self, prev: TensorPreview) -> None:
        cur = self.current_card()
        if cur is None or cur.key != prev.key or not self._is_current(prev.load_id):
            return
        self.tensor.show_preview(prev, self._spec_text)

    @Slot(object)
    def on_model_loaded(self, loaded: ModelLoaded) -> None:
        if loaded.load_id != self.controller.load_id:
            return  # a newer model was asked for meanwhile; its results will replace these
        self._model = loaded
        spec = loaded.info.preprocess
        self._spec_text = (f"Preprocessing: {spec.describe()} (from {loaded.info.preprocess_source})"
                           if spec else "")
        stale = [c for c in self.model.cards if c.load_id != loaded.load_id]
        if stale:
            # Results of the previous model are dropped and the same files classified again.
            again = [c.source for c in self.model.cards if c.source is not None][:MAX_RERUN]
            self.model.clear()
            self.tensor.clear()
            if again:
                self.classify(again)
            else:
                self.stack.setCurrentWidget(self.hint)
        self._update_summary()

    @Slot(object)
    def on_profile_applied(self, loaded: ModelLoaded) -> None:
        # Same generation, new preprocessing/labels: classify the same files again.
        self._model = loaded
        spec = loaded.info.preprocess
        self._spec_text = f"Preprocessing: {spec.describe()} (edited)" if spec else ""
        again = [c.source for c in self.model.cards if c.source is not None][:MAX_RERUN]
        if again:
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
        self.view.doItemsLayout()
        self.view.viewport().update()

    def current_card(self) -> Card | None:
        idx = self.view.currentIndex()
        return idx.data(CardRole) if idx.isValid() else None

    def _update_summary(self, finished: BatchFinished | None = None) -> None:
        cards = self.model.cards
        self.export_button.setEnabled(bool(cards))
        self.clear_button.setEnabled(bool(cards))
        if not cards:
            self.summary.setText("")
            return
        ok = [c for c in cards if not c.error]
        errs = len(cards) - len(ok)
        text = f"{len(cards)} image{'s' if len(cards) != 1 else ''}"
        if ok:
            text += f" · {format_ms(sum(c.total_ms for c in ok) / len(ok))} avg"
        if errs:
            text += f" · {errs} error{'s' if errs != 1 else ''}"
        if finished is not None and finished.cancelled and finished.total:
            text += f" · cancelled at {finished.done}/{finished.total}"
        self.summary.setText(text)

    # -- export (same content as `livepredict classify --json` / `--csv`)
    def results_json(self) -> list[dict[str, Any]]:
        k = self.top_k()
        return [c.to_json(k) for c in self.model.cards]

    def export(self, path: str | Path) -> Path:
        path = Path(path)
        k = self.top_k()
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(self.results_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            return path
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            header = ["path"]
            for i in range(1, k + 1):
                header += [f"label_{i}", f"score_{i}"]
            w.writerow(header + ["error"])
            for c in self.model.cards:
                row = [c.key]
                top = c.top if not c.error else ()
                for j in range(k):
                    row += [top[j][0], f"{top[j][1]:.6f}"] if j < len(top) else ["", ""]
                w.writerow(row + [c.error or ""])
        return path
