"""The app's real file dialogs, answered like a user would: File > Open Model, Open Images, Export
Results, and the Live tab's "Open a video", "Folder of images" and "Record predictions to".

The app runs them modally (``QFileDialog.get*`` or ``exec()``): a real Qt dialog (on the offscreen
platform the widget dialog, not a native one) in a nested event loop. A ``ModalDriver`` polls for that
dialog from a timer, records what the user would see (title, folder, filters, proposed name), types a
file name into it and clicks Open/Save — or Cancel. Nothing is monkeypatched.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers.dialogs import cancel, choose, driving
from helpers.models import solid
from helpers.video import color_of, write_color_video
from PIL import Image
from PySide6.QtWidgets import QFileDialog, QMessageBox

from livepredict.ui.live.recording import RECORD_COLUMNS
from livepredict.ui.live.sources import VIDEO_FILTER
from livepredict.ui.main_window import IMAGE_FILTER, MODEL_FILTER

# The offscreen platform plugin warns about this whenever a dialog (or a pyqtgraph view) is shown.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

COLORS = {"red": (220, 30, 20), "green": (10, 200, 40), "blue": (30, 20, 230)}


def load(qtbot, window, path) -> object:
    with qtbot.waitSignal(window.controller.model_loaded, timeout=60_000) as blocker:
        window.open_model(path)
    return blocker.args[0]


def wait_batch(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.classify_panel._jobs, timeout=30_000)


@pytest.fixture
def images(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "pictures"
    folder.mkdir()
    out = {}
    for name, rgb in COLORS.items():
        Image.fromarray(solid(rgb, 48, 64)).save(folder / f"{name}.png")
        out[name] = folder / f"{name}.png"
    return out


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return write_color_video(tmp_path_factory.mktemp("dialog_video") / "colors.avi", frames=60, fps=30.0)


# ---------------------------------------------------------------- File > Open Model
def test_open_model_dialog_loads_the_chosen_model_and_remembers_its_folder(qtbot, window, model_files):
    keras_path = Path(model_files["keras"])
    with driving(choose(keras_path)) as d, qtbot.waitSignal(window.controller.model_loaded, timeout=60_000) as b:
        window.open_model_action.trigger()
    seen = d.seen[0]
    assert seen.title == "Open Model" and seen.name_filters == MODEL_FILTER.split(";;")
    assert seen.accept_mode == QFileDialog.AcceptMode.AcceptOpen
    loaded = b.args[0]
    assert Path(loaded.info.path) == keras_path and loaded.info.format == "keras"
    assert window.loaded is loaded and window.windowTitle().startswith("colors.keras")
    assert window.settings.last_dir("models") == str(keras_path.parent)

    # The next dialog opens in that folder. A SavedModel is picked by its saved_model.pb: the folder loads.
    pb = Path(model_files["savedmodel"]) / "saved_model.pb"
    with driving(choose(pb)) as d, qtbot.waitSignal(window.controller.model_loaded, timeout=60_000) as b:
        window.open_model_action.trigger()
    assert d.seen[0].directory == keras_path.parent
    assert b.args[0].info.format == "savedmodel" and Path(b.args[0].info.path) == pb.parent
    assert b.args[0].load_id == loaded.load_id + 1
    assert window.settings.last_dir("models") == str(pb.parent)
    assert [a.data() for a in window.recent_menu.actions() if a.data()][:2] == [
        str(pb.parent.resolve()), str(keras_path.resolve())]


def test_open_model_dialog_cancel_changes_nothing(qtbot, window, model_files):
    loaded = load(qtbot, window, model_files["tflite"])
    window.settings.set_last_dir("models", str(Path(model_files["keras"]).parent))
    title, label = window.windowTitle(), window.model_label.text()
    with driving(cancel) as d:
        window.open_model_action.trigger()
    assert d.seen and d.seen[0].directory == Path(model_files["keras"]).parent
    assert window.controller.load_id == loaded.load_id  # no load was even asked for
    assert window.loaded is loaded and (window.windowTitle(), window.model_label.text()) == (title, label)
    assert window.busy.isHidden()
    assert window.settings.last_dir("models") == str(Path(model_files["keras"]).parent)


# ---------------------------------------------------------------- File > Open Images
def test_open_images_dialog_classifies_the_chosen_files(qtbot, window, model_files, images):
    load(qtbot, window, model_files["keras"])
    window.show_panel("Model")
    folder = images["red"].parent
    with driving(choose("red.png", "blue.png", folder=folder)) as d:
        window.open_images_action.trigger()
    seen = d.seen[0]
    assert seen.title == "Open Images" and seen.name_filters == IMAGE_FILTER.split(";;")
    assert seen.file_mode == QFileDialog.FileMode.ExistingFiles
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Classify"
    wait_batch(qtbot, window)
    cards = window.classify_panel.model.cards
    assert [(c.key, c.prediction.label) for c in cards] == [(str(images["red"]), "red"),
                                                           (str(images["blue"]), "blue")]
    assert window.settings.last_dir("images") == str(folder)

    # Next time the dialog starts in that folder; Cancel adds no card and remembers nothing new.
    with driving(cancel) as d:
        window.classify_panel.open_button.click()  # the panel's own "Open images" button
    assert d.seen[0].directory == folder and d.seen[0].title == "Open Images"
    assert len(window.classify_panel.model.cards) == 2 and not window.classify_panel._jobs
    assert window.settings.last_dir("images") == str(folder)


# ---------------------------------------------------------------- File > Export Results
def _card_rows(window, k: int) -> list[list[str]]:
    rows = []
    for c in window.classify_panel.model.cards:
        row = [c.key]
        for lbl, score in c.top[:k]:
            row += [lbl, f"{score:.6f}"]
        rows.append(row + [""])
    return rows


def test_export_results_csv_and_json_match_the_cards(qtbot, window, model_files, images, tmp_path):
    load(qtbot, window, model_files["keras"])
    window.classify_panel.classify([images["red"], images["green"], images["blue"]])
    wait_batch(qtbot, window)
    window.classify_panel.top_spin.setValue(2)
    cards = window.classify_panel.model.cards
    assert [c.prediction.label for c in cards] == ["red", "green", "blue"] and len(cards[0].top) == 3

    # CSV: the user goes to a folder and keeps the proposed name.
    out = tmp_path / "exports"
    out.mkdir()
    with driving(choose(folder=out)) as d:
        window.export_action.trigger()
    seen = d.seen[0]
    assert seen.title == "Export Results" and seen.name_filters == ["CSV (*.csv)", "JSON (*.json)"]
    assert seen.accept_mode == QFileDialog.AcceptMode.AcceptSave
    if Path.home().is_dir():  # nothing remembered yet: the home folder
        assert seen.selected == [str(Path.home() / "predictions.csv")]
    rows = list(csv.reader((out / "predictions.csv").open(encoding="utf-8")))
    assert rows[0] == ["path", "label_1", "score_1", "label_2", "score_2", "error"]  # top-k = 2 columns
    assert rows[1:] == _card_rows(window, 2)
    assert [r[1] for r in rows[1:]] == ["red", "green", "blue"] and all(float(r[2]) > 0.9 for r in rows[1:])
    assert window.settings.last_dir("export") == str(out)
    assert window.status_text.text() == f"Exported 3 results to {out / 'predictions.csv'}."

    # JSON: the dialog starts where the last export went; the user picks the JSON type and a name.
    with driving(choose("results.json", name_filter="JSON (*.json)")) as d:
        window.export_action.trigger()
    assert d.seen[0].selected == [str(out / "predictions.csv")]
    got = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert got == [{"path": c.key, "top": [{"label": lbl, "score": round(float(s), 6)} for lbl, s in c.top[:2]],
                    "error": None} for c in cards]
    assert window.status_text.text() == f"Exported 3 results to {out / 'results.json'}."


def test_export_name_without_extension_gets_the_picked_type(qtbot, window, model_files, images, tmp_path):
    """The user picks "JSON (*.json)" and types a bare name: JSON goes to ``name.json`` (was: CSV text
    in an extension-less file, the picked type ignored)."""
    load(qtbot, window, model_files["keras"])
    window.classify_panel.classify([images["blue"]])
    wait_batch(qtbot, window)
    window.settings.set_last_dir("export", str(tmp_path))
    with driving(choose("results", name_filter="JSON (*.json)")):
        window.export_action.trigger()
    got = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert [(r["path"], r["top"][0]["label"]) for r in got] == [(str(images["blue"]), "blue")]
    with driving(choose("table")):  # the proposed type: CSV
        window.export_action.trigger()
    assert (tmp_path / "table.csv").read_text(encoding="utf-8").startswith("path,label_1,score_1,")
    assert not (tmp_path / "results").exists() and not (tmp_path / "table").exists()


def test_export_cancel_and_declined_overwrite_write_nothing(qtbot, window, model_files, images, tmp_path):
    load(qtbot, window, model_files["keras"])
    window.classify_panel.classify([images["green"]])
    wait_batch(qtbot, window)
    out = tmp_path / "exports"
    out.mkdir()
    old = out / "predictions.csv"
    old.write_text("keep me\n", encoding="utf-8")
    window.settings.set_last_dir("export", str(out))
    status = window.status_text.text()

    with driving(cancel) as d:
        window.classify_panel.export_button.click()  # the panel's own Export button
    assert d.seen[0].directory == out
    assert sorted(p.name for p in out.iterdir()) == ["predictions.csv"] and old.read_text() == "keep me\n"

    # Save onto the existing file, answer "No" to Qt's "replace it?" question, then Cancel.
    def decline_then_cancel(dlg: QFileDialog) -> None:
        with driving(lambda box: box.button(QMessageBox.StandardButton.No).click(), QMessageBox) as q:
            choose(old)(dlg)
        assert len(q.texts) == 1 and "already exists" in q.texts[0]
        assert dlg.isVisible()  # still open after "No"
        cancel(dlg)

    with driving(decline_then_cancel):
        window.export_action.trigger()
    assert old.read_text() == "keep me\n" and sorted(p.name for p in out.iterdir()) == ["predictions.csv"]
    assert window.status_text.text() == status
    assert window.settings.last_dir("export") == str(out)


def test_export_without_results_opens_no_dialog(qtbot, window):
    with driving(cancel) as d:
        window.export_action.trigger()
    assert not d.seen
    assert window.status_text.text().startswith("There are no results to export yet")


# ---------------------------------------------------------------- Live tab
def _live(window):
    window.show_panel("Live")
    panel = window.panel("Live")
    assert panel is not None
    return panel


def _browse(panel, text: str):
    return next(a for a in panel.browse_button.menu().actions() if a.text() == text)


def test_live_open_video_dialog_plays_the_chosen_video(qtbot, window, video):
    panel = _live(window)
    before = panel.source_box.currentText()
    with driving(cancel) as d:
        _browse(panel, "Video file…").trigger()
    assert d.seen[0].title == "Open a video" and d.seen[0].name_filters == VIDEO_FILTER.split(";;")
    assert not panel.live and not panel.display.isActive() and panel.source_box.currentText() == before
    assert panel.pipeline.capture is None

    with driving(choose(video)):
        _browse(panel, "Video file…").trigger()
    assert panel.live and panel.source_box.currentText() == str(video)
    qtbot.waitUntil(lambda: panel.pipeline.frames_read >= 3, timeout=20_000)
    qtbot.waitUntil(lambda: panel.view.image.image is not None, timeout=5_000)
    assert panel.view.image.image.shape[:2] == (48, 64)  # frames of that video are on screen
    assert window.settings.last_dir("videos") == str(video.parent)
    with driving(cancel) as d:  # the next time, the dialog opens where the video was
        _browse(panel, "Video file…").trigger()
    assert d.seen[0].directory == video.parent


def test_live_folder_dialog_starts_a_slideshow(qtbot, window, images):
    panel = _live(window)
    folder = images["red"].parent
    with driving(cancel) as d:
        _browse(panel, "Folder of images…").trigger()
    assert d.seen[0].title == "Open a folder of images"
    assert d.seen[0].file_mode == QFileDialog.FileMode.Directory and not panel.live

    with driving(choose(folder)):
        _browse(panel, "Folder of images…").trigger()
    assert panel.live and panel.source_box.currentText() == str(folder)
    qtbot.waitUntil(lambda: panel.pipeline.frames_read >= 1, timeout=20_000)
    assert window.settings.last_dir("slideshows") == str(folder.parent)


def test_live_record_dialog_records_predictions_to_the_chosen_file(qtbot, window, model_files, video, tmp_path):
    load(qtbot, window, model_files["tflite"])
    panel = _live(window)
    assert panel.start(str(video))
    qtbot.waitUntil(lambda: panel.pipeline.frames_inferred >= 2, timeout=20_000)

    with driving(cancel) as d:
        panel.record_button.click()
    seen = d.seen[0]
    assert seen.title == "Record predictions to" and seen.name_filters == ["CSV (*.csv)"]
    assert Path(seen.selected[0]).name.startswith("predictions-") and seen.selected[0].endswith(".csv")
    assert not panel.record_button.isChecked() and panel.record_path is None and panel.recorded == 0

    target = tmp_path / "recordings" / "run.csv"
    target.parent.mkdir()
    with driving(choose(target)):
        panel.record_button.click()
    assert panel.record_button.isChecked() and panel.record_path == target
    assert panel.record_label.text() == "Recording to run.csv"
    qtbot.waitUntil(lambda: panel.recorded >= 5, timeout=20_000)
    panel.record_button.click()  # stop
    assert not panel.record_button.isChecked()
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert tuple(rows[0]) == RECORD_COLUMNS and len(rows) - 1 == panel.recorded >= 5
    assert all(r[6] == color_of(int(r[0])) for r in rows[1:])
    assert window.status_text.text() == f"Saved {panel.recorded} predictions to {target}."

    bare = tmp_path / "recordings" / "second"  # typed without an extension: a .csv file is made
    with driving(choose(bare)):
        panel.record_button.click()
    assert panel.record_path == bare.with_suffix(".csv")
    qtbot.waitUntil(lambda: panel.recorded >= 1, timeout=20_000)
    panel.record_button.click()
    assert bare.with_suffix(".csv").read_text(encoding="utf-8").startswith(",".join(RECORD_COLUMNS))
