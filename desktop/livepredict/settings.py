"""Persistent user settings (QSettings under the app's organisation/name) and standard paths.

``LIVEPREDICT_SETTINGS_DIR`` puts the settings in an INI file in that folder (tests use a temporary
folder, never the user's real configuration).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from livepredict import APP_ID

ORG = "LivePredict"
MAX_RECENT = 8
THEMES = ("system", "light", "dark")


def open_settings() -> QSettings:
    folder = os.environ.get("LIVEPREDICT_SETTINGS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return QSettings(str(Path(folder) / f"{APP_ID}.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG, APP_ID)


class Settings:
    """Typed access to the few things the app remembers."""

    def __init__(self, qs: QSettings | None = None) -> None:
        self.qs = qs or open_settings()

    # -- recent models
    def recent_models(self) -> list[str]:
        """The recent models, newest first, each file once (however it was written when it was added)."""
        v = self.qs.value("recent/models", [])
        if isinstance(v, str):
            v = [v] if v else []
        out: list[str] = []
        for x in v or []:
            if x and _same_file_key(str(x)) not in {_same_file_key(p) for p in out}:
                out.append(str(x))
        return out

    def add_recent_model(self, path: str) -> list[str]:
        path = str(Path(path).resolve())
        if Path(path).name == "saved_model.pb":  # a SavedModel is its folder
            path = str(Path(path).parent)
        items = [path] + [p for p in self.recent_models() if _same_file_key(p) != _same_file_key(path)]
        items = items[:MAX_RECENT]
        self.qs.setValue("recent/models", items)
        return items

    def clear_recent_models(self) -> None:
        self.qs.setValue("recent/models", [])

    # -- window
    def geometry(self) -> QByteArray | None:
        v = self.qs.value("window/geometry")
        return v if isinstance(v, QByteArray) and not v.isEmpty() else None

    def set_geometry(self, data: QByteArray) -> None:
        self.qs.setValue("window/geometry", data)

    def last_panel(self) -> str:
        return str(self.qs.value("window/panel", "Classify") or "Classify")

    def set_last_panel(self, name: str) -> None:
        self.qs.setValue("window/panel", name)

    # -- look
    def theme(self) -> str:
        v = str(self.qs.value("look/theme", "system") or "system")
        return v if v in THEMES else "system"

    def set_theme(self, name: str) -> None:
        self.qs.setValue("look/theme", name if name in THEMES else "system")

    def top_k(self) -> int:
        try:
            return max(1, min(10, int(self.qs.value("classify/top_k", 3))))
        except (TypeError, ValueError):
            return 3

    def set_top_k(self, k: int) -> None:
        self.qs.setValue("classify/top_k", int(k))

    def last_dir(self, kind: str) -> str:
        return str(self.qs.value(f"dirs/{kind}", "") or "")

    def set_last_dir(self, kind: str, folder: str) -> None:
        self.qs.setValue(f"dirs/{kind}", folder)

    def sync(self) -> None:
        self.qs.sync()


def _same_file_key(path: str) -> str:
    """One key per model on disk: the resolved path (a SavedModel by its folder, no trailing separator)."""
    p = Path(path).expanduser().resolve()
    return str(p.parent if p.name == "saved_model.pb" else p)
