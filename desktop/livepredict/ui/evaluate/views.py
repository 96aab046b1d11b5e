"""The Evaluate tab's plots (pyqtgraph): the confusion heatmap (a click on a cell names that cell),
the reliability diagram and the ROC curve with its threshold marker. Each draws an evaluation that
the inference thread already computed (``inference.evaluate.result.Evaluation``); nothing here
computes figures beyond a binary model's counts at a threshold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from livepredict.ui import theme
from livepredict.ui.plots import keep_menus_with


def _plot(widget: pg.PlotWidget, title: str, xlabel: str, ylabel: str) -> pg.PlotItem:
    c = theme.current()
    widget.setBackground(c.base)
    item = widget.getPlotItem()
    keep_menus_with(widget, item)
    item.setTitle(title, color=c.text, size="10pt")
    item.setLabel("bottom", xlabel, color=c.muted)
    item.setLabel("left", ylabel, color=c.muted)
    item.setMouseEnabled(False, False)
    item.hideButtons()
    item.setMenuEnabled(False)
    return item


class _CellImage(pg.ImageItem):
    """The heatmap's image: ``clicked(row, column)`` on a left click in a cell."""

    def __init__(self, owner: ConfusionHeatmap) -> None:
        super().__init__()
        self.owner = owner

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph API
        if ev.button() != Qt.MouseButton.LeftButton or self.image is None:
            return
        p = ev.pos()
        col, row = int(np.floor(p.x())), int(np.floor(p.y()))
        n = self.image.shape[0]
        if 0 <= row < n and 0 <= col < n:
            ev.accept()
            self.owner.cell_clicked.emit(row, col)


class ConfusionHeatmap(pg.PlotWidget):
    """Rows = true class, columns = predicted; colour = the row's share; each cell shows its count.

    Signals:
        cell_clicked(int, int): (true class, predicted class) of the clicked cell.
    """

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = _plot(self, "Confusion matrix (click a cell)", "predicted", "true")
        self.item.invertY(True)
        self.item.setAspectLocked(True)
        self.image = _CellImage(self)
        self.image.setColorMap(pg.ColorMap([0.0, 1.0], [QColor(theme.current().base), QColor("#2f6fd0")]))
        self.item.addItem(self.image)
        self._texts: list[pg.TextItem] = []
        self.counts = np.zeros((0, 0), np.int64)
        self.selected: tuple[int, int] | None = None
        self._box = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
        self._box.setPen(pg.mkPen("#f28e2b", width=3))
        self._box.hide()
        self.item.addItem(self._box)

    def show_matrix(self, counts: np.ndarray, labels: Sequence[str]) -> None:
        self.counts = np.asarray(counts)
        n = len(labels)
        rows = self.counts.sum(axis=1, keepdims=True)
        share = np.divide(self.counts, rows, out=np.zeros(self.counts.shape, float), where=rows > 0)
        self.image.setImage(np.sqrt(share).T, levels=(0.0, 1.0))  # x = predicted, y = true
        for t in self._texts:
            self.item.removeItem(t)
        self._texts = []
        for i in range(n):
            for j in range(n):
                if self.counts[i, j]:
                    t = pg.TextItem(str(int(self.counts[i, j])), anchor=(0.5, 0.5),
                                    color="#ffffff" if share[i, j] > 0.45 else theme.current().text)
                    t.setPos(j + 0.5, i + 0.5)
                    self.item.addItem(t)
                    self._texts.append(t)
        ticks = [[(k + 0.5, lbl[:10]) for k, lbl in enumerate(labels)]]
        for side in ("bottom", "left"):
            axis = self.item.getAxis(side)
            axis.setTicks(ticks)
            axis.setStyle(hideOverlappingLabels=False)
        longest = max((self.fontMetrics().horizontalAdvance(lbl[:10]) for lbl in labels), default=20)
        self.item.getAxis("left").setWidth(longest + 28)
        self.item.setRange(xRange=(0, n), yRange=(0, n), padding=0.02)
        self.select(None)

    def select(self, cell: tuple[int, int] | None) -> None:
        self.selected = cell
        if cell is None:
            self._box.hide()
            return
        self._box.setRect(cell[1], cell[0], 1, 1)
        self._box.show()


class ReliabilityPlot(pg.PlotWidget):
    """Accuracy per confidence bin (bars) against the diagonal of perfect calibration."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = _plot(self, "Reliability", "confidence", "accuracy")
        self.item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.02)
        self.item.plot([0, 1], [0, 1], pen=pg.mkPen(theme.current().muted, style=Qt.PenStyle.DashLine))
        self.bars: pg.BarGraphItem | None = None

    def show_calibration(self, cal: Any) -> None:
        if self.bars is not None:
            self.item.removeItem(self.bars)
        edges = np.asarray(cal.edges)
        filled = np.asarray(cal.counts) > 0
        centres = (edges[:-1] + edges[1:]) / 2
        self.bars = pg.BarGraphItem(x=centres[filled], height=np.asarray(cal.accuracy)[filled],
                                    width=(edges[1] - edges[0]) * 0.9, brush="#4e79a7", pen=pg.mkPen(None))
        self.item.addItem(self.bars)
        self.item.setTitle(f"Reliability (ECE {cal.ece:.3f})", color=theme.current().text, size="10pt")


class RocPlot(pg.PlotWidget):
    """A binary model's ROC curve; ``show_threshold`` marks the operating point of a threshold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = _plot(self, "ROC", "false positive rate", "true positive rate")
        self.item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.02)
        self.item.plot([0, 1], [0, 1], pen=pg.mkPen(theme.current().muted, style=Qt.PenStyle.DashLine))
        self.curve = self.item.plot([], [], pen=pg.mkPen("#4e79a7", width=2))
        self.point = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("#f28e2b"), pen=pg.mkPen(None))
        self.item.addItem(self.point)

    def show_roc(self, roc: Any, positive: str) -> None:
        self.curve.setData(np.asarray(roc.fpr), np.asarray(roc.tpr))
        self.item.setTitle(f"ROC, positive “{positive}” (AUC {roc.auc:.3f})", color=theme.current().text,
                           size="10pt")

    def show_threshold(self, fpr: float, tpr: float) -> None:
        self.point.setData([fpr], [tpr])
