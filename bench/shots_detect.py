#!/usr/bin/env python3
"""Screenshots of the real main window with the bundled detector and segmenter (needs a display).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python bench/shots_detect.py [OUT_DIR]

Writes, at 1280x800: ``classify-detector.png`` and ``classify-segmenter.png`` (the sample scenes
as cards, the first one selected: its tensor preview), ``live-detector.png`` and
``live-segmenter.png`` (the scenes video, a few seconds in). Default OUT_DIR: tests/artifacts/shots.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = {"detector": ROOT / "models" / "detector.keras", "segmenter": ROOT / "models" / "segmenter.keras"}
SCENES = ROOT / "resources" / "samples" / "scenes"
VIDEO = ROOT / "resources" / "samples" / "scenes.avi"


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "artifacts" / "shots"
    out.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="livepredict-shots-")
    os.environ.setdefault("LIVEPREDICT_SETTINGS_DIR", str(Path(tmp) / "settings"))
    os.environ.setdefault("LIVEPREDICT_LOG_DIR", str(Path(tmp) / "logs"))
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from livepredict.app import build_window
    from livepredict.settings import Settings
    from livepredict.threads.engine.controller import InferenceController
    from livepredict.ui import theme

    theme.apply(app, "light")
    controller = InferenceController()
    window = build_window(controller, Settings())
    window.resize(1280, 800)
    window.show()

    def pump(cond, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        return cond()

    pictures = sorted(str(p) for p in SCENES.glob("scene_*.jpg"))
    for name, model in MODELS.items():
        window.panel("Classify").clear()  # (a new model classifies the cards shown again)
        loaded: list = []
        controller.model_loaded.connect(loaded.append)
        controller.open_model(str(model))
        if not pump(lambda loaded=loaded: bool(loaded), 300):
            raise SystemExit(f"{model} did not load")
        controller.model_loaded.disconnect(loaded.append)
        window.show_panel("Classify")
        classify = window.panel("Classify")
        classify.classify(pictures)
        pump(lambda classify=classify: len(classify.model.cards) == len(pictures), 120)
        classify.view.setCurrentIndex(classify.model.index(0))
        pump(lambda classify=classify: classify.tensor.preview is not None, 30)
        pump(lambda: False, 0.3)
        window.grab().save(str(out / f"classify-{name}.png"))
        window.show_panel("Live")
        live = window.panel("Live")
        first = live.pipeline.frames_inferred
        live.start(str(VIDEO))
        pump(lambda live=live, first=first: live.pipeline.frames_inferred >= first + 40, 120)
        live.set_paused(True)
        pump(lambda: False, 0.3)
        live.paint(force=True)
        window.grab().save(str(out / f"live-{name}.png"))
        live.stop()
    print(f"screenshots in {out}")
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
