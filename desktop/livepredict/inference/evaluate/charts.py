"""The report's plots as PNG bytes, drawn with Pillow (no plotting library needed).

``confusion_png`` (a heatmap, each row coloured by its share, each cell with its count),
``reliability_png`` (accuracy per confidence bin against the diagonal, with the bins' pictures)
and ``roc_png`` (the ROC curve with its AUC).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from livepredict.inference.evaluate.metrics import Calibration, Roc

BG = (255, 255, 255)
INK = (40, 40, 48)
GRID = (222, 222, 228)
BLUE = (52, 101, 164)
ORANGE = (230, 120, 40)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _text(d: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int = 13,
          anchor: str = "mm", fill: tuple[int, int, int] = INK) -> None:
    d.text(xy, text, fill=fill, font=_font(size), anchor=anchor)


def _short(label: str, n: int = 12) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def confusion_png(cm: np.ndarray, labels: Sequence[str], title: str = "Confusion matrix") -> bytes:
    n = len(labels)
    cell = max(28, min(64, 560 // max(1, n)))
    left, top = 120, 70
    w, h = left + cell * n + 30, top + cell * n + 70
    img = Image.new("RGB", (w, h), BG)
    d = ImageDraw.Draw(img)
    _text(d, (w / 2, 22), title, 16)
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros(cm.shape, float), where=rows > 0)
    for i in range(n):
        for j in range(n):
            v = float(share[i, j]) if i == j else float(share[i, j]) ** 0.5  # small confusions stay visible
            base = np.array(BLUE if i == j else ORANGE, float)
            colour = tuple(int(c) for c in (255 - (255 - base) * v))
            x0, y0 = left + j * cell, top + i * cell
            d.rectangle((x0, y0, x0 + cell - 1, y0 + cell - 1), fill=colour, outline=GRID)
            if cm[i, j]:
                _text(d, (x0 + cell / 2, y0 + cell / 2), str(int(cm[i, j])), 12,
                      fill=(255, 255, 255) if v > 0.55 else INK)
        _text(d, (left - 8, top + i * cell + cell / 2), _short(labels[i]), 12, anchor="rm")
        _text(d, (left + i * cell + cell / 2, top + n * cell + 14), _short(labels[i], 8), 11)
    _text(d, (left + n * cell / 2, h - 18), "predicted", 13)
    _text(d, (left - 8, top - 16), "true", 13, anchor="rm")
    return _png(img)


class _Axes:
    """A unit square plot area (0..1 on both axes) with a grid and tick labels."""

    def __init__(self, title: str, xlabel: str, ylabel: str, size: tuple[int, int] = (440, 400)) -> None:
        self.img = Image.new("RGB", size, BG)
        self.d = ImageDraw.Draw(self.img)
        self.x0, self.y0, self.x1, self.y1 = 60, 40, size[0] - 20, size[1] - 50
        d = self.d
        _text(d, (size[0] / 2, 18), title, 15)
        for t in np.linspace(0, 1, 6):
            x, y = self.px(t, t)
            d.line((x, self.y0, x, self.y1), fill=GRID)
            d.line((self.x0, y, self.x1, y), fill=GRID)
            _text(d, (x, self.y1 + 12), f"{t:.1f}", 11)
            _text(d, (self.x0 - 6, y), f"{t:.1f}", 11, anchor="rm")
        d.rectangle((self.x0, self.y0, self.x1, self.y1), outline=INK)
        _text(d, ((self.x0 + self.x1) / 2, size[1] - 16), xlabel, 12)
        _text(d, (14, (self.y0 + self.y1) / 2), ylabel, 12, anchor="lm")

    def px(self, x: float, y: float) -> tuple[float, float]:
        return (self.x0 + x * (self.x1 - self.x0), self.y1 - y * (self.y1 - self.y0))

    def diagonal(self) -> None:
        self.d.line((*self.px(0, 0), *self.px(1, 1)), fill=(150, 150, 150), width=1)


def reliability_png(cal: Calibration, title: str = "Reliability") -> bytes:
    ax = _Axes(f"{title} (ECE {cal.ece:.3f})", "confidence (orange: share of pictures)", "acc.")
    total = max(1, int(cal.counts.sum()))
    for lo, hi, n, acc in zip(cal.edges[:-1], cal.edges[1:], cal.counts, cal.accuracy, strict=True):
        if not n:
            continue
        xa, ya = ax.px(float(lo), float(acc))
        xb, yb = ax.px(float(hi), 0.0)
        ax.d.rectangle((xa + 2, ya, xb - 2, yb), fill=BLUE, outline=INK)
        share = ax.px(float(lo), float(n) / total)[1]
        ax.d.line((xa + 2, share, xb - 2, share), fill=ORANGE, width=3)  # the bin's share of pictures
    ax.diagonal()
    return _png(ax.img)


def roc_png(roc: Roc, positive: str, threshold: float | None = 0.5) -> bytes:
    ax = _Axes(f"ROC, positive '{_short(positive, 20)}' (AUC {roc.auc:.3f})", "false positive rate", "TPR")
    ax.diagonal()
    if roc.fpr.size and np.all(np.isfinite(roc.fpr)) and np.all(np.isfinite(roc.tpr)):
        pts = [ax.px(float(x), float(y)) for x, y in zip(roc.fpr, roc.tpr, strict=True)]
        ax.d.line(pts, fill=BLUE, width=2)
        if threshold is not None:
            i = int(np.searchsorted(-roc.thresholds, -threshold, side="right")) - 1
            x, y = pts[max(0, i)]
            ax.d.ellipse((x - 5, y - 5, x + 5, y + 5), outline=ORANGE, width=2)
            _text(ax.d, (x + 8, y + 10), f"threshold {threshold:g}", 11, anchor="lm")
    return _png(ax.img)
