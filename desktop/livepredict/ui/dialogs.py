"""The main window's message boxes and texts: open a model as trusted, About, error details."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

import livepredict
from livepredict.threads.engine.payloads import LoadFailed


def trust_box(parent: QWidget, failed: LoadFailed) -> tuple[QMessageBox, QAbstractButton]:
    """The "Open as trusted?" question and its consent button (the default button is Cancel)."""
    box = QMessageBox(parent)
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
    return box, trust


def about_text(versions: dict[str, str], loaded: Any) -> str:
    """The About box: what the app does and the versions of everything it runs on."""
    import PySide6
    from PySide6.QtCore import qVersion

    v = dict(versions)
    v.setdefault("Live Predict", livepredict.__version__)
    v["Qt"] = qVersion()
    v["PySide6"] = PySide6.__version__
    if loaded is not None:
        v["Runtime"] = loaded.info.runtime
    rows = "".join(f"<tr><td>{k}</td><td>&nbsp;&nbsp;{val}</td></tr>" for k, val in v.items())
    return (f"<h3>Live Predict {livepredict.__version__}</h3><p>Open a Keras/TensorFlow model, drop images, "
            f"point a camera: watch predictions stream in live.</p><table>{rows}</table>")


def error_report(message: str, details: str, versions: dict[str, str]) -> str:
    """Help › Copy Error Details: the sentence, the details and the versions, for a bug report."""
    text = message + ("\n\n" + details if details else "")
    text += f"\n\nLive Predict {livepredict.__version__}"
    if versions:
        text += "\n" + "\n".join(f"{k}: {v}" for k, v in versions.items())
    return text
