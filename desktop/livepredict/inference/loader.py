"""Opening a model file: format sniffing, safe loading, description, runtime choice, warm cache.

``open_model(path)`` returns a :class:`LoadedModel`. Importing this module is cheap (no
TensorFlow): TensorFlow is imported only when a model must be loaded or converted, never when a
verified LiteRT conversion of the same file content is already in the cache.

Call ``open_model`` in the thread that will run the model (a LiteRT interpreter belongs to the
thread that created it; other threads get their own interpreter lazily).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.errors import (
    LivePredictError,
    ModelLoadError,
    UnsafeModelError,
)
from livepredict.core.labels import default_labels, read_labels_checked
from livepredict.core.paths import not_a_file
from livepredict.core.types import DTYPES, ModelInfo, PreprocessSpec, RuntimeCheck
from livepredict.inference import cache as model_cache
from livepredict.inference import describe, limits
from livepredict.inference.model import LoadedModel
from livepredict.inference.preprocess import preprocess_image
from livepredict.inference.runtimes import (
    DEFAULT_BATCH,
    DEFAULT_TOLERANCE,
    KerasRuntime,
    LiteRTRuntime,
    Runtime,
    SavedModelRuntime,
    time_runtime,
)
from livepredict.inference.sidecar import read_sidecar, sidecar_path
from livepredict.inference.tf_env import Status, _say, tf_version

RUNTIME_CHOICES = ("auto", "keras", "litert")
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
N_PROBES = 4
# LiteRT is preferred unless it is clearly slower than Keras on this machine (it also allows
# a warm start without TensorFlow).
LITERT_SLACK = 1.10


# ---------------------------------------------------------------- format sniffing (no TF)

def _head(path: Path, n: int = 2048) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def detect_format(path: str | Path) -> str:
    """``keras`` | ``h5`` | ``savedmodel`` | ``tflite`` from the file's bytes (and its name).

    Raises ModelLoadError with one sentence for a missing, empty, unreadable or non-model path.
    """
    p = Path(path)
    try:
        exists = p.exists()
    except OSError:
        exists = False
    if not exists:
        raise ModelLoadError(f"No model file or folder at {p}; check the path.")
    if p.is_dir():
        if (p / "saved_model.pb").is_file() or (p / "saved_model.pbtxt").is_file():
            return "savedmodel"
        raise ModelLoadError(f"{p} is a folder but not a SavedModel (it has no saved_model.pb); pick a "
                             ".keras, .h5 or .tflite file, or a SavedModel folder.")
    special = not_a_file(p)
    if special is not None:
        raise ModelLoadError(f"{p} is {special}, not a model file; pick a .keras, .h5 or .tflite file or a "
                             "SavedModel folder.")
    try:
        size = p.stat().st_size
        head = _head(p)
    except PermissionError:
        raise ModelLoadError(f"Permission denied reading {p}; check the file's permissions.") from None
    except OSError as e:
        raise ModelLoadError(f"Cannot read {p} ({e.strerror or e}); check the path.") from e
    if size == 0:
        raise ModelLoadError(f"{p} is empty (0 bytes); the download or copy probably failed, get the "
                             "file again.")
    ext = p.suffix.lower()
    if head.startswith(b"PK"):
        if not zipfile.is_zipfile(p):
            raise ModelLoadError(f"{p} is a truncated or damaged .keras archive; save or copy the model "
                                 "again.")
        with zipfile.ZipFile(p) as z:
            names = set(z.namelist())
        if "config.json" not in names:
            raise ModelLoadError(f"{p} is a zip file but not a Keras model (no config.json inside); pick "
                                 "a file saved with model.save('name.keras').")
        limits.check_keras_archive(p)
        return "keras"
    if any(head[o:o + 8] == HDF5_MAGIC for o in (0, 512, 1024)):
        limits.check_h5_description(p)
        return "h5"
    if head[4:8] == b"TFL3":
        return "tflite"
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        raise ModelLoadError(f"{p} is an HTML page, not a model (probably an error page saved instead of "
                             "the download); download the model file itself.")
    kind = {".keras": "Keras", ".h5": "HDF5", ".hdf5": "HDF5", ".tflite": "LiteRT"}.get(ext)
    if kind:
        raise ModelLoadError(f"{p} is not a valid {kind} model file (its content is not in that format); "
                             "check that it was saved or downloaded completely.")
    raise ModelLoadError(f"{p} is not a model Live Predict can open; pick a .keras, .h5 or .tflite file "
                         "or a SavedModel folder.")


# ---------------------------------------------------------------- preprocessing profile

def _default_spec(structure: dict[str, Any]) -> PreprocessSpec | None:
    inputs = structure["inputs"]
    if len(inputs) != 1:
        return None
    shape = inputs[0]["shape"]
    dtype = inputs[0]["dtype"] if inputs[0]["dtype"] in DTYPES else "float32"
    pre = structure.get("preprocessing") or {"in_model": [], "size": None, "pixels": False}
    if len(shape) == 4:
        h, w, c = shape[1], shape[2], shape[3]
    elif len(shape) == 3 and structure.get("task") == "image-classifier":
        h, w, c = shape[1], shape[2], 1
    else:
        return None
    if c not in (1, 3, None):
        return None
    size = (h, w) if h and w else (tuple(pre["size"]) if pre.get("size") else (224, 224))
    scale = "none" if (pre.get("pixels") or dtype in ("uint8", "int8")) else "0..1"
    return PreprocessSpec(size=size, resize="squash", interpolation="bilinear",
                          color="gray" if c == 1 else "rgb", scale=scale, dtype=dtype,
                          in_model=tuple(pre.get("in_model", ())))


def resolve_profile(path: Path, structure: dict[str, Any], sidecar: dict[str, Any] | None
                    ) -> tuple[PreprocessSpec | None, tuple[str, ...], str, str, list[str]]:
    """(spec, labels, preprocess_source, task, warnings) from the model, sidecar and files beside it."""
    warnings: list[str] = []
    task = structure["task"]
    if sidecar and sidecar.get("task"):
        task = sidecar["task"]
        structure = dict(structure, task=task)
    base = _default_spec(structure)
    pre = structure.get("preprocessing") or {}
    in_model = tuple(pre.get("in_model", ()))
    labels_txt = path.parent / "labels.txt"
    if path.is_dir() and (path / "labels.txt").is_file():  # inside a SavedModel folder
        labels_txt = path / "labels.txt"
    is_tm = path.name == "keras_model.h5" and labels_txt.is_file()
    source = "default"
    spec = base
    if base is not None and sidecar and sidecar.get("preprocess"):
        merged = base.to_json()
        merged.update(sidecar["preprocess"])
        merged["in_model"] = list(in_model)
        spec = PreprocessSpec.from_json(merged)
        source = "sidecar"
        fixed = (base.size if base and _structure_fixed(structure) else None)
        if fixed and spec.size != fixed:
            warnings.append(f"The sidecar asks for {spec.size[0]}x{spec.size[1]} images but the model takes "
                            f"{fixed[0]}x{fixed[1]}; using {fixed[0]}x{fixed[1]}.")
            spec = dataclasses.replace(spec, size=fixed)
        if pre.get("pixels") and spec.scale != "none":
            warnings.append(f"The model scales pixels itself ({', '.join(in_model)}) and the sidecar also "
                            f"scales them ({spec.scale}); check the sidecar, the scaling may be doubled.")
    elif base is not None and is_tm:
        size = base.size if _structure_fixed(structure) else (224, 224)
        spec = dataclasses.replace(base, size=size, resize="center-crop", interpolation="lanczos",
                                   color="rgb", scale="none" if pre.get("pixels") else "-1..1")
        source = "teachable-machine"
    elif base is not None and in_model:
        source = "model"
    elif base is not None and (app := describe.application_preprocessing(structure.get("name"))):
        family, keys = app
        merged = base.to_json()
        merged.update(keys)
        spec = PreprocessSpec.from_json(merged)
        source = "model"
        warnings.append(f"Preprocessing follows keras.applications {family} (the model is named "
                        f"{structure.get('name')!r}): {spec.describe()}; check it or add a sidecar.")
    labels: tuple[str, ...] = ()
    if sidecar and sidecar.get("labels"):
        labels = tuple(sidecar["labels"])
    elif labels_txt.is_file():
        try:
            read, label_warnings = read_labels_checked(labels_txt)
            labels = tuple(read)
            warnings.extend(label_warnings)
        except OSError:
            warnings.append(f"Cannot read {labels_txt.name}; using numbered labels.")
        if source == "default":
            source = "labels-file"
    if base is not None and source in ("default", "labels-file") and not (pre.get("pixels")):
        warnings.append("No preprocessing information was found, so images are scaled to 0..1 with a "
                        "squash resize; check the result or describe it in a sidecar "
                        f"{sidecar_path(path).name}.")
    n_out = _n_classes(structure)
    if n_out and structure.get("output_kind") not in ("values",) and task in ("image-classifier",):
        expected = 2 if n_out == 1 else n_out
        if labels and len(labels) != expected and not (n_out == 1 and len(labels) == 1):
            warnings.append(f"{len(labels)} labels were found but the model has {expected} classes; check "
                            "the labels.")
        if not labels:
            labels = tuple(default_labels(expected))
    return spec, labels, source, task, warnings


def _structure_fixed(structure: dict[str, Any]) -> bool:
    shape = structure["inputs"][0]["shape"] if structure.get("inputs") else []
    return len(shape) >= 3 and bool(shape[1]) and bool(shape[2])


def _n_classes(structure: dict[str, Any]) -> int | None:
    outs = structure.get("outputs") or []
    if not outs or not outs[0]["shape"]:
        return None
    return outs[0]["shape"][-1]


# ---------------------------------------------------------------- probes

def _probe_inputs(structure: dict[str, Any], spec: PreprocessSpec | None, n: int = N_PROBES,
                  vocab_size: int | None = None) -> list[list[np.ndarray]]:
    """``n`` batch-1 probe inputs (one array per model input), fixed seed."""
    rng = np.random.default_rng(1234)
    probes = []
    for k in range(n):
        arrays = []
        for i, t in enumerate(structure["inputs"]):
            if i == 0 and spec is not None:
                h, w = spec.size or (64, 64)
                if k == 0:
                    img = np.full((h, w, 3), 128, np.uint8)
                else:
                    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                x = preprocess_image(img, spec)
                if len(t["shape"]) == 3 and x.ndim == 3 and x.shape[2] == 1:
                    x = x[:, :, 0]
                arrays.append(x[None])
                continue
            shape = [1] + [d if d else 8 for d in t["shape"][1:]]
            dt = t["dtype"]
            if dt.startswith(("int", "uint")):
                hi = vocab_size or 10
                arrays.append(rng.integers(0, hi, shape).astype(dt))
            else:
                arrays.append(rng.standard_normal(shape).astype(dt if dt in DTYPES else "float32"))
        probes.append(arrays)
    return probes


# ---------------------------------------------------------------- loading Keras files

def _custom_objects(path: Path, trust: bool) -> tuple[dict[str, Any], list[Path]]:
    """Classes from ``.py`` files beside the model (only when trusted)."""
    folder = path.parent if path.is_file() else path
    stem = path.name.split(".")[0]
    candidates = [folder / f"{path.name}.py", folder / f"{stem}.py", folder / "custom_layers.py",
                  folder / "custom_objects.py"]
    found = [c for c in dict.fromkeys(candidates) if c.is_file()]
    if not trust or not found:
        return {}, found
    objs: dict[str, Any] = {}
    for f in found:
        name = f"livepredict_custom_{abs(hash(str(f)))}"
        spec = importlib.util.spec_from_file_location(name, f)
        if spec is None or spec.loader is None:
            continue
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except Exception as e:  # noqa: BLE001 - user code
            raise ModelLoadError(f"The custom layer file {f.name} beside the model failed to run "
                                 f"({type(e).__name__}: {e}); fix it and open the model again.") from e
        for attr, val in vars(mod).items():
            if inspect.isclass(val) or inspect.isfunction(val):
                if getattr(val, "__module__", None) == name:
                    objs[attr] = val
    return objs, found


_LAMBDA_RE = re.compile(r"Lambda|lambda|arbitrary code", re.S)
_UNKNOWN_RE = re.compile(r"(?:Could not locate (?:class|function) '?([\w.]+)'?|Unknown (?:layer|object)"
                         r"(?: type)?:? '?([\w.]+)'?)")


def _keras_error(e: Exception, path: Path, trust: bool, found_py: list[Path]) -> LivePredictError:
    msg = str(e)
    details = f"{type(e).__name__}: {msg}"
    if not trust and "safe_mode" in msg and _LAMBDA_RE.search(msg):
        return UnsafeModelError(f"{path.name} contains a Lambda layer (Python code that runs when loaded) "
                                "and was not opened; if you trust its source, open it again with --trust "
                                "(or confirm in the app).", details)
    m = _UNKNOWN_RE.search(msg)
    if m:
        cls = (m.group(1) or m.group(2) or "?").split(".")[-1]
        if found_py and not trust:
            return UnsafeModelError(f"{path.name} needs the custom class {cls} from {found_py[0].name} beside "
                                    "it, which runs code; if you trust it, open the model again with --trust.",
                                    details)
        return ModelLoadError(f"{path.name} needs the custom class {cls}, which is not available; put its "
                              f"code in {path.name.split('.')[0]}.py beside the model and open it with --trust.",
                              details)
    first = msg.strip().splitlines()[0] if msg.strip() else type(e).__name__
    if len(first) > 160:
        first = first[:157] + "…"
    return ModelLoadError(f"Keras could not load {path.name} ({first}); check that it is a complete Keras "
                          "model saved with model.save().", details)


def _load_keras_file(path: Path, fmt: str, trust: bool, status: Status) -> tuple[Any, list[str], bool]:
    """The Keras model, the legacy repairs applied and whether custom code from a ``.py`` was loaded."""
    from livepredict.inference.tf_env import import_keras

    keras = import_keras(status)
    _say(status, "Loading model…")
    custom, found_py = _custom_objects(path, trust)

    def load(p: Path) -> Any:
        with keras.utils.custom_object_scope(custom):
            return keras.models.load_model(p, compile=False, safe_mode=not trust)

    try:
        return load(path), [], bool(custom)
    except Exception as e:  # noqa: BLE001 - analysed below
        first_error = e
    if fmt != "h5":
        raise _keras_error(first_error, path, trust, found_py) from first_error
    # Keras-2 era .h5: repair known legacy keys, then whatever keys the error names.
    from livepredict.inference import legacy

    try:
        config, _ = legacy.read_h5_config(path)
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(f"{path.name} is an HDF5 file Keras cannot read ({type(e).__name__}); check that "
                             "it is a complete model saved with model.save().", str(e)) from e
    if config is None:
        raise ModelLoadError(f"{path.name} holds only weights, not a model (no model_config); save the whole "
                             "model with model.save() and open that.", str(first_error))
    repairs = legacy.repair_config(config)
    error: Exception = first_error
    with tempfile.TemporaryDirectory(prefix="livepredict-h5-") as tmp:
        for _ in range(6):
            extra = legacy.keys_from_error(str(error))
            if extra:
                repairs += legacy.repair_config(config, drop=extra)
            if not repairs:
                break
            fixed = legacy.write_repaired_copy(path, Path(tmp) / path.name, config)
            try:
                return load(fixed), sorted(set(repairs)), bool(custom)
            except Exception as e:  # noqa: BLE001
                if not legacy.keys_from_error(str(e)) or str(e) == str(error):
                    error = e
                    break
                error = e
    raise _keras_error(error, path, trust, found_py) from error


def _needs_trust(path: Path, fmt: str) -> bool:
    """True when the file declares Lambda layers (read from the config, no code is run)."""
    import json

    try:
        if fmt == "keras":
            with zipfile.ZipFile(path) as z:
                text = z.read("config.json").decode("utf-8", "replace")
        elif fmt == "h5":
            from livepredict.inference import legacy

            cfg, _ = legacy.read_h5_config(path)
            text = json.dumps(cfg or {})
        else:
            return False
    except Exception:  # noqa: BLE001
        return False
    return '"class_name": "Lambda"' in text or '"class_name":"Lambda"' in text


# ---------------------------------------------------------------- open_model

def open_model(path: str | Path, *, trust: bool = False, runtime: str = "auto", use_cache: bool = True,
               status: Callable[[str], None] | None = None, tolerance: float = DEFAULT_TOLERANCE,
               batch: int = DEFAULT_BATCH) -> LoadedModel:
    """Open ``path`` (.keras, .h5, SavedModel folder, .tflite) and return a :class:`LoadedModel`.

    ``runtime``: ``auto`` (LiteRT when it matches Keras on probe inputs and is not slower, else
    Keras), ``keras`` or ``litert`` (forced; a failed check becomes a warning). Raises
    ModelLoadError, UnsafeModelError or SidecarError with one sentence.
    """
    if runtime not in RUNTIME_CHOICES:
        raise ValueError(f"runtime must be one of {RUNTIME_CHOICES}")
    p = Path(path).expanduser()
    if p.name in ("saved_model.pb", "saved_model.pbtxt") and p.is_file():
        p = p.parent  # the file picked inside a SavedModel folder means the folder
    fmt = detect_format(p)
    p = p.resolve()
    sidecar = read_sidecar(p)
    if fmt == "tflite":
        return _open_tflite(p, sidecar, status, batch)
    key = None
    if use_cache:
        _say(status, "Checking the cache…")
        key = model_cache.entry_key(p, tf_version())
        hit = model_cache.load(key, on_damaged=lambda message: _say(status, message))
        if hit is not None:
            entry, blob = hit
            if entry.get("needs_trust") and not trust:
                raise UnsafeModelError(f"{p.name} contains a Lambda layer or custom code and was not opened; if "
                                       "you trust its source, open it again with --trust (or confirm in the app).")
            if blob is not None and entry.get("chosen") == "litert" and runtime in ("auto", "litert"):
                return _open_cached(p, fmt, entry, blob, sidecar, status, batch)
    return _open_cold(p, fmt, sidecar, trust=trust, runtime=runtime, key=key, status=status,
                      tolerance=tolerance, batch=batch)


def _open_cold(p: Path, fmt: str, sidecar: dict[str, Any] | None, *, trust: bool, runtime: str,
               key: str | None, status: Status, tolerance: float, batch: int) -> LoadedModel:
    from livepredict.inference import runtimes as rts

    repairs: list[str] = []
    used_custom = False
    keras_model = None
    if fmt == "savedmodel":
        tf = rts.import_tf(status)
        _say(status, "Loading model…")
        try:
            loaded = tf.saved_model.load(str(p))
            reference: Runtime = SavedModelRuntime(loaded)
        except KeyError:
            raise ModelLoadError(f"{p.name} has no serving_default signature; export it with "
                                 "model.export() or tf.saved_model.save(..., signatures=...).") from None
        except Exception as e:  # noqa: BLE001
            raise ModelLoadError(f"TensorFlow could not load the SavedModel {p.name} ({type(e).__name__}); "
                                 "check that the folder is complete.", str(e)) from e
        structure = _describe_savedmodel(reference)
    else:
        keras_model, repairs, used_custom = _load_keras_file(p, fmt, trust, status)
        if not getattr(keras_model, "inputs", None):
            raise ModelLoadError(f"{p.name} is a subclassed Keras model without defined inputs, which cannot be "
                                 "described or compiled; save it as a functional or Sequential model.")
        structure = describe.describe_keras(keras_model)
        ins = structure["inputs"]
        spec0 = _default_spec(structure)
        shapes = []
        for i, t in enumerate(ins):
            s = list(t["shape"][1:])
            if i == 0 and spec0 is not None and len(s) >= 2 and spec0.size:
                s[0] = s[0] or spec0.size[0]
                s[1] = s[1] or spec0.size[1]
            shapes.append(s)
        reference = KerasRuntime(keras_model, shapes, [t["dtype"] if t["dtype"] in DTYPES else "float32"
                                                       for t in ins], batch=batch)
    spec, labels, source, task, warnings = resolve_profile(p, structure, sidecar)
    if repairs:
        warnings.append("Repaired legacy Keras 2 settings: " + "; ".join(repairs) + ".")
    vocab = tuple(sidecar["vocab"]) if sidecar and sidecar.get("vocab") else None
    probes = _probe_inputs(structure, spec, vocab_size=len(vocab) if vocab else None)
    # probe the reference: NaN outputs, and output kind for SavedModels
    try:
        ref_out = reference.infer_all(probes[1 % len(probes)])[0]
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(f"{p.name} loaded but fails on a test input ({type(e).__name__}); check that the "
                             "model is complete.", str(e)) from e
    if not np.all(np.isfinite(ref_out)):
        warnings.append("The model outputs NaN or infinite values on test inputs; its predictions will be "
                        "reported as errors.")
    if structure.get("output_kind") is None:
        structure["output_kind"] = describe.output_kind_from_values(ref_out, task)
    runtimes: dict[str, Runtime] = {reference.name: reference}
    timings: dict[str, float] = {}
    check: RuntimeCheck | None = None
    blob: bytes | None = None
    chosen = reference.name
    # A text generator runs token by token through its own single-step runtime (generation.py,
    # converted and checked there); converting the whole variable-length model only fails noisily.
    step_only = runtime == "auto" and task == "text-generator"
    if step_only:
        check = RuntimeCheck(f"litert vs {reference.name}", None, tolerance, False,
                             "not converted: generation uses a compiled single-step runtime, checked against "
                             "Keras when the generator is built")
    if runtime != "keras" and not step_only:
        _say(status, "Converting to LiteRT…")
        try:
            blob = rts.convert_keras(keras_model) if keras_model is not None else rts.convert_saved_model(str(p))
            lite = LiteRTRuntime(blob, batch=batch)
        except Exception as e:  # noqa: BLE001 - conversion fails for some ops: use the reference
            check = RuntimeCheck(f"litert vs {reference.name}", None, tolerance, False,
                                 f"conversion to LiteRT failed ({rts.conversion_failure(e)})")
            lite = None
            blob = None
        if lite is not None:
            _say(status, "Checking LiteRT against the original…")
            check = rts.verify(lite, reference, probes, tolerance)
            runtimes["litert"] = lite
            if check.passed:
                timings[reference.name] = time_runtime(reference, probes[0], 0.2)
                timings["litert"] = time_runtime(lite, probes[0], 0.2)
                if runtime == "litert" or timings["litert"] <= timings[reference.name] * LITERT_SLACK:
                    chosen = "litert"
            elif runtime == "litert":
                chosen = "litert"
                warnings.append(f"LiteRT was forced although it does not match the original: {check.reason}.")
            if not check.passed:
                blob = None
        if check is not None and not check.passed and runtime == "auto":
            warnings.append(f"Using {reference.name} instead of LiteRT: {check.reason}.")
    if not timings:
        timings[reference.name] = time_runtime(reference, probes[0], 0.1, max_calls=20)
    info = ModelInfo(
        path=str(p), name=structure.get("name") or p.name, format=fmt, task=task,
        inputs=describe.tensors_from_json(structure["inputs"]),
        outputs=describe.tensors_from_json(structure["outputs"]),
        params=structure.get("params"), labels=labels, preprocess=spec, preprocess_source=source,
        runtime=chosen, runtime_check=check, warnings=tuple(warnings),
        output_kind=structure["output_kind"], layers=describe.layers_from_json(structure.get("layers", [])),
        vocab=vocab,
        extras={"timings_ms": {k: round(v, 4) for k, v in timings.items()}, "cached": False,
                "legacy_repairs": repairs, "trusted": trust},
    )
    if key is not None:
        entry = {"source": str(p), "format": fmt, "structure": structure, "chosen": chosen,
                 "runtime_check": check.to_json() if check else None, "timings_ms": timings,
                 "needs_trust": bool(trust and (used_custom or _needs_trust(p, fmt))), "repairs": repairs,
                 "warnings_engine": [w for w in warnings if w.startswith(("Using", "The model outputs",
                                                                          "Repaired"))]}
        model_cache.store(key, entry, blob if (check is not None and check.passed) else None)
    rt = runtimes[chosen]
    return LoadedModel(info, rt, runtimes=runtimes, keras_model=keras_model, structure=structure)


def _describe_savedmodel(rt: SavedModelRuntime) -> dict[str, Any]:
    inputs = [describe.tensor_info(n, s.shape, s.dtype.name) for n, s in zip(rt.input_names, rt.input_specs,
                                                                             strict=True)]
    outs = rt.fn.structured_outputs
    outputs = [describe.tensor_info(n, outs[n].shape, outs[n].dtype.name) for n in rt.output_names]
    params = None
    try:
        params = int(sum(int(np.prod(v.shape)) for v in rt.loaded.variables))
    except Exception:  # noqa: BLE001
        pass
    task = describe.detect_task(inputs, outputs, set(), None)
    return {"name": "", "inputs": [t.to_json() for t in inputs], "outputs": [t.to_json() for t in outputs],
            "params": params, "layers": [], "task": task, "activation": None, "output_kind": None,
            "preprocessing": {"in_model": [], "size": None, "pixels": False}, "layer_kinds": []}


def _open_cached(p: Path, fmt: str, entry: dict[str, Any], blob: bytes, sidecar: dict[str, Any] | None,
                 status: Status, batch: int) -> LoadedModel:
    _say(status, "Loading the cached LiteRT model…")
    structure = entry["structure"]
    lite = LiteRTRuntime(blob, batch=batch)
    spec, labels, source, task, warnings = resolve_profile(p, structure, sidecar)
    warnings = list(entry.get("warnings_engine", [])) + warnings
    check = entry.get("runtime_check")
    vocab = tuple(sidecar["vocab"]) if sidecar and sidecar.get("vocab") else None
    info = ModelInfo(
        path=str(p), name=structure.get("name") or p.name, format=fmt, task=task,
        inputs=describe.tensors_from_json(structure["inputs"]),
        outputs=describe.tensors_from_json(structure["outputs"]),
        params=structure.get("params"), labels=labels, preprocess=spec, preprocess_source=source,
        runtime="litert", runtime_check=RuntimeCheck(**check) if check else None, warnings=tuple(warnings),
        output_kind=structure.get("output_kind") or "values",
        layers=describe.layers_from_json(structure.get("layers", [])), vocab=vocab,
        extras={"timings_ms": entry.get("timings_ms", {}), "cached": True,
                "legacy_repairs": entry.get("repairs", []), "trusted": bool(entry.get("needs_trust"))},
    )
    return LoadedModel(info, lite, structure=structure)


def _open_tflite(p: Path, sidecar: dict[str, Any] | None, status: Status, batch: int) -> LoadedModel:
    _say(status, "Loading LiteRT model…")
    try:
        lite = LiteRTRuntime(p.read_bytes(), batch=batch)
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(f"{p.name} is not a valid LiteRT model ({type(e).__name__}); check that it was "
                             "converted and copied completely.", str(e)) from e
    inputs = [describe.tensor_info(d["name"], [None] + list(d["shape_signature"][1:]), d["dtype"].__name__)
              for d in lite.input_details]
    outs = [lite.output_details[i] for i in lite.output_order]
    outputs = [describe.tensor_info(d["name"], [None] + list(d["shape_signature"][1:]), d["dtype"].__name__)
               for d in outs]
    task = describe.detect_task(inputs, outputs, set(), None)
    structure = {"name": p.stem, "inputs": [t.to_json() for t in inputs],
                 "outputs": [t.to_json() for t in outputs], "params": None, "layers": [], "task": task,
                 "activation": None, "output_kind": None,
                 "preprocessing": {"in_model": [], "size": None, "pixels": False}, "layer_kinds": []}
    last_op = _last_op(lite)
    spec, labels, source, task, warnings = resolve_profile(p, structure, sidecar)
    if last_op in ("SOFTMAX", "LOGISTIC"):
        activation = "softmax" if last_op == "SOFTMAX" else "sigmoid"
        kind = describe.output_kind_from_activation(activation, outputs[0].shape, task)
    else:
        probes = _probe_inputs(structure, spec, n=2)
        try:
            out = lite.infer_all(probes[1])[0]
        except Exception as e:  # noqa: BLE001
            raise ModelLoadError(f"{p.name} loaded but fails on a test input ({type(e).__name__}); check "
                                 "that the model is complete.", str(e)) from e
        kind = describe.output_kind_from_values(out, task)
    structure["output_kind"] = kind
    spec, labels, source, task, warnings = resolve_profile(p, structure, sidecar)
    info = ModelInfo(
        path=str(p), name=p.stem, format="tflite", task=task, inputs=tuple(inputs), outputs=tuple(outputs),
        params=_tflite_params(lite), labels=labels, preprocess=spec, preprocess_source=source,
        runtime="litert",
        runtime_check=RuntimeCheck("none: the file is already a LiteRT model", None, 0.0, True,
                                   "nothing to compare against"),
        warnings=tuple(warnings), output_kind=kind, vocab=tuple(sidecar["vocab"]) if sidecar and
        sidecar.get("vocab") else None, extras={"cached": False, "timings_ms": {}},
    )
    return LoadedModel(info, lite, structure=structure)


def _last_op(lite: LiteRTRuntime) -> str | None:
    try:
        it = lite._interp(lite._default_shape)[0]
        ops = it._get_ops_details()
        out_idx = lite.output_details[lite.output_order[0]]["index"]
        for op in reversed(ops):
            if out_idx in list(op.get("outputs", [])):
                return str(op.get("op_name"))
    except Exception:  # noqa: BLE001 - private API; the value probe is the fallback
        return None
    return None


def _tflite_params(lite: LiteRTRuntime) -> int | None:
    try:
        it = lite._interp(lite._default_shape)[0]
        act = {d["index"] for d in it.get_input_details()} | {d["index"] for d in it.get_output_details()}
        total = 0
        for t in it.get_tensor_details():
            if t["index"] in act or not t["name"] or t["dtype"] not in (np.float32, np.float16, np.int8,
                                                                        np.uint8):
                continue
            if "weight" in t["name"].lower() or "kernel" in t["name"].lower() or "bias" in t["name"].lower() \
                    or "const" in t["name"].lower() or "pseudo_qconst" in t["name"].lower():
                total += int(np.prod(t["shape"]))
        return total or None
    except Exception:  # noqa: BLE001
        return None
