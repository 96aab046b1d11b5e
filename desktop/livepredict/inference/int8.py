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

from livepredict.inference.runtimes import LiteRTRuntime, Runtime

MIN_AGREEMENT = 0.99  # top-1 agreement with the float model on the probe pictures
N_CALIBRATION = 64
N_PROBES = 100


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


def build_int8(model: Any, keras_model: Any, pictures: Sequence[Any] = (), batch: int = 1
               ) -> tuple[LiteRTRuntime | None, Int8Check]:
    """The int8 runtime of an opened image classifier (None when it could not be made) and its check."""
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
    agree, diff = compare(lite, model.runtime, probes, model.info.output_index)
    offered = agree >= MIN_AGREEMENT
    reason = (f"top-1 agrees with float on {agree:.1%} of {len(probes)} {probe_src} probe pictures "
              f"(max |Δscore| {diff:.3g})" + ("" if offered else f", below the {MIN_AGREEMENT:.0%} needed: "
                                                                  "not offered"))
    return lite, Int8Check(len(probes), probe_src, len(calib), calib_src, agree, diff, offered, reason)
