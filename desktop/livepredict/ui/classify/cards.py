"""The card grid: one card per image (thumbnail, name, top-k bars, time or error), rows of a list model
painted by a delegate (cheap for thousands of images)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from livepredict.core.ranking import top_k
from livepredict.core.results import prediction_json
from livepredict.core.types import Prediction
from livepredict.ui import theme
from livepredict.ui.classify.bars import paint_score_row
from livepredict.ui.classify.found import card_rows, paint_on_thumb
from livepredict.ui.widgets import format_ms

CARD_W = 330
THUMB = 100
ROW_H = 20
RENDERED = 96  # rendered cards kept (a screenful or two, ~20 MB at most)


@dataclass
class Card:
    key: str  # file path or pasted-image name
    name: str
    load_id: int
    job_id: int
    prediction: Prediction | None
    error: str | None
    total_ms: float
    thumb: QPixmap | None
    source: Any = None  # path str or NamedImage, to classify again with another model
    seq: int = 0  # the order it was added in (set by CardModel.add)
    overlay: QPixmap | None = None  # the thumbnail with its explanation heatmap (ui.classify.explain)
    _ranked: dict[int, tuple[tuple[str, float], ...]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def top(self) -> tuple[tuple[str, float], ...]:
        return self.prediction.top if self.prediction is not None else ()

    def top_k(self, k: int) -> tuple[tuple[str, float], ...]:
        """The ``k`` best labels, re-ranked from the stored scores when more are asked for than were decoded."""
        if self.prediction is None:
            return ()
        if k not in self._ranked:
            self._ranked[k] = top_k(self.prediction, k)
        return self._ranked[k]

    def time_text(self) -> str:
        """Total time for this image (read + prepare + model) and the model's own share."""
        if self.prediction is None:
            return format_ms(self.total_ms)
        return f"{format_ms(self.total_ms)} total · model {format_ms(self.prediction.infer_ms)}"

    def to_json(self, k: int, shown: Any = None) -> dict[str, Any]:
        """As ``classify --json``: the re-ranked top ``k``, with detections (at the thresholds
        ``shown(result)`` applies, e.g. the tab's) or a segmentation."""
        if self.prediction is not None and not self.error:
            result = shown(self.prediction.result) if shown is not None else self.prediction.result
            return prediction_json(replace(self.prediction, top=self.top_k(k), result=result), k) | {"path": self.key}
        return {"path": self.key, "top": [], "error": self.error}


CardRole = Qt.ItemDataRole.UserRole + 1


class CardModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: list[Card] = []
        self._added = 0

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.cards)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.cards):
            return None
        card = self.cards[index.row()]
        if role == CardRole:
            return card
        if role == Qt.ItemDataRole.DisplayRole:
            return card.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return card.key if not card.error else f"{card.key}\n{card.error}"
        return None

    def add(self, card: Card) -> None:
        self.add_many([card])

    def add_many(self, cards: list[Card]) -> None:
        """Append ``cards`` in one insertion (the view lays out once)."""
        if not cards:
            return
        n = len(self.cards)
        for card in cards:
            card.seq, self._added = self._added, self._added + 1
        self.beginInsertRows(QModelIndex(), n, n + len(cards) - 1)
        self.cards.extend(cards)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.cards.clear()
        self.endResetModel()


class CardDelegate(QStyledItemDelegate):
    """Paints one card: thumbnail, name, top-k bars with percentages, time or error sentence."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.top_k = 3
        self.card_w = CARD_W
        self.uncertain_below = 0.0  # a card whose best score is below this is marked "uncertain"
        self.extra_w = 0  # columns of compared models (ui.classify.compare), painted by extra_paint
        self.extra_paint: Any = None
        self.shown: Any = lambda result: result  # a detector's result at the thresholds set (Thresholds.shown)
        self._rendered: OrderedDict[int, tuple[Any, ...]] = OrderedDict()  # id(card) -> (state, card, …, pixmap)

    def card_height(self) -> int:
        return max(THUMB + 24, 44 + ROW_H * self.top_k + 22)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(self.card_w + self.extra_w, self.card_height())

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        """A card from the cache of rendered cards when nothing it shows changed (a folder arriving
        repaints the visible cards at every insertion), else painted and kept."""
        card: Card | None = index.data(CardRole)
        if card is None:
            return
        shown = self.shown(card.prediction.result) if card.prediction is not None else None
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if self.extra_w:  # compared models' columns change as their answers arrive: painted each time
            self._paint_card(p, QRectF(option.rect), option.font, selected, card, shown)
            return
        state = (option.rect.width(), option.rect.height(), selected, self.top_k, self.uncertain_below,
                 theme.current().name, option.font.key(), p.device().devicePixelRatioF())
        hit = self._rendered.get(id(card))
        if hit is not None and hit[0] == state and hit[1] is card and hit[2] is shown and hit[3] is card.overlay:
            self._rendered.move_to_end(id(card))
            p.drawPixmap(option.rect.topLeft(), hit[4])
            return
        dpr = state[-1]
        pm = QPixmap(int(option.rect.width() * dpr), int(option.rect.height() * dpr))
        pm.setDevicePixelRatio(dpr)
        pm.fill(Qt.GlobalColor.transparent)
        q = QPainter(pm)
        self._paint_card(q, QRectF(0, 0, option.rect.width(), option.rect.height()), option.font, selected, card,
                         shown)
        q.end()
        self._rendered[id(card)] = (state, card, shown, card.overlay, pm)
        while len(self._rendered) > RENDERED:
            self._rendered.popitem(last=False)
        p.drawPixmap(option.rect.topLeft(), pm)

    def _paint_card(self, p: QPainter, rect: QRectF, font: QFont, selected: bool, card: Card, shown: Any) -> None:
        c = theme.current()
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = rect.adjusted(5, 5, -5, -5)
        p.setPen(QColor(c.accent if selected else c.card_border))
        p.setBrush(QColor(c.error_bg if card.error else c.card))
        p.drawRoundedRect(r, 8, 8)
        # thumbnail, centred on a soft square
        tr = QRectF(r.left() + 10, r.top() + (r.height() - THUMB) / 2, THUMB, THUMB)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(c.bar_bg))
        p.drawRoundedRect(tr, 6, 6)
        thumb = card.overlay if card.overlay is not None else card.thumb
        if thumb is not None and not thumb.isNull():
            pm = thumb.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
            path = QPainterPath()
            pr = QRectF(tr.left() + (THUMB - pm.width()) / 2, tr.top() + (THUMB - pm.height()) / 2,
                        pm.width(), pm.height())
            path.addRoundedRect(pr, 6, 6)
            p.setClipPath(path)
            p.drawPixmap(pr.topLeft(), pm)
            p.setClipping(False)
            paint_on_thumb(p, shown, pr)  # boxes or masks (a detector's, a segmenter's)
        x = tr.right() + 12
        w = r.right() - 12 - x - self.extra_w
        base = QFont(font)
        bold = QFont(base)
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(QColor(c.text))
        fm = QFontMetrics(bold)
        y = r.top() + 10
        unsure = not card.error and bool(card.top) and card.top[0][1] < self.uncertain_below
        badge_w = QFontMetrics(font).horizontalAdvance("uncertain") + 12 if unsure else 0
        p.drawText(QRectF(x, y, w - badge_w, fm.height()), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(card.name, Qt.TextElideMode.ElideMiddle, int(w - badge_w)))
        if unsure:  # a 63 % answer must not look like a 100 % one
            badge = QRectF(x + w - badge_w + 4, y, badge_w - 4, fm.height())
            p.setPen(QColor(c.error))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(badge, 4, 4)
            p.setFont(font)
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, "uncertain")
            p.setPen(QColor(c.text))
        y += fm.height() + 8
        p.setFont(base)
        fmb = QFontMetrics(base)
        if card.error:
            p.setPen(QColor(c.error))
            p.drawText(QRectF(x, y, w, r.bottom() - y - 8),
                       int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) | int(Qt.TextFlag.TextWordWrap),
                       card.error)
        else:
            label_w = min(120.0, w * 0.34)
            pct_w = float(fmb.horizontalAdvance("100.0%") + 4)
            bar_x = x + label_w + 6
            bar_w = max(10.0, w - label_w - pct_w - 10)
            for i, (label, score, colour) in enumerate(card_rows(shown, card.top_k(self.top_k))[: self.top_k]):
                paint_score_row(p, bold if i == 0 else base, y + i * ROW_H, x, label_w, bar_x, bar_w, pct_w, label,
                                score, i == 0, bar_colour=colour,  # a detected class's own colour
                                pct_colour=c.error if i == 0 and unsure else None)
            p.setFont(base)
            p.setPen(QColor(c.muted))
            p.drawText(QRectF(x, r.bottom() - fmb.height() - 8, w, fmb.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, card.time_text())
        if self.extra_w and self.extra_paint is not None:
            self.extra_paint(p, QRectF(r.right() - self.extra_w, r.top(), self.extra_w, r.height()), card,
                             self.top_k, base)
        p.restore()


class CardView(QListView):
    """A wrapping list of cards whose width is stretched so the columns fill the viewport."""

    def __init__(self, delegate: CardDelegate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._delegate = delegate

    def resizeEvent(self, event) -> None:  # noqa: N802
        # Leave room for the vertical scroll bar whether or not it is shown yet, so that its
        # appearance never drops a column.
        w = self.width() - 2 * self.frameWidth() - self.verticalScrollBar().sizeHint().width() - 2
        cols = max(1, w // CARD_W)
        width = max(CARD_W - 40, w // cols)
        if width != self._delegate.card_w:
            self._delegate.card_w = width
            self.scheduleDelayedItemsLayout()
        super().resizeEvent(event)
