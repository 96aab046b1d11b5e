"""SteadyText: the line of text the Classify tab changes as cards arrive (progress, counts, summary)."""

from __future__ import annotations

import pytest
from helpers.layout_watch import LayoutRequests
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from livepredict.ui.widgets import SteadyText


@pytest.mark.qt_log_ignore("This plugin does not support")  # a top-level test window's size hints
def test_steady_text_changes_without_a_relayout_where_a_label_needs_one(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    row = QHBoxLayout(window)
    steady, label = SteadyText("888 / 888 images"), QLabel("")
    row.addWidget(steady, 1)
    row.addWidget(label)
    window.resize(500, 40)
    window.show()
    qtbot.waitExposed(window)
    texts = [f"{n} / 600 images · {n / 7:.1f} img/s" for n in (1, 12, 123, 600)]
    with LayoutRequests(window) as asked:
        for text in texts:
            steady.setText(text)
    assert asked == [] and steady.text() == steady.toolTip() == texts[-1]
    with LayoutRequests(window) as asked:  # the same changes in a QLabel: the window relayouts
        for text in texts:
            label.setText(text)
    assert len(asked) >= 1
    assert steady.sizeHint().width() >= steady.fontMetrics().horizontalAdvance("888 / 888 images")


def test_steady_text_paints_its_text_cut_to_the_width(qtbot):
    wide, narrow = SteadyText(), SteadyText()
    for w, width in ((wide, 400), (narrow, 60)):
        qtbot.addWidget(w)
        w.resize(width, 24)
        w.setText("circle 12 · square 30 · star 4 · 3 uncertain")
    blank = SteadyText()
    qtbot.addWidget(blank)
    blank.resize(400, 24)

    def inked(w) -> int:  # columns with any text pixel
        img = w.grab().toImage()
        bg = img.pixel(0, 0)
        return sum(any(img.pixel(x, y) != bg for y in range(img.height())) for x in range(img.width()))

    assert inked(blank) == 0
    assert inked(wide) > 150  # the whole line
    assert 0 < inked(narrow) <= 60  # cut (with "…") inside its box


def test_two_line_steady_text_wraps_inside_a_height_that_stays_put(qtbot):
    """The Generate tab's stats lines: a long text wraps onto the second line; the height is fixed
    by ``lines``, whatever the text, so a change never asks for a new layout."""
    one, two = SteadyText(), SteadyText(lines=2)
    assert two.sizeHint().height() >= one.sizeHint().height() + two.fontMetrics().lineSpacing() - 1
    qtbot.addWidget(two)
    two.resize(220, two.sizeHint().height())
    before = two.sizeHint()
    two.setText("at 1934: next 56.3 · mean absolute error of the one-step forecasts so far 28.55")
    assert two.sizeHint() == before

    def inked_rows(w) -> list[int]:
        img = w.grab().toImage()
        bg = img.pixel(0, 0)
        return [y for y in range(img.height()) if any(img.pixel(x, y) != bg for x in range(img.width()))]

    rows = inked_rows(two)
    line = two.fontMetrics().lineSpacing()
    assert rows and rows[-1] - rows[0] > line  # ink on both lines: the text wrapped
