"""A folder arriving in the Classify tab: cards handed to the view in pieces (at most 10 a second, a
lone picture at once) and visible cards drawn from rendered copies unless what they show changed."""

from __future__ import annotations

import pytest
from helpers.models import LABELS, build_color_classifier, save_formats, solid
from PIL import Image

from livepredict.settings import Settings
from livepredict.threads.engine.controller import InferenceController
from livepredict.ui.classify.cards import Card
from livepredict.ui.classify.incoming import Incoming
from livepredict.ui.classify.panel import ClassifyPanel
from livepredict.ui.panel import AppContext

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def _card(i: int) -> Card:
    return Card(key=f"p{i}.png", name=f"p{i}.png", load_id=1, job_id=1, prediction=None, error="x", total_ms=0.0,
                thumb=None)


def test_a_burst_is_handed_over_in_pieces_in_order_and_a_lone_card_at_once(qtbot):
    got: list[tuple[list, object]] = []
    box = Incoming(lambda cards, progress: got.append(([c.key for c in cards], progress)))
    box.progress("job started")
    assert got == [([], "job started")]
    got.clear()
    box.add(_card(0))  # a progress line just before does not hold the first card back
    assert got == [(["p0.png"], None)]  # nothing was handed over for a while: at once
    for i in range(1, 50):
        box.add(_card(i))
    box.progress("progress 49")
    assert len(got) == 1  # the rest waits for the timer
    qtbot.waitUntil(lambda: len(got) == 2, timeout=1000)
    assert got[1] == ([f"p{i}.png" for i in range(1, 50)], "progress 49")
    box.add(_card(50))
    box.flush()  # a job's end: now
    assert got[2] == (["p50.png"], None)
    box.add(_card(51))
    box.drop()  # the cards were cleared: never handed over
    assert not box._timer.isActive()
    box.flush()
    assert len(got) == 3


@pytest.fixture
def panel(qtbot, isolated_settings, tmp_path):
    model = save_formats(build_color_classifier(name="inc"), tmp_path, formats=("keras",),
                         sidecar={"labels": LABELS})["keras"]
    controller = InferenceController()
    p = ClassifyPanel(AppContext(controller, Settings()))
    qtbot.addWidget(p)
    p.resize(1000, 600)
    p.show()
    qtbot.waitExposed(p)
    with qtbot.waitSignal(controller.model_loaded, timeout=120_000):
        controller.open_model(str(model))
    yield p
    assert controller.shutdown(5000)


def test_a_folder_arrives_whole_and_visible_cards_are_drawn_from_their_rendered_copy(qtbot, panel, tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    colours = {"red": (230, 20, 20), "green": (20, 220, 30), "blue": (20, 30, 230)}
    for i in range(60):
        name = LABELS[i % 3]
        Image.fromarray(solid(colours[name])).save(folder / f"{name}_{i:02d}.png")
    deliveries: list[int] = []
    original = panel._deliver
    panel.incoming._deliver = lambda cards, progress: (deliveries.append(len(cards)), original(cards, progress))
    with qtbot.waitSignal(panel.controller.batch_finished, timeout=60_000):
        panel.classify([str(folder)])
    assert len(panel.model.cards) == 60 and sum(deliveries) == 60
    assert [c.top[0][0] for c in panel.model.cards] == [c.name.split("_")[0] for c in panel.model.cards]
    assert "60 images" in panel.summary.text()

    delegate = panel.delegate
    view = panel.view.viewport()
    qtbot.waitUntil(lambda: panel.view.verticalScrollBar().isVisible())  # laid out: 60 cards need scrolling
    panel.view.doItemsLayout()
    first = view.grab().toImage()
    rendered = dict(delegate._rendered)
    assert rendered, "the visible cards were rendered once and kept"
    again = view.grab().toImage()
    assert again == first and all(delegate._rendered[k][4] is rendered[k][4] for k in rendered)  # drawn from copies
    panel.view.setCurrentIndex(panel.model.index(1))  # selection changes what card 1 shows: drawn again
    key = id(panel.model.cards[1])
    view.grab()
    assert delegate._rendered[key][4] is not rendered[key][4]
    assert view.grab().toImage() != first
    panel.top_spin.setValue(1)  # fewer labels per card: every card drawn again, smaller
    view.grab()
    assert all(v[4] is not rendered.get(k, (None,) * 5)[4] for k, v in delegate._rendered.items())
