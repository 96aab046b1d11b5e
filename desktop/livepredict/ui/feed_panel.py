"""The feed control: on/off, address, token and a copyable example client command (docs/feed.md).

A widget only: it never touches the network. It asks for a start or a stop through its signals
and shows what the controller (``threads.feed_bridge.FeedController``) reports back.

Signals:
    start_requested(str host, int port, str token): the user turned the feed on ("" = no token).
    stop_requested(): the user turned the feed off.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def client_command(url: str, token: str) -> str:
    """The shell command that prints the feed (the example client shipped with the app)."""
    cmd = f"python examples/feed_client.py {url}"
    return cmd + (f" --token {token}" if token else "")


class FeedPanel(QWidget):
    """Turn the WebSocket feed on or off and see how to connect to it."""

    start_requested = Signal(str, int, str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, host: str = "127.0.0.1", port: int = 8765) -> None:
        super().__init__(parent)
        self.setObjectName("feedPanel")
        self._running = False
        self._url = ""

        self.enabled = QCheckBox("Serve predictions over WebSocket")
        self.enabled.setObjectName("feedEnabled")
        self.enabled.setToolTip("Off by default. Other programs on this computer (or, with a token, on the "
                                "network) receive every prediction live.")
        self.host = QLineEdit(host)
        self.host.setObjectName("feedHost")
        self.host.setToolTip("127.0.0.1 = this computer only. 0.0.0.0 or a network address needs a token.")
        self.port = QSpinBox()
        self.port.setObjectName("feedPort")
        self.port.setRange(1, 65535)
        self.port.setValue(port)
        self.token = QLineEdit()
        self.token.setObjectName("feedToken")
        self.token.setPlaceholderText("none (this computer only)")
        self.new_token = QPushButton("New")
        self.new_token.setToolTip("Make a random token")
        self.copy_token = QPushButton("Copy")
        self.address = QLabel("off")
        self.address.setObjectName("feedAddress")
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.network = QLabel("")
        self.network.setObjectName("feedNetwork")
        self.network.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.page = QLabel("")
        self.page.setObjectName("feedPage")
        self.page.setOpenExternalLinks(True)
        self.page.setTextFormat(Qt.TextFormat.RichText)
        self.command = QLineEdit()
        self.command.setObjectName("feedCommand")
        self.command.setReadOnly(True)
        self.copy_command = QPushButton("Copy")
        self.copy_command.setObjectName("feedCopyCommand")
        self.clients = QLabel("")
        self.clients.setObjectName("feedClients")
        self.message = QLabel("")
        self.message.setObjectName("feedMessage")
        self.message.setWordWrap(True)

        token_row = QHBoxLayout()
        token_row.setContentsMargins(0, 0, 0, 0)
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.new_token)
        token_row.addWidget(self.copy_token)
        command_row = QHBoxLayout()
        command_row.setContentsMargins(0, 0, 0, 0)
        command_row.addWidget(self.command, 1)
        command_row.addWidget(self.copy_command)

        form = QFormLayout()
        form.addRow("Address", self.host)
        form.addRow("Port", self.port)
        form.addRow("Token", token_row)
        form.addRow("Clients connect to", self.address)
        form.addRow("", self.network)
        form.addRow("Web page", self.page)
        form.addRow("Try it", command_row)
        form.addRow("", self.clients)
        layout = QVBoxLayout(self)
        layout.addWidget(self.enabled)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.enabled.toggled.connect(self._on_toggled)
        self.new_token.clicked.connect(self._on_new_token)
        self.copy_token.clicked.connect(self._on_copy_token)
        self.copy_command.clicked.connect(self._on_copy_command)
        self.host.textChanged.connect(self._on_settings_edited)
        self.token.textChanged.connect(self._on_settings_edited)
        self.port.valueChanged.connect(self._on_settings_edited)
        self._refresh()

    # ---------------------------------------------------------------- user actions

    @Slot(bool)
    def _on_toggled(self, on: bool) -> None:
        if on and not self._running:
            host = self.host.text().strip() or "127.0.0.1"
            token = self.token.text().strip()
            if host not in LOOPBACK and not token:
                self._on_new_token()  # a network address needs a token: make one rather than refuse
                token = self.token.text().strip()
            self.message.setText("Starting…")
            self.start_requested.emit(host, int(self.port.value()), token)
        elif not on and self._running:
            self.stop_requested.emit()
        self._refresh()

    @Slot()
    def _on_new_token(self) -> None:
        self.token.setText(secrets.token_urlsafe(12))

    @Slot()
    def _on_copy_token(self) -> None:
        QGuiApplication.clipboard().setText(self.token.text())

    @Slot()
    def _on_copy_command(self) -> None:
        QGuiApplication.clipboard().setText(self.command.text())
        self.message.setText("Command copied; paste it in a terminal.")

    @Slot()
    def _on_settings_edited(self) -> None:
        self._refresh()

    # ---------------------------------------------------------------- controller reports

    @Slot(str)
    def set_running(self, url: str) -> None:
        """The feed listens at ``url`` (``ws://host:port``)."""
        self._running = True
        self._url = url
        self.enabled.blockSignals(True)
        self.enabled.setChecked(True)
        self.enabled.blockSignals(False)
        self.message.setText("The feed is on.")
        self._refresh()

    @Slot(list)
    def set_network_urls(self, urls: list) -> None:
        """Addresses for other machines (the feed is bound to all interfaces)."""
        self.network.setText(("from other machines: " + ", ".join(urls)) if urls else "")

    @Slot(str)
    def set_stopped(self, message: str = "") -> None:
        self._running = False
        self._url = ""
        self.network.setText("")
        self.enabled.blockSignals(True)
        self.enabled.setChecked(False)
        self.enabled.blockSignals(False)
        self.clients.setText("")
        self.message.setText(message)
        self._refresh()

    @Slot(str)
    def set_failed(self, message: str) -> None:
        """One sentence (e.g. the port is in use); the feed is off."""
        self.set_stopped(message)

    @Slot(int, int)
    def set_clients(self, clients: int, delivered: int) -> None:
        if self._running:
            self.clients.setText(f"{clients} client{'s' if clients != 1 else ''} connected · "
                                 f"{delivered:,} messages sent")

    # ---------------------------------------------------------------- view

    @property
    def running(self) -> bool:
        return self._running

    def _refresh(self) -> None:
        for w in (self.host, self.port, self.token, self.new_token):
            w.setEnabled(not self._running and not self.enabled.isChecked())
        token = self.token.text().strip()
        url = self._url or f"ws://{self.host.text().strip() or '127.0.0.1'}:{self.port.value()}"
        self.address.setText(url if self._running else f"off (would be {url})")
        http = url.replace("ws://", "http://", 1).replace("0.0.0.0", "127.0.0.1")
        page = f"{http}/" + (f"?token={token}" if token else "")
        self.page.setText(f'<a href="{page}">{page}</a>' if self._running else "")
        self.command.setText(client_command(url.replace("0.0.0.0", "127.0.0.1"), token))
        self.command.setCursorPosition(0)
        self.copy_command.setEnabled(True)


class FeedDialog(QDialog):
    """A non-modal window around :class:`FeedPanel` (the main window's "Feed…" action)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Prediction feed")
        self.setObjectName("feedDialog")
        self.panel = FeedPanel(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        close = QPushButton("Close")
        close.clicked.connect(self.hide)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.resize(560, 0)


class FeedIndicator(QLabel):
    """Status-bar note while the feed is on ("Feed on · 2 clients"); hidden when it is off."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("feedIndicator")
        self.setToolTip("The prediction feed is serving (View → Prediction Feed…)")
        self._url = ""
        self.hide()

    @Slot(str)
    def set_running(self, url: str) -> None:
        self._url = url
        self.setText(f"Feed on · {url}")
        self.show()

    @Slot(str)
    def set_stopped(self, _message: str = "") -> None:
        self.hide()

    @Slot(int, int)
    def set_clients(self, clients: int, _delivered: int) -> None:
        if self.isVisible():
            self.setText(f"Feed on · {clients} client{'s' if clients != 1 else ''}")


class PredictionFeed(QObject):
    """The window's prediction feed: the dialog, the feed controller (``threads.feed_bridge``) and the
    status-bar note, made on first use (the feed is off by default); ``shutdown()`` stops it."""

    def __init__(self, window: QMainWindow, inference: Any, current_model: Callable[[], Any]) -> None:
        super().__init__(window)
        self._window = window
        self._inference = inference  # the InferenceController whose results are served
        self._current_model = current_model
        self.dialog: FeedDialog | None = None
        self.controller: Any = None  # the FeedController, once the dialog exists
        self.indicator: FeedIndicator | None = None

    def ensure(self) -> FeedDialog:
        """The dialog, with its controller and status-bar note connected (made the first time)."""
        if self.dialog is not None:
            return self.dialog
        from livepredict.threads.feed_bridge import FeedController

        dialog = FeedDialog(self._window)
        ctl = FeedController(dialog)
        ctl.attach(self._inference)
        loaded = self._current_model()
        if loaded is not None:  # a model opened before the dialog
            ctl.on_model_loaded(loaded)
        panel = dialog.panel
        panel.start_requested.connect(ctl.start)
        panel.stop_requested.connect(ctl.stop)
        ctl.started.connect(panel.set_running)
        ctl.reachable_at.connect(panel.set_network_urls)
        ctl.stopped.connect(panel.set_stopped)
        ctl.failed.connect(panel.set_failed)
        ctl.clients_changed.connect(panel.set_clients)
        indicator = FeedIndicator(self._window)
        self._window.statusBar().addPermanentWidget(indicator)
        ctl.started.connect(indicator.set_running)
        ctl.stopped.connect(indicator.set_stopped)
        ctl.failed.connect(indicator.set_stopped)
        ctl.clients_changed.connect(indicator.set_clients)
        self.dialog, self.controller, self.indicator = dialog, ctl, indicator
        return dialog

    @Slot()
    def show(self) -> None:
        dialog = self.ensure()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def start(self, port: int) -> None:
        """Start the feed on this computer only (127.0.0.1:``port``, no token), as if switched on
        in the dialog (``livepredict MODEL --feed PORT``); the status bar shows it."""
        panel = self.ensure().panel
        panel.host.setText("127.0.0.1")
        panel.token.clear()
        panel.port.setValue(int(port))
        if panel.enabled.isChecked():
            panel.enabled.setChecked(False)
        panel.enabled.setChecked(True)

    @property
    def running(self) -> bool:
        return self.controller is not None and self.controller.running

    @Slot()
    def shutdown(self) -> None:
        """The window is closing: stop serving (clients are told) and close the feed window with it."""
        if self.controller is not None:
            self.controller.shutdown()
        if self.dialog is not None:
            self.dialog.close()  # no feed window left open behind the main window
