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

FIRST_ANSWER_WAIT_S = 0.6  # the longest the window waits for a warm start's first result
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
    p.add_argument("--compare", metavar="MODEL", nargs="+", action="extend", default=[],
                   help="open these models beside the main one to compare with it (up to 3)")
    p.add_argument("--feed", metavar="PORT", type=_port, nargs="?", const=8765,
                   help="serve the predictions over WebSocket on 127.0.0.1:PORT (default 8765) from the start")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    """The window first, the model asked for meanwhile, the worker let go once the window is painted."""
    args = parse_args(argv)
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 3
    log_path = _prepare_process()
    from PySide6.QtCore import QTimer

    import livepredict
    from livepredict.threads.engine.controller import InferenceController
    from livepredict.threads.engine.guard import THREAD_GUARD
    from livepredict.ui.gui_gc import GuiThreadCollector

    app = _application()
    collector = GuiThreadCollector(app)  # Qt objects in reference cycles die on the GUI thread
    settings = _settings(args)
    controller = InferenceController()
    model = _model_path(args)
    initial_job = _ask_engine_early(controller, model, args.paths, settings.top_k())
    window = build_window(controller, settings)
    for path in args.compare:
        window.compare.add(path)
    monitor = _show_window(window, controller, model, initial_job, args.panel)
    QTimer.singleShot(0, lambda: _start_options(window, monitor, model is None, args.feed, args.live))
    log.info("Live Predict %s started (log %s)", livepredict.__version__, log_path)
    _close_on_termination_signals(window)
    rc = app.exec()
    collector.stop()
    monitor.times["gui_gc_collections"] = list(collector.collections)
    t_close = time.time()
    stopped = controller.shutdown(1500)
    monitor.times["shutdown_s"] = time.time() - t_close
    monitor.times["heavy_modules_at_window"] = monitor.heavy_at_window
    _write_reports(monitor.times, monitor.tf_at_window, THREAD_GUARD, controller)
    log.info("exit (inference thread stopped: %s, %.2f s)", stopped, monitor.times["shutdown_s"])
    if not stopped or "tensorflow" in sys.modules:
        _leave_now(rc)
    return rc


def _prepare_process() -> Path:
    """Before Qt and the engine: TensorFlow's log level, the log file, the import watch."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from livepredict.log import setup_logging
    from livepredict.threads.engine.guard import install_import_watch

    log_path = setup_logging()
    install_import_watch()
    sys.setswitchinterval(0.001)  # keep the GUI responsive while the worker runs Python (DESIGN §8)
    return log_path


def _application():
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    import livepredict
    from livepredict.settings import ORG

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "livepredict"])
    app.setApplicationName(livepredict.APP_ID)
    app.setApplicationDisplayName(livepredict.APP_NAME)
    app.setOrganizationName(ORG)
    app.setApplicationVersion(livepredict.__version__)
    app.setDesktopFileName("livepredict")
    app.setQuitOnLastWindowClosed(True)
    icon = livepredict.data_dir() / "resources" / "icons" / "livepredict.svg"  # also inside the bundle
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def _settings(args: argparse.Namespace):
    """The saved settings with the command line's overrides; the theme applied."""
    from PySide6.QtWidgets import QApplication

    from livepredict.settings import Settings
    from livepredict.ui import theme

    settings = Settings()
    if args.theme:
        settings.set_theme(args.theme)
    if args.top:
        settings.set_top_k(args.top)
    theme.apply(QApplication.instance(), settings.theme())
    return settings


def _model_path(args: argparse.Namespace) -> str | None:
    if args.model is not None:
        return args.model
    demo = demo_model_path()
    return str(demo) if demo is not None else None


def _ask_engine_early(controller, model: str | None, paths: list[str], top_k: int) -> int | None:
    """Ask the inference thread now: it opens the model while the window is being built (a cached model
    needs no TensorFlow, so it is often ready as soon as the window is shown). The images are queued
    right behind the model, before the window's modules are even imported: on a warm start the first
    result is on its way while the window is being built. Returns the classification job, if any."""
    if model is None:
        return None
    controller.worker.gui_ready.clear()  # set once the window is painted (StartupMonitor)
    controller.open_model(model)
    if not paths:
        return None
    job = controller.classify([str(Path(p)) for p in paths], top_k)
    # Both threads run Python, one at a time: importing and building the window meanwhile would delay
    # the first result by as long. A model opened from the cache answers in a few hundred ms, so leave
    # the interpreter to the engine until then; a cold start (TensorFlow to import) goes on at once.
    controller.worker.first_answer.wait(FIRST_ANSWER_WAIT_S)
    return job


def _show_window(window, controller, model: str | None, initial_job: int | None, panel: str | None):
    """Show the window (with what is already on its way) and start watching the start-up."""
    from PySide6.QtCore import QTimer

    from livepredict.ui.startup_monitor import StartupMonitor

    if initial_job is not None:
        window.classify_panel.adopt_job(initial_job)
    if model is not None:
        window.model_label.setText(f"Opening {Path(model).name}…")
        window.on_busy(True)
    if panel:
        window.show_panel(panel)
    elif initial_job is not None:  # `livepredict MODEL IMAGES`: where they are classified, not the last tab used
        window.show_panel("Classify")
    elif model is not None:  # `livepredict MODEL`: the tab for what the model does, once that is known
        from livepredict.ui.first_tab import follow_first_model

        follow_first_model(window, controller)
    monitor = StartupMonitor(window, controller, _t0(), has_model=model is not None)
    if initial_job is not None:
        monitor.initial_jobs.add(initial_job)
    window.show()
    QTimer.singleShot(0, monitor.begin)
    QTimer.singleShot(1000, controller.worker.gui_ready.set)  # never hold the worker back for long
    if os.environ.get("LIVEPREDICT_EARLY_SCREENSHOT"):  # the window while the model is loading
        QTimer.singleShot(600, monitor.early_screenshot)
    quit_after = os.environ.get("LIVEPREDICT_QUIT_AFTER_MS")
    if quit_after:
        QTimer.singleShot(int(quit_after), window.close)
    return monitor


def _start_options(window, monitor, no_model: bool, feed_port: int | None, live_source: str | None) -> None:
    """Once the event loop runs: the no-model hint, ``--feed PORT`` and ``--live SOURCE``."""
    if no_model:
        window.show_message("No model open: drop a model file here or use File › Open Model (Ctrl+O).")
    if feed_port is not None:
        window.feed.start(feed_port)
        if window.feed.running:
            log.info("feed: serving at %s", window.feed.controller.server.url)
            window.feed.controller.clients_changed.connect(monitor.on_feed_clients)
        else:
            log.warning("feed: not started on port %d", feed_port)
            window.feed.show()  # the dialog says why (e.g. the port is in use) and offers another
    if live_source:
        if window.start_live(live_source):
            log.info("live: started on %s", live_source)
        else:
            log.warning("live: %s could not be started", live_source)


def _leave_now(rc: int) -> None:
    """Either the inference thread is inside a long engine call (e.g. importing TensorFlow) that cannot
    be interrupted, and destroying its QThread would abort the process; or TensorFlow is loaded, whose
    interpreter-exit teardown takes seconds. Settings are synced and the reports written: leave now."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)


def build_window(controller, settings, panels=None):
    """The composition root of the window: the main window with the tabs of ``ui.panels.PANELS``
    (or ``panels``), each built from the window's application context."""
    from livepredict.ui.main_window import MainWindow
    from livepredict.ui.panels import PANELS

    return MainWindow(controller, settings, PANELS if panels is None else panels)


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
