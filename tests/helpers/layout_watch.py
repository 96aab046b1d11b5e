"""Counting the relayouts a widget is asked for (each one repaints the widgets it moves)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget


class LayoutRequests(QObject):
    """``with LayoutRequests(window) as asked:`` ... ``len(asked)``: the LayoutRequest events
    ``window`` received meanwhile (posted events are delivered before counting stops)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.widget = widget
        self.seen: list[QObject] = []

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802 - Qt API
        if ev.type() == QEvent.Type.LayoutRequest:
            self.seen.append(obj)
        return False

    def __enter__(self) -> list[QObject]:
        QApplication.processEvents()  # what was asked before watching is not counted
        self.widget.installEventFilter(self)
        return self.seen

    def __exit__(self, *exc: object) -> None:
        QApplication.processEvents()
        self.widget.removeEventFilter(self)
