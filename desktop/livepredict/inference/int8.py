"""The opt-in "Fast (int8)" runtime: full-integer quantisation, offered only when it agrees with float.

``build_int8(model, calibration)`` quantises an opened image classifier's Keras model with the TFLite
converter (int8 weights and activations, float input and output so the preprocessing stays the same),
calibrated on pictures: the ones the user gives (files or folders), else synthetic pictures drawn
through the model's own preprocessing. It then runs the float runtime and the int8 one on *other*
probe pictures and reports the top-1 agreement and the largest |score difference|: the int8 runtime
is offered (``Int8Check.offered``) only when the agreement is at least ``MIN_AGREEMENT``. It is never
chosen silently: the caller decides (``livepredict bench --int8`` shows it next to float LiteRT).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from livepredict.core.types import INT8_RUNTIME
from livepredict.inference.runtimes import LiteRTRuntime, Runtime

MIN_AGREEMENT = 0.99  # top-1 agreement with the float model on the probe pictures
N_CALIBRATION = 64
N_PROBES = 100


def pictures_text(n: int, source: str) -> str:
    """ "100 synthetic pictures" / "82 of your pictures"."""
    return f"{n} synthetic pictures" if source == "synthetic" else f"{n} of your pictures"


@dataclass(frozen=True)
class Int8Check:
    """What the int8 runtime was compared on and how it did."""

    probes: int
    probe_source: str  # "pictures" or "synthetic"
    calibration: int
    calibration_source: str
    top1_agreement: float
    max_abs_diff: float
    offered: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def synthetic_pictures(n: int, size: tuple[int, int], seed: int) -> list[np.ndarray]:
    """``n`` smooth random RGB pictures (colour fields with blobs), like photographs in their statistics."""
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    h, w = size
    out = []
    for _ in range(n):
        low = rng.uniform(0, 255, (int(rng.integers(2, 9)), int(rng.integers(2, 9)), 3)).astype(np.uint8)
        img = Image.fromarray(low).resize((w, h), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(1))
        a = np.asarray(img).astype(np.int16) + rng.normal(0, 8, (h, w, 3)).astype(np.int16)
        out.append(np.clip(a, 0, 255).astype(np.uint8))
    return out


def _pictures(model: Any, pictures: Sequence[Any], limit: int) -> list[np.ndarray]:
    """The given RGB pictures (read by the caller: ``commands`` reads ``--calibration`` paths)."""
    return [np.asarray(p) for p in pictures if isinstance(p, np.ndarray)][:limit]


def _sets(model: Any, paths: Sequence[Any]) -> tuple[list[np.ndarray], str, list[np.ndarray], str]:
    """(calibration pictures, their source, probe pictures, their source): given pictures are split
    between the two (never the same picture in both); synthetic ones make up what is missing."""
    size = model.spec.size or (224, 224)
    given = _pictures(model, paths, N_CALIBRATION + N_PROBES) if paths else []
    if len(given) >= 20:
        half = len(given) // 2
        return given[:half], "pictures", given[half:], "pictures"
    calib = given or synthetic_pictures(N_CALIBRATION, size, seed=1)
    return calib, "pictures" if given else "synthetic", synthetic_pictures(N_PROBES, size, seed=2), "synthetic"


def quantize(keras_model: Any, calibration: list[np.ndarray]) -> bytes:
    """Full-integer LiteRT flatbuffer (int8 inside, float input and output)."""
    from livepredict.inference.tf_env import import_tf, native_stderr_silenced, quiet_stdout

    tf = import_tf()

    def representative() -> Any:
        for x in calibration:
            yield [x[None].astype(np.float32)]

    with quiet_stdout(), native_stderr_silenced(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Statistics for quantized inputs were expected…"
        converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        return bytes(converter.convert())


def compare(candidate: Runtime, reference: Runtime, probes: list[np.ndarray], index: int = 0) -> tuple[float, float]:
    """(top-1 agreement, max |score difference|) of ``candidate`` against ``reference`` on ``probes``."""
    x = np.stack(probes)
    ref = np.asarray(reference.infer_all(x)[index], np.float64).reshape(len(probes), -1)
    got = np.asarray(candidate.infer_all(x)[index], np.float64).reshape(len(probes), -1)
    agree = float(np.mean(np.argmax(ref, axis=1) == np.argmax(got, axis=1)))
    return agree, float(np.max(np.abs(ref - got)))


def build_int8(model: Any, keras_model: Any, pictures: Sequence[Any] = (), batch: int = 1,
               reference: Runtime | None = None) -> tuple[LiteRTRuntime | None, Int8Check]:
    """The int8 runtime of an opened image classifier (None when it could not be made) and its check
    against ``reference`` (a float runtime; default: the one the model runs on)."""
    from livepredict.inference.predict import check_image_classifier
    from livepredict.inference.runtimes import conversion_failure

    check_image_classifier(model)
    calib_rgb, calib_src, probe_rgb, probe_src = _sets(model, pictures)
    calib = [model.preprocess(im) for im in calib_rgb]
    probes = [model.preprocess(im) for im in probe_rgb]
    try:
        lite = LiteRTRuntime(quantize(keras_model, calib), batch=batch)
    except Exception as e:  # noqa: BLE001 - some models cannot be fully quantised
        return None, Int8Check(len(probes), probe_src, len(calib), calib_src, 0.0, float("nan"), False,
                               f"int8 conversion failed ({conversion_failure(e)})")
    agree, diff = compare(lite, reference or model.runtime, probes, model.info.output_index)
    offered = agree >= MIN_AGREEMENT
    reason = (f"top-1 agrees with float on {agree:.1%} of {pictures_text(len(probes), probe_src)} "
              f"(max |Δscore| {diff:.3g})" + ("" if offered else f", below the {MIN_AGREEMENT:.0%} needed: "
                                                                  "not offered"))
    return lite, Int8Check(len(probes), probe_src, len(calib), calib_src, agree, diff, offered, reason)


# ---------------------------------------------------------------- the app's "Fast (int8)" runtime


@dataclass(frozen=True)
class Int8Trial:
    """What quantising an open model gave: the check and both speeds, measured in one run."""

    check: Int8Check
    float_runtime: str  # the runtime int8 was timed against (float LiteRT when the model has it)
    float_ms: float
    int8_ms: float

    @property
    def speedup(self) -> float:
        return self.float_ms / self.int8_ms if self.int8_ms > 0 else 0.0

    def summary(self) -> str:
        c = self.check
        pictures = pictures_text
        if c.max_abs_diff != c.max_abs_diff:  # NaN: it could not be made
            return c.reason
        text = (f"top-1 agrees with float on {c.top1_agreement:.1%} of {pictures(c.probes, c.probe_source)} "
                f"(max |Δscore| {c.max_abs_diff:.3g})")
        if self.int8_ms > 0:
            text += (f"; {self.int8_ms:.2f} ms per picture against {self.float_ms:.2f} ms on float "
                     f"{self.float_runtime} ({self.speedup:.2f}x)")
        text += f"; calibrated on {pictures(c.calibration, c.calibration_source)}"
        if not c.offered:
            text += f"; below the {MIN_AGREEMENT:.0%} agreement needed"
        return text


def int8_refusal(model: Any) -> str:
    """Why the open model cannot have the int8 runtime ('' when it can)."""
    from livepredict.core.types import Task

    info = model.info
    if info.task != Task.IMAGE_CLASSIFIER or model.spec is None:
        return "Fast (int8) is offered for image classifiers; this model is a " + str(info.task) + "."
    if info.format not in ("keras", "h5"):
        return (f"Fast (int8) quantises a Keras model (.keras or .h5); this one is a {info.format} file, "
                "open the Keras file it was made from.")
    if info.extras.get("converting"):
        return "Fast (int8) is compared with float LiteRT: wait until the background conversion has finished."
    return ""


def keras_model_of(model: Any, trust: bool, status: Any = None) -> Any:
    """The Keras object of an open model (loaded from its file when it was opened from the cache)."""
    if model.keras_model is not None:
        return model.keras_model
    from pathlib import Path

    from livepredict.inference.keras_files import load_keras_file

    return load_keras_file(Path(model.info.path), model.info.format, trust, status).model


def try_int8(model: Any, pictures: Sequence[Any], trust: bool = False, status: Any = None
             ) -> tuple[LiteRTRuntime | None, Int8Trial]:
    """Quantise the open image classifier ``model`` (calibrated on ``pictures``, RGB arrays; synthetic
    ones when there are too few), check it against the float runtime and time both on one picture."""
    from livepredict.core.errors import UnsupportedModelError
    from livepredict.inference.runtimes import time_runtime

    why = int8_refusal(model)
    if why:
        raise UnsupportedModelError(why)
    km = keras_model_of(model, trust, status)
    if status is not None:
        status("Quantising to int8…")
    # float LiteRT when the model has it; never the int8 runtime itself (tried again while it runs)
    reference = model.runtimes.get("litert") or model.runtimes[model.info.extras.get("float_runtime",
                                                                                    model.info.runtime)]
    lite, check = build_int8(model, km, pictures, reference=reference)
    if lite is None:
        return None, Int8Trial(check, reference.name, 0.0, 0.0)
    size = model.spec.size or (224, 224)
    probe = [model.preprocess(synthetic_pictures(1, size, seed=3)[0])[None]]
    float_ms = time_runtime(reference, probe, budget_s=0.5)
    int8_ms = time_runtime(lite, probe, budget_s=0.5)
    return lite, Int8Trial(check, reference.name, float_ms, int8_ms)


def use_runtime(model: Any, lite: LiteRTRuntime | None) -> str:
    """Run ``model`` on the int8 runtime ``lite`` (None: back on its float runtime, kept in
    ``model.runtimes``); returns the status-bar sentence that says which runtime runs now."""
    import dataclasses

    from livepredict.inference.output_view import select

    info = model.info
    if lite is not None:
        if info.runtime != INT8_RUNTIME:  # the float runtime it came from, to go back to
            model.runtime = select(lite, info.output_index)
            model.info = dataclasses.replace(info, runtime=INT8_RUNTIME,
                                             extras=dict(info.extras, float_runtime=info.runtime))
        return "Runtime: Fast (int8) LiteRT, turned on in the Model tab."
    if info.runtime == INT8_RUNTIME:
        extras = dict(info.extras)
        back = extras.pop("float_runtime")
        model.runtime = select(model.runtimes[back], info.output_index)
        model.info = dataclasses.replace(info, runtime=back, extras=extras)
    return f"Runtime: {model.info.runtime} (float); Fast (int8) is off."
