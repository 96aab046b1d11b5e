"""The main window: panels in tabs, menus, status bar, drag and drop, dialogs.

Other parts of the app add their panels with ``MainWindow.add_panel(name, widget_or_factory)``
(a factory is called the first time the tab is shown, keeping start-up fast).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import livepredict
from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.payloads import BatchFinished, LoadFailed, ModelLoaded, Versions, WorkerError
from livepredict.ui import theme
from livepredict.ui.classify_panel import ClassifyPanel
from livepredict.ui.feed_panel import add_feed_action
from livepredict.ui.model_panel import ModelPanel
from livepredict.ui.widgets import format_ms, rgb_from_qimage

log = logging.getLogger(__name__)

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5", ".tflite")
VIDEO_SUFFIXES = (".avi", ".mp4", ".m4v", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".wmv", ".mjpg")
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
MODEL_FILTER = "Models (*.keras *.h5 *.hdf5 *.tflite saved_model.pb);;All files (*)"


def is_video_path(p: Path) -> bool:
    return p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()


def is_model_path(p: Path) -> bool:
    if p.is_dir():
        return (p / "saved_model.pb").is_file()
    return p.suffix.lower() in MODEL_SUFFIXES or p.name == "saved_model.pb"


class _LazyPanel(QWidget):
    """Placeholder tab that builds its real widget the first time it is shown."""

    def __init__(self, factory: Callable[[], QWidget]) -> None:
        super().__init__()
        self._factory = factory
        self.inner: QWidget | None = None
        QVBoxLayout(self).setContentsMargins(0, 0, 0, 0)

    def build(self) -> QWidget:
        if self.inner is None:
            self.inner = self._factory()
            self.layout().addWidget(self.inner)
        return self.inner


class _InstallProxy:
    """The window as seen by a panel module's ``install(window)`` run lazily: ``add_panel`` keeps
    the factory (the tab already exists); everything else goes to the real window."""

    def __init__(self, window: MainWindow) -> None:
        object.__setattr__(self, "_window", window)
        object.__setattr__(self, "factory", None)

    def add_panel(self, name: str, panel: Any, index: int | None = None) -> None:
        object.__setattr__(self, "factory", panel)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._window, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._window, name, value)


class MainWindow(QMainWindow):
    """Signals: closing() — emitted once when the window starts closing (before shutdown)."""

    closing = Signal()

    def __init__(self, controller: InferenceController, settings: Settings | None = None) -> None:
        super().__init__()
        self.controller = controller
        self.settings = settings or Settings()
        self.last_error: tuple[str, str] | None = None
        self.loaded: ModelLoaded | None = None
        self.versions: dict[str, str] = {}
        self._pending_trust: LoadFailed | None = None
        self._closed = False
        self.setWindowTitle(livepredict.APP_NAME)
        self.setAcceptDrops(True)
        self.setMinimumSize(QSize(760, 520))

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.tabBar().setDrawBase(False)  # the base line is drawn in a light colour even when dark
        self.setCentralWidget(self.tabs)
        self.classify_panel = ClassifyPanel(controller, top_k=self.settings.top_k())
        self.model_panel = ModelPanel(controller)
        self.panels: dict[str, QWidget] = {}
        self.add_panel("Classify", self.classify_panel)
        self.add_panel("Model", self.model_panel)
        self.live_panel = None
        self.add_lazy_panel("Live", "livepredict.ui.live_panel", index=1)  # ui/live_panel.py install()
        self.tabs.currentChanged.connect(self._on_tab)

        # status bar: message, busy bar, model/runtime
        self.status_text = QLabel("Starting…")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setFixedWidth(120)
        self.busy.hide()
        self.model_label = QLabel("No model")
        self.model_label.setObjectName("Muted")
        sb = self.statusBar()
        sb.addWidget(self.status_text, 1)
        sb.addPermanentWidget(self.busy)
        sb.addPermanentWidget(self.model_label)

        self._build_menus()
        self.classify_panel.export_requested.connect(self.export_results)
        self.classify_panel.open_images_requested.connect(self.open_images)
        self.classify_panel.paste_requested.connect(self.paste)

        c = controller
        c.status_changed.connect(self.on_status)
        c.busy_changed.connect(self.on_busy)
        c.model_loaded.connect(self.on_model_loaded)
        c.load_failed.connect(self.on_load_failed)
        c.versions_reported.connect(self.on_versions)
        c.error_occurred.connect(self.on_error)
        c.batch_finished.connect(self.on_batch_finished)
        try:
            QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_scheme)
        except AttributeError:  # pragma: no cover - Qt < 6.5
            pass

        geo = self.settings.geometry()
        if geo is None or not self.restoreGeometry(geo):
            self.resize(1180, 760)

    # -- panels
    def add_panel(self, name: str, panel: QWidget | Callable[[], QWidget], index: int | None = None) -> None:
        """Add a tab. ``panel`` is a widget, or a factory called when the tab is first shown."""
        widget = panel if isinstance(panel, QWidget) else _LazyPanel(panel)
        self.panels[name] = widget
        if index is None:
            self.tabs.addTab(widget, name)
        else:
            self.tabs.insertTab(index, widget, name)
        if name == self.settings.last_panel() and self.tabs.currentWidget() is not widget:
            self.tabs.setCurrentWidget(widget)
            self._on_tab(self.tabs.currentIndex())

    def add_lazy_panel(self, name: str, module: str, index: int | None = None) -> None:
        """Add tab ``name`` now; import ``module`` only when the tab is first shown (start-up speed:
        panels with plots pull in pyqtgraph and capture code). The module's ``install(window)`` is run
        then against a stand-in window that hands over the factory it passes to ``add_panel``."""

        def factory() -> QWidget:
            mod = importlib.import_module(module)
            stand_in = _InstallProxy(self)
            mod.install(stand_in)
            if stand_in.factory is None:
                raise RuntimeError(f"{module}.install() added no panel")
            panel = stand_in.factory
            return panel if isinstance(panel, QWidget) else panel()

        self.add_panel(name, factory, index)

    def panel(self, name: str) -> QWidget | None:
        w = self.panels.get(name)
        return w.build() if isinstance(w, _LazyPanel) else w

    def show_panel(self, name: str) -> None:
        if name in self.panels:
            self.tabs.setCurrentWidget(self.panels[name])

    @Slot(int)
    def _on_tab(self, index: int) -> None:
        w = self.tabs.widget(index)
        if isinstance(w, _LazyPanel):
            w.build()

    # -- menus
    def _action(self, text: str, slot: Callable, shortcut: Any = None, menu=None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(slot)
        if menu is not None:
            menu.addAction(a)
        return a

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self.open_model_action = self._action("Open &Model…", self.open_model_dialog, QKeySequence.StandardKey.Open, f)
        self.open_images_action = self._action("Open &Images…", self.open_images, "Ctrl+Shift+O", f)
        self.paste_action = self._action("&Paste Image", self.paste, QKeySequence.StandardKey.Paste, f)
        self.recent_menu = f.addMenu("&Recent Models")
        self._fill_recent()
        f.addSeparator()
        self.export_action = self._action("&Export Results…", self.export_results, "Ctrl+E", f)
        f.addSeparator()
        self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, f)

        v = mb.addMenu("&View")
        self.fullscreen_action = self._action("&Full Screen", self.toggle_fullscreen, "F11", v)
        self.fullscreen_action.setCheckable(True)
        tm = v.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for mode, text in (("system", "Follow &System"), ("light", "&Light"), ("dark", "&Dark")):
            a = QAction(text, self, checkable=True)
            a.setData(mode)
            a.setChecked(mode == self.settings.theme())
            a.triggered.connect(self._on_theme_action)
            group.addAction(a)
            tm.addAction(a)
            self.theme_actions[mode] = a
        v.addSeparator()
        add_feed_action(self, v)  # "Prediction Feed…" (ui/feed_panel.py)

        h = mb.addMenu("&Help")
        self.copy_error_action = self._action("&Copy Error Details", self.copy_error_details, None, h)
        self.copy_error_action.setEnabled(False)
        self._action("Open &Log Folder", self.open_log_folder, None, h)
        h.addSeparator()
        self._action("&About Live Predict", self.about, None, h)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_models()
        for path in recent:
            a = QAction(Path(path).name, self)
            a.setToolTip(path)
            a.setStatusTip(path)
            a.setData(path)
            a.triggered.connect(self._on_recent)
            self.recent_menu.addAction(a)
        if recent:
            self.recent_menu.addSeparator()
            self._action("Clear Menu", self._clear_recent, None, self.recent_menu)
        self.recent_menu.setEnabled(bool(recent))

    @Slot()
    def _on_recent(self) -> None:
        a = self.sender()
        if isinstance(a, QAction) and a.data():
            self.open_model(a.data())

    @Slot()
    def _clear_recent(self) -> None:
        self.settings.clear_recent_models()
        self._fill_recent()

    # -- actions
    def open_model(self, path: str | Path, trust: bool = False) -> int:
        path = str(path)
        self.model_label.setText(f"Opening {Path(path).name}…")
        self.on_busy(True)
        return self.controller.open_model(path, trust=trust)

    @Slot()
    def open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Model", self.settings.last_dir("models"), MODEL_FILTER)
        if path:
            self.settings.set_last_dir("models", str(Path(path).parent))
            p = Path(path)
            self.open_model(p.parent if p.name == "saved_model.pb" else p)

    @Slot()
    def open_images(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open Images", self.settings.last_dir("images"), IMAGE_FILTER)
        if paths:
            self.settings.set_last_dir("images", str(Path(paths[0]).parent))
            self.show_panel("Classify")
            self.classify_panel.classify(paths)

    @Slot()
    def paste(self) -> None:
        md = QGuiApplication.clipboard().mimeData()
        if md is not None and md.hasImage():
            img = QGuiApplication.clipboard().image()
            if not img.isNull():
                self.show_panel("Classify")
                self.classify_panel.classify_image(rgb_from_qimage(img))
                return
        if md is not None and md.hasUrls():
            self.handle_paths([u.toLocalFile() for u in md.urls() if u.isLocalFile()])
            return
        self.show_message("The clipboard holds no image; copy an image or image files first.")

    @Slot()
    def export_results(self) -> None:
        if not self.classify_panel.model.cards:
            self.show_message("There are no results to export yet; classify some images first.")
            return
        start = str(Path(self.settings.last_dir("export") or Path.home()) / "predictions.csv")
        # Not getSaveFileName: a name typed without an extension must get the one of the type picked in the
        # dialog (export() goes by the suffix), and before the dialog asks about replacing an existing file.
        dialog = QFileDialog(self, "Export Results", start, "CSV (*.csv);;JSON (*.json)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.filterSelected.connect(lambda f: dialog.setDefaultSuffix("json" if "json" in f.lower() else "csv"))
        path = dialog.selectedFiles()[0] if dialog.exec() and dialog.selectedFiles() else ""
        dialog.deleteLater()
        if path:
            try:
                out = self.classify_panel.export(path)
                self.settings.set_last_dir("export", str(Path(path).parent))
                n = len(self.classify_panel.model.cards)
                self.show_message(f"Exported {n} result{'s' if n != 1 else ''} to {out}.")
            except OSError as e:
                self.show_error(f"Cannot write {path} ({e.strerror or e}); pick another location.", repr(e))

    @Slot()
    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self.fullscreen_action.setChecked(self.isFullScreen())

    @Slot()
    def _on_theme_action(self) -> None:
        a = self.sender()
        if isinstance(a, QAction):
            self.set_theme(a.data())

    def set_theme(self, mode: str) -> None:
        self.settings.set_theme(mode)
        app = QApplication.instance()
        if app is not None:
            theme.apply(app, mode)
        if mode in self.theme_actions:
            self.theme_actions[mode].setChecked(True)
        self.update()

    @Slot()
    def _on_scheme(self, *args: Any) -> None:
        if self.settings.theme() == "system":
            self.set_theme("system")

    @Slot()
    def copy_error_details(self) -> None:
        if self.last_error is None:
            return
        message, details = self.last_error
        text = message + ("\n\n" + details if details else "")
        text += f"\n\nLive Predict {livepredict.__version__}"
        if self.versions:
            text += "\n" + "\n".join(f"{k}: {v}" for k, v in self.versions.items())
        QGuiApplication.clipboard().setText(text)
        self.show_message("Error details copied to the clipboard.")

    @Slot()
    def open_log_folder(self) -> None:
        from livepredict.log import log_dir

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir())))

    @Slot()
    def about(self) -> None:
        self.controller.request_versions()
        QMessageBox.about(self, "About Live Predict", self.about_text())

    def about_text(self) -> str:
        import PySide6
        from PySide6.QtCore import qVersion

        v = dict(self.versions)
        v.setdefault("Live Predict", livepredict.__version__)
        v["Qt"] = qVersion()
        v["PySide6"] = PySide6.__version__
        if self.loaded is not None:
            v["Runtime"] = self.loaded.info.runtime
        rows = "".join(f"<tr><td>{k}</td><td>&nbsp;&nbsp;{val}</td></tr>" for k, val in v.items())
        return (f"<h3>Live Predict {livepredict.__version__}</h3><p>Open a Keras/TensorFlow model, drop images, "
                f"point a camera: watch predictions stream in live.</p><table>{rows}</table>")

    # -- drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        md = event.mimeData()
        if md.hasUrls() or md.hasImage():
            event.acceptProposedAction()
            self.classify_panel.hint.set_active(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self.classify_panel.hint.set_active(False)

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self.classify_panel.hint.set_active(False)
        md = event.mimeData()
        if md.hasUrls():
            paths = [u.toLocalFile() for u in md.urls() if u.isLocalFile()]
            event.acceptProposedAction()
            self.handle_paths(paths)
        elif md.hasImage():
            event.acceptProposedAction()
            self.show_panel("Classify")
            self.classify_panel.classify_image(rgb_from_qimage(md.imageData()))
        else:
            event.ignore()

    def handle_paths(self, paths: list[str]) -> None:
        """A model among the paths is opened first; a video plays in the Live tab; the other paths
        are classified with the model."""
        models = [p for p in paths if is_model_path(Path(p))]
        videos = [p for p in paths if p not in models and is_video_path(Path(p))]
        rest = [p for p in paths if p not in models and p not in videos]
        if models:
            self.open_model(models[0])
            if len(models) > 1:
                self.show_message("Several models were dropped; opened the first one.")
        if videos and "Live" in self.panels:
            self.show_panel("Live")
            live = self.panel("Live")
            if live is not None and hasattr(live, "start"):
                live.start(videos[0])
            if len(videos) > 1:
                self.show_message("Several videos were dropped; playing the first one.")
        elif videos:
            rest = rest + videos
        if rest:
            self.show_panel("Classify")
            self.classify_panel.classify(rest)

    # -- worker feedback
    def show_message(self, text: str) -> None:
        self.status_text.setText(text)

    def show_error(self, message: str, details: str = "") -> None:
        self.last_error = (message, details)
        self.copy_error_action.setEnabled(True)
        self.status_text.setText(message)
        log.warning("%s\n%s", message, details)

    @Slot(str)
    def on_status(self, text: str) -> None:
        self.status_text.setText(text)

    @Slot(bool)
    def on_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    @Slot(object)
    def on_model_loaded(self, loaded: ModelLoaded) -> None:
        if loaded.load_id != self.controller.load_id:
            return
        self.loaded = loaded
        info = loaded.info
        name = Path(info.path).name
        self.setWindowTitle(f"{name} — {livepredict.APP_NAME}")
        ms = f" · {format_ms(loaded.ms_per_image)}/image" if loaded.ms_per_image else ""
        self.model_label.setText(f"{name} · {info.runtime}{ms}")
        self.status_text.setText(loaded.ready_text)
        self.settings.add_recent_model(info.path)
        self._fill_recent()

    @Slot(object)
    def on_load_failed(self, failed: LoadFailed) -> None:
        self.show_error(failed.message, failed.details)
        self.model_label.setText(Path(self.loaded.info.path).name if self.loaded else "No model")
        if failed.needs_trust:
            # Ask after the current event has been handled (keeps the signal delivery short).
            self._pending_trust = failed
            QTimer.singleShot(0, self._ask_trust)

    @Slot()
    def _ask_trust(self) -> None:
        failed, self._pending_trust = self._pending_trust, None
        if failed is None or self._closed:
            return
        if self.ask_trust(failed):
            self.open_model(failed.path, trust=True)

    def ask_trust(self, failed: LoadFailed) -> bool:
        """The trust dialog; True only on explicit consent (the default button is Cancel)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Open as trusted?")
        box.setText(f"<b>{Path(failed.path).name}</b> can only be opened by running code stored in or "
                    "beside the model.")
        box.setInformativeText(
            "Such code (Lambda layers, custom layers) can do anything your user account can: read, change "
            "or send your files. Open it as trusted only if you know where it comes from.\n\n" + failed.message)
        trust = box.addButton("Open as Trusted", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        self.trust_dialog = box
        box.exec()
        self.trust_dialog = None
        return box.clickedButton() is trust

    @Slot(object)
    def on_versions(self, v: Versions) -> None:
        self.versions = v.as_dict()

    @Slot(object)
    def on_error(self, err: WorkerError) -> None:
        if err.context != "profile":
            self.show_error(err.message, err.details)

    @Slot(object)
    def on_batch_finished(self, f: BatchFinished) -> None:
        if f.load_id != self.controller.load_id:
            return  # a job of a model that has been replaced meanwhile
        if f.cancelled and not f.message:
            self.show_message(f"Cancelled after {f.done} of {f.total} images." if f.total else "Cancelled.")
        elif f.total and not f.message:
            rate = f.done / f.elapsed_s if f.elapsed_s > 0 else 0
            self.show_message(f"Classified {f.done} images in {f.elapsed_s:.1f} s ({rate:.0f}/s)"
                              + (f", {f.errors} could not be read" if f.errors else "") + ".")

    # -- closing
    @Slot()
    def noop_tick(self) -> None:
        """Does nothing: a periodic call into Python so pending signal handlers (SIGTERM) run."""

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._closed:
            self._closed = True
            self.closing.emit()
            self.settings.set_geometry(self.saveGeometry())
            self.settings.set_last_panel(self.tabs.tabText(self.tabs.currentIndex()))
            self.settings.set_top_k(self.classify_panel.top_k())
            self.settings.sync()
            self.controller.shutdown(1500)
        event.accept()
