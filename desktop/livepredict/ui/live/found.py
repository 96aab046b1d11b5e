"""What the Live tab shows of a detector or a segmenter (the panel hands each result here first).

- the boxes or masks over the video: an ``overlays.OverlayItem`` in the video view, given the
  newest result by the display timer (``show``), never per result;
- the plot: for a detector the count of boxes per class over time and their mean score (one
  "score" row per class and a "mean score" row, in the panel's ring buffer), for a segmenter the
  share of the picture per class (background left out);
- the label over the video: "3 circle, 1 square" instead of a top class.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtWidgets import QLabel

from livepredict.core.types import Detections, Prediction, Segmentation, Task
from livepredict.ui import overlays
from livepredict.ui.live.plot_side import score_labels

MEAN_SCORE = "mean score"


class LiveFound:
    """Per-result ingest (``take``) and per-tick painting (``show``) of boxes and masks."""

    def __init__(self, video_view: Any, plot: Any, context: Any) -> None:
        self.video = video_view
        self.plot = plot
        self.layer = overlays.OverlayItem()
        video_view.view.addItem(self.layer, ignoreBounds=True)
        self.labels: tuple[str, ...] = ()  # the plot's rows for this model ('' = not a detector/segmenter)
        self.task: str = ""
        self._y_top = 1.0
        self._count_peak = 0
        context.controller.model_loaded.connect(self.on_model_loaded)
        context.controller.profile_applied.connect(self.on_model_loaded)
        if (loaded := context.current_model()) is not None:  # built after a model was opened
            self.on_model_loaded(loaded)

    def plot_labels(self, labels: tuple[str, ...], n: int, info: Any) -> tuple[str, ...]:
        """The names of the plot's ``n`` rows."""
        if self.labels:
            return self.labels
        return score_labels(labels, n, info.output_kind if info is not None else "softmax")

    def on_model_loaded(self, loaded: Any) -> None:
        info = loaded.info
        self.task = str(info.task)
        names = tuple(info.labels)
        self._count_peak = 0
        self.layer.set_result(None, self.layer._size)  # noqa: SLF001 - a new model: old boxes go
        self.video.set_overlay("", None)
        if info.task == Task.OBJECT_DETECTOR:
            self.labels = (*names, MEAN_SCORE)
            self._set_axis("boxes per class · mean score", 1.0, "Boxes per class over time")
        elif info.task == Task.SEGMENTER:
            self.labels = names
            self._set_axis("share of the picture", 1.0, "Share of the picture over time")
        else:
            self.labels = ()
            self._set_axis("confidence", 1.0, "Confidence over time")

    def take(self, pred: Prediction) -> np.ndarray | None:
        """The row the plot keeps for this result: counts per class and the mean score (detector),
        the share per class (segmenter), or the classifier's own scores."""
        r = pred.result
        if isinstance(r, Detections):
            n = max(len(r.labels), len(self.labels) - 1, 0)
            row = np.zeros(n + 1, np.float32)
            for d in r.items:
                if 0 <= d.class_id < n:
                    row[d.class_id] += 1
            row[n] = float(np.mean([d.score for d in r.items])) if r.items else np.nan
            self._count_peak = max(self._count_peak, int(row[:n].max(initial=0)))
            return row
        if isinstance(r, Segmentation):
            row = np.asarray(r.fractions, np.float32).copy()
            if r.background is not None and r.background < len(row):
                row[r.background] = np.nan  # never drawn: the background would top the plot
            return row
        return pred.scores

    def show(self, pred: Prediction) -> None:
        """Put ``pred``'s boxes or masks (or its label and score) over the video (display timer)."""
        r = pred.result
        if not overlays.is_overlay(r):
            self.layer.set_result(None, self.layer._size)  # noqa: SLF001
            self.video.set_overlay(pred.label, pred.score)
            return
        self.layer.set_result(r, overlays.result_size(r) or (0, 0))
        self.video.set_overlay(overlays.summary(r), None)
        if isinstance(r, Detections):
            top = max(1.0, float(self._count_peak))
            if top != self._y_top:
                self._set_axis(None, top)

    def _set_axis(self, name: str | None, top: float, title: str = "") -> None:
        pi = self.plot.getPlotItem()
        if name is not None:
            pi.setLabel("left", name)
        side = self.plot.parentWidget()
        heading = side.findChild(QLabel, "Title") if side is not None else None
        if title and heading is not None:  # the plot's own heading names what it shows
            heading.setText(title)
        self._y_top = top
        pi.setYRange(0.0, top, padding=0.04)
        step = math.ceil(top / 6) if top > 1 else 0.25  # a few round ticks however many boxes
        ticks = [(float(v), f"{v:g}") for v in np.arange(0.0, top + 1e-9, step)]
        pi.getAxis("left").setTicks([ticks, []])


def record_rows(result: Any) -> list[tuple[str, float, tuple[float, ...] | None]] | None:
    """The recording's rows for one result: (label, score, box) per detection (one empty row for a
    frame without any), (label, share, None) per class present in a mask; None for other results."""
    if isinstance(result, Detections):
        return [(d.label, float(d.score), tuple(d.box)) for d in result.items] or [("", float("nan"), None)]
    if isinstance(result, Segmentation):
        return [(lbl, float(f), None) for lbl, f in result.top] or [("", float("nan"), None)]
    return None
