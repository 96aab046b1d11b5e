"""``LoadedModel``: an opened model's description, preprocessing, runtime and output head.

Made by ``loader.open_model``. It runs preprocessed batches (``infer``, ``infer_all``) and knows
how an RGB image becomes its input (``preprocess``); what the outputs mean is its ``head``'s
business (``inference.heads``), and ``inference.predict`` puts the three together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from livepredict.core.errors import InferenceError, LivePredictError, UnsupportedModelError
from livepredict.core.types import ModelInfo, PreprocessSpec
from livepredict.core.wording import a
from livepredict.inference.heads import Head, head_for
from livepredict.inference.preprocess import preprocess_image
from livepredict.inference.runtimes import Runtime


class LoadedModel:
    """An opened model: its description (``info``), preprocessing and the chosen runtime.

    ``infer`` runs an already preprocessed batch; ``inference.predict.predict_images`` does
    everything for RGB images. ``runtimes`` holds every runtime that was built (for ``bench``);
    ``keras_model`` is the Keras object when TensorFlow was loaded (None on a warm start from the
    cache).
    """

    def __init__(self, info: ModelInfo, runtime: Runtime, *, runtimes: dict[str, Runtime] | None = None,
                 keras_model: Any = None, structure: Any = None) -> None:
        self.info = info
        self.runtime = runtime
        self.runtimes = dict(runtimes or {runtime.name: runtime})
        self.keras_model = keras_model
        self.structure = structure or {}
        self._closed = False
        self.pending: Any = None  # inference.background.Pending while a LiteRT conversion runs elsewhere
        self._head: tuple[ModelInfo, Head] | None = None

    # -- running
    @property
    def spec(self) -> PreprocessSpec | None:
        return self.info.preprocess

    @property
    def labels(self) -> tuple[str, ...]:
        return self.info.labels

    @property
    def head(self) -> Head:
        """The output head for the current info (chosen again after ``set_profile`` changes it)."""
        if self._head is None or self._head[0] is not self.info:
            self._head = (self.info, head_for(self.info))
        return self._head[1]

    def _input_shape(self) -> tuple[int | None, ...]:
        return self.info.inputs[0].shape if self.info.inputs else ()

    def infer(self, batch: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """The shown output (``info.output_index``) for a preprocessed batch (N, ...)."""
        outs = self.infer_all(batch)
        index = self.info.output_index
        return outs[index] if len(outs) > index else outs[0]

    def infer_all(self, batch: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
        """Every output (N, ...) for a preprocessed batch through the chosen runtime."""
        if self._closed:
            raise InferenceError("The model was closed; open it again.")
        try:
            return self.runtime.infer_all(batch)
        except LivePredictError:
            raise
        except Exception as e:  # noqa: BLE001 - the runtime's own errors become one sentence
            raise InferenceError(f"The model failed to run on this input ({type(e).__name__}); check the "
                                 "preprocessing settings.", details=str(e)) from e

    def preprocess(self, rgb: np.ndarray) -> np.ndarray:
        """One model-ready tensor (HxWxC of the spec's dtype, reshaped to the model's input rank)."""
        spec = self.spec
        if spec is None:
            raise UnsupportedModelError(self.not_image_reason())
        x = preprocess_image(rgb, spec)
        shape = self._input_shape()
        if len(shape) == 3 and x.ndim == 3 and x.shape[2] == 1:
            x = x[:, :, 0]  # model takes (N, H, W) grayscale without a channel axis
        return x

    def not_image_reason(self) -> str:
        """Why this model cannot classify images (one sentence)."""
        n = len(self.info.inputs)
        if n != 1:
            return (f"This model has {n} inputs, so it cannot classify images; it needs a single image "
                    "input.")
        return (f"This model is {a(self.info.task)}, not an image classifier (input shape "
                f"{list(self._input_shape())}); use a model that takes images.")

    # -- profile
    def set_profile(self, spec: PreprocessSpec | None = None, labels: Sequence[str] | None = None) -> ModelInfo:
        """Override preprocessing and/or labels (e.g. edited in the model panel); returns the new info."""
        changes: dict[str, Any] = {}
        if spec is not None:
            fixed = _fixed_size(self.info)
            if fixed and spec.size != fixed:
                raise UnsupportedModelError(f"This model takes {fixed[0]}x{fixed[1]} images, not "
                                            f"{spec.size[0]}x{spec.size[1]}; keep the model's input size."
                                            if spec.size else "This model takes a fixed image size; "
                                            "keep the model's input size.")
            changes["preprocess"] = spec
        if labels is not None:
            changes["labels"] = tuple(str(x) for x in labels)
        if changes:
            self.info = dataclasses.replace(self.info, **changes)
        return self.info

    def close(self) -> None:
        for rt in self.runtimes.values():
            rt.close()
        self.runtimes.clear()
        self.keras_model = None
        self._closed = True

    def __enter__(self) -> LoadedModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fixed_size(info: ModelInfo) -> tuple[int, int] | None:
    if not info.inputs:
        return None
    shape = info.inputs[0].shape
    if len(shape) in (3, 4) and shape[1] and shape[2]:
        return int(shape[1]), int(shape[2])
    return None
