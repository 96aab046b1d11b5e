"""Live panel: a camera, video, stream or slideshow with the model's answer drawn over it,
confidence over time, and a timing strip.

Ingest apart from paint (DESIGN §1): results arrive as queued signals and go into preallocated
ring buffers (``core.History``); a display ``QTimer`` (≤ 60 Hz, only while live) paints the newest
frame (straight from the capture's latest Frame, no copy), the overlay, the plot and — a few times a
second — the timing strip. Nothing is painted per result. The source picker is ``live.sources``,
the plot and its controls ``live.plot_side``, snapshots and CSV recording ``live.recording``.
Widgets only: sources and threads are reached through ``threads.pipeline`` (import-linter checks it).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from livepredict.core.errors import LivePredictError
from livepredict.core.history import History
from livepredict.core.types import Prediction
from livepredict.threads.engine.payloads import ModelLoaded
from livepredict.threads.pipeline import RESOLUTIONS, CameraScanner, LivePipeline
from livepredict.ui.heatmap import LiveHeatmapLayer
from livepredict.ui.live.compare_lanes import CompareLanes, live_slots
from livepredict.ui.live.controls import follow_camera_choice, offer_shots, set_checked_quietly
from livepredict.ui.live.figures import strip_figures
from livepredict.ui.live.found import LiveFound
from livepredict.ui.live.no_frames import blank_answer, frames_problem
from livepredict.ui.live.plot_side import PlotSide
from livepredict.ui.live.recording import PredictionRecorder, annotated, ask_record_path, save_png
from livepredict.ui.live.sources import VIDEO_FILTER, chosen_source, fill_sources
from livepredict.ui.panel import AppContext
from livepredict.ui.plots import ConfidencePlot, TimingStrip, VideoView

log = logging.getLogger(__name__)

DISPLAY_HZ = 60
STRIP_EVERY = 12  # display ticks between timing-strip updates (~5 Hz)
PLOT_EVERY = 2  # display ticks between plot repaints (~30 Hz: a plot repaint costs ~5 ms)
HISTORY_ROWS = 4096


class LivePanel(QWidget):
    """The Live tab (built from the application context; messages go to its status line)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.controller = controller = context.controller
        self.settings = context.settings  # remembers the folders chosen, as the main window does
        self.pipeline = LivePipeline(controller, top_k=5, drain=True, slots=live_slots(context), parent=self)
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
        self._recorder: PredictionRecorder | None = None  # while recording
        self._recording: PredictionRecorder | None = None  # the latest recording (also once stopped)
        self.last_latency_ms: float | None = None
        self._no_frames = ""  # why the open model cannot take frames (shown in the video pane)

        self._build()
        self.found = LiveFound(self.view, self.plot, context)  # boxes/masks on the video, counts in the plot
        self.display = QTimer(self)
        self.display.setObjectName("live display")
        self.display.setTimerType(Qt.TimerType.PreciseTimer)
        self.display.setInterval(int(1000 / DISPLAY_HZ))
        self.display.timeout.connect(self.paint)
        self.heat = LiveHeatmapLayer(self.view, controller, self.view.parentWidget().layout(), self.display)
        self.lanes = CompareLanes(self.pipeline, context, self.view.parentWidget().layout(), self.display)
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
        fill_sources(self.source_box, [])
        follow_camera_choice(self.source_box, self.resolution)
        if (loaded := context.current_model()) is not None:  # built after a model was opened: catch up
            self.on_model_loaded(loaded)

    # ---------------------------------------------------------------- layout
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(10, 8, 10, 6)
        root.setSpacing(6)
        root.addLayout(self._build_source_bar())
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(self._build_video_side())
        self.side = PlotSide()
        self.plot: ConfidencePlot = self.side.plot  # painted by the display timer
        self.side.top_k_changed.connect(self._on_top)
        self.side.redraw_needed.connect(self._on_redraw)
        split.addWidget(self.side)
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

    def _build_source_bar(self) -> QHBoxLayout:
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
        return bar

    def _build_video_side(self) -> QWidget:
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
        offer_shots(False, self.snapshot_button, self.record_button)  # until a frame is on screen
        lv.addLayout(shots)
        return left

    # ---------------------------------------------------------------- sources
    def scan_cameras(self) -> None:
        self.set_status("Looking for cameras…")
        self.scanner.scan()

    @Slot(list)
    def on_cameras(self, cameras: list) -> None:
        fill_sources(self.source_box, cameras)
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
        return chosen_source(self.source_box)

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
    @Slot(int)
    def _on_top(self, k: int) -> None:
        self.pipeline.set_top_k(max(5, k))

    @Slot()
    def _on_redraw(self) -> None:
        self._new_scores = True

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
        self.side.set_labels(self.labels)
        self._no_frames = frames_problem(loaded.info)
        blank_answer(self.view, self.plot, self._no_frames)
        if self._live:
            self.set_status(f"Model {loaded.info.name or Path(loaded.info.path).name} ready.")

    @Slot(object)
    def on_prediction(self, pred: Prediction) -> None:
        if (scores := self.found.take(pred)) is None:  # counts per class for boxes, shares for masks
            return
        if self._no_frames:  # this model can take frames after all
            self._no_frames = ""
            self.view.set_placeholder("")
        if getattr(self.scores, "width", None) != (n := int(scores.shape[0])):
            self.scores = History(HISTORY_ROWS, n)
            self.labels = self.found.plot_labels(self.labels, n, self.info)
            self.side.set_labels(self.labels)
        self.scores.append(pred.capture_ts, scores)
        if self.last is None:
            log.info("live: first prediction (frame %d, %s)", pred.frame_index,
                     self.info.name if self.info is not None else "no model")
        self.last = pred
        self._new_scores = True
        if self._recorder is not None:
            try:
                self._recorder.write(pred)
            except LivePredictError as e:  # a full disk: keep the rows written, stop, say so
                self.stop_recording(f"Recording stopped: {e}")

    # ---------------------------------------------------------------- painting (display timer)
    @Slot()
    def paint(self, force: bool = False) -> None:
        """One display tick: newest frame, overlay, plot (only what changed), strip every few ticks."""
        self.pipeline.drain()  # results parked by the inference thread since the last tick
        frame = self.pipeline.latest_frame()
        if frame is not None and frame is not self._painted_frame:
            if self._painted_frame is None:
                self.view.set_placeholder(self._no_frames)
                offer_shots(True, self.snapshot_button, self.record_button)
            self._painted_frame = frame
            self.view.show_frame(frame.image)
        pred = self.last
        if pred is not None and pred is not self._painted_pred:
            self._painted_pred = pred
            self.found.show(pred)  # the label and score, or boxes/masks
            latency = (time.monotonic() - pred.capture_ts) * 1000.0
            self.last_latency_ms = latency
            self.timing.append(pred.capture_ts, (pred.preprocess_ms, pred.infer_ms, latency))
        if (force or (self._new_scores and self._ticks % PLOT_EVERY == 0)) and self.scores is not None:
            self._new_scores = False
            t, v = self.scores.view()
            self.plot.refresh(t, v)  # cuts out its window, then smooths and thins it
        self._ticks += 1
        if force or self._ticks % STRIP_EVERY == 0:
            self.update_strip()

    def update_strip(self) -> None:
        self.strip.update_values(**strip_figures(self.pipeline, self.timing, inferring=not self._no_frames))

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
        self._no_frames = text
        blank_answer(self.view, self.plot, text)

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
    @Slot()
    def snapshot_clicked(self) -> None:
        try:
            path = self.snapshot()
        except LivePredictError as e:
            self.set_status(str(e), error=True)
            return
        self.set_status(f"Snapshot saved to {path}.")
        self.context.show_message(f"Snapshot saved to {path}.")

    def snapshot_image(self) -> QImage:
        """The newest frame at full resolution with the label and score drawn on it."""
        frame = self._painted_frame or self.pipeline.latest_frame()
        if frame is None:
            raise LivePredictError("Nothing to save yet; start a source first.")
        return annotated(self.heat.blend_onto(frame.image), self._painted_pred or self.last)

    def snapshot(self, path: str | Path | None = None) -> Path:
        return save_png(self.snapshot_image(), path)

    @property
    def record_path(self) -> Path | None:
        """The file of the current (or last) recording."""
        return self._recording.path if self._recording is not None else None

    @property
    def recorded(self) -> int:
        """Predictions written by the current (or last) recording."""
        return self._recording.rows if self._recording is not None else 0

    @Slot(bool)
    def record_toggled(self, on: bool) -> None:
        if not on:
            self.stop_recording()
            return
        if self._recorder is not None:
            return
        path = ask_record_path(self)
        if not path:
            self.record_button.setChecked(False)
            return
        try:
            self.start_recording(path)
        except LivePredictError as e:
            self.record_button.setChecked(False)
            self.set_status(str(e), error=True)

    def start_recording(self, path: str | Path) -> None:
        """Append every prediction to a CSV file until ``stop_recording``."""
        self.stop_recording()
        self._recorder = self._recording = PredictionRecorder(path)
        self.record_label.setText(f"Recording to {self._recorder.path.name}")
        set_checked_quietly(self.record_button, True)

    def stop_recording(self, problem: str = "") -> None:
        rec, self._recorder = self._recorder, None
        if rec is not None:
            problem = problem or rec.close()
            if problem:
                self.set_status(problem, error=True)
            self.record_label.setText(f"Saved {rec.rows} predictions to {rec.path.name}")
            self.context.show_message(f"Saved {rec.rows} predictions to {rec.path}.")
        set_checked_quietly(self.record_button, False)
