"""Light and dark looks (Fusion + palette), following the system colour scheme unless overridden."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

import livepredict


@dataclass(frozen=True)
class Colors:
    name: str
    window: str
    base: str
    alt: str
    text: str
    muted: str
    card: str
    card_border: str
    accent: str
    accent_soft: str
    bar_bg: str
    bar_other: str
    error: str
    error_bg: str
    ok: str


LIGHT = Colors("light", window="#f3f4f7", base="#ffffff", alt="#f7f8fa", text="#1d2330", muted="#6b7385",
               card="#ffffff", card_border="#dde1e8", accent="#2f6fd0", accent_soft="#dbe7ff",
               bar_bg="#eceff4", bar_other="#9db4dc", error="#c62a3a", error_bg="#fdecee", ok="#1f8a4c")
DARK = Colors("dark", window="#1e2127", base="#262a31", alt="#2b3038", text="#e6e9ef", muted="#9aa3b2",
              card="#2a2f37", card_border="#3a404b", accent="#5b9bff", accent_soft="#23395e",
              bar_bg="#353b46", bar_other="#5a6f93", error="#ff6b78", error_bg="#46262b", ok="#4cc37e")

_current: Colors = LIGHT


def current() -> Colors:
    return _current


def system_is_dark() -> bool:
    app = QGuiApplication.instance()
    if app is None:
        return False
    try:
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:  # Qt < 6.5
        return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def resolve(mode: str) -> Colors:
    if mode == "dark":
        return DARK
    if mode == "light":
        return LIGHT
    return DARK if system_is_dark() else LIGHT


def palette_for(c: Colors) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    p.setColor(role.Window, QColor(c.window))
    p.setColor(role.WindowText, QColor(c.text))
    p.setColor(role.Base, QColor(c.base))
    p.setColor(role.AlternateBase, QColor(c.alt))
    p.setColor(role.Text, QColor(c.text))
    p.setColor(role.Button, QColor(c.base if c.name == "light" else c.alt))
    p.setColor(role.ButtonText, QColor(c.text))
    p.setColor(role.ToolTipBase, QColor(c.base))
    p.setColor(role.ToolTipText, QColor(c.text))
    p.setColor(role.PlaceholderText, QColor(c.muted))
    p.setColor(role.Highlight, QColor(c.accent))
    p.setColor(role.HighlightedText, QColor("#ffffff"))
    p.setColor(role.Link, QColor(c.accent))
    p.setColor(role.Mid, QColor(c.card_border))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(c.muted))
    return p


# The tick of a checked box (white on the accent colour; an unchecked box is an outlined square that
# shows in the dark theme too, which Fusion's own indicator barely does).
_CHECK = (livepredict.data_dir() / "resources" / "icons" / "check.svg").as_posix()


def stylesheet(c: Colors) -> str:
    return f"""
    QToolTip {{ color: {c.text}; background: {c.base}; border: 1px solid {c.card_border}; }}
    QMenuBar {{ background: {c.window}; border-bottom: 1px solid {c.card_border}; }}
    QMenuBar::item:selected {{ background: {c.accent_soft}; border-radius: 4px; }}
    QTabWidget::pane {{ border: none; }}
    QTabBar::tab {{ padding: 7px 18px; margin-right: 2px; border: none; color: {c.muted};
                    border-bottom: 2px solid transparent; }}
    QTabBar::tab:selected {{ color: {c.text}; border-bottom: 2px solid {c.accent}; }}
    QTabBar::tab:hover {{ color: {c.text}; }}
    QFrame#SidePanel, QFrame#Card, QGroupBox {{ background: {c.card}; border: 1px solid {c.card_border};
                                               border-radius: 8px; }}
    QGroupBox {{ margin-top: 14px; padding: 12px 10px 10px 10px; font-weight: 600; }}
    QGroupBox::title {{ subcontrol-origin: margin; left: 12px; padding: 0 4px; color: {c.muted}; }}
    QLabel#Muted {{ color: {c.muted}; }}
    QLabel#Title {{ font-size: 15px; font-weight: 600; }}
    QLabel#Warning {{ color: {c.error}; }}
    QLabel#profileMark {{ color: {c.accent}; font-weight: 600; }}
    QCheckBox::indicator {{ width: 14px; height: 14px; border: 1px solid {c.muted}; border-radius: 3px;
                           background: {c.base}; }}
    QCheckBox::indicator:checked {{ background: {c.accent}; border-color: {c.accent}; image: url("{_CHECK}"); }}
    QCheckBox::indicator:disabled {{ border-color: {c.card_border}; }}
    QFrame#ErrorBanner {{ background: {c.error_bg}; border-bottom: 1px solid {c.error}; }}
    QLabel#ErrorText {{ color: {c.error}; font-weight: 600; }}
    QLabel#Hint {{ color: {c.muted}; font-size: 14px; }}
    QProgressBar {{ border: 1px solid {c.card_border}; border-radius: 4px; background: {c.bar_bg};
                    text-align: center; max-height: 14px; }}
    QProgressBar::chunk {{ background: {c.accent}; border-radius: 3px; }}
    QLabel#TensorImage {{ background: {c.bar_bg}; border-radius: 6px; }}
    QListView#Cards {{ background: {c.window}; border: none; }}
    QStatusBar {{ color: {c.muted}; }}
    """


def apply(app: QApplication, mode: str = "system") -> Colors:
    """Apply ``mode`` (system | light | dark) to ``app``; returns the colours in use."""
    global _current
    c = resolve(mode)
    _current = c
    if app.style().objectName().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(palette_for(c))
    app.setStyleSheet(stylesheet(c))
    return c
