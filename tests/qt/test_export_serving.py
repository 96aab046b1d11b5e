"""File › Export for Serving… in the real window: the dialog, the export on the inference thread, the
folder written, and a second export of the same version refused in one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.dialogs import driving
from PySide6.QtWidgets import QDialogButtonBox

from livepredict.threads.engine.guard import THREAD_GUARD
from livepredict.ui.export_serving import ExportServingDialog

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "artifacts" / "screenshots"


def _export_through_the_menu(qtbot, window, folder: Path, name: str):
    def answer(dlg: ExportServingDialog) -> None:
        assert dlg.name.text() == "colors"  # proposed from the model's file name
        dlg.folder.setText(str(folder))
        dlg.name.setText(name)
        dlg.version.setValue(2)
        SHOTS.mkdir(parents=True, exist_ok=True)
        dlg.grab().save(str(SHOTS / "export_serving_dialog.png"))
        dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    with qtbot.waitSignal(window.controller.export_finished, timeout=120_000) as blocker, \
            driving(answer, kind=ExportServingDialog):
        window.export_serving_action.trigger()
    return blocker.args[0]


@pytest.mark.qt_log_ignore("does not support propagateSizeHints")  # offscreen plugin, harmless
def test_export_for_serving_from_the_file_menu(qtbot, window, model_files, tmp_path):
    assert window.export_serving_action in window.menuBar().actions()[0].menu().actions()
    with qtbot.waitSignal(window.controller.model_loaded, timeout=60_000):
        window.open_model(model_files["keras"])
    done = _export_through_the_menu(qtbot, window, tmp_path, "colours")
    assert done.error == "" and Path(done.path) == tmp_path / "colours" / "2"
    assert (tmp_path / "colours" / "2" / "saved_model.pb").is_file()
    assert window.status_text.text() == done.summary and "Exported colours version 2" in done.summary
    calls = [c for c in THREAD_GUARD.report()["calls"] if c["what"] == "export_for_serving"]
    assert calls and not any(c["main"] for c in calls)  # never on the GUI thread

    again = _export_through_the_menu(qtbot, window, tmp_path, "colours")
    assert again.path == "" and "already exists" in again.error and "\n" not in again.error
    assert window.last_error is not None and window.last_error[0] == again.error
