"""Start-up timings and the test/benchmark hooks of the app (all in the GUI thread).

``StartupMonitor`` marks when the window is first painted (and lets the inference thread import
TensorFlow from then on), when the model is ready and when the first result is shown; once the model
and the initial images are done it saves the screenshots and closes the window when asked to
(``LIVEPREDICT_SCREENSHOT``, ``LIVEPREDICT_QUIT_WHEN_DONE``; see ``livepredict.app``).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from livepredict.threads.engine.controller import InferenceController
from livepredict.ui.main_window import MainWindow

log = logging.getLogger("livepredict.app")

HEAVY_MODULES = ("tensorflow", "keras", "pyqtgraph", "cv2")


class StartupMonitor(QObject):
    """Times of the start-up steps (seconds after ``t0``) and the end-of-start-up hooks."""

    def __init__(self, window: MainWindow, controller: InferenceController, t0: float, has_model: bool) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.t0 = t0
        self.times: dict[str, Any] = {}
        self._gc0 = [s["collections"] for s in gc.get_stats()]
        self.initial_jobs: set[int] = set()
        self.model_ready = not has_model  # nothing to wait for without a model
        self.tf_at_window: bool | None = None
        self.heavy_at_window: list[str] = []
        self.shot_done = False
        self.preview_seen = False
        self.feed_clients = 0
        controller.model_loaded.connect(self.on_model_loaded)
        controller.load_failed.connect(self.on_load_failed)
        controller.classification_ready.connect(self.on_result)
        controller.batch_finished.connect(self.on_batch_finished)
        controller.tensor_previewed.connect(self.on_preview)
        window.closing.connect(self.on_closing)
        window.statusBar().installEventFilter(self)  # its first paint = the window is on screen

    def mark(self, name: str) -> None:
        self.times.setdefault(name, time.time() - self.t0)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and "window_shown" not in self.times:
            self.mark("window_shown")
            self.tf_at_window = "tensorflow" in sys.modules
            self.heavy_at_window = [m for m in HEAVY_MODULES if m in sys.modules]
            self.controller.worker.gui_ready.set()  # thread-safe flag: TensorFlow may be imported now
        return False

    @Slot()
    def begin(self) -> None:
        """The event loop runs."""
        self.mark("event_loop")
        self.maybe_finish()

    @Slot(int, int)
    def on_feed_clients(self, clients: int, _delivered: int) -> None:
        if clients != self.feed_clients:
            log.info("feed: %d client%s connected", clients, "" if clients == 1 else "s")
        self.feed_clients = clients

    @Slot(object)
    def on_model_loaded(self, loaded: Any) -> None:
        self.mark("model_ready")
        # The line the frozen smoke test (packaging/smoke_test.py) waits for.
        log.info("ready: window shown, model %s loaded after %.2f s (warm=%s)", loaded.info.name,
                 self.times["model_ready"], loaded.warm)
        self.times["tf_loaded_at_ready"] = float("tensorflow" in sys.modules)
        self.times["warm"] = float(loaded.warm)
        self.times["ms_per_image"] = loaded.ms_per_image or 0.0
        self.model_ready = True
        self.maybe_finish()

    @Slot(object)
    def on_load_failed(self, failed: Any) -> None:
        self.mark("model_failed")
        if not failed.needs_trust:
            self.model_ready = True
            self.initial_jobs.clear()
            self.maybe_finish()

    @Slot()
    def on_closing(self) -> None:
        self.mark("window_closed")

    @Slot(object)
    def on_result(self, r: Any) -> None:
        self.mark("first_result")  # shown in the window
        if "gc_before_first_result" not in self.times:  # collections while the model loaded (core.gc_defer)
            self.times["gc_before_first_result"] = [s["collections"] - b for s, b in
                                                    zip(gc.get_stats(), self._gc0, strict=True)]
        p = r.prediction
        if p is not None and p.infer_end_ts and "first_prediction_made" not in self.times:
            # when the inference thread had it (monotonic clock → wall clock)
            made = time.time() - (time.monotonic() - p.infer_end_ts)
            self.times["first_prediction_made"] = made - self.t0

    @Slot(object)
    def on_preview(self, _p: Any) -> None:
        self.preview_seen = True
        self.maybe_finish()

    @Slot(object)
    def on_batch_finished(self, f: Any) -> None:
        self.initial_jobs.discard(f.job_id)
        self.maybe_finish()

    def maybe_finish(self) -> None:
        if self.shot_done or not self.model_ready or self.initial_jobs or "event_loop" not in self.times:
            return
        cards = self.window.classify_panel.model.cards
        if any(not c.error for c in cards) and not self.preview_seen:
            return
        self.shot_done = True
        self.mark("initial_done")
        if os.environ.get("LIVEPREDICT_SCREENSHOT") or os.environ.get("LIVEPREDICT_QUIT_WHEN_DONE"):
            QTimer.singleShot(250, self.screenshot_and_quit)

    @Slot()
    def early_screenshot(self) -> None:
        self.window.grab().save(os.environ["LIVEPREDICT_EARLY_SCREENSHOT"])

    @Slot()
    def screenshot_and_quit(self) -> None:
        shot = os.environ.get("LIVEPREDICT_SCREENSHOT")
        if shot:
            self.save_screenshots(Path(shot))
        if os.environ.get("LIVEPREDICT_QUIT_WHEN_DONE"):
            self.window.close()

    def save_screenshots(self, p: Path) -> None:
        """The window, the whole screen (on a real display) and the Model tab, as PNGs beside ``p``."""
        window = self.window
        p.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(p))
        screen = window.screen()
        if screen is not None and QApplication.platformName() not in ("offscreen", "minimal"):
            # what the display server shows (window manager and all), not only our widgets
            screen.grabWindow(0).save(str(p.with_name(p.stem + "-screen" + p.suffix)))
        current = window.tabs.currentIndex()
        window.show_panel("Model")
        QApplication.processEvents()
        window.grab().save(str(p.with_name(p.stem + "-model" + p.suffix)))
        window.tabs.setCurrentIndex(current)
