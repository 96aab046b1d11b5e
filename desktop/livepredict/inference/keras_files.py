"""Loading ``.keras`` and ``.h5`` files: Keras 3, or the real Keras 2 for Keras-2 era files.

A ``.h5`` written by Keras 2 (``keras_version`` 2.x or older: Teachable Machine exports, the
Keras-2 transfer-learning tutorials, models with ``TFOpLambda`` layers) is loaded by Keras 2
itself (``tf_keras``, which shares TensorFlow with Keras 3): the scores are the training
framework's own. Without ``tf_keras``, or when it cannot read the file, Keras 3 loads a repaired
temporary copy (:mod:`livepredict.inference.legacy`). Lambda layers are refused unless trusted
(Keras 2 would run their code on load). Framework warnings during loading go to the log, so a
refusal is one line on stderr.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import json
import logging
import re
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livepredict.core.errors import LivePredictError, ModelLoadError, UnsafeModelError
from livepredict.inference import legacy
from livepredict.inference.tf_env import Status, _say

log = logging.getLogger(__name__)


@dataclass
class KerasLoad:
    """A loaded Keras model and how it was loaded (``loader``: e.g. "keras 3.15.1")."""

    model: Any
    loader: str
    repairs: list[str] = field(default_factory=list)
    used_custom: bool = False


@contextlib.contextmanager
def framework_noise_to_log() -> Iterator[None]:
    """Python warnings raised while a model loads (Keras' UserWarnings on every Keras-2 .h5) go to
    the log instead of stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for w in caught:
                log.info("while loading: %s: %s", w.category.__name__, w.message)


def custom_objects(path: Path, trust: bool) -> tuple[dict[str, Any], list[Path]]:
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
            if (inspect.isclass(val) or inspect.isfunction(val)) and getattr(val, "__module__", None) == name:
                objs[attr] = val
    return objs, found


_LAMBDA_RE = re.compile(r"Lambda|lambda|arbitrary code", re.S)
_UNKNOWN_RE = re.compile(r"(?:Could not locate (?:class|function) '?([\w.]+)'?|Unknown (?:layer|object)"
                         r"(?: type)?:? '?([\w.]+)'?)")
_UNSAFE = ("contains a Lambda layer (Python code that runs when loaded) and was not opened; if you trust "
           "its source, open it again with --trust (or confirm in the app).")


def keras_error(e: Exception, path: Path, trust: bool, found_py: list[Path]) -> LivePredictError:
    msg = str(e)
    details = f"{type(e).__name__}: {msg}"
    if not trust and "safe_mode" in msg and _LAMBDA_RE.search(msg):
        return UnsafeModelError(f"{path.name} {_UNSAFE}", details)
    m = _UNKNOWN_RE.search(msg)
    if m:
        cls = (m.group(1) or m.group(2) or "?").split(".")[-1]
        if cls in ("TFOpLambda", "SlicingOpLambda", "Functional", "Model"):
            return ModelLoadError(f"{path.name} is a Keras 2 model ({cls} layers) that Keras 3 cannot read; install "
                                  "Keras 2 (pip install --no-deps 'tf_keras==2.21.*') and open it again.", details)
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


def keras2_version(path: Path, fmt: str) -> str | None:
    """The Keras 2 version that wrote ``path`` (a .h5 or a SavedModel folder with Keras metadata),
    or None when Keras 3 wrote it (or it carries no Keras model)."""
    try:
        if fmt == "h5":
            import h5py

            with h5py.File(path, "r") as f:
                if "model_config" not in f.attrs:
                    return None
                ver = f.attrs.get("keras_version", b"2")
            ver = ver.decode() if isinstance(ver, bytes) else str(ver)
            return ver if not ver.startswith("3") else None
        if fmt == "savedmodel" and (path / "keras_metadata.pb").is_file():
            return "2"
    except Exception:  # noqa: BLE001 - unreadable files are reported by the loaders
        return None
    return None


def config_text(path: Path, fmt: str) -> str:
    """The model's config as text (read, never run), '' when there is none."""
    try:
        if fmt == "keras":
            with zipfile.ZipFile(path) as z:
                return z.read("config.json").decode("utf-8", "replace")
        if fmt == "h5":
            cfg, _ = legacy.read_h5_config(path)
            return json.dumps(cfg or {})
        if fmt == "savedmodel" and (path / "keras_metadata.pb").is_file():
            return (path / "keras_metadata.pb").read_bytes().decode("utf-8", "replace")
    except Exception:  # noqa: BLE001
        return ""
    return ""


def needs_trust(path: Path, fmt: str) -> bool:
    """True when the file declares Lambda layers (read from the config, no code is run)."""
    return bool(re.search(r'"class_name":\s*"Lambda"', config_text(path, fmt)))


def tf_keras_module() -> Any | None:
    """``tf_keras`` (Keras 2), imported with TensorFlow's native start-up noise filtered, or None."""
    from livepredict.inference.tf_env import _IMPORT_NOISE, import_tf, native_stderr_filtered

    import_tf()
    try:
        with native_stderr_filtered(_IMPORT_NOISE):
            import tf_keras
    except ImportError as e:
        log.info("Keras 2 (tf_keras) is not available: %s", e)
        return None
    return tf_keras


def load_keras2(path: Path, fmt: str, trust: bool, custom: dict[str, Any]) -> KerasLoad:
    """The file loaded by Keras 2 (``tf_keras``). Raises the framework's exception."""
    tfk = tf_keras_module()
    if tfk is None:
        raise ImportError("tf_keras is not installed")
    if not trust and needs_trust(path, fmt):
        raise UnsafeModelError(f"{path.name} {_UNSAFE}")
    with tfk.utils.custom_object_scope(custom):
        model = tfk.models.load_model(str(path), compile=False)
    return KerasLoad(model, f"tf_keras {tfk.__version__} (Keras 2)", [], bool(custom))


def load_keras3(path: Path, fmt: str, trust: bool, custom: dict[str, Any], keras: Any) -> KerasLoad:
    """Keras 3, then (for a .h5) a repaired temporary copy. Raises the last framework exception."""
    def load(p: Path) -> Any:
        with keras.utils.custom_object_scope(custom):
            return keras.models.load_model(p, compile=False, safe_mode=not trust)

    name = f"keras {keras.__version__}"
    try:
        return KerasLoad(load(path), name, [], bool(custom))
    except Exception as e:  # noqa: BLE001 - analysed below
        if fmt != "h5":
            raise
        error: Exception = e
    config, _ = legacy.read_h5_config(path)
    if config is None:
        raise ModelLoadError(f"{path.name} holds only weights, not a model (no model_config); save the whole "
                             "model with model.save() and open that.", str(error))
    repairs = legacy.repair_config(config)
    with tempfile.TemporaryDirectory(prefix="livepredict-h5-") as tmp:
        for _ in range(6):
            extra = legacy.keys_from_error(str(error))
            if extra:
                repairs += legacy.repair_config(config, drop=extra)
            if not repairs:
                break
            fixed = legacy.write_repaired_copy(path, Path(tmp) / path.name, config)
            try:
                return KerasLoad(load(fixed), name + " with legacy repairs", sorted(set(repairs)), bool(custom))
            except Exception as e:  # noqa: BLE001
                same = not legacy.keys_from_error(str(e)) or str(e) == str(error)
                error = e
                if same:
                    break
    raise error


def load_keras_file(path: Path, fmt: str, trust: bool, status: Status) -> KerasLoad:
    """The Keras model in ``path`` (.keras or .h5) and how it was loaded. Raises a typed error."""
    from livepredict.inference.tf_env import import_keras

    keras = import_keras(status)
    _say(status, "Loading model…")
    custom, found_py = custom_objects(path, trust)
    if fmt == "h5":
        try:
            legacy_cfg = legacy.read_h5_config(path)[0]
        except ModelLoadError:
            raise
        except Exception as e:  # noqa: BLE001
            raise ModelLoadError(f"{path.name} is an HDF5 file Keras cannot read ({type(e).__name__}); check "
                                 "that it is a complete model saved with model.save().", str(e)) from e
        if legacy_cfg is None:
            raise ModelLoadError(f"{path.name} holds only weights, not a model (no model_config); save the "
                                 "whole model with model.save() and open that.")
    keras2_error: Exception | None = None
    with framework_noise_to_log():
        if keras2_version(path, fmt) is not None and tf_keras_module() is not None:
            try:
                return load_keras2(path, fmt, trust, custom)
            except LivePredictError:
                raise
            except Exception as e:  # noqa: BLE001 - try Keras 3 with repairs next
                keras2_error = e
                log.info("Keras 2 could not load %s (%s); trying Keras 3", path, e)
        try:
            return load_keras3(path, fmt, trust, custom, keras)
        except LivePredictError:
            raise
        except Exception as e:  # noqa: BLE001
            worst = keras2_error if keras2_error is not None and _UNKNOWN_RE.search(str(keras2_error)) else e
            raise keras_error(worst, path, trust, found_py) from e
