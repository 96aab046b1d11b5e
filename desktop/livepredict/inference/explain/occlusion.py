"""Occlusion sensitivity (Zeiler & Fergus 2014) for models without gradients (LiteRT, SavedModel).

A ``window`` x ``window`` patch, filled with the picture's mean value per channel, slides over the
preprocessed input with ``stride``; every occluded copy runs through the model's fast runtime in
batches, and each pixel's value is the mean drop of the explained class's score over the patches
that covered it. numpy only: the runtime does the work.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MAX_VARIANTS = 1024  # occluded copies per picture (a tiny stride on a large input is refused)


def default_window(size: tuple[int, int]) -> tuple[int, int]:
    """(window, stride) for an input of ``size``: about a sixth of the short side, half overlap."""
    window = max(4, round(min(size) / 6))
    return window, max(1, window // 2)


def _starts(n: int, window: int, stride: int) -> list[int]:
    last = max(0, n - window)
    starts = list(range(0, last + 1, stride))
    if starts[-1] != last:
        starts.append(last)  # the far edge is covered too
    return starts


def check_window(size: tuple[int, int], window: int, stride: int) -> str:
    """One sentence when ``window``/``stride`` cannot be used on an input of ``size`` ('' if fine)."""
    h, w = size
    if window < 1 or stride < 1:
        return f"The occlusion window ({window}) and stride ({stride}) must be at least 1 pixel."
    if window > min(h, w):
        return (f"The occlusion window ({window} px) is larger than the model input ({w}x{h}); pick a window "
                f"of at most {min(h, w)} px.")
    n = len(_starts(h, window, stride)) * len(_starts(w, window, stride))
    if n > MAX_VARIANTS:
        return (f"An occlusion stride of {stride} px on a {w}x{h} input needs {n} model runs per picture; use a "
                "larger stride.")
    return ""


def occlusion_map(x: np.ndarray, score: Callable[[np.ndarray], np.ndarray], class_index: int,
                  window: int, stride: int, batch: int = 16) -> tuple[np.ndarray, float]:
    """(map over the model input (h, w) float32, the unoccluded score) for one preprocessed picture
    ``x`` (h, w[, c]); ``score(batch)`` returns the display scores (N, classes) of a batch."""
    h, w = x.shape[0], x.shape[1]
    base = float(score(x[None])[0][class_index])
    fill = x.reshape(h, w, -1).mean(axis=(0, 1)).astype(x.dtype).reshape((-1,) if x.ndim == 3 else ())
    spots = [(r, c) for r in _starts(h, window, stride) for c in _starts(w, window, stride)]
    drop = np.zeros((h, w), np.float64)
    seen = np.zeros((h, w), np.float64)
    for i in range(0, len(spots), batch):
        part = spots[i:i + batch]
        copies = np.repeat(x[None], len(part), axis=0)
        for k, (r, c) in enumerate(part):
            copies[k, r:r + window, c:c + window] = fill
        got = score(copies)[:, class_index]
        for k, (r, c) in enumerate(part):
            drop[r:r + window, c:c + window] += base - float(got[k])
            seen[r:r + window, c:c + window] += 1.0
    return (drop / np.maximum(seen, 1.0)).astype(np.float32), base
