"""Live panel: a camera, video, stream or slideshow with the model's answer drawn over it,
confidence over time, and a timing strip.

Ingest apart from paint (DESIGN §1): results arrive as queued signals and go into preallocated
ring buffers (``core.History``); a display ``QTimer`` (≤ 60 Hz, only while live) paints the newest
frame (straight from the capture's latest Frame, no copy), the overlay, the plot and — a few times a
second — the timing strip. Nothing is painted per result.

Widgets only: sources and threads are reached through ``threads.pipeline`` (import-linter keeps
``ui`` away from ``sources`` and ``inference``).
"""

from __future__ import annotations

import csv
import datetime as _dt
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, QStandardPaths, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import livepredict
from livepredict.core.errors import LivePredictError
from livepredict.core.history import History
from livepredict.core.types import Prediction
from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.payloads import ModelLoaded
from livepredict.threads.pipeline import RESOLUTIONS, CameraEntry, CameraScanner, LivePipeline
from livepredict.ui.plots import ConfidencePlot, TimingStrip, VideoView

log = logging.getLogger(__name__)

DISPLAY_HZ = 60
STRIP_EVERY = 12  # display ticks between timing-strip updates (~5 Hz)
PLOT_EVERY = 2  # display ticks between plot repaints (~30 Hz: a plot repaint costs ~5 ms)
HISTORY_ROWS = 4096
MAX_PLOT_POINTS = 600
VIDEO_FILTER = ("Videos (*.avi *.mp4 *.m4v *.mkv *.mov *.webm *.mpg *.mpeg *.wmv *.gif *.mjpg);;"
                "All files (*)")
RECORD_COLUMNS = ("frame", "capture_ts", "infer_start_ts", "infer_end_ts", "preprocess_ms", "infer_ms",
                  "label", "score", "top")


def sample_video() -> Path | None:
    p = livepredict.data_dir() / "resources" / "samples" / "shapes.avi"
    return p if p.exists() else None


def score_labels(labels: tuple[str, ...], n: int, output_kind: str) -> tuple[str, ...]:
    """Names for the ``n`` display scores of a prediction (mirrors the engine's decoding)."""
    if n == 2 and (output_kind in ("sigmoid-binary", "logits") and len(labels) < 2):
        return (f"not {labels[0]}", labels[0]) if labels else ("class 0", "class 1")
    return tuple(labels[:n]) + tuple(f"class {i}" for i in range(len(labels), n))


class LivePanel(QWidget):
    """The Live tab.

    Signals:
        message(str): one sentence for the window's status bar (snapshot saved, recording…).
    """

    message = Signal(str)

    def __init__(self, controller: InferenceController, parent: QWidget | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.settings = settings or Settings()  # remembers the folders chosen, as the main window does
        self.pipeline = LivePipeline(controller, top_k=5, drain=True, parent=self)
        self.scanner = CameraScanner(self)
        self.info: Any = None  # ModelInfo of the open model
        self.labels: tuple[str, ...] = ()
        self.scores: History | None = None
        self.timing = History(HISTORY_ROWS, 3)  # preprocess ms, inference ms, latency ms (on screen)
        self.last: Prediction | None = None
        self._painted_pred: Prediction | None = None
        self._painted_frame: Any = None
        self._new_scores = False
        self._ticks = 0
        self._live = False
        self._paused = False
        self._recorder: Any = None
        self._record_file: Any = None
        self.record_path: Path | None = None
        self.recorded = 0
        self.last_latency_ms: float | None = None

        self._build()
        self.display = QTimer(self)
        self.display.setObjectName("live display")
        self.display.setTimerType(Qt.TimerType.PreciseTimer)
        self.display.setInterval(int(1000 / DISPLAY_HZ))
        self.display.timeout.connect(self.paint)
        self._linger = QTimer(self)  # after a source ends: collect the last results, then stop painting
        self._linger.setSingleShot(True)
        self._linger.setInterval(300)
        self._linger.timeout.connect(self._stop_display)

        p = self.pipeline
        p.prediction_ready.connect(self.on_prediction)
        p.source_opened.connect(self.on_source_opened)
        p.source_status.connect(self.on_source_status)
        p.source_failed.connect(self.on_source_failed)
        p.source_ended.connect(self.on_source_ended)
        p.inference_failed.connect(self.on_inference_failed)
        controller.model_loaded.connect(self.on_model_loaded)
        controller.profile_applied.connect(self.on_model_loaded)
        self.scanner.cameras_listed.connect(self.on_cameras)
        self._fill_sources([])

    # ---------------------------------------------------------------- layout
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(10, 8, 10, 6)
        root.setSpacing(6)

        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(QLabel("Source"))
        self.source_box = QComboBox()
        self.source_box.setEditable(True)
        self.source_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.source_box.setMinimumWidth(300)
        self.source_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.source_box.lineEdit().setPlaceholderText("camera number, video file, folder or rtsp:// / http:// URL")
        self.source_box.lineEdit().returnPressed.connect(self.start)
        bar.addWidget(self.source_box, 1)
        self.browse_button = QToolButton()
        self.browse_button.setText("Open…")
        self.browse_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.browse_button)
        menu.addAction("Video file…", self.choose_video)
        menu.addAction("Folder of images…", self.choose_folder)
        menu.addSeparator()
        menu.addAction("Find cameras", self.scan_cameras)
        self.browse_button.setMenu(menu)
        bar.addWidget(self.browse_button)
        self.resolution = QComboBox()
        self.resolution.addItem("Camera default", None)
        for w, h in RESOLUTIONS:
            self.resolution.addItem(f"{w}x{h}", (w, h))
        self.resolution.setToolTip("Resolution asked of a camera")
        bar.addWidget(self.resolution)
        self.loop_box = QCheckBox("Loop")
        self.loop_box.setChecked(True)
        self.loop_box.setToolTip("Start a video file or slideshow again when it ends")
        bar.addWidget(self.loop_box)
        self.mirror_box = QCheckBox("Mirror")
        self.mirror_box.toggled.connect(self.pipeline.set_mirror)
        bar.addWidget(self.mirror_box)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        bar.addWidget(self.start_button)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setEnabled(False)
        self.pause_button.toggled.connect(self.set_paused)
        bar.addWidget(self.pause_button)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        bar.addWidget(self.stop_button)
        root.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.setSpacing(4)
        self.view = VideoView()
        lv.addWidget(self.view, 1)
        shots = QHBoxLayout()
        self.snapshot_button = QPushButton("Snapshot")
        self.snapshot_button.setToolTip("Save the frame with the prediction drawn on it as PNG")
        self.snapshot_button.clicked.connect(self.snapshot_clicked)
        self.record_button = QPushButton("Record CSV…")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Write every prediction to a CSV file while running")
        self.record_button.toggled.connect(self.record_toggled)
        self.record_label = QLabel("")
        self.record_label.setObjectName("Muted")
        shots.addWidget(self.snapshot_button)
        shots.addWidget(self.record_button)
        shots.addWidget(self.record_label, 1)
        lv.addLayout(shots)
        split.addWidget(left)

        right = QFrame()
        right.setObjectName("SidePanel")
        rv = QVBoxLayout(right)
        rv.setContentsMargins(10, 8, 10, 8)
        rv.setSpacing(6)
        title = QLabel("Confidence over time")
        title.setObjectName("Title")
        rv.addWidget(title)
        self.plot = ConfidencePlot(top_k=5)
        rv.addWidget(self.plot, 1)
        ctl = QHBoxLayout()
        ctl.setSpacing(6)
        ctl.addWidget(QLabel("Top"))
        self.top_spin = QSpinBox()
        self.top_spin.setRange(1, 10)
        self.top_spin.setValue(5)
        self.top_spin.setToolTip("How many of the most confident classes to draw")
        self.top_spin.valueChanged.connect(self._on_top)
        ctl.addWidget(self.top_spin)
        self.classes_button = QToolButton()
        self.classes_button.setText("Classes…")
        self.classes_button.setToolTip("Choose which classes to draw")
        self.classes_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.classes_menu = QMenu(self.classes_button)
        self.classes_button.setMenu(self.classes_menu)
        ctl.addWidget(self.classes_button)
        ctl.addSpacing(8)
        ctl.addWidget(QLabel("Smooth"))
        self.smooth_spin = QSpinBox()
        self.smooth_spin.setRange(1, 60)
        self.smooth_spin.setSuffix(" frames")
        self.smooth_spin.setToolTip("Moving average over this many results (1 = off)")
        self.smooth_spin.valueChanged.connect(self.plot.set_smoothing)
        ctl.addWidget(self.smooth_spin)
        ctl.addSpacing(8)
        self.threshold_box = QCheckBox("Threshold")
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setValue(0.5)
        self.threshold_box.toggled.connect(self._on_threshold)
        self.threshold_spin.valueChanged.connect(self._on_threshold)
        ctl.addWidget(self.threshold_box)
        ctl.addWidget(self.threshold_spin)
        ctl.addStretch(1)
        rv.addLayout(ctl)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([640, 420])
        root.addWidget(split, 1)

        bottom = QHBoxLayout()
        self.strip = TimingStrip()
        bottom.addWidget(self.strip)
        self.status = QLabel("Pick a source and press Start.")
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bottom.addWidget(self.status, 1)
        root.addLayout(bottom)

    # ---------------------------------------------------------------- sources
    def _fill_sources(self, cameras: list[CameraEntry]) -> None:
        text = self.source_box.currentText()
        self.source_box.clear()
        for cam in cameras:
            self.source_box.addItem(cam.label, str(cam.index))
        sample = sample_video()
        if sample is not None:
            self.source_box.addItem(f"Sample video: {sample.name}", str(sample))
        if not cameras:
            self.source_box.addItem("Camera 0", "0")
        if text:
            self.source_box.setEditText(text)

    def scan_cameras(self) -> None:
        self.set_status("Looking for cameras…")
        self.scanner.scan()

    @Slot(list)
    def on_cameras(self, cameras: list) -> None:
        self._fill_sources(cameras)
        self.set_status(f"Found {len(cameras)} camera{'s' if len(cameras) != 1 else ''}." if cameras
                        else "No camera found; open a video file or type a stream URL.")

    def choose_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a video", self.settings.last_dir("videos"), VIDEO_FILTER)
        if path:
            self.settings.set_last_dir("videos", str(Path(path).parent))
            self.start(path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of images", self.settings.last_dir("slideshows"))
        if path:
            self.settings.set_last_dir("slideshows", str(Path(path).parent))
            self.start(path)

    def source_text(self) -> str:
        text = self.source_box.currentText().strip()
        i = self.source_box.currentIndex()
        if i >= 0 and self.source_box.itemText(i) == text and self.source_box.itemData(i):
            return str(self.source_box.itemData(i))
        return text

    # ---------------------------------------------------------------- control
    @Slot()
    def start(self, text: str | None = None, throttle: bool = True) -> bool:
        """Start (or switch to) the source named by ``text`` or the picker. Returns False with the
        reason in the status line if it cannot even be tried. ``throttle=False`` reads a file as
        fast as it decodes (benchmarks)."""
        if isinstance(text, str) and text.strip():
            self.source_box.setEditText(text.strip())
            text = text.strip()
        else:
            text = self.source_text()
        res = self.resolution.currentData()
        try:
            self.pipeline.set_source(text, mirror=self.mirror_box.isChecked(), loop=self.loop_box.isChecked(),
                                     resolution=tuple(res) if res else None, throttle=bool(throttle))
        except LivePredictError as e:
            self.set_status(str(e), error=True)
            return False
        self._live = True
        self._paused = False
        self.pause_button.setChecked(False)
        self.pause_button.setEnabled(True)
        self.stop_button.setEnabled(True)
        self.start_button.setText("Switch")
        self._painted_frame = None
        self.view.set_placeholder("Opening…")
        self.set_status(f"Opening {text}…")
        if self.info is None:
            self.set_status("Open a model to see predictions; the video plays meanwhile.")
        self.display.start()
        return True

    @Slot()
    def stop(self) -> None:
        self.pipeline.stop_source(timeout=0.5)
        self._live = False
        self._linger.stop()
        self.display.stop()
        self.paint(force=True)
        self.pause_button.setChecked(False)
        self.pause_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        self.start_button.setText("Start")
        self.set_status("Stopped.")

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        self._paused = bool(paused)
        self.pipeline.set_paused(self._paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.set_status("Paused." if paused else "Running.")

    @Slot()
    def shutdown(self) -> None:
        """Stop everything this panel started (window closing); never blocks for long."""
        self.display.stop()
        self._linger.stop()
        self.stop_recording()
        self.pipeline.close(timeout=0.5)
        self._live = False

    @property
    def live(self) -> bool:
        return self._live

    def set_status(self, text: str, error: bool = False) -> None:
        self.status.setObjectName("Warning" if error else "Muted")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(text)

    # ---------------------------------------------------------------- plot settings
    def _on_top(self, k: int) -> None:
        self.plot.set_top_k(k)
        self.pipeline.set_top_k(max(5, k))
        self._new_scores = True

    def _on_threshold(self, *_: Any) -> None:
        self.plot.set_threshold(self.threshold_spin.value() if self.threshold_box.isChecked() else None)

    def _rebuild_classes_menu(self) -> None:
        self.classes_menu.clear()
        auto = QAction("Most confident (automatic)", self.classes_menu)
        auto.setCheckable(True)
        auto.setChecked(self.plot.pinned is None)
        auto.triggered.connect(self._pin_auto)
        self.classes_menu.addAction(auto)
        self.classes_menu.addSeparator()
        for i, name in enumerate(self.labels[:200]):
            act = QAction(name, self.classes_menu)
            act.setCheckable(True)
            act.setChecked(self.plot.pinned is not None and i in self.plot.pinned)
            act.setData(i)
            act.triggered.connect(self._pin_changed)
            self.classes_menu.addAction(act)

    @Slot()
    def _pin_auto(self) -> None:
        self.pin_classes(None)

    @Slot()
    def _pin_changed(self) -> None:
        chosen = [int(a.data()) for a in self.classes_menu.actions() if a.isCheckable() and a.data() is not None
                  and a.isChecked()]
        self.pin_classes(chosen or None)

    def pin_classes(self, indices: list[int] | None) -> None:
        """Draw exactly these classes (None: the most confident ones)."""
        self.plot.set_pinned(indices)
        self._new_scores = True
        self._rebuild_classes_menu()

    # ---------------------------------------------------------------- results (ingest only)
    @Slot(object)
    def on_model_loaded(self, loaded: ModelLoaded) -> None:
        self.info = loaded.info
        self.labels = tuple(loaded.info.labels)
        self.scores = None  # sized on the first result (binary models show two scores)
        self.timing.clear()
        self.last = None
        self._painted_pred = None
        self.pipeline.reset_figures()
        self.plot.set_labels(self.labels)
        self._rebuild_classes_menu()
        if self._live:
            self.set_status(f"Model {loaded.info.name or Path(loaded.info.path).name} ready.")

    @Slot(object)
    def on_prediction(self, pred: Prediction) -> None:
        if pred.scores is None:
            return
        n = int(pred.scores.shape[0])
        if self.scores is None or self.scores.width != n:
            self.scores = History(HISTORY_ROWS, n)
            kind = self.info.output_kind if self.info is not None else "softmax"
            self.labels = score_labels(self.labels, n, kind)
            self.plot.set_labels(self.labels)
            self._rebuild_classes_menu()
        self.scores.append(pred.capture_ts, pred.scores)
        if self.last is None:
            log.info("live: first prediction (frame %d, %s)", pred.frame_index,
                     self.info.name if self.info is not None else "no model")
        self.last = pred
        self._new_scores = True
        if self._recorder is not None:
            self._record(pred)

    # ---------------------------------------------------------------- painting (display timer)
    @Slot()
    def paint(self, force: bool = False) -> None:
        """One display tick: newest frame, overlay, plot (only what changed), strip every few ticks."""
        self.pipeline.drain()  # results parked by the inference thread since the last tick
        frame = self.pipeline.latest_frame()
        if frame is not None and frame is not self._painted_frame:
            if self._painted_frame is None:
                self.view.set_placeholder("")
            self._painted_frame = frame
            self.view.show_frame(frame.image)
        pred = self.last
        if pred is not None and pred is not self._painted_pred:
            self._painted_pred = pred
            self.view.set_overlay(pred.label, pred.score)
            latency = (time.monotonic() - pred.capture_ts) * 1000.0
            self.last_latency_ms = latency
            self.timing.append(pred.capture_ts, (pred.preprocess_ms, pred.infer_ms, latency))
        if (force or (self._new_scores and self._ticks % PLOT_EVERY == 0)) and self.scores is not None:
            self._new_scores = False
            t, v = self.scores.view()
            if len(t) > MAX_PLOT_POINTS:
                step = int(np.ceil(len(t) / MAX_PLOT_POINTS))
                t, v = t[-1::-step][::-1], v[-1::-step][::-1]
            self.plot.refresh(t, v)
        self._ticks += 1
        if force or self._ticks % STRIP_EVERY == 0:
            self.update_strip()

    def update_strip(self) -> None:
        _, rows = self.timing.view(last=30)
        med = np.median(rows, axis=0) if len(rows) else (None, None, None)
        self.strip.update_values(capture_fps=self.pipeline.capture_fps(),
                                 inference_fps=self.pipeline.inference_fps(),
                                 preprocess_ms=None if med[0] is None else float(med[0]),
                                 infer_ms=None if med[1] is None else float(med[1]),
                                 latency_ms=None if med[2] is None else float(med[2]),
                                 dropped=self.pipeline.frames_dropped)

    # ---------------------------------------------------------------- source events
    @Slot(str)
    def on_source_opened(self, description: str) -> None:
        self.set_status(f"Live: {description}." if self.info is not None
                        else f"Live: {description}. Open a model to see predictions.")

    @Slot(str)
    def on_source_status(self, text: str) -> None:
        self.set_status(text, error="reconnecting" in text)
        if "reconnecting" in text:
            self.view.set_placeholder(text)

    @Slot(str)
    def on_source_failed(self, text: str) -> None:
        self._source_done()
        self.view.set_placeholder(text)
        self.set_status(text, error=True)

    @Slot(str)
    def on_source_ended(self, text: str) -> None:
        self._source_done()
        self.set_status(text)

    @Slot(str)
    def on_inference_failed(self, text: str) -> None:
        self.set_status(text, error=True)

    def _source_done(self) -> None:
        self._live = False
        self.paint(force=True)
        self._linger.start()
        self.pause_button.setChecked(False)
        self.pause_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        self.start_button.setText("Start")

    @Slot()
    def _stop_display(self) -> None:
        self.paint(force=True)
        if not self._live:
            self.display.stop()

    # ---------------------------------------------------------------- snapshot and recording
    def default_folder(self) -> Path:
        pics = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        return Path(pics or Path.home()) / livepredict.APP_NAME

    @Slot()
    def snapshot_clicked(self) -> None:
        try:
            path = self.snapshot()
        except LivePredictError as e:
            self.set_status(str(e), error=True)
            return
        self.set_status(f"Snapshot saved to {path}.")
        self.message.emit(f"Snapshot saved to {path}.")

    def snapshot_image(self) -> QImage:
        """The newest frame at full resolution with the label and score drawn on it."""
        frame = self._painted_frame or self.pipeline.latest_frame()
        if frame is None:
            raise LivePredictError("Nothing to save yet; start a source first.")
        rgb = np.ascontiguousarray(frame.image)
        h, w = rgb.shape[:2]
        img = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).convertToFormat(QImage.Format.Format_RGB32)
        pred = self._painted_pred or self.last
        if pred is not None and pred.top:
            text = f" {pred.label}  {pred.score * 100:.0f}% "
            painter = QPainter(img)
            font = QFont()
            font.setBold(True)
            font.setPixelSize(max(12, h // 18))
            painter.setFont(font)
            fm = QFontMetrics(font)
            box = QRectF(w * 0.02, h * 0.02, fm.horizontalAdvance(text) + 4, fm.height() + 4)
            painter.fillRect(box, QColor(0, 0, 0, 170))
            painter.setPen(QColor("#ffffff"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            painter.end()
        return img

    def snapshot(self, path: str | Path | None = None) -> Path:
        img = self.snapshot_image()
        if path is None:
            folder = self.default_folder()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"snapshot-{_dt.datetime.now():%Y%m%d-%H%M%S-%f}.png"
        path = Path(path)
        if not img.save(str(path), "PNG"):
            raise LivePredictError(f"Could not save the snapshot to {path}; check that the folder is writable.")
        return path

    @Slot(bool)
    def record_toggled(self, on: bool) -> None:
        if not on:
            self.stop_recording()
            return
        if self._recorder is not None:
            return
        default = str(self.default_folder() / f"predictions-{_dt.datetime.now():%Y%m%d-%H%M%S}.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Record predictions to", default, "CSV (*.csv)")
        if not path:
            self.record_button.setChecked(False)
            return
        if not Path(path).suffix:
            path += ".csv"
        try:
            self.start_recording(path)
        except LivePredictError as e:
            self.record_button.setChecked(False)
            self.set_status(str(e), error=True)

    def start_recording(self, path: str | Path) -> None:
        """Append every prediction to a CSV file until ``stop_recording``."""
        self.stop_recording()
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            f = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in stop_recording
        except OSError as e:
            raise LivePredictError(f"Cannot write {path} ({e.strerror}); pick another file.") from None
        self._record_file = f
        self._recorder = csv.writer(f)
        self._recorder.writerow(RECORD_COLUMNS)
        self.record_path = path
        self.recorded = 0
        self.record_label.setText(f"Recording to {path.name}")
        if not self.record_button.isChecked():
            self.record_button.blockSignals(True)
            self.record_button.setChecked(True)
            self.record_button.blockSignals(False)

    def _record(self, p: Prediction) -> None:
        top = ";".join(f"{lbl}:{s:.4f}" for lbl, s in p.top)
        self._recorder.writerow((p.frame_index, f"{p.capture_ts:.6f}", f"{p.infer_start_ts:.6f}",
                                 f"{p.infer_end_ts:.6f}", f"{p.preprocess_ms:.3f}", f"{p.infer_ms:.3f}", p.label,
                                 f"{p.score:.6f}", top))
        self.recorded += 1

    def stop_recording(self) -> None:
        f, self._record_file, self._recorder = self._record_file, None, None
        if f is not None:
            f.close()
            self.record_label.setText(f"Saved {self.recorded} predictions to {self.record_path.name}")
            self.message.emit(f"Saved {self.recorded} predictions to {self.record_path}.")
        if self.record_button.isChecked():
            self.record_button.blockSignals(True)
            self.record_button.setChecked(False)
            self.record_button.blockSignals(False)


def install(window: Any) -> None:
    """Add the Live tab to the main window (built when first shown) and stop it when the window
    closes. ``window`` is a ``ui.main_window.MainWindow``."""

    def factory() -> LivePanel:
        panel = LivePanel(window.controller, settings=window.settings)
        window.closing.connect(panel.shutdown)
        panel.message.connect(window.show_message)
        window.live_panel = panel
        return panel

    window.live_panel = None
    window.add_panel("Live", factory, index=1)
