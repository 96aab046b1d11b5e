"""Classifying images end to end: preprocess, run in batches, decode through the model's head.

``predict_images`` is the one call the CLI, the worker and the feed use for pictures;
``decode_outputs`` decodes one input's raw outputs (the live path, which times preprocessing and
inference itself). numpy only: nothing here imports TensorFlow.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from livepredict.core.errors import InferenceError, UnsupportedModelError
from livepredict.core.geometry import Placement, placement
from livepredict.core.types import IMAGE_TASKS, HeadResult, Prediction, Task

if TYPE_CHECKING:
    from livepredict.inference.model import LoadedModel


def check_image_classifier(model: LoadedModel) -> None:
    """UnsupportedModelError (one sentence) unless ``model`` takes single images (a classifier, a
    detector or a segmenter)."""
    if model.spec is None or model.info.task not in IMAGE_TASKS:
        raise UnsupportedModelError(model.not_image_reason())


def image_placement(model: LoadedModel, image: np.ndarray) -> Placement | None:
    """Where ``image`` lands in the model input (for heads that return boxes or masks)."""
    spec = model.spec
    if spec is None or model.info.task == Task.IMAGE_CLASSIFIER:
        return None
    return placement((int(image.shape[0]), int(image.shape[1])), spec.size, spec.resize)


def decode_outputs(model: LoadedModel, outputs: np.ndarray | Sequence[np.ndarray], top_k: int = 5,
                   what: str = "frame", placement: Placement | None = None) -> HeadResult:
    """The head's result for ONE input: ``outputs`` holds one array per model output (batch axis
    removed), or is the first output's row; ``placement`` says where the picture sits in the model
    input. InferenceError when the model gave NaN or infinities (a detector drops and counts the
    boxes that are NaN instead)."""
    outs = [outputs] if isinstance(outputs, np.ndarray) else list(outputs)
    if model.info.task != Task.OBJECT_DETECTOR and not all(np.all(np.isfinite(o)) for o in outs):
        raise InferenceError(f"The model produced NaN or infinite scores for this {what}; the model itself "
                             "is broken, check its weights.")
    return model.head.decode(outs, top_k, placement)


def predict_images(model: LoadedModel, images: Sequence[np.ndarray], top_k: int = 5,
                   paths: Sequence[str] | None = None) -> list[Prediction]:
    """Predictions for RGB uint8 images, batched through the chosen runtime, in input order.

    An image that cannot be preprocessed, or whose scores are NaN, gets a Prediction with
    ``error`` set (one sentence); the others are unaffected. UnsupportedModelError when the model
    does not classify images.
    """
    check_image_classifier(model)
    preds: list[Prediction | None] = [None] * len(images)
    places = [image_placement(model, im) if isinstance(im, np.ndarray) and im.ndim >= 2 else None for im in images]
    tensors: list[np.ndarray] = []
    where: list[int] = []
    pre_ms: list[float] = []
    for i, im in enumerate(images):
        t0 = time.perf_counter()
        try:
            tensors.append(model.preprocess(im))
            where.append(i)
            pre_ms.append((time.perf_counter() - t0) * 1000.0)
        except (ValueError, TypeError) as e:
            preds[i] = Prediction(top=(), path=paths[i] if paths else "",
                                  error=f"This image cannot be prepared for the model ({e}).")
    done = predict_tensors(model, tensors, top_k, [paths[i] for i in where] if paths else None, pre_ms,
                           [places[i] for i in where])
    for i, pred in zip(where, done, strict=True):
        preds[i] = pred
    return [p for p in preds if p is not None]


def predict_tensors(model: LoadedModel, tensors: Sequence[np.ndarray], top_k: int = 5,
                    paths: Sequence[str] | None = None, pre_ms: Sequence[float] | None = None,
                    places: Sequence[Placement | None] | None = None) -> list[Prediction]:
    """Predictions for already preprocessed inputs (``model.preprocess``), batched, in input order
    (``pre_ms``: the preprocessing time of each, reported in its Prediction; ``places``: where each
    picture sits in its input, ``image_placement``, so boxes and masks come back in its pixels)."""
    from livepredict.inference.runtimes import DEFAULT_BATCH  # (not at import: the worker imports this early)

    preds: list[Prediction] = []
    batch = getattr(model.runtime, "batch", DEFAULT_BATCH)
    for start in range(0, len(tensors), batch):
        chunk = np.stack(tensors[start:start + batch])
        t0 = time.perf_counter()
        t_start = time.monotonic()
        outs = model.infer_all(chunk)
        t_end = time.monotonic()
        per = (time.perf_counter() - t0) * 1000.0 / len(chunk)
        for j in range(len(chunk)):
            path = paths[start + j] if paths else ""
            pms = pre_ms[start + j] if pre_ms else 0.0
            where = places[start + j] if places else None
            try:
                result = decode_outputs(model, [o[j] for o in outs], top_k, what="image", placement=where)
            except InferenceError as e:
                preds.append(Prediction(top=(), path=path, infer_ms=per, preprocess_ms=pms, error=str(e)))
                continue
            preds.append(Prediction(top=result.top, scores=result.scores, result=result, preprocess_ms=pms,
                                    infer_ms=per, infer_start_ts=t_start, infer_end_ts=t_end, path=path))
    return preds
