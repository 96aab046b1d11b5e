"""The Classify tab's text box, shown when the open model is a text classifier.

One text per line is classified with the model's own vocabulary and tokenisation (the sidecar's
``vocab`` and ``tokenize``, as ``livepredict classify --text``); each answer is a row: the text,
its top label and score, and the next labels.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from livepredict.threads.engine.payloads import TextResults
from livepredict.ui.panel import AppContext


class TextClassifyBox(QGroupBox):
    """Type or paste texts (one per line), Classify, read the answers."""

    def __init__(self, context: AppContext) -> None:
        super().__init__("Classify text")
        self.context = context
        self.controller = context.controller
        self._job: int | None = None
        self.top_k = 3
        lay = QVBoxLayout(self)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("textInput")
        self.editor.setPlaceholderText("Type or paste text to classify, one text per line")
        self.editor.setMaximumHeight(110)
        lay.addWidget(self.editor)
        row = QHBoxLayout()
        self.button = QPushButton("Classify Text")
        self.button.setObjectName("classifyText")
        self.button.clicked.connect(self.classify)
        self.status = QLabel("")
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        row.addWidget(self.button)
        row.addWidget(self.status, 1)
        lay.addLayout(row)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Text", "Label", "Score", "Next"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.table, 1)
        self.controller.texts_classified.connect(self.on_results)

    def texts(self) -> list[str]:
        return [line.strip() for line in self.editor.toPlainText().splitlines() if line.strip()]

    @Slot()
    def classify(self) -> None:
        texts = self.texts()
        if not texts:
            self.status.setText("Type a text first (one per line).")
            return
        self.status.setText(f"Classifying {len(texts)} text{'s' if len(texts) != 1 else ''}…")
        self._job = self.controller.classify_texts(texts, self.top_k)

    @Slot(object)
    def on_results(self, res: TextResults) -> None:
        if res.job_id != self._job:
            return  # an older request, or another panel's
        if res.error:
            self.status.setText(res.error)
            return
        self.table.setRowCount(len(res.predictions))
        for i, pred in enumerate(res.predictions):
            nxt = ", ".join(f"{lbl} {s:.2f}" for lbl, s in pred.top[1:])
            for j, v in enumerate((pred.path, pred.label, f"{pred.score:.3f}", nxt)):
                self.table.setItem(i, j, QTableWidgetItem(v))
        self.status.setText(f"{len(res.predictions)} classified.")

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.status.setText("")
