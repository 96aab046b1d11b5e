"""Live plot widgets (pyqtgraph): the video view, confidence over time, the timing strip.

Everything here is *painted at display pace* from data the caller keeps in ring buffers
(``core.history.History``): nothing is drawn per inference result (DESIGN §1 "ingest apart from
paint"). Costs measured on this stack (DESIGN §8) set the choices: 1 px pens, no antialiasing,
``setData(..., skipFiniteCheck=True)``, ``ImageItem.setImage(..., autoLevels=False)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QMenu, QSizePolicy, QVBoxLayout, QWidget

# Paul Tol's colour-blind-safe "bright" set (seven colours told apart with the common colour-vision
# deficiencies, none too dark for the dark theme nor too pale for the light one), then three of his others.
PALETTE = ("#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee",
           "#aa3377", "#bbbbbb", "#ee7733", "#009988", "#882255")
MAX_LINES = len(PALETTE)
LEGEND_COLUMNS = 5
MAX_PLOT_POINTS = 600  # per line, after cutting out the visible window (min/max per bucket: spikes stay)


def keep_menus_with(widget: QWidget, plot_item: pg.PlotItem) -> None:
    """Make ``plot_item``'s context menus Qt children of ``widget`` so they die with it, in the GUI thread.

    pyqtgraph builds a PlotItem's "Plot Options" menu (``ctrlMenu``, whose sub-menus host the
    options form, a list view among it) and the ViewBox menu as *parentless* QMenus owned by
    Python, plus a parentless ``stateGroup``. When the plot widget is deleted they survive in
    pyqtgraph's reference cycles until Python's cyclic garbage collector runs, on whichever thread
    happens to allocate at that moment: usually the inference thread or the feed's threads, busy
    with TensorFlow. Destroying the menu there re-parents the form and restarts the list view's
    layout timer from that thread ("QBasicTimer::start: Timers cannot be started from another
    thread"). As children of ``widget`` they are deleted with it, on the GUI thread; the collector
    later frees only their empty Python wrappers.
    """
    menus = [getattr(plot_item, "ctrlMenu", None), getattr(plot_item.getViewBox(), "menu", None)]
    for menu in menus:
        if isinstance(menu, QMenu) and menu.parent() is None:
            menu.setParent(widget, menu.windowFlags())  # keeps the Popup flag: still a context menu
    group = getattr(plot_item, "stateGroup", None)
    if isinstance(group, QObject) and group.parent() is None:
        group.setParent(widget)


def _theme_colors(widget: QWidget) -> tuple[QColor, QColor]:
    pal = widget.palette()
    return pal.color(pal.ColorRole.Base), pal.color(pal.ColorRole.Text)


class VideoView(pg.GraphicsLayoutWidget):
    """A frame (RGB uint8 HxWx3) with the top label and score drawn over it.

    ``show_frame`` hands the array straight to one ``ImageItem`` with fixed levels (no auto-level
    pass, no copy of ours); the overlay text only changes when the label or the rounded score does.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.view = self.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.view.setMenuEnabled(False)
        self.view.setDefaultPadding(0.0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setAutoDownsample(True)
        self.view.addItem(self.image)
        self._shape: tuple[int, ...] | None = None
        self._overlay_key: tuple[str, int] | None = None

        self.label = pg.TextItem("", color="#ffffff", fill=pg.mkBrush(0, 0, 0, 170), anchor=(0, 0))
        font = QFont()
        font.setPointSize(15)
        font.setBold(True)
        self.label.setFont(font)
        self.label.setZValue(10)
        self.message = pg.TextItem("", color="#e0e0e0", anchor=(0.5, 0.5))
        mfont = QFont()
        mfont.setPointSize(12)
        self.message.setFont(mfont)
        self.message.setZValue(11)
        self.view.addItem(self.label, ignoreBounds=True)
        self.view.addItem(self.message, ignoreBounds=True)
        self.set_placeholder("Press Start to play the source above, or open a video, a folder or a camera.")

    def set_placeholder(self, text: str) -> None:
        """Show a sentence in the middle of the view (before the first frame, after a fault)."""
        self.message.setText(text)
        self.message.setTextWidth(max(200, min(480, self.width() - 40)))  # a long sentence wraps
        self.message.setVisible(bool(text))
        if self._shape is None:
            self.view.setRange(QRectF(0, 0, 640, 480), padding=0)
            self.message.setPos(320, 240)
        else:
            self.message.setPos(self._shape[1] / 2, self._shape[0] / 2)

    def show_frame(self, image: np.ndarray) -> None:
        if self._shape != image.shape:
            self._shape = image.shape
            self.view.setRange(QRectF(0, 0, image.shape[1], image.shape[0]), padding=0)
            self.label.setPos(image.shape[1] * 0.02, image.shape[0] * 0.02)
            self.message.setPos(image.shape[1] / 2, image.shape[0] / 2)
        self.image.setImage(image, autoLevels=False, levels=None)  # uint8 RGB as it is: no per-frame rescale

    def set_overlay(self, label: str, score: float | None) -> None:
        pct = -1 if score is None or not np.isfinite(score) else int(round(score * 100))
        key = (label, pct)
        if key == self._overlay_key:
            return
        self._overlay_key = key
        if not label:
            self.label.setText("")
            self.label.setVisible(False)
            return
        self.label.setText(f" {label}  {pct}% " if pct >= 0 else f" {label} ")
        self.label.setVisible(True)

    def clear(self) -> None:
        self.image.clear()
        self._shape = None
        self.set_overlay("", None)


class RowLegend(pg.LegendItem):
    """A legend placed by its plot's layout (in a row above the data): pyqtgraph's own resizing
    would move it back to the plot's top-left corner each time an entry is added."""

    def updateSize(self) -> None:  # noqa: N802 - pyqtgraph API
        pos = self.pos()
        super().updateSize()
        self.setPos(pos)
        self.updateGeometry()


class ConfidencePlot(pg.PlotWidget):
    """Rolling confidence over time for the top classes (or the ones the user picked).

    The y axis is fixed to 0..1, the x axis shows the last ``span`` seconds (0 = newest). Lines are
    1 px; ``smoothing`` > 1 applies a moving average over that many results; a dashed threshold
    line is drawn when ``threshold`` is set. Call ``refresh(times, scores)`` from a display timer.

    Signals:
        shown_changed(list): the class indices now drawn changed (auto top-k picked others).
    """

    shown_changed = Signal(list)
    RECENT_S = 1.5

    def __init__(self, parent: QWidget | None = None, span: float = 10.0, top_k: int = 3) -> None:
        super().__init__(parent)
        bg, fg = _theme_colors(self)
        self.setBackground(bg)
        self.setMinimumHeight(160)
        self.span = float(span)
        self.top_k = int(top_k)
        self.smoothing = 1
        self.labels: tuple[str, ...] = ()
        self.pinned: list[int] | None = None  # None = automatic top-k
        self.shown: list[int] = []
        pi = self.getPlotItem()
        pi.setMenuEnabled(False)
        keep_menus_with(self, pi)
        pi.hideButtons()
        pi.setMouseEnabled(x=False, y=False)
        # Grid as a few solid 1 px lines: pyqtgraph's translucent grid costs ~7 ms per repaint here.
        self.grid_lines = [pg.InfiniteLine(pos=y, angle=0, movable=False) for y in (0.25, 0.5, 0.75, 1.0)]
        self.grid_lines += [pg.InfiniteLine(pos=-x, angle=90, movable=False) for x in range(1, 60)]
        for line in self.grid_lines:
            line.setZValue(-10)
            pi.addItem(line, ignoreBounds=True)
        pi.setYRange(0.0, 1.0, padding=0.04)
        pi.getAxis("left").setTicks([[(0.0, "0"), (0.25, "0.25"), (0.5, "0.5"), (0.75, "0.75"),
                                      (1.0, "1")], []])
        pi.setXRange(-self.span, 0.0, padding=0.0)
        pi.enableAutoRange(False)
        pi.setLabel("left", "confidence")
        pi.setLabel("bottom", "seconds")
        for name in ("left", "bottom"):
            ax = pi.getAxis(name)
            ax.setPen(pg.mkPen(fg, width=1))
            ax.setTextPen(pg.mkPen(fg, width=1))
        # The legend sits in a row above the data (the title's cell), never over the lines near 1.0.
        self.legend = RowLegend(offset=None, colCount=LEGEND_COLUMNS, labelTextColor=fg)
        pi.layout.removeItem(pi.titleLabel)
        pi.titleLabel.setVisible(False)
        pi.layout.addItem(self.legend, 0, 1)
        pi.layout.setRowFixedHeight(0, 0)
        self.legend.setVisible(False)  # until there are classes to name (an empty box otherwise)
        self.lines: list[pg.PlotDataItem] = []
        for color in PALETTE:
            item = pi.plot([], [], pen=pg.mkPen(color, width=1), antialias=False, skipFiniteCheck=True)
            item.setVisible(False)
            self.lines.append(item)
        self.threshold_line = pg.InfiniteLine(angle=0, movable=False,
                                              pen=pg.mkPen(fg, width=1, style=Qt.PenStyle.DashLine))
        self.threshold_line.setVisible(False)
        pi.addItem(self.threshold_line, ignoreBounds=True)
        pi.setXRange(-self.span, 0.0, padding=0.0)
        pi.getViewBox().disableAutoRange()  # fixed axes: adding the lines re-enabled auto-range
        self.apply_theme()

    def apply_theme(self) -> None:
        """Recolour background, axes, legend and threshold line from the current palette."""
        bg, fg = _theme_colors(self)
        self.setBackground(bg)
        pi = self.getPlotItem()
        for name in ("left", "bottom"):
            ax = pi.getAxis(name)
            ax.setPen(pg.mkPen(fg, width=1))
            ax.setTextPen(pg.mkPen(fg, width=1))
        self.legend.setLabelTextColor(fg)
        for _sample, label in self.legend.items:
            label.setText(label.text, color=fg)  # a label keeps its old colour until its text is set again
        self.threshold_line.setPen(pg.mkPen(fg, width=1, style=Qt.PenStyle.DashLine))
        grid = QColor(int(bg.red() * 0.88 + fg.red() * 0.12), int(bg.green() * 0.88 + fg.green() * 0.12),
                      int(bg.blue() * 0.88 + fg.blue() * 0.12))
        for line in self.grid_lines:
            line.setPen(pg.mkPen(grid, width=1))
            if line.angle == 90:
                line.setVisible(line.value() >= -self.span)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "threshold_line"):
            self.apply_theme()  # light/dark switched while the app runs
        super().changeEvent(event)

    # -- settings ------------------------------------------------------------------------
    def set_labels(self, labels: Sequence[str]) -> None:
        self.labels = tuple(labels)
        self.pinned = None if self.pinned is None else [i for i in self.pinned if i < len(self.labels)]
        self._set_shown([])

    def set_pinned(self, indices: Sequence[int] | None) -> None:
        """Draw exactly these classes (None: the top ``top_k`` of the visible window)."""
        self.pinned = None if indices is None else [int(i) for i in indices][:MAX_LINES]

    def set_top_k(self, k: int) -> None:
        self.top_k = max(1, min(int(k), MAX_LINES))

    def set_smoothing(self, n: int) -> None:
        self.smoothing = max(1, int(n))

    def set_threshold(self, value: float | None) -> None:
        if value is None:
            self.threshold_line.setVisible(False)
        else:
            self.threshold_line.setValue(float(value))
            self.threshold_line.setVisible(True)

    def set_span(self, seconds: float) -> None:
        self.span = float(seconds)
        self.getPlotItem().setXRange(-self.span, 0.0, padding=0.0)
        self.apply_theme()

    # -- painting --------------------------------------------------------------------------
    def _label(self, i: int) -> str:
        return self.labels[i] if i < len(self.labels) else f"class {i}"

    def _set_shown(self, shown: list[int]) -> None:
        if shown == self.shown:
            return
        same_rows = len(shown) == len(self.shown) and len(self.legend.items) == len(shown)
        before = self.shown
        self.shown = shown
        if not same_rows:  # rare: top-k changed, classes pinned, first result
            self.legend.clear()
        for slot, item in enumerate(self.lines):
            if slot < len(shown):
                if same_rows and before[slot] == shown[slot]:
                    continue  # this slot still draws the same class: its pen and row stay
                # A class keeps its colour whichever slot draws it.
                item.setPen(pg.mkPen(PALETTE[shown[slot] % len(PALETTE)], width=1))
                item.setVisible(True)
                if not same_rows:
                    self.legend.addItem(item, self._label(shown[slot]))
                else:  # relabel the row in place: rebuilding the legend costs tens of ms
                    sample, label = self.legend.items[slot]
                    label.setText(self._label(shown[slot]))
                    sample.update()
            else:
                item.setVisible(False)
                item.setData([], [])
        self.legend.setVisible(bool(self.legend.items))
        self.getPlotItem().layout.setRowFixedHeight(0, self.legend.height() if self.legend.items else 0)
        self.shown_changed.emit(list(shown))

    @staticmethod
    def _smooth(v: np.ndarray, n: int) -> np.ndarray:
        if n <= 1 or len(v) < 2:
            return v
        n = min(n, len(v))
        c = np.cumsum(v, axis=0, dtype=np.float64)
        out = np.empty_like(v, dtype=np.float64)
        out[:n] = c[:n] / np.arange(1, n + 1)[:, None]
        out[n:] = (c[n:] - c[:-n]) / n
        return out

    def refresh(self, times: np.ndarray, scores: np.ndarray, now: float | None = None) -> None:
        """Repaint from ring-buffer views: ``times`` (N,), ``scores`` (N, classes).

        The visible window is cut out first; the moving average runs over the raw frames (with the
        frames just before the window, so its left edge is smoothed too); only then is a window of
        more than ``MAX_PLOT_POINTS`` frames thinned, keeping each bucket's lowest and highest value.
        """
        if len(times) == 0:
            self._set_shown([] if self.pinned is None else list(self.pinned))
            return
        ref = float(times[-1]) if now is None else now
        first = int(np.searchsorted(times, ref - self.span, side="left"))
        t = times[first:] - ref
        v = scores[first:]
        if self.pinned is not None:
            shown = [i for i in self.pinned if i < v.shape[1]]
        else:
            k = min(self.top_k, v.shape[1])
            # Rank by the recent past (the last RECENT_S seconds): the plot follows what is in front
            # of the camera now, and classes already drawn stay (their lines keep their history).
            recent = v[t >= -self.RECENT_S] if len(v) else v
            if len(recent) == 0:
                recent = v[-1:]
            mean = np.nanmean(recent, axis=0) if len(recent) else np.zeros(v.shape[1])
            order = np.argsort(-np.nan_to_num(mean, nan=-1.0), kind="stable")[:k]
            shown = _keep_slots(self.shown, [int(i) for i in order])
        self._set_shown(shown)
        if not shown:
            return
        lead = min(first, self.smoothing - 1)  # earlier frames the average needs at the left edge
        vv = self._smooth(scores[first - lead:, shown], self.smoothing)[lead:]
        for slot in range(len(shown)):
            x, y = thin(t, vv[:, slot], MAX_PLOT_POINTS)
            self.lines[slot].setData(x, y, skipFiniteCheck=True)


def _keep_slots(before: list[int], top: list[int]) -> list[int]:
    """The classes ``top`` laid out in slots so that a class already drawn keeps its slot (its
    legend row and line stay put) and a newcomer takes the slot of a class that left."""
    if len(before) != len(top):
        keep = [i for i in before if i in top]
        return keep + [i for i in top if i not in keep]
    incoming = iter([i for i in top if i not in before])
    return [i if i in top else next(incoming) for i in before]


def thin(t: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ~``max_points`` of ``(t, y)``: the lowest and the highest point of each bucket of
    frames, in time order, so a one-frame spike survives; the newest point is always kept."""
    n = len(t)
    if n <= max_points:
        return t, y
    size = int(np.ceil(n / max(1, max_points // 2)))
    skip = n % size  # the oldest frames that fill no whole bucket: the first of them is kept
    yy = y[skip:].reshape(-1, size)
    base = skip + np.arange(len(yy)) * size
    pick = np.sort(np.stack([base + yy.argmin(axis=1), base + yy.argmax(axis=1)], axis=1), axis=1).ravel()
    if skip:
        pick = np.concatenate([[0], pick])
    if pick[-1] != n - 1:
        pick = np.concatenate([pick, [n - 1]])
    pick = pick[np.concatenate([[True], np.diff(pick) > 0])]  # a flat bucket's lowest is its highest
    return t[pick], y[pick]


class TimingStrip(QWidget):
    """One line of live figures: capture fps, inference fps, preprocess ms, inference ms,
    end-to-end latency (capture → on screen) and dropped frames."""

    FIELDS = (
        ("capture_fps", "capture", "{:.1f} fps"),
        ("inference_fps", "inference", "{:.1f} fps"),
        ("preprocess_ms", "preprocess", "{:.1f} ms"),
        ("infer_ms", "model", "{:.1f} ms"),
        ("latency_ms", "latency", "{:.0f} ms"),
        ("dropped", "dropped", "{:,}"),
    )
    # Each value's box is sized for a wide reading up front: a label whose size hint changes asks
    # the whole window for a new layout, and a fixed-size one does not (the strip changes ten times
    # a second; a relayout repaints every widget of the window).
    WIDE = {"capture_fps": "888.8 fps", "inference_fps": "888.8 fps", "preprocess_ms": "888.8 ms",
            "infer_ms": "888.8 ms", "latency_ms": "8888 ms", "dropped": "888,888"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 2, 4, 2)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(0)
        small = QFont()
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        mono.setBold(True)
        for col, (key, title, _fmt) in enumerate(self.FIELDS):
            name = QLabel(title)
            name.setFont(small)
            name.setForegroundRole(name.foregroundRole().PlaceholderText)
            value = QLabel("–")
            value.setFont(mono)
            value.setObjectName(f"timing_{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            fm = value.fontMetrics()
            value.setFixedSize(fm.horizontalAdvance(self.WIDE[key]) + 2, fm.height())
            grid.addWidget(name, 0, col)
            grid.addWidget(value, 1, col)
            self.values[key] = value
        grid.setColumnStretch(len(self.FIELDS), 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._text: dict[str, str] = {}

    def update_values(self, **values: float | int | None) -> None:
        for key, _title, fmt in self.FIELDS:
            if key not in values:
                continue
            v = values[key]
            text = "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else fmt.format(v)
            if self._text.get(key) != text:  # setText only on change: fewer void calls, less paint
                self._text[key] = text
                label = self.values[key]
                wide = label.fontMetrics().horizontalAdvance(text) + 2
                if wide > label.width():  # a reading wider than planned: grow once, never shrink
                    label.setFixedWidth(wide)
                label.setText(text)

    def text_of(self, key: str) -> str:
        return self.values[key].text()


def boxed(title: str, widget: QWidget) -> QWidget:
    """A plain titled container (no frame) used by panels to group a widget under a caption."""
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(2)
    head = QHBoxLayout()
    cap = QLabel(title)
    f = cap.font()
    f.setBold(True)
    cap.setFont(f)
    head.addWidget(cap)
    head.addStretch(1)
    lay.addLayout(head)
    lay.addWidget(widget, 1)
    return box
