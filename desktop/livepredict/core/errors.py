"""Typed errors, each carrying one human sentence: what failed and what to do.

The UI shows ``str(err)``; the CLI prints it on one line and exits 2. ``details`` holds extra
technical text for "Copy error details" and ``--debug``, never shown as the headline.
"""

from __future__ import annotations


class LivePredictError(Exception):
    """Base class. ``str(err)`` is a single sentence fit for a status bar or stderr."""

    exit_code = 2

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class ModelLoadError(LivePredictError):
    """The file is missing, not a model, truncated or in a format we cannot read."""


class UnsafeModelError(ModelLoadError):
    """The model needs unsafe deserialisation (Lambda layers, custom code); open it as trusted."""


class UnsupportedModelError(LivePredictError):
    """The model loaded but cannot do what was asked (e.g. two inputs offered for classification)."""


class SidecarError(LivePredictError):
    """The sidecar ``<model>.livepredict.json`` is malformed."""


class ImageReadError(LivePredictError):
    """A file is not a readable image (or is too large to decode safely)."""


class SourceError(LivePredictError):
    """A camera, video or stream could not be opened or stopped delivering frames."""


class InferenceError(LivePredictError):
    """The model raised or produced unusable output (NaN, wrong shape) while predicting."""


class OutputWriteError(LivePredictError):
    """A result file (CSV, JSON, export, recording, snapshot) could not be written."""
