"""A tour of every tab in a real window, as a new user would take it, with a screenshot of each tab at
each window size in each theme. Run by ``test_tour_xvfb.py`` in a subprocess on a private X server:

    python tests/e2e/tour.py OUT_DIR WxH [WxH ...]

<<<<<<< HEAD
Stage 1: the demo model, the sample images classified (and evaluated, sorted into class folders), the
sample video playing in the Live tab:
=======
Stage 0: the empty Classify tab, before any model. Stage 1: the demo model, the sample images classified, the sample video playing in the Live tab:
>>>>>>> main
every tab except Generate is shot (tabs added later are shot too). Stage 2: the bundled text model
generating: the Generate tab. Stage 3: the bundled forecaster rolling forward: the Generate tab.
Files: ``OUT_DIR/<tab>-<W>x<H>-<theme>.png``; ``OUT_DIR/tour.json`` lists them.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples" / "images"
VIDEO = ROOT / "resources" / "samples" / "shapes.avi"
THEMES = ("light", "dark")


def wait_until(what: str, cond, timeout: float = 120.0) -> None:
    """Run the event loop until ``cond()`` holds (checked every 20 ms); fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit(f"tour: timed out waiting for {what}")
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def settle(window, ticks: int = 6) -> None:
    """Let layouts, style and a few display ticks happen (a condition on a counter, not a sleep)."""
    n = [0]
    timer = QTimer()
    timer.timeout.connect(lambda: n.__setitem__(0, n[0] + 1))
    timer.start(16)
    wait_until("display ticks", lambda: n[0] >= ticks)
    timer.stop()


def shoot(window, tab: str, name: str, sizes, out: Path, shots: list) -> None:
    for theme in THEMES:
        window.set_theme(theme)
        for w, h in sizes:
            window.resize(w, h)
            window.show_panel(tab)
            settle(window)
            path = out / f"{name}-{w}x{h}-{theme}.png"
            window.grab().save(str(path))
            shots.append({"tab": tab, "name": name, "size": [w, h], "theme": theme, "path": str(path)})


def labelled_samples(folder: Path) -> Path:
    """The sample pictures (``<shape>_….png``) in one sub-folder per shape."""
    import shutil

    for f in sorted(SAMPLES.iterdir()):
        (folder / f.name.split("_")[0]).mkdir(parents=True, exist_ok=True)
        shutil.copy(f, folder / f.name.split("_")[0] / f.name)
    return folder


def main() -> int:
    out = Path(sys.argv[1])
    sizes = [tuple(int(v) for v in s.split("x")) for s in sys.argv[2:]]
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    from livepredict.app import build_window
    from livepredict.settings import Settings
    from livepredict.threads.engine.controller import InferenceController
    from livepredict.ui import theme

    settings = Settings()
    theme.apply(app, "light")
    controller = InferenceController()
    window = build_window(controller, settings)
    window.show()
    shots: list = []

    shoot(window, "Classify", "classify-empty", sizes, out, shots)  # what a new user sees first
    window.open_model(ROOT / "models" / "shapes.keras")
    wait_until("the demo model", lambda: window.loaded is not None)
    panel = window.classify_panel
    images = sorted(SAMPLES.iterdir())[::4][:10]
    panel.classify([str(p) for p in images])
    wait_until("the sample images", lambda: not panel._jobs and len(panel.model.cards) == len(images))
    evaluate = window.panel("Evaluate")  # the sample pictures sorted into class folders, evaluated
    evaluate.start(str(labelled_samples(Path(tempfile.mkdtemp(prefix="tour-labelled-")))))
    wait_until("the evaluation", lambda: evaluate.finished is not None)
    live = window.panel("Live")
    window.start_live(str(VIDEO))
    wait_until("live predictions", lambda: live.pipeline.frames_inferred >= 40 and live.plot.shown)
    for i in range(window.tabs.count()):
        tab = window.tabs.tabText(i)
        if tab != "Generate":
            shoot(window, tab, tab.lower(), sizes, out, shots)
    live.stop()

    gen = window.panel("Generate")
    window.open_model(ROOT / "models" / "chars.keras")
    wait_until("the text generator", lambda: gen.ready is not None and gen.kind == "text")
    window.show_panel("Generate")
    gen.text.start_text()
    wait_until("generated text", lambda: gen.text.chars_shown >= 200 or not gen.text.running)
    gen.text.stop()
    wait_until("the text run to end", lambda: not gen.text.running)
    shoot(window, "Generate", "generate-text", sizes, out, shots)

    window.open_model(ROOT / "models" / "forecaster.keras")
    wait_until("the forecaster", lambda: gen.ready is not None and gen.kind == "forecast")
    window.show_panel("Generate")
    gen.forecast.toggle_play()
    start = gen.forecast.index
    wait_until("forecast steps", lambda: gen.forecast.index >= start + 30)
    gen.forecast.stop()
    shoot(window, "Generate", "generate-forecast", sizes, out, shots)

    (out / "tour.json").write_text(json.dumps(shots, indent=1))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
