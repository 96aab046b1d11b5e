"""The Evaluate tab: drop (or pick) a labelled folder or a ``path,label`` CSV; every open model (the
main one and those added to compare) is evaluated on it on the inference thread (``controller.evaluate``),
with a progress bar and Cancel. The figures: a summary line per model, the confusion matrix as a
heatmap (a click on a cell shows its pictures), the per-class table, the reliability diagram, for a
binary model the ROC curve with a threshold control, and for two models McNemar's test and the
pictures each one alone gets right.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QIcon, QImageReader, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from livepredict.threads.engine.compare import ALL_SLOTS
from livepredict.ui.evaluate.views import ConfusionHeatmap, ReliabilityPlot, RocPlot
from livepredict.ui.panel import AppContext
from livepredict.ui.widgets import DropZone

MAX_SHOWN = 48  # pictures shown for a cell (thumbnails are read when the cell is clicked)
THUMB = 96


def thumbnail(path: str, side: int = THUMB) -> QPixmap:
    """A ``side`` x ``side`` picture of ``path`` (decoded scaled down, centred); blank if unreadable."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > side:
        reader.setScaledSize(size.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    square = QPixmap(side, side)  # every icon the same size, so the names line up under them
    square.fill(Qt.GlobalColor.transparent)
    if not image.isNull():
        painter = QPainter(square)
        painter.drawImage((side - image.width()) // 2, (side - image.height()) // 2, image)
        painter.end()
    return square


class EvaluatePanel(QWidget):
    """The Evaluate tab (built from the application context)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.controller = c = context.controller
        self.source = ""
        self.job_id: int | None = None
        self.finished: Any = None  # the last EvalFinished
        self.shown: list[str] = []  # paths in the pictures list
        self._build()
        self.setAcceptDrops(True)
        c.evaluation_progress.connect(self.on_progress)
        c.evaluation_finished.connect(self.on_finished)
        c.model_loaded.connect(self.on_model_loaded)
        self.on_model_loaded(None)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 10)
        head = QHBoxLayout()
        self.source_label = QLabel("No labelled pictures yet.")
        self.source_label.setWordWrap(True)
        head.addWidget(self.source_label, 1)
        self.folder_button = QPushButton("Folder…")
        self.folder_button.clicked.connect(self.pick_folder)
        self.csv_button = QPushButton("CSV…")
        self.csv_button.clicked.connect(self.pick_csv)
        self.run_button = QPushButton("Evaluate")
        self.run_button.clicked.connect(lambda: self.start())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setFixedWidth(180)
        self.progress.setFormat("%v / %m")
        for w in (self.folder_button, self.csv_button, self.run_button, self.cancel_button, self.progress):
            head.addWidget(w)
        outer.addLayout(head)
        row = QHBoxLayout()
        self.model_box = QComboBox()
        self.model_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model_box.hide()  # shown when several models were evaluated
        self.model_box.currentIndexChanged.connect(self.show_model)
        row.addWidget(self.model_box)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setMinimumHeight(self.summary.fontMetrics().lineSpacing() * 3)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.summary, 1)
        outer.addLayout(row)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QSplitter(Qt.Orientation.Vertical)
        self.heatmap = ConfusionHeatmap()
        self.heatmap.cell_clicked.connect(self.show_cell)
        left.addWidget(self.heatmap)
        left.addWidget(self._pictures_box())
        left.setSizes([420, 220])
        split.addWidget(left)
        split.addWidget(self._figures_box())
        split.setSizes([560, 640])
        self.hint = DropZone("Drop a labelled folder here",
                             "One sub-folder per class, named after the model's labels (the layout of Keras' "
                             "image_dataset_from_directory), or a CSV of path,label rows.\nEvery open model is "
                             "evaluated: File › Add Model to Compare adds more.")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(split)
        outer.addWidget(self.stack, 1)

    def _pictures_box(self) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        self.pictures_title = QLabel("Click a cell of the matrix to see its pictures.")
        lay.addWidget(self.pictures_title)
        bar = QHBoxLayout()
        self.only_a = QPushButton("")
        self.only_b = QPushButton("")
        self.only_a.clicked.connect(lambda: self.show_only(0))
        self.only_b.clicked.connect(lambda: self.show_only(1))
        for b in (self.only_a, self.only_b):
            b.hide()
            bar.addWidget(b)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.pictures = QListWidget()
        self.pictures.setViewMode(QListWidget.ViewMode.IconMode)
        self.pictures.setIconSize(QSize(THUMB, THUMB))
        self.pictures.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.pictures.setUniformItemSizes(True)
        self.pictures.setGridSize(QSize(THUMB + 24, THUMB + 28))  # room for the name under each picture
        self.pictures.setWordWrap(False)
        self.pictures.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        lay.addWidget(self.pictures, 1)
        return box

    def _figures_box(self) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["label", "precision", "recall", "F1", "support"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 2)
        plots = QHBoxLayout()
        self.reliability = ReliabilityPlot()
        self.roc = RocPlot()
        plots.addWidget(self.reliability)
        plots.addWidget(self.roc)
        lay.addLayout(plots, 3)
        th = QHBoxLayout()
        self.threshold = QSlider(Qt.Orientation.Horizontal)
        self.threshold.setRange(1, 99)
        self.threshold.setValue(50)
        self.threshold.valueChanged.connect(self.show_threshold)
        self.threshold_label = QLabel("")
        th.addWidget(QLabel("Threshold"))
        th.addWidget(self.threshold, 1)
        th.addWidget(self.threshold_label, 2)
        self.threshold_row = QWidget()
        self.threshold_row.setLayout(th)
        lay.addWidget(self.threshold_row)
        self._binary(False)
        return box

    def _binary(self, on: bool) -> None:
        self.roc.setVisible(on)
        self.threshold_row.setVisible(on)

    # ------------------------------------------------------------------ input
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            self.hint.set_active(True)

    def dragLeaveEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.hint.set_active(False)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.hint.set_active(False)
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.start(paths[0])

    def pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Labelled folder (one sub-folder per class)")
        if path:
            self.start(path)

    def pick_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CSV of path,label", "", "CSV (*.csv *.tsv *.txt)")
        if path:
            self.start(path)

    def slots(self) -> list[str]:
        """The slots with a model open now: the main one first, then those added to compare."""
        return [s for s in ALL_SLOTS if self.controller.active_load_id_of(s) >= 0]

    @Slot(object)
    def on_model_loaded(self, loaded: Any) -> None:
        n = len(self.slots())
        self.run_button.setEnabled(n > 0 and self.job_id is None)
        if n > 1:
            self.run_button.setText(f"Evaluate {n} models")
        else:
            self.run_button.setText("Evaluate")

    def start(self, source: str | None = None) -> int | None:
        """Evaluate every open model on ``source`` (default: the last one); returns the job id."""
        if source is not None:
            self.source = str(source)
        if not self.source:
            self.context.show_message("Drop a labelled folder or a CSV of path,label first.")
            return None
        slots = self.slots()
        if not slots:
            self.context.show_message("Open a classifier first (File → Open Model…), then evaluate it.")
            return None
        if self.job_id is not None:
            self.controller.cancel(self.job_id)
        self.source_label.setText(f"Labelled pictures: {self.source}")
        self.job_id = self.controller.evaluate(self.source, slots)
        self.progress.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.run_button.setEnabled(False)
        self.summary.setText(f"Evaluating {len(slots)} model{'s' if len(slots) > 1 else ''}…")
        return self.job_id

    def cancel(self) -> None:
        if self.job_id is not None:
            self.controller.cancel(self.job_id)

    # ------------------------------------------------------------------ results
    @Slot(object)
    def on_progress(self, p: Any) -> None:
        if p.job_id != self.job_id:
            return
        self.progress.setRange(0, max(1, p.total))
        self.progress.setValue(p.done)
        if p.notes:
            self.context.show_message(" ".join(p.notes))

    @Slot(object)
    def on_finished(self, f: Any) -> None:
        if f.job_id != self.job_id:
            return
        self.job_id = None
        self.cancel_button.setEnabled(False)
        self.on_model_loaded(None)
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if not f.cancelled else 0)
        self.finished = f
        if f.message:
            self.context.show_message(f.message)
        self.model_box.blockSignals(True)
        self.model_box.clear()
        for e in f.evaluations:
            self.model_box.addItem(e.model)
        self.model_box.blockSignals(False)
        self.model_box.setVisible(len(f.evaluations) > 1)
        if f.evaluations:
            self.stack.setCurrentIndex(1)
            self.show_model(0)
        else:
            self.summary.setText(f.message or "Nothing was evaluated.")
        self._show_comparison()

    def evaluation(self) -> Any:
        if self.finished is None or not self.finished.evaluations:
            return None
        return self.finished.evaluations[max(0, self.model_box.currentIndex())]

    @Slot(int)
    def show_model(self, index: int) -> None:
        e = self.evaluation()
        if e is None:
            return
        f = e.figures
        text = e.summary() + "."
        if self.finished.cancelled:
            text += f" Cancelled after {e.count + len(e.failed)} of {e.total} pictures."
        if self.finished.comparisons:
            text += " " + " ".join(c.sentence() for c in self.finished.comparisons)
        self.summary.setText(text)
        self.heatmap.show_matrix(f.confusion, e.labels)
        self.reliability.show_calibration(f.calibration)
        pc = f.per_class
        self.table.setRowCount(len(e.labels))
        for i, label in enumerate(e.labels):
            cells = [label, f"{pc.precision[i]:.3f}", f"{pc.recall[i]:.3f}", f"{pc.f1[i]:.3f}", str(int(pc.support[i]))]
            for j, v in enumerate(cells):
                item = QTableWidgetItem(v)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self._binary(f.roc is not None)
        if f.roc is not None:
            self.roc.show_roc(f.roc, e.labels[1])
            self.show_threshold(self.threshold.value())
        self.show_pictures([], "Click a cell of the matrix to see its pictures.")

    def _show_comparison(self) -> None:
        cmp = self.finished.comparisons[0] if self.finished and self.finished.comparisons else None
        for i, b in enumerate((self.only_a, self.only_b)):
            b.setVisible(cmp is not None)
            if cmp is not None:
                paths = cmp.only_a if i == 0 else cmp.only_b
                b.setText(f"Right only by {cmp.names[i]} ({len(paths)})")

    @Slot(int)
    def show_threshold(self, value: int) -> None:
        e = self.evaluation()
        if e is None or not e.binary or not e.count:
            return
        at = e.at_threshold(value / 100.0)
        self.roc.show_threshold(at["fpr"], at["tpr"])
        self.threshold_label.setText(f"{value / 100:.2f}: accuracy {at['accuracy']:.1%}, TPR {at['tpr']:.1%}, "
                                     f"FPR {at['fpr']:.1%}, precision {at['precision']:.1%}")

    @Slot(int, int)
    def show_cell(self, true: int, predicted: int) -> None:
        e = self.evaluation()
        if e is None:
            return
        self.heatmap.select((true, predicted))
        paths = e.pictures(true, predicted)
        self.show_pictures(paths, f"{len(paths)} pictures of “{e.labels[true]}” called “{e.labels[predicted]}”")

    def show_only(self, which: int) -> None:
        cmp = self.finished.comparisons[0] if self.finished and self.finished.comparisons else None
        if cmp is None:
            return
        paths = cmp.only_a if which == 0 else cmp.only_b
        self.show_pictures(list(paths), f"{len(paths)} pictures only {cmp.names[which]} gets right")

    def show_pictures(self, paths: list[str], title: str) -> None:
        self.pictures.clear()
        self.shown = list(paths)
        more = f" (the first {MAX_SHOWN} shown)" if len(paths) > MAX_SHOWN else ""
        self.pictures_title.setText(title + more)
        for p in paths[:MAX_SHOWN]:
            item = QListWidgetItem(QIcon(thumbnail(p)), Path(p).name)
            item.setToolTip(p)
            self.pictures.addItem(item)

    def shutdown(self) -> None:
        self.cancel()
