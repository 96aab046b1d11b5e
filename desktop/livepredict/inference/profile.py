"""The preprocessing profile of an opened model: spec, labels, task, source and warnings.

From, in order: the sidecar; the Teachable Machine layout; preprocessing inside the model (layers,
operations at the start of the graph); a keras.applications base found by name or by its layers;
otherwise a default with a warning that says what is fed and how to change it. Also the probe
inputs used to check and time runtimes, and which output of a multi-output model is shown.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.errors import SidecarError
from livepredict.core.labels import default_labels, read_labels_checked
from livepredict.core.types import DTYPES, PreprocessSpec
from livepredict.inference import describe, vision
from livepredict.inference.describe import ModelStructure
from livepredict.inference.preprocess import preprocess_image
from livepredict.inference.sidecar import sidecar_path

N_PROBES = 4
Profile = tuple[PreprocessSpec | None, tuple[str, ...], str, str, list[str]]


def default_spec(structure: ModelStructure) -> PreprocessSpec | None:
    inputs = structure.inputs
    if len(inputs) != 1:
        return None
    shape = inputs[0].shape
    dtype = inputs[0].dtype if inputs[0].dtype in DTYPES else "float32"
    pre = structure.preprocessing
    if len(shape) == 4:
        h, w, c = shape[1], shape[2], shape[3]
    elif len(shape) == 3 and structure.task == "image-classifier":
        h, w, c = shape[1], shape[2], 1
    else:
        return None
    if c not in (1, 3, None):
        return None
    size = (int(h), int(w)) if h and w else ((int(pre.size[0]), int(pre.size[1])) if pre.size else (224, 224))
    scale = "none" if (pre.pixels or dtype in ("uint8", "int8")) else "0..1"
    return PreprocessSpec(size=size, resize="squash", interpolation="bilinear",
                          color="gray" if c == 1 else "rgb", scale=scale, dtype=dtype,
                          in_model=pre.in_model)


def choose_output(structure: ModelStructure, wanted: str | int | None, path: Path
                  ) -> tuple[ModelStructure, list[str]]:
    """Pick the output to show (``wanted``: an index or an output name; None: the first) and say
    which one was picked when there are several."""
    outs = structure.outputs
    index = 0
    if wanted is not None and wanted != "":
        names = [t.name for t in outs]
        if isinstance(wanted, int) or str(wanted).isdigit():
            index = int(wanted)
            if not 0 <= index < len(outs):
                raise SidecarError(f"{path.name} has {len(outs)} output(s), so there is no output {index}; pick "
                                   f"0..{len(outs) - 1} or a name ({', '.join(names)}).")
        else:
            matches = [i for i, n in enumerate(names) if n == wanted or n.split(":")[0].split("/")[0] == wanted]
            if not matches:
                raise SidecarError(f"{path.name} has no output named {wanted!r}; its outputs are "
                                   f"{', '.join(names)}.")
            index = matches[0]
    chosen = describe.with_output(structure, index)
    notes = []
    if len(outs) > 1 and chosen.task not in vision.VISION_TASKS:  # a detector reads all its outputs
        listed = ", ".join(f"{i}: {t.name} {list(t.shape)}" for i, t in enumerate(outs))
        how = "as asked" if wanted not in (None, "") else "by default, the first"
        notes.append(f"This model has {len(outs)} outputs ({listed}); showing output {index} "
                     f"({outs[index].name}) {how}; pick another in the Model tab (Shown output), with the sidecar key \"output\" or --output.")
    return chosen, notes


def _sidecar_spec(base: PreprocessSpec, structure: ModelStructure, sidecar: dict[str, Any],
                  warnings: list[str]) -> PreprocessSpec:
    pre = structure.preprocessing
    merged = base.to_json()
    merged.update(sidecar["preprocess"])
    merged["in_model"] = list(pre.in_model)
    spec = PreprocessSpec.from_json(merged)
    fixed = base.size if structure.fixed_size else None
    if fixed and spec.size != fixed:
        asked = f"{spec.size[0]}x{spec.size[1]}" if spec.size else "any-size"
        warnings.append(f"The sidecar asks for {asked} images but the model takes "
                        f"{fixed[0]}x{fixed[1]}; using {fixed[0]}x{fixed[1]}.")
        spec = dataclasses.replace(spec, size=fixed)
    if pre.pixels and spec.scale != "none":
        warnings.append(f"The model scales pixels itself ({', '.join(pre.in_model)}) and the sidecar also "
                        f"scales them ({spec.scale}); check the sidecar, the scaling may be doubled.")
    return spec


def _detected_spec(path: Path, base: PreprocessSpec, structure: ModelStructure, is_tm: bool,
                   warnings: list[str]) -> tuple[PreprocessSpec, str]:
    pre = structure.preprocessing
    if is_tm:
        size = base.size if structure.fixed_size else (224, 224)
        return dataclasses.replace(base, size=size, resize="center-crop", interpolation="lanczos", color="rgb",
                                   scale="none" if pre.pixels else "-1..1"), "teachable-machine"
    if pre.in_model:
        return base, "model"
    app = (pre.application, pre.found_in) if pre.application else None
    if app is None and (by_name := describe.application_preprocessing(structure.name)):
        app = (by_name[0], f"the model (by its name {structure.name!r})")
    if app is not None and base.dtype not in ("uint8", "int8"):
        merged = base.to_json()
        merged.update(describe.family_keys(app[0]))
        spec = PreprocessSpec.from_json(merged)
        warnings.append(f"Preprocessing follows keras.applications {app[0]}, found in {app[1]}: "
                        f"{spec.describe()}; check it or add a sidecar {sidecar_path(path).name}.")
        return spec, "model"
    return base, "default"


def _labels(path: Path, sidecar: dict[str, Any] | None, warnings: list[str]) -> tuple[tuple[str, ...], bool]:
    labels_txt = _labels_file(path)
    if sidecar and sidecar.get("labels"):
        return tuple(sidecar["labels"]), False
    if labels_txt.is_file():
        try:
            labels, label_warnings = read_labels_checked(labels_txt)
            warnings.extend(label_warnings)
            return tuple(labels), True
        except OSError:
            warnings.append(f"Cannot read {labels_txt.name}; using numbered labels.")
    return (), False


def _labels_file(path: Path) -> Path:
    if path.is_dir() and (path / "labels.txt").is_file():  # inside a SavedModel folder
        return path / "labels.txt"
    return path.parent / "labels.txt"


def fed_description(spec: PreprocessSpec) -> str:
    what = {"none": "raw 0..255 pixel values", "0..1": "pixels scaled to 0..1", "-1..1": "pixels scaled to -1..1",
            "mean-std": "pixels minus a mean, divided by a std"}[spec.scale]
    return f"{what} ({spec.color.upper()}, {spec.dtype}, {spec.resize} resize)"


def resolve_profile(path: Path, structure: ModelStructure, sidecar: dict[str, Any] | None,
                    metadata: dict[str, Any] | None = None) -> Profile:
    """(spec, labels, preprocess_source, task, warnings) from the model, sidecar and files beside it
    (``metadata``: what the file's embedded metadata says, see ``inference.metadata``)."""
    warnings: list[str] = []
    task = structure.task
    if sidecar and sidecar.get("task"):
        task = sidecar["task"]
        structure = dataclasses.replace(structure, task=task)
    base = default_spec(structure)
    is_tm = path.name == "keras_model.h5" and _labels_file(path).is_file()
    source = "default"
    spec = base
    if base is not None and sidecar and sidecar.get("preprocess"):
        spec, source = _sidecar_spec(base, structure, sidecar, warnings), "sidecar"
    elif base is not None and metadata and metadata.get("preprocess"):  # e.g. a YOLO export: letterboxed, 0..1
        spec, source = dataclasses.replace(base, **metadata["preprocess"]), "model"
    elif base is not None:
        spec, source = _detected_spec(path, base, structure, is_tm, warnings)
    labels, from_file = _labels(path, sidecar, warnings)
    if not labels and metadata and metadata.get("labels"):
        labels, from_file = tuple(metadata["labels"]), False
    task, unfit = vision.settle(path, structure, task, sidecar, labels, metadata)
    if unfit:
        warnings.append(unfit)
    if from_file and source == "default":
        source = "labels-file"
    if spec is not None and source in ("default", "labels-file") and not structure.preprocessing.pixels:
        if spec.dtype in ("uint8", "int8"):
            pass  # a quantised input: described with its scale and zero point by the LiteRT opener
        else:
            warnings.append(f"No preprocessing information was found, so the model is fed {fed_description(spec)}; "
                            "check the result, or describe the preprocessing in a sidecar "
                            f"{sidecar_path(path).name} (\"preprocess\": {{\"scale\": \"-1..1\"}} for example).")
    return spec, _class_labels(structure, task, labels, warnings), source, task, warnings


def _class_labels(structure: ModelStructure, task: str, labels: tuple[str, ...], warnings: list[str]
                  ) -> tuple[str, ...]:
    out = structure.output
    n_out = out.shape[-1] if out is not None and out.shape else None
    if n_out and structure.output_kind != "values" and task in ("image-classifier", "text-classifier"):
        expected = 2 if n_out == 1 else n_out
        if labels and len(labels) != expected and not (n_out == 1 and len(labels) == 1):
            warnings.append(f"{len(labels)} labels were found but the model has {expected} classes; check "
                            "the labels.")
        if not labels:
            labels = tuple(default_labels(expected))
    return labels


def probe_inputs(structure: ModelStructure, spec: PreprocessSpec | None, n: int = N_PROBES,
                 vocab_size: int | None = None) -> list[list[np.ndarray]]:
    """``n`` batch-1 probe inputs (one array per model input), fixed seed."""
    rng = np.random.default_rng(1234)
    probes = []
    for k in range(n):
        arrays = []
        for i, t in enumerate(structure.inputs):
            if i == 0 and spec is not None:
                h, w = spec.size or (64, 64)
                img = np.full((h, w, 3), 128, np.uint8) if k == 0 else rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                x = preprocess_image(img, spec)
                if len(t.shape) == 3 and x.ndim == 3 and x.shape[2] == 1:
                    x = x[:, :, 0]
                arrays.append(x[None])
                continue
            shape = [1] + [d if d else 8 for d in t.shape[1:]]
            dt = t.dtype
            if dt.startswith(("int", "uint")):
                hi = vocab_size or structure.embedding_input_dim or 10
                arrays.append(rng.integers(0, hi, shape).astype(dt))
            else:
                arrays.append(rng.standard_normal(shape).astype(dt if dt in DTYPES else "float32"))
        probes.append(arrays)
    return probes
