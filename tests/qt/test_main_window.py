"""The real main window with a real inference thread, real models and real image files."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers.dialogs import ModalDriver
from helpers.dnd import drop
from helpers.models import build_lambda_model, solid
from helpers.threads import ThreadHold
from PIL import Image
from PySide6.QtCore import QMetaObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.ui.main_window import MainWindow
from livepredict.ui.panel import AppContext, PanelSpec
from livepredict.ui.panels import PANELS

ROOT = Path(__file__).resolve().parents[2]
COLORS = {"red": (220, 30, 20), "green": (10, 200, 40), "blue": (30, 20, 230)}


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    (folder / "nested").mkdir(parents=True)
    paths = []
    for i, (name, rgb) in enumerate(COLORS.items()):
        p = (folder / "nested" if i == 1 else folder) / f"{name}.png"
        img = solid(rgb, 48, 64)
        img[::7, :, :] = 255  # some texture, not just a flat colour
        Image.fromarray(img).save(p)
        paths.append(p)
    (folder / "notes.png").write_bytes(b"this is not an image")
    return folder, paths


def load(qtbot, window, path, timeout=60_000):
    with qtbot.waitSignal(window.controller.model_loaded, timeout=timeout) as blocker:
        window.open_model(path)
    return blocker.args[0]


def wait_batch(qtbot, window, timeout=30_000):
    panel = window.classify_panel
    qtbot.waitUntil(lambda: not panel._jobs, timeout=timeout)


def cli_json(model, paths, top=3):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-m", "livepredict", "classify", str(model), *map(str, paths), "--json",
                          "--top", str(top)], capture_output=True, text=True, env=env, timeout=240)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_drop_files_and_folder_cards_match_cli(qtbot, window, model_files, images, tmp_path):
    folder, paths = images
    load(qtbot, window, model_files["keras"])
    drop(window, [paths[0], folder])
    wait_batch(qtbot, window)
    cards = window.classify_panel.model.cards
    assert len(cards) == 5  # red.png dropped itself + the folder's 4 files (one of them broken)
    assert [c.prediction.label for c in cards[:1]] == ["red"]
    broken = [c for c in cards if c.error]
    assert len(broken) == 1 and broken[0].key.endswith("notes.png") and "notes.png" in broken[0].error
    got = window.classify_panel.results_json()
    expected = cli_json(model_files["keras"], [paths[0], folder])
    assert [g["path"] for g in got] == [e["path"] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert [t["label"] for t in g["top"]] == [t["label"] for t in e["top"]]
        np.testing.assert_allclose([t["score"] for t in g["top"]], [t["score"] for t in e["top"]], atol=1e-4)
        assert bool(g["error"]) == bool(e["error"])
    # the exported files carry the same content as the CLI's
    out_json = window.classify_panel.export(tmp_path / "r.json")
    assert [r["path"] for r in json.loads(out_json.read_text())] == [e["path"] for e in expected]
    out_csv = window.classify_panel.export(tmp_path / "r.csv")
    rows = list(csv.reader(out_csv.open()))
    assert rows[0] == ["path", "label_1", "score_1", "label_2", "score_2", "label_3", "score_3", "error"]
    assert rows[1][:2] == [str(paths[0]), "red"] and float(rows[1][2]) > 0.9
    assert rows[-1][-1] == "" or any(r[-1] for r in rows[1:])
    assert "5 images" in window.classify_panel.summary.text() and "1 error" in window.classify_panel.summary.text()


def test_tensor_preview_for_selected_card(qtbot, window, model_files, images):
    _, paths = images
    loaded = load(qtbot, window, model_files["keras"])
    panel = window.classify_panel
    with qtbot.waitSignal(window.controller.tensor_previewed, timeout=20_000):
        panel.classify([paths[2]])  # blue
    qtbot.waitUntil(lambda: panel.tensor.preview is not None, timeout=10_000)
    prev = panel.tensor.preview
    assert prev.image.shape[:2] == loaded.info.preprocess.size
    assert prev.image[..., 2].mean() > prev.image[..., 0].mean()
    assert not panel.tensor.image.pixmap().isNull()
    assert "16x16x3" in panel.tensor.caption.text()


def test_paste_image_from_clipboard(qtbot, window, model_files):
    load(qtbot, window, model_files["keras"])
    img = QImage(40, 30, QImage.Format.Format_RGB888)
    img.fill(Qt.GlobalColor.green)
    QGuiApplication.clipboard().setImage(img)
    window.paste_action.trigger()
    wait_batch(qtbot, window)
    cards = window.classify_panel.model.cards
    assert len(cards) == 1 and cards[0].name.startswith("Pasted image") and cards[0].prediction.label == "green"


def test_drop_model_file_switches_model_and_reclassifies(qtbot, window, model_files, images):
    _, paths = images
    first = load(qtbot, window, model_files["keras"])
    window.classify_panel.classify(paths)
    wait_batch(qtbot, window)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=60_000) as blocker:
        drop(window, [model_files["tflite"]])
    second = blocker.args[0]
    assert second.load_id == first.load_id + 1 and second.info.format == "tflite"
    wait_batch(qtbot, window)
    cards = window.classify_panel.model.cards
    assert len(cards) == 3 and all(c.load_id == second.load_id for c in cards)
    assert [c.prediction.label for c in cards] == ["red", "green", "blue"]
    assert window.windowTitle().startswith("colors.tflite")


def test_old_model_results_never_shown_as_new(qtbot, window, model_files, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(48):
        Image.fromarray(solid(COLORS["red"])).save(folder / f"r{i:02d}.png")
    first = load(qtbot, window, model_files["keras"])
    panel = window.classify_panel
    seen = []
    window.controller.classification_ready.connect(seen.append)
    panel.classify([folder])
    with qtbot.waitSignal(window.controller.model_loaded, timeout=60_000) as blocker:
        window.open_model(model_files["h5"])
    second = blocker.args[0]
    assert second.load_id > first.load_id
    wait_batch(qtbot, window)
    assert all(c.load_id == second.load_id for c in panel.model.cards)
    # whatever the old model produced after the switch was dropped, not shown
    old = [r for r in seen if r.load_id == first.load_id]
    assert not any(c.load_id == first.load_id for c in panel.model.cards) or not old


def test_bad_model_message_and_copy_details(qtbot, window, model_files, tmp_path):
    bad = tmp_path / "truncated.keras"
    bad.write_bytes(Path(model_files["keras"]).read_bytes()[:200])
    with qtbot.waitSignal(window.controller.load_failed, timeout=20_000):
        window.open_model(bad)
    msg = window.status_text.text()
    assert "truncated.keras" in msg and msg.count(". ") <= 1
    assert window.copy_error_action.isEnabled()
    window.copy_error_action.trigger()
    assert QGuiApplication.clipboard().text().startswith(msg)


@pytest.mark.qt_log_ignore("does not support propagateSizeHints")  # offscreen plugin, harmless
@pytest.mark.parametrize("accept", [False, True])
def test_unsafe_model_trust_dialog(qtbot, window, tmp_path, accept):
    path = tmp_path / "lambda.keras"
    build_lambda_model().save(path)

    def answer(box: QMessageBox) -> None:  # "Open as Trusted", or the button that declines
        roles = (QMessageBox.ButtonRole.AcceptRole, QMessageBox.ButtonRole.RejectRole)
        next(b for b in box.buttons()
             if (b.text() == "Open as Trusted") == accept and box.buttonRole(b) in roles).click()

    driver = ModalDriver(QMessageBox, answer, give_up_s=60)  # the dialog opens after the failed load
    loaded = []
    window.controller.model_loaded.connect(loaded.append)
    with qtbot.waitSignal(window.controller.load_failed, timeout=60_000) as blocker:
        window.open_model(path)
    assert blocker.args[0].needs_trust
    qtbot.waitUntil(lambda: bool(driver.texts), timeout=20_000)
    assert driver.error is None and "can do anything" in driver.texts[0]
    if accept:
        qtbot.waitUntil(lambda: bool(loaded), timeout=60_000)
        assert window.controller.trusted and loaded[0].info.path.endswith("lambda.keras")
    else:
        qtbot.waitUntil(lambda: window.trust_dialog is None, timeout=5_000)
        assert not loaded and not window.controller.trusted


def test_model_panel_shows_and_saves_profile(qtbot, window, model_files, tmp_path):
    model = tmp_path / "m" / "colors.keras"
    model.parent.mkdir()
    model.write_bytes(Path(model_files["keras"]).read_bytes())
    Path(str(model) + ".livepredict.json").write_text(json.dumps({"labels": ["red", "green", "blue"]}))
    loaded = load(qtbot, window, model)
    mp = window.panel("Model")
    assert mp.fields["format"].text() == "keras"
    assert mp.fields["params"].text() == str(loaded.info.params)
    assert mp.layers.rowCount() == len(loaded.info.layers) > 0
    assert mp.labels.toPlainText().splitlines() == ["red", "green", "blue"]
    mp.labels.setPlainText("rouge\nvert\nbleu")
    with qtbot.waitSignal(window.controller.profile_applied, timeout=20_000) as blocker:
        mp.save_button.click()
    assert blocker.args[0].info.labels == ("rouge", "vert", "bleu")
    side = json.loads(Path(str(model) + ".livepredict.json").read_text())
    assert side["labels"] == ["rouge", "vert", "bleu"]
    window.classify_panel.classify_image(solid(COLORS["blue"]))
    wait_batch(qtbot, window)
    assert window.classify_panel.model.cards[-1].prediction.label == "bleu"
    mp.mean.setText("1, x")
    mp.combos["scale"].setCurrentText("mean-std")
    mp.apply_button.click()
    assert "not a list of numbers" in mp.profile_error.text()


def test_benchmark_button_draws_bars(qtbot, window, model_files):
    load(qtbot, window, model_files["keras"])
    mp = window.panel("Model")
    with qtbot.waitSignal(window.controller.bench_finished, timeout=120_000) as blocker:
        window.controller.benchmark(seconds=0.3)
    res = blocker.args[0]
    assert res.error is None, res.error
    assert len(mp.chart.items()) >= 2 and all(v > 0 for _, v in mp.chart.items())
    assert "faster" in mp.bench_status.text()


def test_settings_recent_geometry_and_panel_remembered(qtbot, isolated_settings, model_files):
    c1 = InferenceController()
    w1 = MainWindow(c1, Settings())
    qtbot.addWidget(w1)
    w1.show()
    with qtbot.waitSignal(c1.model_loaded, timeout=60_000):
        w1.open_model(model_files["keras"])
    w1.resize(780, 560)
    qtbot.waitUntil(lambda: (w1.width(), w1.height()) == (780, 560), timeout=5_000)
    w1.show_panel("Model")
    w1.set_theme("dark")
    w1.close()
    assert not c1.thread.isRunning()
    c2 = InferenceController()
    w2 = MainWindow(c2, Settings())
    qtbot.addWidget(w2)
    try:
        assert w2.tabs.tabText(w2.tabs.currentIndex()) == "Model"
        assert (w2.width(), w2.height()) == (780, 560)
        assert [a.data() for a in w2.recent_menu.actions() if a.data()] == [str(Path(model_files["keras"]).resolve())]
        assert w2.theme_actions["dark"].isChecked()
        assert (isolated_settings / "livepredict.ini").is_file()
    finally:
        w2.set_theme("light")
        w2.close()


class TinyPanel(QLabel):
    """A real panel as a new tab would be: a widget built from the application context."""

    built: list = []

    def __init__(self, context: AppContext) -> None:
        super().__init__("tiny")
        self.context = context
        self.stopped = False
        TinyPanel.built.append(self)

    def shutdown(self) -> None:
        self.stopped = True


@pytest.mark.parametrize("lazy", [False, True])
def test_a_panel_added_to_the_registry_is_a_tab_with_the_context_bound(qtbot, isolated_settings, lazy):
    from livepredict.app import build_window

    TinyPanel.built.clear()
    c = InferenceController()
    w = build_window(c, Settings(), (*PANELS, PanelSpec("Tiny", TinyPanel, lazy=lazy)))
    qtbot.addWidget(w)
    assert [w.tabs.tabText(i) for i in range(w.tabs.count())] == ["Classify", "Live", "Model", "Generate",
                                                                   "Evaluate", "Tiny"]
    assert len(TinyPanel.built) == (0 if lazy else 1)  # a lazy panel is built when its tab is first shown
    w.show_panel("Tiny")
    assert len(TinyPanel.built) == 1
    tiny = TinyPanel.built[0]
    assert w.panel("Tiny") is tiny and tiny.isVisibleTo(w)
    ctx = tiny.context
    assert ctx is w.context and ctx.controller is c and ctx.settings is w.settings and ctx.feed is w.feed
    ctx.show_message("hello from a panel")
    assert w.status_text.text() == "hello from a panel"
    assert ctx.current_model() is None
    w.close()
    assert tiny.stopped  # the window shuts down every panel it built


def test_a_panel_without_shutdown_is_refused(qtbot, isolated_settings, controller):
    class NotAPanel(QLabel):
        def __init__(self, context: AppContext) -> None:
            super().__init__("no")
            self.context = context

    with pytest.raises(TypeError, match="is not a Panel"):
        PanelSpec("Bad", NotAPanel).build(AppContext(controller, Settings()))


def test_main_window_declares_every_attribute_it_has(qtbot, isolated_settings, model_files):
    """Nothing outside MainWindow sets an attribute on it: after every panel is built, a model loaded
    and the feed started, the instance attributes are exactly the ones the class declares."""
    from livepredict.app import build_window

    c = InferenceController()
    w = build_window(c, Settings())
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(c.model_loaded, timeout=60_000):
        w.open_model(model_files["keras"])
    for name in list(w.panels):
        w.show_panel(name)
    w.feed.start(0)
    qtbot.waitUntil(lambda: w.feed.running, timeout=10_000)
    declared = set(MainWindow.__annotations__)
    assert _instance_attributes(w) == declared
    w.close()
    assert not w.feed.running and _instance_attributes(w) == declared


def _instance_attributes(w) -> set[str]:
    """What was set on the instance (shiboken also caches the class's bound signals there)."""
    return {name for name in vars(w) if not name.startswith("__") and not hasattr(type(w), name)}


def test_close_during_batch_is_fast(qtbot, isolated_settings, model_files, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(150):
        Image.fromarray(solid(COLORS["green"], 120, 160)).save(folder / f"g{i:03d}.png")
    c = InferenceController()
    w = MainWindow(c, Settings())
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(c.model_loaded, timeout=60_000):
        w.open_model(model_files["keras"])
    with qtbot.waitSignal(c.batch_progress, timeout=20_000):
        w.classify_panel.classify([folder])
    t = time.perf_counter()
    w.close()
    assert time.perf_counter() - t < 2.0
    assert not c.thread.isRunning()


def test_about_lists_versions(qtbot, window, model_files):
    load(qtbot, window, model_files["keras"])
    with qtbot.waitSignal(window.controller.versions_reported, timeout=10_000):
        window.controller.request_versions()
    text = window.about_text()
    for name in ("Live Predict", "TensorFlow", "Keras", "Qt", "PySide6", "Runtime"):
        assert name in text
    assert window.loaded.info.runtime in text


def test_pyside_void_calls_do_not_leak_none_references(qtbot):
    """DESIGN §8: PySide6 6.12.0 over-released None on every void call and aborted long-running GUIs."""
    from PySide6.QtWidgets import QLabel

    label = QLabel("x")
    qtbot.addWidget(label)
    for _ in range(100):  # warm up caches
        label.update()
    before_none, before_true = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(10_000):
        label.update()
        label.setText("y")
    assert sys.getrefcount(None) >= before_none - 50
    assert sys.getrefcount(True) >= before_true - 50


def test_shortcuts_and_theme_override(qtbot, window):
    keys = {a.text().replace("&", ""): a.shortcut().toString() for a in window.findChildren(QAction)}
    assert keys["Open Model…"] == "Ctrl+O"
    assert keys["Open Images…"] == "Ctrl+Shift+O"
    assert keys["Export Results…"] == "Ctrl+E"
    assert keys["Full Screen"] == "F11"
    window.set_theme("dark")
    dark = QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness()
    window.set_theme("light")
    light = QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness()
    assert dark < 80 < 200 < light
    window.set_theme("system")  # follows the platform (offscreen: light)
    assert window.settings.theme() == "system"


def test_cancel_button_stops_a_folder_batch(qtbot, window, model_files, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        Image.fromarray(solid(COLORS["blue"], 90, 120)).save(folder / f"b{i:03d}.png")
    load(qtbot, window, model_files["keras"])
    panel = window.classify_panel
    # Hold the inference thread so the click lands while the batch is surely pending (deterministic).
    hold = ThreadHold()
    hold.moveToThread(window.controller.thread)
    QMetaObject.invokeMethod(hold, "hold", Qt.ConnectionType.QueuedConnection)
    qtbot.waitUntil(hold.holding.is_set, timeout=10_000)
    drop(window, [folder])
    assert panel.progress_row.isVisible() and panel.cancel_button.isVisible()
    with qtbot.waitSignal(window.controller.batch_finished, timeout=20_000) as blocker:
        panel.cancel_button.click()
        hold.release.set()
    assert blocker.args[0].cancelled and blocker.args[0].done == 0
    assert not panel.progress_row.isVisible() and not panel.model.cards
    assert window.status_text.text().startswith("Cancelled")
    hold.deleteLater()


def test_app_window_has_lazy_live_and_generate_tabs(qtbot, isolated_settings):
    from livepredict.app import build_window

    c = InferenceController()
    w = build_window(c, Settings())
    qtbot.addWidget(w)
    names = [w.tabs.tabText(i) for i in range(w.tabs.count())]
    assert names == ["Classify", "Live", "Model", "Generate", "Evaluate"] == [spec.title for spec in PANELS]
    assert w.built_panel("Evaluate") is None  # lazy: built when first shown
    assert w.built_panel("Generate") is None and w.built_panel("Live") is None  # not built before shown
    w.show_panel("Generate")
    assert w.built_panel("Generate") is not None and w.panel("Generate") is w.built_panel("Generate")
    w.show_panel("Live")
    assert w.built_panel("Live") is not None
    w.close()


def test_missing_dropped_path_becomes_an_error_card(qtbot, window, model_files, images, tmp_path):
    _, paths = images
    load(qtbot, window, model_files["keras"])
    gone = tmp_path / "deleted.png"
    window.classify_panel.classify([paths[0], gone, paths[2]])
    wait_batch(qtbot, window)
    cards = window.classify_panel.model.cards
    assert [c.key for c in cards] == [str(paths[0]), str(gone), str(paths[2])]
    assert cards[1].error and "deleted.png" in cards[1].error
    assert [c.prediction.label for c in (cards[0], cards[2])] == ["red", "blue"]
