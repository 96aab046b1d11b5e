"""Safe loading: Lambda layers and custom code are refused unless trusted; custom layers from a .py."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from helpers.models import build_lambda_model, solid

from livepredict.core.errors import ModelLoadError, UnsafeModelError
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images

CUSTOM = '''
import keras


class Doubler(keras.layers.Layer):
    """Multiplies by two (a custom layer Keras cannot rebuild without this file)."""

    def call(self, x):
        return x * 2.0
'''


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_lambda_is_refused_then_opened_when_trusted(tmp_path, ext):
    p = tmp_path / f"lam.{ext}"
    build_lambda_model().save(p)
    with pytest.raises(UnsafeModelError) as e:
        open_model(p, use_cache=False)
    msg = str(e.value)
    assert msg.startswith(f"lam.{ext} contains a Lambda layer") and "--trust" in msg and "\n" not in msg
    m = open_model(p, trust=True, use_cache=False, runtime="keras")
    assert m.info.extras["trusted"] is True
    assert len(predict_images(m, [solid((9, 9, 9))])) == 1


def test_trusted_lambda_in_cache_still_needs_trust(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))
    p = tmp_path / "lam.keras"
    build_lambda_model().save(p)
    first = open_model(p, trust=True)
    assert first.info.runtime == "litert"  # cached as a verified conversion
    with pytest.raises(UnsafeModelError, match="--trust"):
        open_model(p)
    assert open_model(p, trust=True).info.extras["cached"] is True


@pytest.fixture
def custom_model(tmp_path):
    """A model using a custom layer class defined in custom_layers.py beside it."""
    src = tmp_path / "custom_layers.py"
    src.write_text(CUSTOM, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("lp_custom_build", src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import keras

    inp = keras.Input((16, 16, 3))
    x = mod.Doubler()(inp)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(3, activation="softmax")(x)
    p = tmp_path / "custom.keras"
    keras.Model(inp, out).save(p)
    sys.modules.pop("lp_custom_build", None)
    return p


def test_custom_layer_from_py_only_when_trusted(custom_model):
    with pytest.raises(UnsafeModelError) as e:
        open_model(custom_model, use_cache=False)
    assert "custom class Doubler from custom_layers.py" in str(e.value) and "--trust" in str(e.value)
    m = open_model(custom_model, trust=True, use_cache=False, runtime="keras")
    x = np.ones((1, 16, 16, 3), np.float32)
    assert m.infer(x).shape == (1, 3)
    assert "Doubler" in [layer.kind for layer in m.info.layers]


def test_custom_layer_without_its_code(custom_model):
    (custom_model.parent / "custom_layers.py").unlink()
    with pytest.raises(ModelLoadError) as e:
        open_model(custom_model, trust=True, use_cache=False)
    assert "needs the custom class Doubler, which is not available" in str(e.value)
    assert not isinstance(e.value, UnsafeModelError)


def test_cached_custom_code_model_still_needs_trust(custom_model, tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEPREDICT_CACHE_DIR", str(tmp_path / "cache"))
    assert open_model(custom_model, trust=True).info.extras["cached"] is False
    with pytest.raises(UnsafeModelError, match="--trust"):
        open_model(custom_model)
    assert open_model(custom_model, trust=True).info.extras["cached"] is True
