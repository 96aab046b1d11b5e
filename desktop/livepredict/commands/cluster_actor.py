"""The Ray actor of ``livepredict classify --ray``: the engine, once per actor, on batches of paths.

``ClassifyActor`` is the class Ray Data's ``map_batches`` runs in an actor pool. It unpacks the model
bundle (``inference.cluster``: the bytes came through Ray's object store) into a private folder on
its worker and opens it with ``loader.open_model`` — the same engine code as the local run;
TensorFlow is imported there, inside the actor, never pickled with it. Each call classifies one batch
of picture paths exactly as the local run does (``sources.images.read_image`` + ``predict_images``),
with one error per file that cannot be read. Nothing here imports Ray at module level.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core import wire
from livepredict.core.errors import LivePredictError
from livepredict.inference.cluster import unpack_bundle


class ClassifyActor:
    """A Ray Data ``map_batches`` callable class: the models of the run (one for ``classify``, up to
    four for ``evaluate``), each opened once per actor in ``__init__``.

    Each batch is a dict of numpy arrays ``index`` and ``path``; the answer keeps them and adds
    ``result``: per file, as JSON text (``core.wire``, never pickle), one ``(Prediction or None, read error or None)`` pair per model (the
    prediction with the head's typed result: a classification, detections or a mask, so the driver
    writes every task's rows as the local run does), and ``task``, the first model's task. A model
    that cannot be opened or cannot classify pictures answers with ``fatal`` set to its sentence (the
    driver stops with it).
    """

    def __init__(self, bundles: list[Any], top_k: int, trust: bool = False, output: Any = None) -> None:
        self.top_k = int(top_k)
        self.fatal = ""
        self.models: list[Any] = []
        self.folder = Path(tempfile.mkdtemp(prefix="livepredict-actor-"))
        try:
            from livepredict.inference.loader import open_model
            from livepredict.inference.predict import check_image_classifier

            for i, bundle in enumerate(bundles):
                if not isinstance(bundle, dict):  # an ObjectRef: the bytes are in Ray's object store
                    import ray

                    bundle = ray.get(bundle)
                path = unpack_bundle(bundle, self.folder / str(i))
                self.models.append(open_model(path, trust=trust, output=output))
                check_image_classifier(self.models[-1])
        except LivePredictError as e:
            self.fatal = e.message
        except Exception as e:  # noqa: BLE001 - the driver prints it as one sentence
            self.fatal = f"The model could not be opened on a Ray worker ({type(e).__name__}: {e})."

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        paths = [str(p) for p in batch["path"]]
        rows = [wire.dumps(r) for r in predict_files(self.models, paths, self.top_k)] if not self.fatal else []
        task = str(self.models[0].info.task) if self.models and not self.fatal else ""
        return {"index": np.asarray(batch["index"]), "path": np.asarray(paths, dtype=object),
                "result": np.asarray(rows or [""] * len(paths), dtype=object),
                "task": np.asarray([task] * len(paths), dtype=object),
                "fatal": np.asarray([self.fatal] * len(paths), dtype=object)}

    def __del__(self) -> None:
        try:
            for m in self.models:
                m.close()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def predict_files(models: list[Any], paths: list[str], top_k: int) -> list[list[tuple[Any, str | None]]]:
    """Per file, per model, (its Prediction, None) or (None, the sentence why the file could not be
    read), as the local runs make them: each file read once, each model's batch through ``predict_images``."""
    from livepredict.inference.predict import predict_images
    from livepredict.sources.images import read_image

    images: list[tuple[int, np.ndarray]] = []
    errors: dict[int, str] = {}
    for i, p in enumerate(paths):
        try:
            images.append((i, read_image(p)))
        except LivePredictError as e:
            errors[i] = str(e)
    per_model = []
    for model in models:
        preds = predict_images(model, [im for _, im in images], top_k=top_k,
                               paths=[paths[i] for i, _ in images]) if images else []
        per_model.append({i: pred for (i, _), pred in zip(images, preds, strict=True)})
    return [[(got.get(i), errors.get(i)) for got in per_model] for i in range(len(paths))]
