"""`livepredict MODEL IMAGES` as a new user runs it: the images are classified in front of them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from helpers.app_process import app_env
from PySide6.QtCore import QSettings

import livepredict

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples" / "images"


def test_model_and_images_open_the_classify_tab_not_the_last_one_used(tmp_path):
    ini = str(tmp_path / "settings" / f"{livepredict.APP_ID}.ini")
    before = QSettings(ini, QSettings.Format.IniFormat)
    before.setValue("window/panel", "Generate")  # where the previous session ended
    before.sync()
    env = app_env(tmp_path, {"LIVEPREDICT_QUIT_WHEN_DONE": "1", "LIVEPREDICT_T0": repr(time.time())})
    out = subprocess.run([sys.executable, "-m", "livepredict", str(ROOT / "models" / "shapes.keras"),
                          str(SAMPLES / "circle_01.png"), str(SAMPLES / "star_02.png")],
                         capture_output=True, text=True, env=env, timeout=240, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    after = QSettings(ini, QSettings.Format.IniFormat)
    assert after.value("window/panel") == "Classify"  # the tab shown when the window closed


def test_a_generator_given_alone_opens_the_generate_tab(qtbot, window):
    from livepredict.ui.first_tab import follow_first_model

    follow_first_model(window, window.controller)  # what `livepredict MODEL` sets up
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Classify"
    with qtbot.waitSignal(window.controller.model_loaded, timeout=120_000):
        window.open_model(ROOT / "models" / "chars.keras")
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Generate"
    with qtbot.waitSignal(window.controller.model_loaded, timeout=120_000):
        window.open_model(ROOT / "models" / "shapes.keras")  # only the first model picks the tab
        window.show_panel("Model")
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Model"
