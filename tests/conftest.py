"""Suite-wide settings: offscreen Qt, quiet TensorFlow, small thread pools (2-core machines)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Each pytest-xdist worker (``make test`` runs two) gets its own cache, settings and logs.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_SUFFIX = f"-{_WORKER}" if _WORKER else ""
os.environ.setdefault("LIVEPREDICT_CACHE_DIR", str(Path(__file__).parent / "artifacts" / f"cache{_SUFFIX}"))
# The app's QSettings and log file: never the user's real configuration during tests.
os.environ.setdefault("LIVEPREDICT_SETTINGS_DIR", str(Path(__file__).parent / "artifacts" / f"settings{_SUFFIX}"))
os.environ.setdefault("LIVEPREDICT_LOG_DIR", str(Path(__file__).parent / "artifacts" / f"logs{_SUFFIX}"))
# A new model is converted before its first result, as `info` does: a helper process per tiny test
# model would cost a TensorFlow import each. The background conversion (the app's and classify's
# default) has its own tests, which ask for it (tests/unit/inference/test_background_conversion.py).
os.environ.setdefault("LIVEPREDICT_CONVERT", "inline")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

ARTIFACTS = ROOT / "tests" / "artifacts"
ARTIFACTS.mkdir(parents=True, exist_ok=True)

# Tiny real models saved in every format (session-scoped; TensorFlow is imported on first use).
from helpers.labelled import binary_model  # noqa: E402, F401
from helpers.models import color_images, model_files  # noqa: E402, F401
