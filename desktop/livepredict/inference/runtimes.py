"""Runtimes that run a preprocessed batch through a model (DESIGN §3). Never ``model.predict``.

- :class:`KerasRuntime`: ``tf.function`` over ``model(x, training=False)`` with a fixed
  ``input_signature`` per batch size (1 for live work, ``batch`` for folders; the last chunk is
  padded), so it never retraces.
- :class:`LiteRTRuntime`: the converted flatbuffer run by ``ai_edge_litert`` (XNNPACK,
  ``num_threads`` = cores); one interpreter per thread and input shape, since an interpreter must
  not be shared between threads.
- :class:`SavedModelRuntime`: a SavedModel's ``serving_default`` signature.

:func:`convert_keras` / :func:`convert_saved_model` make the LiteRT flatbuffer and
:func:`verify` compares a candidate with the reference on probe inputs.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from livepredict.core.errors import InferenceError
from livepredict.core.types import RuntimeCheck
from livepredict.inference.tf_env import (
    import_tf,
    litert_interpreter_class,
    native_stderr_silenced,
    quiet_native_stderr,
    quiet_stdout,
)

DEFAULT_BATCH = 16
DEFAULT_TOLERANCE = 1e-3  # relative to the largest reference output
Inputs = np.ndarray | Sequence[np.ndarray]


def _as_list(batch: Inputs) -> list[np.ndarray]:
    if isinstance(batch, np.ndarray):
        return [batch]
    return [np.asarray(b) for b in batch]


def _pad(arr: np.ndarray, n: int) -> np.ndarray:
    if len(arr) == n:
        return arr
    pad = np.repeat(arr[-1:], n - len(arr), axis=0)
    return np.concatenate([arr, pad], axis=0)


class Runtime:
    """A runtime turns a preprocessed batch (array, or list of arrays for multi-input models) into
    the first output as a numpy array; ``infer_all`` returns every output."""

    name = "runtime"

    def infer(self, batch: Inputs) -> np.ndarray:
        return self.infer_all(batch)[0]

    def infer_all(self, batch: Inputs) -> list[np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        pass


class KerasRuntime(Runtime):
    """Compiled Keras forward pass with one fixed signature per batch size.

    ``input_shapes`` are per-input shapes without the batch dimension (``None`` allowed where the
    model accepts any length). Batches larger than 1 run in chunks of ``batch``, the last padded.
    """

    name = "keras"

    def __init__(self, model: Any, input_shapes: Sequence[Sequence[int | None]],
                 input_dtypes: Sequence[str], batch: int = DEFAULT_BATCH) -> None:
        self.model = model
        self.input_shapes = [tuple(s) for s in input_shapes]
        self.input_dtypes = list(input_dtypes)
        self.batch = int(batch)
        self._fns: dict[tuple, Callable] = {}
        self._tf = import_tf()

    def _fn(self, shapes: tuple) -> Callable:
        fn = self._fns.get(shapes)
        if fn is None:
            tf = self._tf
            specs = [tf.TensorSpec(shape, tf.as_dtype(dt)) for shape, dt in zip(shapes, self.input_dtypes,
                                                                                  strict=True)]
            model = self.model
            single = len(specs) == 1
            names = list(getattr(model, "output_names", None) or [])

            def forward(*xs):
                out = model(xs[0] if single else list(xs), training=False)
                if isinstance(out, dict):  # dict outputs, in the order of ``output_names`` (and ``outputs``)
                    return [out[k] for k in (names or sorted(out))]
                return out if isinstance(out, list | tuple) else [out]

            fn = tf.function(forward, input_signature=specs, reduce_retracing=False)
            self._fns[shapes] = fn
        return fn

    def _run(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        n = len(xs[0])
        shapes = tuple((n, *[x.shape[i + 1] if d is None else d for i, d in enumerate(s)])
                       for x, s in zip(xs, self.input_shapes, strict=True))
        xs = [np.asarray(x, dtype=dt) for x, dt in zip(xs, self.input_dtypes, strict=True)]
        outs = self._fn(shapes)(*xs)
        return [o.numpy() for o in outs]

    def infer_all(self, batch: Inputs) -> list[np.ndarray]:
        xs = _as_list(batch)
        if len(xs) != len(self.input_shapes):
            raise InferenceError(f"The model takes {len(self.input_shapes)} inputs but got {len(xs)}; "
                                 "feed one array per input.")
        n = len(xs[0])
        if n == 1 or n == self.batch:
            return self._run(xs)
        chunks: list[list[np.ndarray]] = []
        for i in range(0, n, self.batch):
            part = [x[i:i + self.batch] for x in xs]
            m = len(part[0])
            outs = self._run([_pad(x, self.batch) for x in part])
            chunks.append([o[:m] for o in outs])
        return [np.concatenate([c[j] for c in chunks], axis=0) for j in range(len(chunks[0]))]


class LiteRTRuntime(Runtime):
    """A LiteRT flatbuffer run with XNNPACK. Interpreters are made lazily per thread and per input
    shape (batch 1 for live work, ``batch`` for folders), so the thread that calls ``infer`` owns
    the interpreter it uses."""

    name = "litert"

    def __init__(self, content: bytes, num_threads: int | None = None, batch: int = DEFAULT_BATCH) -> None:
        self.content = bytes(content)
        self.num_threads = num_threads or os.cpu_count() or 1
        self.batch = int(batch)
        self._local = threading.local()
        it = self._make()  # validates the flatbuffer now, in the opening thread
        self.input_details = it.get_input_details()
        self.output_details = it.get_output_details()
        self._local.interps = {}
        self._default_shape = tuple(tuple(int(v) for v in d["shape"]) for d in self.input_details)
        self._local.interps[self._default_shape] = self._prepared(it)
        # outputs in signature order when a signature exists, else in tensor order
        self.output_order = self._output_order(it)
        self._dequant: list[tuple[float, int] | None] = []
        for d in self.output_details:
            scale, zero = d.get("quantization", (0.0, 0))
            integer = np.issubdtype(np.dtype(d["dtype"]), np.integer)
            self._dequant.append((float(scale), int(zero)) if integer and scale else None)

    def _make(self) -> Any:
        cls = litert_interpreter_class()
        with quiet_native_stderr():
            it = cls(model_content=self.content, num_threads=self.num_threads)
            it.allocate_tensors()  # the XNNPACK delegate is applied (and announced) here
        return it

    @staticmethod
    def _output_order(it: Any) -> list[int]:
        outs = it.get_output_details()
        try:
            sigs = it.get_signature_list()
            if len(sigs) == 1:
                key = next(iter(sigs))
                runner_outs = it.get_signature_runner(key).get_output_details()
                names = sorted(runner_outs)
                by_index = {d["index"]: i for i, d in enumerate(outs)}
                order = [by_index[runner_outs[n]["index"]] for n in names]
                if sorted(order) == list(range(len(outs))):
                    return order
        except Exception:  # noqa: BLE001 - plain flatbuffers without signatures
            pass
        return list(range(len(outs)))

    def _prepared(self, it: Any) -> tuple[Any, list[int], list[int], list[Any]]:
        it.allocate_tensors()
        ins = it.get_input_details()
        outs = it.get_output_details()
        return it, [d["index"] for d in ins], [d["index"] for d in outs], [d["dtype"] for d in ins]

    def _interp(self, shapes: tuple) -> tuple[Any, list[int], list[int], list[Any]]:
        cache = getattr(self._local, "interps", None)
        if cache is None:
            cache = self._local.interps = {}
        entry = cache.get(shapes)
        if entry is None:
            it = self._make()
            for d, shape in zip(it.get_input_details(), shapes, strict=True):
                if tuple(d["shape"]) != shape:
                    it.resize_tensor_input(d["index"], list(shape), strict=False)
            entry = cache[shapes] = self._prepared(it)
        return entry

    def _run(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        shapes = tuple(tuple(int(v) for v in x.shape) for x in xs)
        it, in_idx, out_idx, dtypes = self._interp(shapes)
        for idx, x, dt in zip(in_idx, xs, dtypes, strict=True):
            it.set_tensor(idx, np.ascontiguousarray(x, dtype=dt))
        it.invoke()
        outs = []
        for i in self.output_order:
            y = it.get_tensor(out_idx[i])
            q = self._dequant[i]
            if q is not None:  # quantized output: real = (q - zero_point) * scale
                y = (y.astype(np.float32) - q[1]) * q[0]
            outs.append(y)
        return outs

    def infer_all(self, batch: Inputs) -> list[np.ndarray]:
        xs = _as_list(batch)
        if len(xs) != len(self.input_details):
            raise InferenceError(f"The model takes {len(self.input_details)} inputs but got {len(xs)}; "
                                 "feed one array per input.")
        n = len(xs[0])
        if n == 1 or n == self.batch:
            return self._run(xs)
        chunks = []
        for i in range(0, n, self.batch):
            part = [x[i:i + self.batch] for x in xs]
            m = len(part[0])
            chunks.append([o[:m] for o in self._run([_pad(x, self.batch) for x in part])])
        return [np.concatenate([c[j] for c in chunks], axis=0) for j in range(len(chunks[0]))]

    def close(self) -> None:
        cache = getattr(self._local, "interps", None)
        if cache:
            cache.clear()


class SavedModelRuntime(Runtime):
    """A SavedModel called through its ``serving_default`` signature (a concrete function, fixed)."""

    name = "savedmodel"

    def __init__(self, loaded: Any, signature_key: str = "serving_default") -> None:
        self._tf = import_tf()
        self.loaded = loaded
        sigs = getattr(loaded, "signatures", {})
        if signature_key not in sigs:
            raise KeyError(signature_key)
        self.fn = sigs[signature_key]
        _, kwargs = self.fn.structured_input_signature
        self.input_names = sorted(kwargs)
        self.input_specs = [kwargs[n] for n in self.input_names]
        self.output_names = sorted(self.fn.structured_outputs)

    def infer_all(self, batch: Inputs) -> list[np.ndarray]:
        xs = _as_list(batch)
        if len(xs) != len(self.input_names):
            raise InferenceError(f"The model takes {len(self.input_names)} inputs but got {len(xs)}; "
                                 "feed one array per input.")
        feed = {n: self._tf.constant(np.asarray(x, dtype=s.dtype.as_numpy_dtype))
                for n, x, s in zip(self.input_names, xs, self.input_specs, strict=True)}
        out = self.fn(**feed)
        return [out[n].numpy() for n in self.output_names]


# ---------------------------------------------------------------- conversion and the check

def convert_keras(model: Any) -> bytes:
    """LiteRT flatbuffer of a loaded Keras model (builtin ops only, float)."""
    tf = import_tf()
    with quiet_stdout(), native_stderr_silenced():
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        return bytes(converter.convert())


def convert_saved_model(path: str) -> bytes:
    tf = import_tf()
    with quiet_stdout(), native_stderr_silenced():
        converter = tf.lite.TFLiteConverter.from_saved_model(str(path), signature_keys=["serving_default"])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        return bytes(converter.convert())


_OP_ERROR = re.compile(r"('[\w.]+' op [^\n]+?)(?:\n|$)")


def conversion_failure(e: BaseException) -> str:
    """A short reason for a failed LiteRT conversion (the converter's messages are long MLIR dumps)."""
    text = str(e)
    m = _OP_ERROR.search(text)
    if m:
        reason = m.group(1)
    else:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        reason = lines[0] if lines else type(e).__name__
    return reason if len(reason) <= 160 else reason[:157] + "…"


def verify(candidate: Runtime, reference: Runtime, probes: list[list[np.ndarray]],
           tolerance: float = DEFAULT_TOLERANCE) -> RuntimeCheck:
    """Compare ``candidate`` with ``reference`` on each probe (a list of batch-1 input arrays).

    Fails on any NaN/inf the reference does not have, on a shape mismatch, or when the largest
    absolute difference exceeds ``tolerance`` x the largest |reference| output (relative to the
    outputs' own scale: 1000 softmax probabilities near 0.001 get a tolerance near 1e-6).
    """
    compared = f"{candidate.name} vs {reference.name} on {len(probes)} probe inputs"
    worst = 0.0
    scale = 1e-6
    try:
        for probe in probes:
            ref = reference.infer_all(probe)
            got = candidate.infer_all(probe)
            if len(ref) != len(got):
                return RuntimeCheck(compared, None, tolerance, False,
                                    f"{candidate.name} has {len(got)} outputs, {reference.name} {len(ref)}")
            for r, g in zip(ref, got, strict=True):
                r = np.asarray(r, np.float64)
                g = np.asarray(g, np.float64)
                if r.shape != g.shape:
                    return RuntimeCheck(compared, None, tolerance, False,
                                        f"output shape {g.shape} differs from {r.shape}")
                bad_g, bad_r = ~np.isfinite(g), ~np.isfinite(r)
                if np.any(bad_g & ~bad_r):
                    return RuntimeCheck(compared, None, tolerance, False,
                                        f"{candidate.name} produced NaN or infinite outputs where "
                                        f"{reference.name} did not")
                ok = ~bad_r
                if np.any(ok):
                    worst = max(worst, float(np.max(np.abs(g[ok] - r[ok]))))
                    scale = max(scale, float(np.max(np.abs(r[ok]))))
    except Exception as e:  # noqa: BLE001 - a runtime that fails on probes is simply not used
        return RuntimeCheck(compared, None, tolerance, False,
                            f"{candidate.name} failed on a probe input ({type(e).__name__}: {e})")
    limit = tolerance * scale
    passed = worst <= limit
    reason = ("outputs match within tolerance" if passed else
              f"outputs differ by up to {worst:.3g}, more than the tolerance {limit:.3g}")
    return RuntimeCheck(compared, worst, limit, passed, reason)


def time_runtime(rt: Runtime, probe: list[np.ndarray], budget_s: float = 0.25, max_calls: int = 200) -> float:
    """Median milliseconds of ``rt.infer_all(probe)`` over up to ``budget_s`` seconds (after one warm-up)."""
    rt.infer_all(probe)
    times: list[float] = []
    end = time.perf_counter() + budget_s
    while len(times) < 3 or (time.perf_counter() < end and len(times) < max_calls):
        t0 = time.perf_counter()
        rt.infer_all(probe)
        times.append((time.perf_counter() - t0) * 1000.0)
    return float(np.median(times))
