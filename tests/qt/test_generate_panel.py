"""The Generate panel with real tiny models on the real inference thread (offscreen)."""

from __future__ import annotations

import json
import string
from pathlib import Path

import numpy as np
import pytest

from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.ui.generate.forecast_view import read_series
from livepredict.ui.generate.panel import GeneratePanel
from livepredict.ui.generate.text_view import MAX_BLOCKS, token_label
from livepredict.ui.panel import AppContext

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

VOCAB = list(string.ascii_lowercase + " .\n")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _shot(widget, name: str) -> np.ndarray:
    """Save a screenshot of ``widget`` under tests/artifacts and return it as an RGB array."""
    from PySide6.QtGui import QImage

    path = ARTIFACTS / name
    assert widget.grab().save(str(path))
    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def _near(arr: np.ndarray, hex_color: str, tol: int = 40) -> int:
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
    return int(np.sum(np.all(np.abs(arr.astype(int) - rgb) <= tol, axis=-1)))
WAIT = 180_000  # loading + building a generator on a busy 2-core machine


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import keras

    keras.utils.set_random_seed(2)
    d = tmp_path_factory.mktemp("genpanel")
    v = len(VOCAB)
    m = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(v, 8),
                          keras.layers.LSTM(16, return_sequences=True), keras.layers.Dense(v, activation="softmax")])
    m.save(d / "text.keras")
    (d / "text.keras.livepredict.json").write_text(json.dumps({"task": "text-generator", "vocab": VOCAB}),
                                                   encoding="utf-8")
    m.save(d / "novocab.keras")
    (d / "novocab.keras.livepredict.json").write_text(json.dumps({"task": "text-generator"}), encoding="utf-8")
    f = keras.Sequential([keras.Input((6, 1)), keras.layers.GRU(5), keras.layers.Dense(1)])
    f.save(d / "fc.keras")
    (d / "fc.keras.livepredict.json").write_text(json.dumps({"mean": 50.0, "std": 20.0}), encoding="utf-8")
    c = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                          keras.layers.Dense(3, activation="softmax")])
    c.save(d / "cnn.keras")
    rows = "\n".join(f"{1900 + i},{50 + 40 * np.sin(i / 2.0):.3f}" for i in range(60))
    (d / "series.csv").write_text("year,value\n" + rows + "\n", encoding="utf-8")
    return d


@pytest.fixture
def panel(qtbot, isolated_settings):
    controller = InferenceController()
    p = GeneratePanel(AppContext(controller, Settings()))
    qtbot.addWidget(p)
    p.resize(1100, 700)
    p.show()
    yield p
    p.shutdown()
    assert controller.shutdown(10_000)


def _open(qtbot, panel, path, signal="generator_ready"):
    with qtbot.waitSignal(getattr(panel.controller, signal), timeout=WAIT):
        panel.controller.open_model(path)


def test_text_streams_in_chunks_stops_and_is_reproducible(qtbot, panel, files):
    statuses: list[str] = []
    panel.controller.status_changed.connect(statuses.append)
    _open(qtbot, panel, files / "text.keras")
    # the build reports its steps (the status bar shows them while the generator is made)
    assert {"Building the step model…", "Converting the step to LiteRT…"} <= set(statuses)
    assert panel.kind == "text" and panel.stack.currentIndex() == 1
    assert "litert" in panel.model_label.text()
    assert panel.text.speed.currentData() == 60.0  # a new user first sees it stream at a readable pace
    # until stopped, as fast as possible
    panel.text.speed.setCurrentIndex(panel.text.speed.findData(0.0))
    panel.text.length.setValue(0)
    panel.text.seed.setValue(3)
    panel.text.start_text()
    qtbot.waitUntil(lambda: panel.text.chars_shown > 3000, timeout=30_000)
    assert panel.text.running
    with qtbot.waitSignal(panel.controller.text_chunk, timeout=10_000,
                          check_params_cb=lambda c: c.finished) as blocker:
        panel.stop()
    last = blocker.args[0]
    assert last.reason == "stopped"
    qtbot.waitUntil(lambda: not panel.text.paint_timer.isActive(), timeout=5_000)
    assert not panel.text.running and panel.text.start_button.isEnabled()
    # chunks per display tick, not one signal per token
    assert panel.text.chunks * 20 < last.total
    assert panel.text.chars_shown == len("The ") + last.total
    # the live next-token distribution: 10 bars, best first
    items = panel.text.dist_chart.items()
    assert len(items) == 10 and items[0][1] >= items[-1][1] and sum(v for _, v in items) <= 100.5
    # same seed after a reset → same text
    texts = []
    for _ in range(2):
        panel.text.reset_text()
        panel.text.length.setValue(300)
        with qtbot.waitSignal(panel.controller.text_chunk, timeout=30_000, check_params_cb=lambda c: c.finished):
            panel.text.start_text()
        qtbot.waitUntil(lambda: not panel.text.paint_timer.isActive(), timeout=5_000)
        texts.append(panel.text.text_view.toPlainText())
    assert texts[0] == texts[1] and len(texts[0]) == len("The ") + 300
    # Continue carries on after the text; Start begins afresh from the seed text (same seed: same text)
    assert panel.text.continue_button.isEnabled()
    for button, expected in ((panel.text.continue_button, len(texts[0]) + 300), (panel.text.start_button, None)):
        with qtbot.waitSignal(panel.controller.text_chunk, timeout=30_000, check_params_cb=lambda c: c.finished):
            button.click()
        qtbot.waitUntil(lambda: not panel.text.paint_timer.isActive(), timeout=5_000)
        shown = panel.text.text_view.toPlainText()
        assert shown.startswith(texts[0]) and len(shown) == expected if expected else shown == texts[0]
    # the screenshot shows text in the view and the accent-coloured best bar of the distribution
    shot = _shot(panel, "generate_text_panel.png")
    view = panel.text.text_view.viewport()
    top_left = view.mapTo(panel, view.rect().topLeft())
    region = shot[top_left.y():top_left.y() + 120, top_left.x():top_left.x() + view.width()]
    assert np.sum(region.mean(axis=-1) < 110) > 300  # dark glyph pixels of the generated text
    from livepredict.ui import theme

    assert _near(shot, theme.current().accent) > 50


def test_text_view_stays_bounded_past_100k_characters(qtbot, panel, files):
    _open(qtbot, panel, files / "text.keras")
    panel.text.length.setValue(120_000)
    panel.text.speed.setCurrentIndex(panel.text.speed.findData(0.0))
    panel.text.seed.setValue(1)
    ticks = []
    from PySide6.QtCore import QTimer

    probe = QTimer()
    probe.setInterval(50)
    probe.timeout.connect(lambda: ticks.append(panel.text.chars_shown))
    probe.start()
    try:
        with qtbot.waitSignal(panel.controller.text_chunk, timeout=120_000, check_params_cb=lambda c: c.finished):
            panel.text.start_text()
        qtbot.waitUntil(lambda: not panel.text.paint_timer.isActive(), timeout=10_000)
    finally:
        probe.stop()
    assert panel.text.chars_shown == 120_000 + len("The ")
    assert panel.text.text_view.document().blockCount() <= MAX_BLOCKS
    # the GUI event loop kept running while the tokens streamed in (many distinct intermediate sizes)
    assert len(set(ticks)) >= 5


def test_forecast_plays_steps_and_pauses(qtbot, panel, files):
    panel.forecast.load_series(files / "series.csv")
    _open(qtbot, panel, files / "fc.keras")
    assert panel.kind == "forecast" and panel.stack.currentIndex() == 2
    qtbot.waitUntil(lambda: panel.forecast.last_step is not None, timeout=10_000)  # the paused forecast
    assert panel.forecast.index == 6
    panel.forecast.horizon.setValue(7)
    qtbot.waitUntil(lambda: panel.forecast.last_step.forecast.size == 7, timeout=10_000)
    xs, ys = panel.forecast.fc_curve.getData()
    assert len(xs) == 8 and xs[0] == 1905 and np.all(np.diff(xs) == 1)
    panel.forecast.step_rate.setValue(100.0)
    panel.forecast.toggle_play()
    qtbot.waitUntil(lambda: panel.forecast.index >= 30, timeout=30_000)
    with qtbot.waitSignal(panel.controller.forecast_step, timeout=10_000, check_params_cb=lambda s: s.finished):
        panel.forecast.toggle_play()  # pause
    stopped_at = panel.forecast.index
    assert not panel.forecast.playing and panel.forecast.play_button.text() == "Play"
    mae, naive = panel.forecast.errors_so_far()
    assert mae is not None and naive is not None and mae >= 0
    assert "mean absolute error of the one-step forecasts so far" in panel.forecast.fc_stats.text()
    pi = panel.forecast.plot.getPlotItem()
    assert (pi.getAxis("bottom").labelText, pi.getAxis("left").labelText) == ("year", "value")  # axis titles
    px, _ = panel.forecast.past_curve.getData()  # the one-step forecasts made so far, beside what happened
    assert len(px) == len([i for i in panel.forecast.one_step if i < stopped_at]) > 10
    _, hi = pi.viewRange()[0]
    assert hi < 1900 + stopped_at + panel.forecast.horizon.value() + 4  # follows the forecast, not the series end
    panel.forecast.step_once()
    hx, _ = panel.forecast.hist_curve.getData()
    assert panel.forecast.index == stopped_at + 1 and len(hx) == panel.forecast.index
    qtbot.waitUntil(lambda: panel.forecast.last_step.index == stopped_at + 1, timeout=10_000)
    fx, _ = panel.forecast.fc_curve.getData()
    assert fx[0] == hx[-1]  # the forecast starts from the newest known value
    from livepredict.ui import theme

    shot = _shot(panel, "generate_forecast_panel.png")
    plot = panel.forecast.plot
    tl = plot.mapTo(panel, plot.rect().topLeft())
    region = shot[tl.y():tl.y() + plot.height(), tl.x():tl.x() + plot.width()]
    assert _near(region, theme.current().accent) > 20  # the forecast curve and its markers
    assert np.sum(region.mean(axis=-1) < 90) > 200  # the history curve


def test_no_vocabulary_asks_for_a_file(qtbot, panel, files, tmp_path):
    _open(qtbot, panel, files / "novocab.keras", "generator_failed")
    assert "no vocabulary" in panel.model_label.text()
    assert panel.vocab_button.isVisibleTo(panel)
    vocab = tmp_path / "vocab.json"
    vocab.write_text(json.dumps(VOCAB), encoding="utf-8")
    with qtbot.waitSignal(panel.controller.generator_ready, timeout=WAIT):
        panel.vocab_path = str(vocab)
        panel.prepare()
    assert panel.kind == "text" and not panel.vocab_button.isVisibleTo(panel)


def test_non_recurrent_model_gets_one_sentence(qtbot, panel, files):
    with qtbot.waitSignal(panel.controller.model_loaded, timeout=WAIT):
        panel.controller.open_model(files / "cnn.keras")
    assert panel.use_button.isVisibleTo(panel) and panel.stack.currentWidget() is panel.empty
    with qtbot.waitSignal(panel.controller.generator_failed, timeout=WAIT) as blocker:
        panel.use_button.click()
    msg = blocker.args[0].message
    assert "no recurrent layer" in msg and panel.model_label.text() == msg


def test_helpers(files):
    x, y, name = read_series(files / "series.csv")
    assert len(x) == len(y) == 60 and x[0] == 1900 and name == "value"
    assert token_label(" ") == "␣ space" and token_label("\n") == "⏎ newline" and token_label("a") == "a"


def test_streaming_text_does_not_relayout_the_panel(qtbot, panel, files):
    """The stats line, the distribution and the text change on every display tick while a text
    streams; none of them may ask the whole panel for a new layout (each relayout repaints it all)."""
    from helpers.layout_watch import LayoutRequests

    _open(qtbot, panel, files / "text.keras")
    panel.text.speed.setCurrentIndex(panel.text.speed.findData(0.0))
    panel.text.length.setValue(0)
    panel.text.start_text()
    qtbot.waitUntil(lambda: panel.text.chars_shown > 500, timeout=30_000)
    ticks = panel.text.chunks
    with LayoutRequests(panel) as asked:
        qtbot.waitUntil(lambda: panel.text.chunks >= ticks + 20, timeout=30_000)
    with qtbot.waitSignal(panel.controller.text_chunk, timeout=10_000, check_params_cb=lambda c: c.finished):
        panel.stop()
    assert len(asked) <= 1, f"{len(asked)} relayouts of the panel in 20 display ticks"


def test_playing_a_forecast_does_not_relayout_the_panel(qtbot, panel, files):
    """Each step rewrites the stats line (with the errors so far): the panel keeps its layout."""
    from helpers.layout_watch import LayoutRequests

    panel.forecast.load_series(files / "series.csv")
    _open(qtbot, panel, files / "fc.keras")
    qtbot.waitUntil(lambda: panel.forecast.last_step is not None, timeout=10_000)
    panel.forecast.step_rate.setValue(100.0)
    panel.forecast.toggle_play()
    qtbot.waitUntil(lambda: panel.forecast.index >= 12, timeout=30_000)
    with LayoutRequests(panel) as asked:
        qtbot.waitUntil(lambda: panel.forecast.index >= 32, timeout=30_000)
    with qtbot.waitSignal(panel.controller.forecast_step, timeout=10_000, check_params_cb=lambda s: s.finished):
        panel.forecast.toggle_play()
    assert len(asked) <= 1, f"{len(asked)} relayouts of the panel in 20 forecast steps"
