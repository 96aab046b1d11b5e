"""Importing TensorFlow/Keras/LiteRT lazily, once, with quiet logs and bounded thread pools.

Nothing here is imported at module level: ``import livepredict.inference.loader`` must stay cheap
so the window (and a warm, cached model) never waits for TensorFlow.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

Status = Callable[[str], None] | None


def _say(status: Status, text: str) -> None:
    if status is not None:
        try:
            status(text)
        except Exception:  # noqa: BLE001 - a broken status callback must not break loading
            pass


def tf_loaded() -> bool:
    return "tensorflow" in sys.modules


def import_tf(status: Status = None) -> Any:
    """``tensorflow`` with its C++ logs quietened (set before the first import, DESIGN §8)."""
    if not tf_loaded():
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        _say(status, "Loading TensorFlow…")
        with native_stderr_filtered(_IMPORT_NOISE):
            import tensorflow  # noqa: F401 - the first import, with its native noise filtered
    import tensorflow as tf

    if not os.environ.get("LIVEPREDICT_DEBUG"):
        # "WARNING:tensorflow:…" lines (retracing notes, "Compiled the loaded model…" from Keras 2)
        # would come before the app's own one-line message; LIVEPREDICT_DEBUG=1 shows them.
        tf.get_logger().setLevel("ERROR")
    return tf


# Lines TensorFlow's native code prints while it is imported, whatever TF_CPP_MIN_LOG_LEVEL says
# (absl logs before its InitializeLog; on CPUs where oneDNN's custom operations are on).
# The full "tensorflow" wheel (pulled in beside tensorflow-cpu by tf_keras) also looks for CUDA.
_IMPORT_NOISE = ("before absl::InitializeLog() is called", "oneDNN custom operations are on",
                 "Could not find cuda drivers", "failed call to cuInit")


def import_keras(status: Status = None) -> Any:
    import_tf(status)
    import keras

    return keras


_TF_DISTS = ("tensorflow-cpu", "tensorflow", "tf-nightly", "tensorflow-macos")


def tf_version() -> str:
    """TensorFlow's version without importing it (package metadata), for cache keys."""
    if tf_loaded():
        return str(sys.modules["tensorflow"].__version__)
    quick = _dist_info_version()
    if quick is not None:
        return quick
    import importlib.metadata

    for dist in _TF_DISTS:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            return importlib.metadata.version(dist)
    return "none"


def _dist_info_version() -> str | None:
    """The version in the name of the first ``<dist>-<version>.dist-info`` folder on ``sys.path`` (what
    ``importlib.metadata`` finds first, in a few directory listings instead of a scan of every
    distribution: a warm start waits for this)."""
    names = {d.replace("-", "_"): rank for rank, d in enumerate(_TF_DISTS)}
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        found = []
        for name in listing:
            stem = name[:-len(".dist-info")]
            if name.endswith(".dist-info") and stem.count("-") == 1:
                dist, version = stem.split("-")
                if dist.lower() in names:
                    found.append((names[dist.lower()], version))
        if found:
            return min(found)[1]
    return None


def litert_interpreter_class() -> Any:
    """LiteRT's ``Interpreter`` (``ai_edge_litert``), else TensorFlow's ``tf.lite.Interpreter``."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:  # ai-edge-litert is a dependency, but a broken install may lack it
        return _tf_lite_interpreter


def _tf_lite_interpreter(*args: Any, **kwargs: Any) -> Any:
    """TensorFlow's own (deprecated) interpreter, its deprecation warning sent to the log once
    instead of the terminal."""
    import logging
    import warnings

    global _tf_lite_warned
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        it = import_tf().lite.Interpreter(*args, **kwargs)
    if not _tf_lite_warned:
        _tf_lite_warned = True
        logging.getLogger(__name__).warning("ai-edge-litert is not installed: LiteRT models run on TensorFlow's "
                                            "deprecated tf.lite.Interpreter (pip install ai-edge-litert)")
    return it


_tf_lite_warned = False


@contextlib.contextmanager
def quiet_stdout() -> Iterator[io.StringIO]:
    """Swallow what TensorFlow/Keras print on stdout (e.g. export summaries) so ``--json`` stays clean."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        yield buf


_native_quiet_done = False


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Hide what native code writes on file descriptor 2 the first time a LiteRT interpreter is made
    ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU."), so the CLI keeps its one-line
    stderr. ``LIVEPREDICT_DEBUG=1`` shows it."""
    global _native_quiet_done
    if _native_quiet_done:
        yield
        return
    _native_quiet_done = True
    with native_stderr_silenced():
        yield


@contextlib.contextmanager
def native_stderr_filtered(noise: tuple[str, ...]) -> Iterator[None]:
    """Catch what is written on file descriptor 2 during the block and write it back afterwards,
    less the lines containing one of ``noise``: other threads' messages are delayed, not lost."""
    if os.environ.get("LIVEPREDICT_DEBUG"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as caught:
        try:
            os.dup2(caught.fileno(), 2)
            yield
        finally:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            kept = [line for line in caught.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if not any(n in line for n in noise)]
            if kept:
                with contextlib.suppress(OSError, ValueError):
                    sys.stderr.write("".join(kept))
                    sys.stderr.flush()


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Drop what is written on file descriptor 2 during the block (the TFLite converter's MLIR
    diagnostics are printed there even when the Python exception already carries them)."""
    with native_stderr_filtered(("",)):  # every line contains ""
        yield
