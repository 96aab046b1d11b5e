"""The Live tab's timing-strip figures, from the pipeline and the panel's timing ring buffer."""

from __future__ import annotations

from typing import Any

import numpy as np

from livepredict.core.history import History


def strip_figures(pipeline: Any, timing: History, inferring: bool = True) -> dict[str, float | int | None]:
    """Capture and inference fps, median preprocess / model / latency ms of the last 30 results,
    dropped frames. With ``inferring`` False (the model cannot take frames) inference fps and
    dropped frames are not figures at all: "–", not a count that grows."""
    _, rows = timing.view(last=30)
    med = [float(v) for v in np.median(rows, axis=0)] if len(rows) else [None, None, None]
    return {"capture_fps": pipeline.capture_fps(),
            "inference_fps": pipeline.inference_fps() if inferring else None,
            "preprocess_ms": med[0], "infer_ms": med[1], "latency_ms": med[2],
            "dropped": pipeline.frames_dropped if inferring else None}
