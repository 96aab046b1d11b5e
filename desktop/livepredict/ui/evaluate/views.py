"""The Evaluate tab's plots (pyqtgraph): the confusion heatmap (a click on a cell names that cell),
the reliability diagram and the ROC curve with its threshold marker. Each draws an evaluation that
the inference thread already computed (``inference.evaluate.result.Evaluation``); nothing here
computes figures beyond a binary model's counts at a threshold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from livepredict.ui import theme
from livepredict.ui.plots import keep_menus_with


class _Plot(pg.PlotWidget):
    """A still plot that follows the light/dark theme (background, axes, title)."""

    def __init__(self, title: str, xlabel: str, ylabel: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item = self.getPlotItem()
        keep_menus_with(self, item)
        self.title = title
        item.setLabel("bottom", xlabel)
        item.setLabel("left", ylabel)
        item.setMouseEnabled(False, False)
        item.hideButtons()
        item.setMenuEnabled(False)
        self.apply_theme()
        self._ready = True

    def set_title(self, title: str) -> None:
        self.title = title
        self.item.setTitle(title, color=theme.current().text, size="10pt")

    def apply_theme(self) -> None:
        c = theme.current()
        self.setBackground(c.base)
        for name in ("left", "bottom"):
            axis = self.item.getAxis(name)
            axis.setPen(pg.mkPen(c.muted, width=1))
            axis.setTextPen(pg.mkPen(c.muted, width=1))
            axis.label.setDefaultTextColor(QColor(c.muted))
        self.set_title(self.title)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.PaletteChange and self.__dict__.get("_ready"):
            self.apply_theme()  # light/dark switched while the app runs
        super().changeEvent(event)


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


class ConfusionHeatmap(_Plot):
    """Rows = true class, columns = predicted; colour = the row's share; each cell shows its count.

    Signals:
        cell_clicked(int, int): (true class, predicted class) of the clicked cell.
    """

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        self.image = _CellImage(self)
        self._texts: list[pg.TextItem] = []
        self.counts = np.zeros((0, 0), np.int64)
        self.labels: tuple[str, ...] = ()
        super().__init__("Confusion matrix (click a cell)", "predicted", "true", parent)
        self.item.invertY(True)
        self.item.setAspectLocked(True)
        self.item.addItem(self.image)
        self.selected: tuple[int, int] | None = None
        self._box = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
        self._box.setPen(pg.mkPen("#f28e2b", width=3))
        self._box.hide()
        self.item.addItem(self._box)

    def apply_theme(self) -> None:
        super().apply_theme()
        self.image.setColorMap(pg.ColorMap([0.0, 1.0], [QColor(theme.current().base), QColor("#2f6fd0")]))
        if self.labels:
            selected = self.selected
            self.show_matrix(self.counts, self.labels)  # the counts' text colours follow the theme
            self.select(selected)

    def show_matrix(self, counts: np.ndarray, labels: Sequence[str]) -> None:
        self.counts = np.asarray(counts)
        self.labels = tuple(labels)
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


class ReliabilityPlot(_Plot):
    """Accuracy per confidence bin (bars) against the diagonal of perfect calibration."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Reliability", "confidence", "accuracy", parent)
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
        self.set_title(f"Reliability (ECE {cal.ece:.3f})")


class RocPlot(_Plot):
    """A binary model's ROC curve; ``show_threshold`` marks the operating point of a threshold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("ROC", "false positive rate", "true positive rate", parent)
        self.item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.02)
        self.item.plot([0, 1], [0, 1], pen=pg.mkPen(theme.current().muted, style=Qt.PenStyle.DashLine))
        self.curve = self.item.plot([], [], pen=pg.mkPen("#4e79a7", width=2))
        self.point = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("#f28e2b"), pen=pg.mkPen(None))
        self.item.addItem(self.point)

    def show_roc(self, roc: Any, positive: str) -> None:
        self.curve.setData(np.asarray(roc.fpr), np.asarray(roc.tpr))
        self.set_title(f"ROC, positive “{positive}” (AUC {roc.auc:.3f})")

    def show_threshold(self, fpr: float, tpr: float) -> None:
        self.point.setData([fpr], [tpr])
