"""Opening a model file: safe loading, description, runtime choice, warm cache.

``open_model(path)`` returns a :class:`LoadedModel`. Importing this module is cheap (no
TensorFlow): TensorFlow is imported only when a model must be loaded or converted, never when a
verified LiteRT conversion of the same file content is already in the cache. The steps live in
their own modules: :mod:`.formats` (sniffing), :mod:`.keras_files` (Keras 3 / Keras 2 loading),
:mod:`.describe` (the :class:`~.describe.ModelStructure`), :mod:`.profile` (preprocessing, labels,
the shown output), :mod:`.tflite_open` (LiteRT files and quantisation).

Call ``open_model`` in the thread that will run the model (a LiteRT interpreter belongs to the
thread that created it; other threads get their own interpreter lazily).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core import gc_defer
from livepredict.core.errors import (
    LivePredictError,
    ModelLoadError,
    UnsafeModelError,
)
from livepredict.core.types import DTYPES, ModelInfo, OutputKind, RuntimeCheck
from livepredict.inference import cache as model_cache
from livepredict.inference import describe, vision
from livepredict.inference.conversion import choose_runtime
from livepredict.inference.describe import ModelStructure
from livepredict.inference.formats import HDF5_MAGIC, detect_format  # noqa: F401 - the public API
from livepredict.inference.keras_files import KerasLoad, keras2_version, load_keras_file, needs_trust
from livepredict.inference.model import LoadedModel
from livepredict.inference.output_view import select
from livepredict.inference.profile import (
    N_PROBES,  # noqa: F401 - kept importable from here
    choose_output,
    default_spec,
    probe_inputs,
    resolve_profile,
)
from livepredict.inference.runtimes import (
    DEFAULT_BATCH,
    DEFAULT_TOLERANCE,
    KerasRuntime,
    LiteRTRuntime,
    Runtime,
    SavedModelRuntime,
)
from livepredict.inference.sidecar import read_sidecar
from livepredict.inference.tf_env import Status, _say, tf_version
from livepredict.inference.tflite_open import open_tflite

RUNTIME_CHOICES = ("auto", "keras", "litert", "checked")  # checked: LiteRT whenever it matches (not timed)
_probe_inputs = probe_inputs  # older import path (benchmark)


def _load_keras_file(path: Path, fmt: str, trust: bool, status: Status) -> tuple[Any, list[str], bool]:
    """(Keras model, legacy repairs, custom code used): the older import path (generation)."""
    loaded = load_keras_file(path, fmt, trust, status)
    return loaded.model, loaded.repairs, loaded.used_custom





# ---------------------------------------------------------------- open_model

@gc_defer.deferred()  # a load allocates a lot that lives on: no collection scans it meanwhile
def open_model(path: str | Path, *, trust: bool = False, runtime: str = "auto", use_cache: bool = True,
               status: Callable[[str], None] | None = None, tolerance: float = DEFAULT_TOLERANCE,
               batch: int = DEFAULT_BATCH, output: str | int | None = None, convert: str = "inline") -> LoadedModel:
    """Open ``path`` (.keras, .h5, SavedModel folder, .tflite) and return a :class:`LoadedModel`.

    ``runtime``: ``auto`` (LiteRT when it matches Keras on probe inputs and is not slower, else
    Keras), ``keras`` or ``litert`` (forced; a failed check becomes a warning). ``output``: the
    output of a multi-output model to show (index or name; default: the sidecar's ``output``, else
    the first). ``convert="background"``: on a cache miss, a model that ``auto`` would convert runs on
    Keras at once while a helper process converts and checks it (``inference.background``; the model's
    ``pending`` is set and ``inference.handover.poll`` switches it). Raises ModelLoadError,
    UnsafeModelError or SidecarError with one sentence.
    """
    if runtime not in RUNTIME_CHOICES:
        raise ValueError(f"runtime must be one of {RUNTIME_CHOICES}")
    p = Path(path).expanduser()
    if p.name in ("saved_model.pb", "saved_model.pbtxt") and p.is_file():
        p = p.parent  # the file picked inside a SavedModel folder means the folder
    fmt = detect_format(p)
    p = p.resolve()
    sidecar = read_sidecar(p)
    wanted = output if output is not None else (sidecar or {}).get("output")
    if fmt == "tflite":
        info, lite, structure = open_tflite(p, sidecar, status, batch, wanted)
        return LoadedModel(info, select(lite, info.output_index), runtimes={"litert": lite}, structure=structure)
    key = None
    known: dict[str, Any] | None = None  # a cached entry without a verified conversion
    if use_cache:
        _say(status, "Checking the cache…")
        key = model_cache.entry_key(p, tf_version())
        hit = model_cache.load(key, on_damaged=lambda message: _say(status, message),
                               check=lambda entry: ModelStructure.from_json(entry["structure"]))
        if hit is not None:
            entry, blob = hit
            if entry.get("needs_trust") and not trust:
                raise UnsafeModelError(f"{p.name} contains a Lambda layer or custom code and was not opened; if "
                                       "you trust its source, open it again with --trust (or confirm in the app).")
            if blob is not None and entry.get("chosen") == "litert" and runtime in ("auto", "litert"):
                return _open_cached(p, fmt, entry, blob, sidecar, status, batch, wanted)
            known = entry if blob is None else None
    pending = None
    background = convert == "background" and key is not None and runtime == "auto"
    if background and known is None:
        from livepredict.inference.background import start_if_useful

        pending = start_if_useful(p, key, sidecar, trust=trust, output=wanted, batch=batch)  # type: ignore[arg-type]
    opened = _load_reference(p, fmt, trust, status, batch, sidecar, wanted)
    if background and known is not None:  # converted before without a verified result: not again
        from livepredict.inference.background import reuse_verdict

        return reuse_verdict(_open_cold(p, fmt, sidecar, opened, trust=trust, runtime="keras", key=None,
                                        status=status, tolerance=tolerance, batch=batch), known)
    model = _open_cold(p, fmt, sidecar, opened, trust=trust, runtime="keras" if pending else runtime,
                       key=None if pending else key, status=status, tolerance=tolerance, batch=batch)
    if pending is not None:
        from livepredict.inference.background import attach

        attach(model, pending, status)
    return model


@dataclasses.dataclass
class _Reference:
    """The model as its own framework runs it, before any conversion."""

    runtime: Runtime
    structure: ModelStructure
    notes: list[str]
    keras: KerasLoad | None = None


def _load_reference(p: Path, fmt: str, trust: bool, status: Status, batch: int, sidecar: dict[str, Any] | None,
                    wanted: str | int | None) -> _Reference:
    if fmt == "savedmodel" and keras2_version(p, fmt) is None:
        return _savedmodel_reference(p, status, wanted)
    if fmt == "savedmodel":
        from livepredict.inference import keras_files

        if keras_files.tf_keras_module() is None:
            return _savedmodel_reference(p, status, wanted)
        from livepredict.inference.tf_env import import_tf

        import_tf(status)
        _say(status, "Loading model…")
        try:
            with keras_files.framework_noise_to_log():
                loaded = keras_files.load_keras2(p, fmt, trust, {})
        except LivePredictError:
            raise
        except Exception:  # noqa: BLE001 - not a revivable Keras model: its signature still runs
            return _savedmodel_reference(p, status, wanted)
    else:
        loaded = load_keras_file(p, fmt, trust, status)
    model = loaded.model
    if not getattr(model, "inputs", None):
        raise ModelLoadError(f"{p.name} is a subclassed Keras model without defined inputs, which cannot be "
                             "described or compiled; save it as a functional or Sequential model.")
    structure, notes = choose_output(describe.describe_keras(model, loader=loaded.loader), wanted, p)
    spec0 = default_spec(structure)
    shapes = []
    for i, t in enumerate(structure.inputs):
        s = list(t.shape[1:])
        if i == 0 and spec0 is not None and len(s) >= 2 and spec0.size:
            s[0] = s[0] or spec0.size[0]
            s[1] = s[1] or spec0.size[1]
        shapes.append(s)
    dtypes = [t.dtype if t.dtype in DTYPES else "float32" for t in structure.inputs]
    return _Reference(KerasRuntime(model, shapes, dtypes, batch=batch), structure, notes, loaded)


def _savedmodel_reference(p: Path, status: Status, wanted: str | int | None) -> _Reference:
    from livepredict.inference import runtimes as rts

    tf = rts.import_tf(status)
    _say(status, "Loading model…")
    try:
        loaded = tf.saved_model.load(str(p))
        rt = SavedModelRuntime(loaded)
    except KeyError:
        raise ModelLoadError(f"{p.name} has no serving_default signature; export it with "
                             "model.export() or tf.saved_model.save(..., signatures=...).") from None
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(f"TensorFlow could not load the SavedModel {p.name} ({type(e).__name__}); "
                             "check that the folder is complete.", str(e)) from e
    inputs = tuple(describe.tensor_info(n, s.shape, s.dtype.name)
                   for n, s in zip(rt.input_names, rt.input_specs, strict=True))
    outs = rt.fn.structured_outputs
    outputs = tuple(describe.tensor_info(n, outs[n].shape, outs[n].dtype.name) for n in rt.output_names)
    params = None
    try:
        params = int(sum(int(np.prod(v.shape)) for v in rt.loaded.variables))
    except Exception:  # noqa: BLE001
        pass
    structure = ModelStructure(name="", inputs=inputs, outputs=outputs, params=params,
                               loader=f"tf.saved_model {tf.__version__} (serving_default signature)")
    structure, notes = choose_output(structure, wanted, p)
    return _Reference(rt, structure, notes)


def _first_run(ref: _Reference, p: Path, task: str, probes: list[list[np.ndarray]], warnings: list[str]
               ) -> ModelStructure:
    """Run the reference on a probe: NaN outputs are flagged; an unknown output kind is read off the values."""
    try:
        out = ref.runtime.infer_all(probes[1 % len(probes)])[ref.structure.output_index]
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(f"{p.name} loaded but fails on a test input ({type(e).__name__}); check that the "
                             "model is complete.", str(e)) from e
    if not np.all(np.isfinite(out)):
        warnings.append("The model outputs NaN or infinite values on test inputs; its predictions will be "
                        "reported as errors.")
    if ref.structure.output_kind is None:
        return dataclasses.replace(ref.structure, output_kind=describe.output_kind_from_values(out, task))
    return ref.structure


def _info(p: Path, fmt: str, structure: ModelStructure, profile: tuple, *, runtime: str,
          check: RuntimeCheck | None, warnings: list[str], vocab: tuple[str, ...] | None, extras: dict[str, Any],
          sidecar: dict[str, Any] | None = None) -> ModelInfo:
    spec, labels, source, task, _ = profile
    extras = dict(extras, **vision.decoder_extras(structure, task, sidecar, labels))
    return ModelInfo(
        path=str(p), name=structure.name or p.name, format=fmt, task=task, inputs=structure.inputs,
        outputs=structure.outputs, params=structure.params, labels=labels, preprocess=spec,
        preprocess_source=source, runtime=runtime, runtime_check=check, warnings=tuple(warnings),
        output_kind=OutputKind(structure.output_kind or "values"), layers=structure.layers, vocab=vocab,
        extras=dict(extras, loader=structure.loader), loader=structure.loader,
        output_index=structure.output_index)


def _extras(sidecar: dict[str, Any] | None, **kw: Any) -> dict[str, Any]:
    if sidecar and sidecar.get("tokenize"):
        kw["tokenize"] = sidecar["tokenize"]
    return kw


def _vocab(sidecar: dict[str, Any] | None) -> tuple[str, ...] | None:
    return tuple(sidecar["vocab"]) if sidecar and sidecar.get("vocab") else None


def _open_cold(p: Path, fmt: str, sidecar: dict[str, Any] | None, ref: _Reference, *, trust: bool, runtime: str,
               key: str | None, status: Status, tolerance: float, batch: int) -> LoadedModel:
    repairs = ref.keras.repairs if ref.keras else []
    spec, labels, source, task, warnings = resolve_profile(p, ref.structure, sidecar)
    warnings = ref.notes + warnings
    if repairs:
        warnings.append("Repaired legacy Keras 2 settings: " + "; ".join(repairs) + ".")
    vocab = _vocab(sidecar)
    probes = probe_inputs(ref.structure, spec, vocab_size=len(vocab) if vocab else None)
    structure = _first_run(ref, p, task, probes, warnings)
    if structure.output_kind != ref.structure.output_kind:  # labels depend on the output kind
        spec, labels, source, task, _ = resolve_profile(p, structure, sidecar)
    km = ref.keras.model if ref.keras else None
    runtimes, chosen, check, blob, timings = choose_runtime(ref.runtime, km, p, runtime, task, probes, tolerance,
                                                            batch, status, warnings)
    extras = _extras(sidecar, timings_ms={k: round(v, 4) for k, v in timings.items()}, cached=False,
                     legacy_repairs=repairs, trusted=trust)
    info = _info(p, fmt, structure, (spec, labels, source, task, None), runtime=chosen, check=check,
                 warnings=warnings, vocab=vocab, extras=extras, sidecar=sidecar)
    if key is not None:
        used_custom = bool(ref.keras and ref.keras.used_custom)
        entry = {"source": str(p), "format": fmt, "structure": structure.to_json(), "chosen": chosen,
                 "runtime_check": check.to_json() if check else None, "timings_ms": timings,
                 "needs_trust": bool(trust and (used_custom or needs_trust(p, fmt))), "repairs": repairs,
                 "warnings_engine": [w for w in warnings if w.startswith(("Using", "The model outputs",
                                                                          "Repaired"))]}
        model_cache.store(key, entry, blob if (check is not None and check.passed) else None)
    return LoadedModel(info, select(runtimes[chosen], structure.output_index), runtimes=runtimes,
                       keras_model=km, structure=structure)


def _open_cached(p: Path, fmt: str, entry: dict[str, Any], blob: bytes, sidecar: dict[str, Any] | None,
                 status: Status, batch: int, wanted: str | int | None) -> LoadedModel:
    _say(status, "Loading the cached LiteRT model…")
    structure = ModelStructure.from_json(entry["structure"])
    kind = structure.output_kind
    structure, notes = choose_output(structure, wanted, p)
    if structure.output_kind is None:
        structure = dataclasses.replace(structure, output_kind=kind)
    lite = LiteRTRuntime(blob, batch=batch)
    spec, labels, source, task, warnings = resolve_profile(p, structure, sidecar)
    warnings = notes + list(entry.get("warnings_engine", [])) + warnings
    check = entry.get("runtime_check")
    extras = _extras(sidecar, timings_ms=entry.get("timings_ms", {}), cached=True,
                     legacy_repairs=entry.get("repairs", []), trusted=bool(entry.get("needs_trust")))
    info = _info(p, fmt, structure, (spec, labels, source, task, None), runtime="litert",
                 check=RuntimeCheck(**check) if check else None, warnings=warnings, vocab=_vocab(sidecar),
                 extras=extras, sidecar=sidecar)
    return LoadedModel(info, select(lite, structure.output_index), runtimes={"litert": lite}, structure=structure)
