"""Export an opened model for TensorFlow Serving: ``OUT_DIR/NAME/VERSION/`` as a SavedModel.

The SavedModel carries what the app knows about the model, so a server answers as the app does:

- ``serving_default`` takes a batch of encoded pictures (``image_bytes``: tf.string (N,); the REST
  API accepts ``{"b64": "..."}`` for it), decodes them, applies the model's preprocessing in the graph
  (``inference.serving_graph``: the same spec as the app, following Pillow's arithmetic) and returns
  what the model's head returns (``inference.serving_heads``: scores and the top-k labels for a
  classifier);
- ``preprocessed`` takes model-ready tensors (``input``: N x H x W x C of the model's dtype) and returns
  the same outputs;
- the labels travel inside it (a string variable read by both signatures), and
  ``assets.extra/livepredict.json`` records the preprocessing, labels, head and source model.

The folder is written beside its final place and renamed into it, so an interrupted export leaves
nothing half-written. :func:`check_parity` loads the export back with ``tf.saved_model.load`` and
compares it with the app's own path on pictures.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.errors import LivePredictError, OutputWriteError, UnsupportedModelError
from livepredict.core.serving import check_name, default_name, parse_version  # noqa: F401 - re-exported
from livepredict.core.types import IMAGE_TASKS, ModelInfo
from livepredict.inference import (
    serving_detector,  # noqa: F401 - registers the detector's outputs
    serving_heads,
)
from livepredict.inference.heads import head_class
from livepredict.inference.tf_env import Status, _say, import_tf, quiet_stdout

INPUT_BYTES = "image_bytes"  # the "_bytes" suffix: hosted TF Serving front ends read {"b64": ...} for it
INPUT_TENSOR = "input"
PREPROCESSED = "preprocessed"
DEFAULT_TOP_K = 5


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """Where the export went and what its signatures return."""

    path: Path
    name: str
    version: int
    head: str
    outputs: tuple[str, ...]
    labels: tuple[str, ...]
    top_k: int


def target_folder(out_dir: str | os.PathLike, name: str, version: str | int) -> Path:
    """``OUT_DIR/NAME/VERSION``, checked: a bad name or version, or a folder that exists, is refused."""
    v = parse_version(version)
    target = Path(out_dir).expanduser() / check_name(name) / str(v)
    if target.exists():
        raise LivePredictError(f"{target} already exists; pick another version (--version {v + 1}) or "
                               "remove that folder first.")
    if Path(out_dir).expanduser().exists() and not Path(out_dir).expanduser().is_dir():
        raise LivePredictError(f"{out_dir} is a file, not a folder; give a folder to export into.")
    return target


def check_exportable(info: ModelInfo) -> str:
    """The name of the head whose outputs the export returns; UnsupportedModelError (one sentence)
    when the model is not a picture model with one input, or its head cannot be exported."""
    if info.format == "tflite":
        raise UnsupportedModelError("A .tflite model cannot be exported for TensorFlow Serving (it is no "
                                    "TensorFlow graph); export the Keras or SavedModel file it was made from.")
    if info.task not in IMAGE_TASKS or info.preprocess is None or len(info.inputs) != 1:
        raise UnsupportedModelError(f"Only picture models with one input can be exported for TensorFlow Serving; "
                                    f"this one is a {info.task} with {len(info.inputs)} input(s).")
    if info.preprocess.size is None:
        raise UnsupportedModelError("This model takes pictures of any size; set a fixed input size in its "
                                    "sidecar (preprocess.size) so a batch of pictures can be exported.")
    cls = head_class(info)
    name = cls.name
    if serving_heads.outputs_for(name) is None:
        raise UnsupportedModelError(f"The {name} output head cannot be exported for TensorFlow Serving yet "
                                    f"(exportable: {', '.join(serving_heads.exportable_heads())}).")
    why = serving_heads.refusal(name, cls(info))
    if why:
        raise UnsupportedModelError(why)
    return name


def _graph_model(model: Any) -> tuple[Any, Callable[[Any], list[Any]]]:
    """(the object to track, a function batch -> every raw output in the app's order)."""
    km = getattr(model, "keras_model", None)
    if km is not None:
        names = list(getattr(km, "output_names", None) or [])

        def call(x: Any) -> list[Any]:
            out = km(x, training=False)
            if isinstance(out, dict):  # dict outputs in the order the runtimes give them
                return [out[k] for k in (names or sorted(out))]
            return list(out) if isinstance(out, list | tuple) else [out]

        return km, call
    rt = getattr(model.runtime, "inner", model.runtime)
    loaded = getattr(rt, "loaded", None)
    if loaded is not None and hasattr(rt, "fn"):
        fn, names, key = rt.fn, list(rt.output_names), rt.input_names[0]
        return loaded, lambda x: [fn(**{key: x})[n] for n in names]
    raise UnsupportedModelError("This model was opened without its TensorFlow graph; open it again to export it.")


def graph_model_for(model: Any, trust: bool = False, status: Status = None) -> Any:
    """``model`` itself when it holds its TensorFlow graph, else the same file opened again with the
    Keras runtime (a warm start from the LiteRT cache has none), with ``model``'s profile applied."""
    try:
        _graph_model(model)
        return model
    except UnsupportedModelError:
        pass
    from livepredict.inference.loader import open_model

    info = model.info
    again = open_model(info.path, trust=trust or bool(info.extras.get("trusted")), runtime="keras",
                       use_cache=False, status=status, output=info.output_index)
    again.set_profile(spec=info.preprocess, labels=info.labels)
    return again


class _Holder:
    """Builds the tf.Module lazily (TensorFlow is imported by then)."""

    @staticmethod
    def make(tf: Any, tracked: Any, labels: tuple[str, ...]) -> Any:
        module = tf.Module()
        module.model = tracked
        module.labels = tf.Variable(list(labels), trainable=False, dtype=tf.string, name="labels")
        return module


def _signatures(tf: Any, model: Any, head_name: str, top_k: int, module: Any,
                call: Callable[[Any], list[Any]]) -> dict[str, Any]:
    from livepredict.inference.serving_graph import picture_batch

    info, head = model.info, model.head
    spec = info.preprocess
    outputs_fn = serving_heads.outputs_for(head_name)
    assert outputs_fn is not None and spec is not None and spec.size is not None
    h, w = spec.size
    rank = len(info.inputs[0].shape)

    def run(batch: Any, original_hw: Any) -> dict[str, Any]:
        if rank == 3 and spec.channels == 1:
            batch = batch[..., 0]  # the model takes (N, H, W) grayscale without a channel axis
        ctx = serving_heads.ServingContext(top_k=top_k, labels=module.labels, spec=spec, original_hw=original_hw)
        return outputs_fn(tf, head, call(batch), ctx)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=INPUT_BYTES)])
    def serve(image_bytes: Any) -> dict[str, Any]:
        batch, original_hw = picture_batch(image_bytes, spec)
        return run(batch, original_hw)

    @tf.function(input_signature=[tf.TensorSpec([None, h, w, spec.channels], tf.as_dtype(spec.dtype),
                                                name=INPUT_TENSOR)])
    def preprocessed(input: Any) -> dict[str, Any]:  # noqa: A002 - the signature's input name
        return run(input, None)

    return {"serving_default": serve.get_concrete_function(), PREPROCESSED: preprocessed.get_concrete_function()}


def _metadata(model: Any, head_name: str, labels: tuple[str, ...], top_k: int, outputs: Sequence[str]) -> dict:
    import livepredict

    info = model.info
    return {"exported_by": f"Live Predict {livepredict.__version__}", "source": info.path, "task": info.task,
            "head": head_name, "labels": list(labels), "preprocess": info.preprocess.to_json(),
            "top_k": top_k, "signatures": {"serving_default": {"inputs": [INPUT_BYTES], "outputs": list(outputs)},
                                           PREPROCESSED: {"inputs": [INPUT_TENSOR], "outputs": list(outputs)}}}


def export_for_serving(model: Any, out_dir: str | os.PathLike, name: str | None = None,
                       version: str | int = 1, top_k: int = DEFAULT_TOP_K, status: Status = None,
                       trust: bool = False) -> ExportResult:
    """Write ``model`` (a ``LoadedModel``) to ``OUT_DIR/NAME/VERSION`` (see the module docstring)."""
    if int(top_k) < 1:
        raise LivePredictError(f"--top must be at least 1, not {top_k}; ask for 1 or more labels.")
    name = name or default_name(model.info.path)
    target = target_folder(out_dir, name, version)
    head_name = check_exportable(model.info)
    model = graph_model_for(model, trust=trust, status=status)
    tf = import_tf(status)
    head = model.head
    units = int(model.info.outputs[model.info.output_index].shape[-1] or 1)
    labels = serving_heads.stored_labels(head_name, head, units)
    tracked, call = _graph_model(model)
    module = _Holder.make(tf, tracked, labels)
    _say(status, "Tracing the serving signatures…")
    signatures = _signatures(tf, model, head_name, top_k, module, call)
    outputs = tuple(sorted(signatures["serving_default"].structured_outputs))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    except OSError as e:
        raise OutputWriteError(f"Cannot write into {target.parent} ({e.strerror or type(e).__name__}); pick "
                               "another folder.", details=str(e)) from e
    try:
        _say(status, f"Writing {target}…")
        with quiet_stdout():
            tf.saved_model.save(module, str(tmp), signatures=signatures)
        extra = tmp / "assets.extra"
        extra.mkdir(exist_ok=True)
        meta = _metadata(model, head_name, labels, top_k, outputs)
        (extra / "livepredict.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, target)
    except OSError as e:
        raise OutputWriteError(f"Cannot write {target} ({e.strerror or type(e).__name__}); free some space or "
                               "pick another folder.", details=str(e)) from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ExportResult(target, name, int(target.name), head_name, outputs, labels, min(top_k, len(labels)))


@dataclasses.dataclass(frozen=True)
class Parity:
    """How an export answers compared with the app on the same pictures."""

    pictures: int
    top1_agree: int
    max_abs_diff: float

    @property
    def agreement(self) -> float:
        return self.top1_agree / self.pictures if self.pictures else 1.0


def check_parity(export_path: str | os.PathLike, model: Any, encoded: Sequence[bytes],
                 images: Sequence[np.ndarray], batch: int = 16) -> Parity:
    """Run ``serving_default`` of the export at ``export_path`` on ``encoded`` pictures and the app's
    own path (``predict_images``) on the same pictures decoded by the app (``images``)."""
    from livepredict.inference.predict import predict_images

    tf = import_tf()
    sig = tf.saved_model.load(str(export_path)).signatures["serving_default"]
    agree, worst = 0, 0.0
    for start in range(0, len(encoded), batch):
        got = sig(**{INPUT_BYTES: tf.constant(list(encoded[start:start + batch]))})
        scores = got["scores"].numpy()
        preds = predict_images(model, list(images[start:start + batch]), top_k=1)
        for row, pred in zip(scores, preds, strict=True):
            ref = np.asarray(pred.scores, np.float64)
            worst = max(worst, float(np.max(np.abs(row.astype(np.float64) - ref))))
            agree += int(int(np.argmax(row)) == int(np.argmax(ref)))
    return Parity(len(encoded), agree, worst)
