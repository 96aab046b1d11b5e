"""What the main window does with what is dropped on it or given on the command line: a model is
opened, a video plays in the Live tab, pictures are classified (``MainWindow`` mixes this in; it
uses the window's ``classify_panel``, ``panels``, ``show_panel``, ``panel``, ``open_model`` and
``show_message``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QDragEnterEvent, QDropEvent

from livepredict.ui.paths import sort_paths
from livepredict.ui.widgets import rgb_from_qimage


class DropTarget:
    if TYPE_CHECKING:  # the window's (MainWindow declares them)
        classify_panel: Any
        panels: Any

        def show_panel(self, name: str) -> None: ...
        def panel(self, name: str) -> Any: ...
        def open_model(self, path: Any, trust: bool = False) -> int: ...
        def show_message(self, text: str) -> None: ...

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
        dropped = sort_paths(paths)
        rest = dropped.images
        if dropped.models:
            self.open_model(dropped.models[0])
            if len(dropped.models) > 1:
                self.show_message("Several models were dropped; opened the first one.")
        if dropped.videos and "Live" in self.panels:
            self.start_live(dropped.videos[0])  # the Live tab says why if it cannot play it
            if len(dropped.videos) > 1:
                self.show_message("Several videos were dropped; playing the first one.")
        else:
            rest = rest + dropped.videos
        if rest:
            self.show_panel("Classify")
            self.classify_panel.classify(rest)

    def start_live(self, source: str) -> bool:
        """Show the Live tab playing ``source``; False when there is no Live tab or it cannot start."""
        if "Live" not in self.panels:
            return False
        self.show_panel("Live")
        live = self.panel("Live")
        return bool(live is not None and live.start(source))

