"""The Ray actor of ``livepredict classify --ray``: the engine, once per actor, on batches of paths.

``ClassifyActor`` is the class Ray Data's ``map_batches`` runs in an actor pool. It unpacks the model
bundle (``inference.cluster``: the bytes came through Ray's object store) into a private folder on
its worker and opens it with ``loader.open_model`` — the same engine code as the local run;
TensorFlow is imported there, inside the actor, never pickled with it. Each call classifies one batch
of picture paths exactly as the local run does (``sources.images.read_image`` + ``predict_images``),
with one error per file that cannot be read. Nothing here imports Ray at module level.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.errors import LivePredictError
from livepredict.inference.cluster import unpack_bundle


class ClassifyActor:
    """A Ray Data ``map_batches`` callable class: one model per actor, opened in ``__init__``.

    Each batch is a dict of numpy arrays ``index`` and ``path``; the answer keeps them and adds
    ``result``: one JSON text per file, ``{"top": [[label, score], ...], "error": ...}``. A model that
    cannot be opened or cannot classify pictures answers every row with ``fatal`` set to its sentence
    (the driver stops with it).
    """

    def __init__(self, bundle: Any, top_k: int, trust: bool = False, output: Any = None) -> None:
        self.top_k = int(top_k)
        self.fatal = ""
        self.model: Any = None
        self.folder = Path(tempfile.mkdtemp(prefix="livepredict-actor-"))
        try:
            if isinstance(bundle, list):  # [ObjectRef]: the bytes are in Ray's object store
                import ray

                bundle = ray.get(bundle[0])
            from livepredict.inference.loader import open_model
            from livepredict.inference.predict import check_image_classifier

            path = unpack_bundle(bundle, self.folder)
            self.model = open_model(path, trust=trust, output=output)
            check_image_classifier(self.model)
        except LivePredictError as e:
            self.fatal = e.message
        except Exception as e:  # noqa: BLE001 - the driver prints it as one sentence
            self.fatal = f"The model could not be opened on a Ray worker ({type(e).__name__}: {e})."

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        paths = [str(p) for p in batch["path"]]
        if self.fatal:
            rows = [json.dumps({"top": [], "error": None, "fatal": self.fatal})] * len(paths)
        else:
            rows = [json.dumps({"top": [[lbl, s] for lbl, s in pred.top], "error": pred.error})
                    for pred in classify_paths(self.model, paths, self.top_k)]
        return {"index": np.asarray(batch["index"]), "path": np.asarray(paths, dtype=object),
                "result": np.asarray(rows, dtype=object)}

    def __del__(self) -> None:
        try:
            if self.model is not None:
                self.model.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def classify_paths(model: Any, paths: list[str], top_k: int) -> list[Any]:
    """Predictions for picture files, in order, as ``livepredict classify`` makes them: a file that
    cannot be read gets its one-sentence error."""
    from livepredict.core.types import Prediction
    from livepredict.inference.predict import predict_images
    from livepredict.sources.images import read_image

    images: list[tuple[int, np.ndarray]] = []
    errors: dict[int, str] = {}
    for i, p in enumerate(paths):
        try:
            images.append((i, read_image(p)))
        except LivePredictError as e:
            errors[i] = str(e)
    preds = predict_images(model, [im for _, im in images], top_k=top_k,
                           paths=[paths[i] for i, _ in images]) if images else []
    by_index = {i: pred for (i, _), pred in zip(images, preds, strict=True)}
    return [by_index.get(i) or Prediction(top=(), path=p, error=errors.get(i)) for i, p in enumerate(paths)]
