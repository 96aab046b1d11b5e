"""Opening a ``.tflite`` file: description, output kind, quantisation and its preprocessing.

A quantised input (uint8/int8 with a scale and zero point) reads real values
``(q - zero_point) * scale``. Raw pixel bytes are fed by default (what a post-training quantised
image model usually expects) and the warning says which real range that is; float preprocessing
(a sidecar's ``scale``) is quantised with the input's own scale and zero point.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from livepredict.core.errors import ModelLoadError
from livepredict.core.types import ModelInfo, OutputKind, PreprocessSpec, RuntimeCheck, Task
from livepredict.inference import describe, vision
from livepredict.inference.describe import ModelStructure
from livepredict.inference.metadata import read_metadata
from livepredict.inference.profile import choose_output, fed_description, probe_inputs, resolve_profile
from livepredict.inference.runtimes import Inputs, LiteRTRuntime
from livepredict.inference.tf_env import Status, _say


def _quant(d: dict[str, Any]) -> tuple[float, int] | None:
    scale, zero = d.get("quantization", (0.0, 0))
    return (float(scale), int(zero)) if np.issubdtype(np.dtype(d["dtype"]), np.integer) and scale else None


class QuantizedLiteRT(LiteRTRuntime):
    """A LiteRT model whose integer inputs take float tensors quantised with their scale and zero
    point: ``q = clip(round(x / scale) + zero_point)``."""

    def infer_all(self, batch: Inputs) -> list[np.ndarray]:
        xs = [batch] if isinstance(batch, np.ndarray) else list(batch)
        out = []
        for x, d in zip(xs, self.input_details, strict=False):
            x = np.asarray(x)
            q = _quant(d)
            if q is not None and np.issubdtype(x.dtype, np.floating):
                info = np.iinfo(np.dtype(d["dtype"]))
                x = np.clip(np.rint(x / q[0]) + q[1], info.min, info.max).astype(d["dtype"])
            out.append(x)
        return super().infer_all(out)


def quantization(lite: LiteRTRuntime) -> dict[str, list[dict[str, Any]]]:
    """Scale and zero point of every quantised input and output (empty lists for a float model)."""
    def items(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = []
        for d in details:
            q = _quant(d)
            if q is not None:
                rows.append({"name": d["name"], "dtype": np.dtype(d["dtype"]).name, "scale": q[0], "zero_point": q[1]})
        return rows

    return {"inputs": items(lite.input_details),
            "outputs": items(_named_outputs(lite))}


def _named_outputs(lite: LiteRTRuntime) -> list[dict[str, Any]]:
    """The output details in the runtime's order, named as the file's one signature names them
    (``boxes``, ``detection_scores`` …) when it has one, else by their tensor names."""
    details = [dict(lite.output_details[i]) for i in lite.output_order]
    try:
        it = lite._interp(lite._default_shape)[0]
        sigs = it.get_signature_list()
        names = sorted(it.get_signature_runner(next(iter(sigs))).get_output_details()) if len(sigs) == 1 else []
    except Exception:  # noqa: BLE001 - a flatbuffer without signatures keeps its tensor names
        names = []
    if len(names) == len(details) and not all(n.startswith("output_") for n in names):
        for d, name in zip(details, names, strict=True):
            d["name"] = name
    return details


def _quantised_spec(spec: PreprocessSpec, q: tuple[float, int], dtype: str, source: str
                    ) -> tuple[PreprocessSpec, str]:
    """The spec to feed a quantised input, and the warning that names what is fed."""
    scale, zero = q
    lo, hi = (np.iinfo(np.dtype(dtype)).min - zero) * scale, (np.iinfo(np.dtype(dtype)).max - zero) * scale
    head = f"The model's input is {dtype} quantised with scale {scale:.6g} and zero point {zero}"
    if spec.scale != "none" or source == "sidecar" and spec.dtype.startswith("float"):
        spec = dataclasses.replace(spec, dtype="float32")
        return spec, (f"{head}: it is fed {fed_description(spec)} quantised with them "
                      f"(q = round(x / {scale:.6g}) + {zero}).")
    spec = dataclasses.replace(spec, dtype=dtype, scale="none")
    return spec, (f"{head}: it is fed raw 0..255 pixel bytes, which it reads as {lo:.3g}..{hi:.3g}; if it was "
                  "trained on another range, set \"preprocess\": {\"scale\": ...} in a sidecar and the "
                  "pixels are quantised with this scale and zero point.")


def _tensors(details: list[dict[str, Any]]) -> tuple[Any, ...]:
    return tuple(describe.tensor_info(d["name"], [None] + list(d["shape_signature"][1:]), d["dtype"].__name__)
                 for d in details)


def open_tflite(p: Path, sidecar: dict[str, Any] | None, status: Status, batch: int,
                output: str | int | None = None) -> tuple[ModelInfo, LiteRTRuntime, ModelStructure]:
    _say(status, "Loading LiteRT model…")
    try:
        lite = QuantizedLiteRT(p.read_bytes(), batch=batch)
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(f"{p.name} is not a valid LiteRT model ({type(e).__name__}); check that it was "
                             "converted and copied completely.", str(e)) from e
    inputs = _tensors(lite.input_details)
    outputs = _tensors(_named_outputs(lite))
    structure = ModelStructure(name=p.stem, inputs=inputs, outputs=outputs, loader="litert")
    meta = read_metadata(p)
    structure, notes = choose_output(structure, output if output is not None else (sidecar or {}).get("output"), p)
    last_op = _last_op(lite, structure.output_index)
    if last_op in ("SOFTMAX", "LOGISTIC"):
        activation = "softmax" if last_op == "SOFTMAX" else "sigmoid"
        kind = describe.output_kind_from_activation(activation, structure.outputs[structure.output_index].shape,
                                                     structure.task)
    else:
        spec0 = resolve_profile(p, structure, sidecar, meta)[0]
        try:
            out = lite.infer_all(probe_inputs(structure, spec0, n=2)[1])[structure.output_index]
        except Exception as e:  # noqa: BLE001
            raise ModelLoadError(f"{p.name} loaded but fails on a test input ({type(e).__name__}); check "
                                 "that the model is complete.", str(e)) from e
        kind = describe.output_kind_from_values(out, structure.task)
    structure = dataclasses.replace(structure, output_kind=kind)
    spec, labels, source, task, warnings = resolve_profile(p, structure, sidecar, meta)
    q_in = _quant(lite.input_details[0]) if len(lite.input_details) == 1 else None
    if spec is not None and q_in is not None:
        spec, note = _quantised_spec(spec, q_in, np.dtype(lite.input_details[0]["dtype"]).name, source)
        warnings.append(note)
    info = ModelInfo(
        path=str(p), name=p.stem, format="tflite", task=Task(task), inputs=inputs, outputs=outputs,
        params=_tflite_params(lite), labels=labels, preprocess=spec, preprocess_source=source,
        runtime="litert",
        runtime_check=RuntimeCheck("none: the file is already a LiteRT model", None, 0.0, True,
                                   "nothing to compare against"),
        warnings=tuple(notes + warnings), output_kind=OutputKind(kind), vocab=tuple(sidecar["vocab"]) if sidecar and
        sidecar.get("vocab") else None, extras={"cached": False, "timings_ms": {}, "loader": "litert",
                                               **vision.decoder_extras(structure, task, sidecar, labels, meta)},
        loader="litert", output_index=structure.output_index, quantization=quantization(lite),
    )
    return info, lite, structure


def _last_op(lite: LiteRTRuntime, output_index: int = 0) -> str | None:
    try:
        it = lite._interp(lite._default_shape)[0]
        ops = it._get_ops_details()
        out_idx = lite.output_details[lite.output_order[output_index]]["index"]
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
            name = t["name"].lower()
            if any(k in name for k in ("weight", "kernel", "bias", "const", "pseudo_qconst")):
                total += int(np.prod(t["shape"]))
        return total or None
    except Exception:  # noqa: BLE001
        return None
