"""The main window: panels in tabs, menus, status bar, dialogs (drag and drop: ``ui.window_drops``).

The tabs are the panels listed in ``ui.panels.PANELS`` (see ``ui.panel``): each is built from the
window's ``AppContext``; a lazy one when its tab is first shown. Every attribute of the window is
declared in the class body below (nothing outside the class sets one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
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
    QWidget,
)

import livepredict
from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.payloads import (
    MAIN,
    BatchFinished,
    LoadFailed,
    ModelLoaded,
    Versions,
    WorkerError,
)
from livepredict.ui import theme
from livepredict.ui.classify.export import ask_export_path
from livepredict.ui.classify.panel import ClassifyPanel
from livepredict.ui.compare_models import CompareModels
from livepredict.ui.dialogs import about_text, error_report, trust_box
from livepredict.ui.error_banner import ErrorBanner, above, still_in_use
from livepredict.ui.export_serving import ServingExport
from livepredict.ui.feed_panel import PredictionFeed
from livepredict.ui.model_status import ModelStatus
from livepredict.ui.panel import AppContext, LazyTab, PanelSpec, shutdown_all
from livepredict.ui.panels import PANELS
from livepredict.ui.paths import IMAGE_FILTER, MODEL_FILTER, is_model_path, is_video_path
from livepredict.ui.recent_menu import RecentModelsMenu
from livepredict.ui.widgets import format_ms, rgb_from_qimage
from livepredict.ui.window_drops import DropTarget

__all__ = ["IMAGE_FILTER", "MODEL_FILTER", "MainWindow", "is_model_path", "is_video_path"]

log = logging.getLogger(__name__)


class MainWindow(DropTarget, QMainWindow):
    """Signals: closing() — emitted once when the window starts closing (before shutdown)."""

    closing = Signal()

    # Every attribute of the window (``tests/qt/test_main_window.py`` checks that no other is set).
    controller: InferenceController
    settings: Settings
    feed: PredictionFeed  # the prediction feed (View › Prediction Feed…), made on first use
    compare: CompareModels  # the models opened beside the main one (File › Add Model to Compare)
    compare_action: QAction
    context: AppContext  # what every panel receives
    tabs: QTabWidget
    error_banner: ErrorBanner  # the last error, above the tabs until dismissed
    panels: dict[str, QWidget]  # tab title -> panel, or the LazyTab of a panel not built yet
    classify_panel: ClassifyPanel  # drops, pastes, Open Images and Export go to it
    last_error: tuple[str, str] | None
    loaded: ModelLoaded | None
    versions: dict[str, str]
    trust_dialog: QMessageBox | None  # while the trust question is open
    status_text: QLabel
    busy: QProgressBar
    model_label: QLabel
    model_status: ModelStatus  # keeps model_label's figure equal to the tabs' (benchmark, generator step)
    open_model_action: QAction
    open_images_action: QAction
    paste_action: QAction
    recent_menu: RecentModelsMenu
    export_action: QAction
    serving_export: ServingExport  # File › Export for Serving… (the export runs on the inference thread)
    export_serving_action: QAction
    fullscreen_action: QAction
    theme_actions: dict[str, QAction]
    feed_action: QAction
    copy_error_action: QAction
    _pending_trust: LoadFailed | None
    _closed: bool

    def __init__(self, controller: InferenceController, settings: Settings | None = None,
                 panels: Sequence[PanelSpec] = PANELS) -> None:
        super().__init__()
        self.controller = controller
        self.settings = settings or Settings()
        self.last_error = None
        self.loaded = None
        self.versions = {}
        self.trust_dialog = None
        self._pending_trust = None
        self._closed = False
        self.setWindowTitle(livepredict.APP_NAME)
        self.setAcceptDrops(True)
        self.setMinimumSize(QSize(760, 520))
        self.feed = PredictionFeed(self, controller, self.current_model)
        self.compare = CompareModels(controller, self.show_message, self)  # before the panels: they use it
        self.context = AppContext(controller=controller, settings=self.settings, feed=self.feed,
                                  show_message=self.show_message, current_model=self.current_model,
                                  compare=self.compare)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.tabBar().setDrawBase(False)  # the base line is drawn in a light colour even when dark
        self.error_banner = ErrorBanner(self.copy_error_details)
        self.setCentralWidget(above(self.error_banner, self.tabs))
        self.panels = {}
        for spec in panels:
            self._add_tab(spec)
        home = next((w for w in self.panels.values() if isinstance(w, ClassifyPanel)), None)
        if home is None:
            raise ValueError("the panels must include the Classify panel (drops and exports go to it)")
        self.classify_panel = home
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
        self.tabs.currentChanged.connect(self.status_text.clear)  # one tab's news is not another's (errors stay above)
        sb.addPermanentWidget(self.busy)
        sb.addPermanentWidget(self.model_label)

        self.serving_export = ServingExport(self, controller, self.settings, self.current_model, self.show_message,
                                            self.show_error)
        self._build_menus()
        self.classify_panel.export_requested.connect(self.export_results)
        self.classify_panel.open_images_requested.connect(self.open_images)
        self.classify_panel.open_model_requested.connect(self.open_model_dialog)
        self.classify_panel.paste_requested.connect(self.paste)

        c = controller
        c.status_changed.connect(self.on_status)
        c.busy_changed.connect(self.on_busy)
        c.model_loaded.connect(self.on_model_loaded)
        c.runtime_switched.connect(self.on_runtime_switched)
        c.load_failed.connect(self.on_load_failed)
        c.versions_reported.connect(self.on_versions)
        c.error_occurred.connect(self.on_error)
        c.batch_finished.connect(self.on_batch_finished)
        self.model_status = ModelStatus(c, self.model_label, self.current_model)
        try:
            QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_scheme)
        except AttributeError:  # pragma: no cover - Qt < 6.5
            pass

        geo = self.settings.geometry()
        if geo is None or not self.restoreGeometry(geo):
            self.resize(1180, 760)

    # -- panels
    def _add_tab(self, spec: PanelSpec) -> None:
        widget = LazyTab(spec, self.context) if spec.lazy else spec.build(self.context)
        self.panels[spec.title] = widget
        self.tabs.addTab(widget, spec.title)
        if spec.title == self.settings.last_panel() and self.tabs.currentWidget() is not widget:
            self.tabs.setCurrentWidget(widget)
            self._on_tab(self.tabs.currentIndex())

    def panel(self, name: str) -> Any:
        """The panel of tab ``name`` (built now if it is lazy and not built yet), or None."""
        w = self.panels.get(name)
        return w.build() if isinstance(w, LazyTab) else w

    def built_panel(self, name: str) -> Any:
        """The panel of tab ``name`` if it has been built, else None (builds nothing)."""
        w = self.panels.get(name)
        return w.inner if isinstance(w, LazyTab) else w

    def show_panel(self, name: str) -> None:
        if name in self.panels:
            self.tabs.setCurrentWidget(self.panels[name])

    @Slot(int)
    def _on_tab(self, index: int) -> None:
        w = self.tabs.widget(index)
        if isinstance(w, LazyTab):
            w.build()

    def current_model(self) -> ModelLoaded | None:
        return self.loaded

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
        self.compare_action = self._action("Add Model to &Compare…", self.add_compare_dialog, None, f)
        self._action("Close Compared Models", self.compare.close_all, None, f)
        self.open_images_action = self._action("Open &Images…", self.open_images, "Ctrl+Shift+O", f)
        self._action("Open &Folder…", self.classify_panel.open_folder, None, f)  # a folder of images
        self.paste_action = self._action("&Paste Image", self.paste, QKeySequence.StandardKey.Paste, f)
        self.recent_menu = RecentModelsMenu(self.settings, self)
        self.recent_menu.chosen.connect(self.open_model)
        f.addMenu(self.recent_menu)
        f.addSeparator()
        self.export_action = self._action("&Export Results…", self.export_results, "Ctrl+E", f)
        self.export_serving_action = self._action("Export for &Serving…", self.serving_export.ask, None, f)
        f.addSeparator()
        self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, f)

        v = mb.addMenu("&View")
        self.fullscreen_action = self._action("&Full Screen", self.toggle_fullscreen, "F11", v)
        self.fullscreen_action.setCheckable(True)
        tm = v.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions = {}
        for mode, text in (("system", "Follow &System"), ("light", "&Light"), ("dark", "&Dark")):
            a = QAction(text, self, checkable=True)
            a.setData(mode)
            a.setChecked(mode == self.settings.theme())
            a.triggered.connect(self._on_theme_action)
            group.addAction(a)
            tm.addAction(a)
            self.theme_actions[mode] = a
        v.addSeparator()
        self.feed_action = self._action("Prediction &Feed…", self.feed.show, None, v)
        self.feed_action.setObjectName("feedAction")
        self.feed_action.setToolTip("Serve live predictions to other programs over WebSocket")

        h = mb.addMenu("&Help")
        self.copy_error_action = self._action("&Copy Error Details", self.copy_error_details, None, h)
        self.copy_error_action.setEnabled(False)
        self._action("Open &Log Folder", self.open_log_folder, None, h)
        h.addSeparator()
        self._action("&About Live Predict", self.about, None, h)

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
    def add_compare_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add Model to Compare", self.settings.last_dir("models"),
                                              MODEL_FILTER)
        if path:
            p = Path(path)
            self.compare.add(p.parent if p.name == "saved_model.pb" else p)

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
        path = ask_export_path(self, start)
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
        QGuiApplication.clipboard().setText(error_report(*self.last_error, self.versions))
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
        return about_text(self.versions, self.loaded)

    # -- worker feedback
    def show_message(self, text: str) -> None:
        self.status_text.setText(text)

    def show_error(self, message: str, details: str = "") -> None:
        self.last_error = (message, details)
        self.copy_error_action.setEnabled(True)
        self.status_text.setText(message)
        self.error_banner.show_error(message)
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
        self.recent_menu.refresh()

    @Slot(object)
    def on_runtime_switched(self, switched: Any) -> None:
        """The model that ran on Keras while LiteRT was converted now runs on LiteRT (or says why not)."""
        if switched.slot != self.controller.MAIN_SLOT or switched.load_id != self.controller.load_id:
            return
        self.loaded = loaded = switched.loaded
        ms = f" · {format_ms(loaded.ms_per_image)}/image" if loaded.ms_per_image else ""
        self.model_label.setText(f"{Path(loaded.info.path).name} · {loaded.info.runtime}{ms}")
        self.status_text.setText(switched.message)

    @Slot(object)
    def on_load_failed(self, failed: LoadFailed) -> None:
        if failed.slot != MAIN:
            return  # a compared model: reported for its slot by CompareModels
        self.show_error(still_in_use(failed.message, self.loaded), failed.details)
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
        box, trust = trust_box(self, failed)
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
            self.feed.shutdown()
            shutdown_all(self.panels.values())
            self.settings.set_geometry(self.saveGeometry())
            self.settings.set_last_panel(self.tabs.tabText(self.tabs.currentIndex()))
            self.settings.set_top_k(self.classify_panel.top_k())
            self.settings.sync()
            self.controller.shutdown(1500)
        event.accept()
