"""GUI start-up: QApplication and main window first, the inference thread after (DESIGN §1).

``livepredict`` opens the bundled demo model; ``livepredict MODEL [IMAGE|FOLDER ...]`` opens MODEL and
classifies the paths as if they had been dropped. The window is shown before anything heavy is
imported: TensorFlow is imported (if at all: a cached model does not need it) by the inference thread.

Environment hooks (tests and ``bench/bench_startup.py``):

- ``LIVEPREDICT_T0``: ``time.time()`` at launch, for start-up timings (default: when this module ran);
- ``LIVEPREDICT_STARTUP_REPORT=path``: write start-up timings as JSON at exit;
- ``LIVEPREDICT_THREAD_REPORT=path``: write which threads imported/called the engine, at exit;
- ``LIVEPREDICT_SCREENSHOT=path``: once the initial images are classified, save a PNG of the window
  (and ``<path stem>-model.png`` of the model panel);
- ``LIVEPREDICT_EARLY_SCREENSHOT=path``: a PNG of the window 0.6 s after start (model still loading);
- ``LIVEPREDICT_QUIT_WHEN_DONE=1``: close the window once the model is ready and the initial images
  are classified (and screenshots saved);
- ``LIVEPREDICT_QUIT_AFTER_MS=N``: close the window N ms after it is shown (closing-at-any-moment tests).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

_T_IMPORT = time.time()
log = logging.getLogger("livepredict.app")

NON_DISPLAY_PLATFORMS = ("offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")


def _t0() -> float:
    try:
        return float(os.environ["LIVEPREDICT_T0"])
    except (KeyError, ValueError):
        return _T_IMPORT


def display_problem(env: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """One sentence when no window can be shown here (checked before Qt can abort), else None."""
    env = dict(os.environ if env is None else env)
    platform = platform or sys.platform
    if not platform.startswith("linux"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if qpa in NON_DISPLAY_PLATFORMS:
        return None
    hint = ("run it in a desktop session, use the headless commands (e.g. `livepredict classify MODEL IMAGES`), "
            "or set QT_QPA_PLATFORM=offscreen.")
    has_x, has_wl = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    if qpa == "wayland" and not has_wl:
        return f"livepredict: no Wayland display (WAYLAND_DISPLAY is not set); {hint}"
    if qpa == "xcb" and not has_x:
        return f"livepredict: no X display (DISPLAY is not set); {hint}"
    if not qpa and not (has_x or has_wl):
        return f"livepredict: no display found (DISPLAY and WAYLAND_DISPLAY are not set); {hint}"
    if (qpa == "xcb" or (not qpa and has_x and not has_wl)):
        disp = env.get("DISPLAY", "")
        if disp.startswith(":"):
            num = disp[1:].split(".")[0]
            if num.isdigit() and not Path(f"/tmp/.X11-unix/X{num}").exists():
                return f"livepredict: the X display {disp} is not running; {hint}"
        if not _loadable("libxcb-cursor.so.0"):
            return ("livepredict: the Qt X11 platform needs the libxcb-cursor0 package (and the other xcb "
                    "libraries); run packaging/linux/system-deps.sh, or use the headless commands.")
    return None


def _loadable(soname: str) -> bool:
    """Whether the dynamic linker finds ``soname`` (as Qt's xcb plugin will; cheaper than
    ``ctypes.util.find_library``, which runs ldconfig)."""
    import ctypes

    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def demo_model_path() -> Path | None:
    env = os.environ.get("LIVEPREDICT_DEMO_MODEL")
    candidates = [Path(env)] if env else []
    base = getattr(sys, "_MEIPASS", None)
    if base:
        candidates.append(Path(base) / "models" / "shapes.keras")
    here = Path(__file__).resolve()
    candidates += [here.parents[2] / "models" / "shapes.keras", here.parent / "models" / "shapes.keras"]
    return next((p for p in candidates if p.exists()), None)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return port


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="livepredict", description="Open a model and classify images in a window. "
                                "Headless commands: livepredict {info,classify,bench,generate,live,serve} --help.")
    p.add_argument("model", nargs="?", help="model file or SavedModel folder (default: the bundled demo model)")
    p.add_argument("paths", nargs="*", help="images or folders to classify as if dropped")
    p.add_argument("--theme", choices=("system", "light", "dark"), help="override the colour scheme")
    p.add_argument("--top", type=int, help="labels per card (1-10)")
    p.add_argument("--panel", help="panel to show first (Classify, Model, ...)")
    p.add_argument("--live", metavar="SOURCE", help="start the Live panel on SOURCE: a camera number (0), a video "
                   "file, a folder of images or a stream URL")
    p.add_argument("--feed", metavar="PORT", type=_port, nargs="?", const=8765,
                   help="serve the predictions over WebSocket on 127.0.0.1:PORT (default 8765) from the start")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 3
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from livepredict.log import setup_logging

    log_path = setup_logging()
    from livepredict.threads.engine.guard import install_import_watch

    install_import_watch()
    from PySide6.QtCore import QObject, QTimer, Slot
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    import livepredict
    from livepredict.settings import ORG, Settings
    from livepredict.threads.engine.controller import InferenceController
    from livepredict.threads.engine.guard import THREAD_GUARD
    from livepredict.ui import theme

    sys.setswitchinterval(0.001)  # keep the GUI responsive while the worker runs Python (DESIGN §8)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "livepredict"])
    app.setApplicationName(livepredict.APP_ID)
    app.setApplicationDisplayName(livepredict.APP_NAME)
    app.setOrganizationName(ORG)
    app.setApplicationVersion(livepredict.__version__)
    app.setDesktopFileName("livepredict")
    from livepredict.ui.gui_gc import GuiThreadCollector

    collector = GuiThreadCollector(app)  # Qt objects in reference cycles die on the GUI thread
    icon = livepredict.data_dir() / "resources" / "icons" / "livepredict.svg"  # also inside the bundle
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    settings = Settings()
    if args.theme:
        settings.set_theme(args.theme)
    if args.top:
        settings.set_top_k(args.top)
    theme.apply(app, settings.theme())

    controller = InferenceController()
    model = args.model
    if model is None:
        demo = demo_model_path()
        model = str(demo) if demo is not None else None
    if model is not None:
        # Ask the inference thread now: it opens the model while the window is being built (a cached
        # model needs no TensorFlow, so it is often ready as soon as the window is shown).
        controller.worker.gui_ready.clear()  # set once the window is shown (see Startup)
        controller.open_model(model)
    initial_job = None
    if model is not None and args.paths:
        # Queued right behind the model, before the window's modules are even imported: on a warm
        # start the first result is on its way while the window is being built.
        initial_job = controller.classify([str(Path(p)) for p in args.paths], settings.top_k())
    window = build_window(controller, settings)
    if initial_job is not None:
        window.classify_panel.adopt_job(initial_job)
    if model is not None:
        window.model_label.setText(f"Opening {Path(model).name}…")
        window.on_busy(True)
    if args.panel:
        window.show_panel(args.panel)

    class Startup(QObject):
        """Start-up sequencing and the test/benchmark hooks (all in the GUI thread)."""

        def __init__(self) -> None:
            super().__init__(window)
            self.times: dict[str, float] = {}
            self.initial_jobs: set[int] = set()
            self.model_ready = False
            self.tf_at_window = None
            self.heavy_at_window: list[str] = []
            self.shot_done = False
            self.preview_seen = False
            self.feed_clients = 0
            controller.model_loaded.connect(self.on_model_loaded)
            controller.load_failed.connect(self.on_load_failed)
            controller.classification_ready.connect(self.on_result)
            controller.batch_finished.connect(self.on_batch_finished)
            controller.tensor_previewed.connect(self.on_preview)

        def mark(self, name: str) -> None:
            self.times.setdefault(name, time.time() - _t0())

        def eventFilter(self, obj, event) -> bool:  # noqa: N802
            from PySide6.QtCore import QEvent

            if event.type() == QEvent.Type.Paint and "window_shown" not in self.times:
                self.mark("window_shown")
                self.tf_at_window = "tensorflow" in sys.modules
                self.heavy_at_window = [m for m in ("tensorflow", "keras", "pyqtgraph", "cv2") if m in sys.modules]
                controller.worker.gui_ready.set()  # thread-safe flag: TensorFlow may be imported now
            return False

        @Slot()
        def begin(self) -> None:
            self.mark("event_loop")
            if model is None:
                window.show_message("No model open: drop a model file here or use File › Open Model (Ctrl+O).")
                self.model_ready = True
                self.maybe_finish()
            if args.feed is not None:
                self.start_feed(args.feed)
            if args.live:
                self.start_live(args.live)

        def start_feed(self, port: int) -> None:
            window.start_feed(port)
            ctl = window.feed_controller
            if ctl.running:
                log.info("feed: serving at %s", ctl.server.url)
                ctl.clients_changed.connect(self.on_feed_clients)
            else:
                log.warning("feed: not started on port %d", port)
                window.show_feed()  # the dialog says why (e.g. the port is in use) and offers another

        @Slot(int, int)
        def on_feed_clients(self, clients: int, _delivered: int) -> None:
            if clients != self.feed_clients:
                log.info("feed: %d client%s connected", clients, "" if clients == 1 else "s")
            self.feed_clients = clients

        def start_live(self, source: str) -> None:
            window.show_panel("Live")
            panel = window.live_panel
            if panel is not None and panel.start(source):
                log.info("live: started on %s", source)
            else:
                log.warning("live: %s could not be started", source)

        @Slot(object)
        def on_model_loaded(self, loaded) -> None:
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
        def on_load_failed(self, failed) -> None:
            self.mark("model_failed")
            if not failed.needs_trust:
                self.model_ready = True
                self.initial_jobs.clear()
                self.maybe_finish()

        @Slot()
        def on_closing(self) -> None:
            self.mark("window_closed")

        @Slot(object)
        def on_result(self, r) -> None:
            self.mark("first_result")  # shown in the window
            p = r.prediction
            if p is not None and p.infer_end_ts and "first_prediction_made" not in self.times:
                # when the inference thread had it (monotonic clock → wall clock)
                made = time.time() - (time.monotonic() - p.infer_end_ts)
                self.times["first_prediction_made"] = made - _t0()

        @Slot(object)
        def on_preview(self, p) -> None:
            self.preview_seen = True
            self.maybe_finish()

        @Slot(object)
        def on_batch_finished(self, f) -> None:
            self.initial_jobs.discard(f.job_id)
            self.maybe_finish()

        def maybe_finish(self) -> None:
            if self.shot_done or not self.model_ready or self.initial_jobs:
                return
            cards = window.classify_panel.model.cards
            if any(not c.error for c in cards) and not self.preview_seen:
                return
            self.shot_done = True
            self.mark("initial_done")
            if os.environ.get("LIVEPREDICT_SCREENSHOT") or os.environ.get("LIVEPREDICT_QUIT_WHEN_DONE"):
                QTimer.singleShot(250, self.screenshot_and_quit)

        @Slot()
        def early_screenshot(self) -> None:
            window.grab().save(os.environ["LIVEPREDICT_EARLY_SCREENSHOT"])

        @Slot()
        def screenshot_and_quit(self) -> None:
            shot = os.environ.get("LIVEPREDICT_SCREENSHOT")
            if shot:
                Path(shot).parent.mkdir(parents=True, exist_ok=True)
                window.grab().save(shot)
                p = Path(shot)
                screen = window.screen()
                if screen is not None and app.platformName() not in ("offscreen", "minimal"):
                    # what the display server shows (window manager and all), not only our widgets
                    screen.grabWindow(0).save(str(p.with_name(p.stem + "-screen" + p.suffix)))
                current = window.tabs.currentIndex()
                window.show_panel("Model")
                app.processEvents()
                window.grab().save(str(p.with_name(p.stem + "-model" + p.suffix)))
                window.tabs.setCurrentIndex(current)
            if os.environ.get("LIVEPREDICT_QUIT_WHEN_DONE"):
                window.close()

    startup = Startup()
    if initial_job is not None:
        startup.initial_jobs.add(initial_job)
    window.statusBar().installEventFilter(startup)
    window.show()
    QTimer.singleShot(0, startup.begin)
    QTimer.singleShot(1000, controller.worker.gui_ready.set)  # never hold the worker back for long
    early = os.environ.get("LIVEPREDICT_EARLY_SCREENSHOT")  # the window while the model is loading
    if early:
        QTimer.singleShot(600, startup.early_screenshot)
    quit_after = os.environ.get("LIVEPREDICT_QUIT_AFTER_MS")
    if quit_after:
        QTimer.singleShot(int(quit_after), window.close)
    log.info("Live Predict %s started (log %s)", livepredict.__version__, log_path)
    app.setQuitOnLastWindowClosed(True)
    window.closing.connect(startup.on_closing)
    _close_on_termination_signals(window)
    rc = app.exec()
    collector.stop()
    startup.times["gui_gc_collections"] = list(collector.collections)
    t_close = time.time()
    stopped = controller.shutdown(1500)
    startup.times["shutdown_s"] = time.time() - t_close
    startup.times["heavy_modules_at_window"] = startup.heavy_at_window
    _write_reports(startup.times, startup.tf_at_window, THREAD_GUARD, controller)
    log.info("exit (inference thread stopped: %s, %.2f s)", stopped, startup.times["shutdown_s"])
    if not stopped or "tensorflow" in sys.modules:
        # Either the inference thread is inside a long engine call (e.g. importing TensorFlow) that
        # cannot be interrupted, and destroying its QThread would abort the process; or TensorFlow is
        # loaded, whose interpreter-exit teardown takes seconds. Settings are synced and the reports
        # written: leave now.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    return rc


def build_window(controller, settings):
    """The main window with its panels. Other parts of the app add their panels here."""
    from livepredict.ui.main_window import MainWindow

    window = MainWindow(controller, settings)
    # ---- panels of other parts (live, generate): window.add_panel("Live", factory) calls go here
    window.generate_panel = None
    window.add_lazy_panel("Generate", "livepredict.ui.generate_panel")  # its install(), run when first shown
    return window


def _write_reports(times: dict, tf_at_window, guard, controller) -> None:
    path = os.environ.get("LIVEPREDICT_STARTUP_REPORT")
    if path:
        data = dict(times)
        data["tf_loaded_at_window"] = tf_at_window
        Path(path).write_text(json.dumps(data, indent=2), encoding="utf-8")
    path = os.environ.get("LIVEPREDICT_THREAD_REPORT")
    if path:
        data = guard.report()
        data["gui_thread"] = threading.main_thread().name
        data["tf_loaded_at_window"] = tf_at_window
        data["tf_in_sys_modules"] = "tensorflow" in sys.modules
        Path(path).write_text(json.dumps(data, indent=2), encoding="utf-8")


def _close_on_termination_signals(window) -> None:
    """SIGTERM (``kill``, a session logging out) and SIGINT (Ctrl+C in the terminal) close the window
    as the user would: settings saved, threads stopped, exit code 0. Python runs signal handlers only
    between bytecodes, so a slow timer gives it the chance while Qt's event loop is in C++."""
    import signal

    from PySide6.QtCore import QTimer

    def request_close(signum, _frame) -> None:
        log.info("signal %d: closing the window", signum)
        QTimer.singleShot(0, window.close)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, request_close)
    tick = QTimer(window)
    tick.setInterval(200)
    tick.timeout.connect(window.noop_tick)
    tick.start()
