"""When the open model cannot take video frames: the Live tab drops the old answer and says why in
the video pane (the frames keep playing; nothing is counted as dropped while nothing can use them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.types import IMAGE_TASKS, Task
from livepredict.core.wording import a
from livepredict.ui.plots import ConfidencePlot, VideoView


def frames_problem(info: Any) -> str:
    """One sentence when ``info``'s model cannot take pictures at all (a generator, a forecaster), else ""."""
    task = getattr(info, "task", None)
    if task is None or task in IMAGE_TASKS or task == Task.GENERIC:
        return ""  # a generic model may still take pictures: its first frame tells (inference_failed)
    return (f"{Path(info.path).name} is {a(task)} and cannot take video frames; open an image model "
            "to see predictions here.")


def blank_answer(view: VideoView, plot: ConfidencePlot, problem: str) -> None:
    """Remove the previous model's label and lines; show ``problem`` (if any) over the video."""
    view.set_overlay("", None)
    plot.refresh(np.empty(0), np.empty((0, 0)))
    if problem:
        view.set_placeholder(problem)
