"""Fixtures for the hardening tests: the inputs the bad-input corpus refers to (tiny real models in
the formats the cases copy, an image, a video), built once per session."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "corpus"))

# the Qt fixtures (leak check, isolated settings, the real main window) for the hardening UI tests
from qt.conftest import isolated_settings, qt_leak_check, window  # noqa: E402, F401

VOCAB = list("abcdefghijkl")  # the tiny text generator's 12 tokens


@pytest.fixture(scope="session")
def corpus_inputs(model_files, tmp_path_factory) -> dict[str, Path]:
    """Placeholder name → path for the corpus (see tests/corpus/make_corpus.py)."""
    from helpers.models import build_forecaster, build_lambda_model, build_text_generator, solid
    from helpers.video import write_video
    from PIL import Image

    d = tmp_path_factory.mktemp("corpus_inputs")
    gen = d / "chars.keras"
    build_text_generator(vocab=len(VOCAB)).save(gen)
    Path(str(gen) + ".livepredict.json").write_text(json.dumps({"vocab": VOCAB}), encoding="utf-8")
    fc = d / "forecast.keras"
    build_forecaster().save(fc)
    lam = d / "lambda.keras"
    build_lambda_model().save(lam)
    image = d / "red.png"
    Image.fromarray(solid((220, 30, 20))).save(image)
    return {"good": model_files["tflite"], "good_keras": model_files["keras"], "good_h5": model_files["h5"],
            "textgen": gen, "forecaster": fc, "lambda": lam, "image": image,
            "video": write_video(d / "clip.avi", frames=20), "tmp": d}
