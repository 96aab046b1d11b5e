"""Suite-wide settings: offscreen Qt, quiet TensorFlow, small thread pools (2-core machines)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("LIVEPREDICT_CACHE_DIR", str(Path(__file__).parent / "artifacts" / "cache"))
# The app's QSettings and log file: never the user's real configuration during tests.
os.environ.setdefault("LIVEPREDICT_SETTINGS_DIR", str(Path(__file__).parent / "artifacts" / "settings"))
os.environ.setdefault("LIVEPREDICT_LOG_DIR", str(Path(__file__).parent / "artifacts" / "logs"))
# A new model is converted before its first result, as `info` does: a helper process per tiny test
# model would cost a TensorFlow import each. The background conversion (the app's and classify's
# default) has its own tests, which ask for it (tests/unit/inference/test_background_conversion.py).
os.environ.setdefault("LIVEPREDICT_CONVERT", "inline")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

ARTIFACTS = ROOT / "tests" / "artifacts"
ARTIFACTS.mkdir(parents=True, exist_ok=True)

# Tiny real models saved in every format (session-scoped; TensorFlow is imported on first use).
from helpers.models import color_images, model_files  # noqa: E402, F401
