"""The sidecar ``<model file name>.livepredict.json`` beside a model.

Keys (all optional): ``labels`` (list of strings), ``preprocess`` (PreprocessSpec JSON, partial is
fine: missing keys keep what was detected), ``task``, ``vocab`` (list of tokens), ``mean``, ``std``
(numbers or lists, for forecasters), ``window`` (int), ``output`` (index or name of the output a multi-output model shows),
``tokenize`` (``words`` or ``chars``: how a text classifier's input is split into ``vocab`` tokens),
``notes`` (string), ``decoder`` (how a detector's or segmenter's outputs are read, see
``decoder_keys``), ``explain_layer`` (the layer Grad-CAM explains at). Unknown keys are refused
so a typo never passes silently.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from livepredict.core.errors import SidecarError
from livepredict.core.paths import not_a_file
from livepredict.core.types import TASKS, PreprocessSpec
from livepredict.inference.decoder_keys import decoder_problem

SUFFIX = ".livepredict.json"
KEYS = ("labels", "preprocess", "task", "vocab", "mean", "std", "window", "output", "tokenize", "notes", "decoder",
        "explain_layer")
TOKENIZE = ("words", "chars")


def sidecar_path(model_path: str | os.PathLike) -> Path:
    p = Path(model_path)
    return p.with_name(p.name.rstrip("/") + SUFFIX)


def _fail(path: Path, what: str) -> SidecarError:
    return SidecarError(f"The sidecar {path.name} {what}; fix it or delete it.")


def validate_sidecar(data: Any, path: Path) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _fail(path, "is not a JSON object")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise _fail(path, f"has unknown key(s) {', '.join(unknown)} (allowed: {', '.join(KEYS)})")
    for key in ("labels", "vocab"):
        v = data.get(key)
        if v is not None and not (isinstance(v, list) and all(isinstance(s, str) for s in v)):
            raise _fail(path, f"has '{key}' that is not a list of strings")
    if data.get("preprocess") is not None:
        pre = data["preprocess"]
        if not isinstance(pre, dict):
            raise _fail(path, "has 'preprocess' that is not a JSON object")
        try:
            merged = PreprocessSpec().to_json()
            merged.update(pre)
            PreprocessSpec.from_json(merged)
        except (TypeError, ValueError) as e:
            raise _fail(path, f"has an invalid 'preprocess' ({e})") from e
    task = data.get("task")
    if task is not None and task not in TASKS:
        raise _fail(path, f"has task {task!r}, not one of {', '.join(TASKS)}")
    window = data.get("window")
    if window is not None and (not isinstance(window, int) or isinstance(window, bool) or window <= 0):
        raise _fail(path, "has 'window' that is not a positive integer")
    for key in ("mean", "std"):
        v = data.get(key)
        ok = v is None or isinstance(v, int | float) or (
            isinstance(v, list) and all(isinstance(x, int | float) for x in v))
        if not ok or isinstance(v, bool):
            raise _fail(path, f"has '{key}' that is not a number or a list of numbers")
    output = data.get("output")
    if output is not None and (isinstance(output, bool) or not isinstance(output, int | str) or
                               (isinstance(output, int) and output < 0)):
        raise _fail(path, "has 'output' that is neither an output index (0, 1, …) nor an output name")
    if data.get("tokenize") is not None and data["tokenize"] not in TOKENIZE:
        raise _fail(path, f"has tokenize {data['tokenize']!r}, not one of {', '.join(TOKENIZE)}")
    if data.get("explain_layer") is not None and not isinstance(data["explain_layer"], str):
        raise _fail(path, "has 'explain_layer' that is not a layer name")
    if data.get("notes") is not None and not isinstance(data["notes"], str):
        raise _fail(path, "has 'notes' that is not a string")
    if data.get("decoder") is not None and (problem := decoder_problem(data["decoder"])):
        raise _fail(path, f"has {problem}")
    return data


def read_sidecar(model_path: str | os.PathLike) -> dict[str, Any] | None:
    """The validated sidecar of ``model_path`` or None when there is none (SidecarError if malformed)."""
    path = sidecar_path(model_path)
    if not path.exists():
        return None
    try:
        kind = not_a_file(path)
        if kind is not None:
            raise _fail(path, f"is {kind}, not a file")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise _fail(path, f"cannot be read ({e.__class__.__name__})") from e
    except json.JSONDecodeError as e:
        raise _fail(path, f"is not valid JSON (line {e.lineno}, column {e.colno})") from e
    except RecursionError:
        raise _fail(path, "nests lists or objects too deeply to be a sidecar") from None
    return validate_sidecar(data, path)


def write_sidecar(model_path: str | os.PathLike, data: dict[str, Any]) -> Path:
    """Validate and write ``data`` as the sidecar of ``model_path`` (atomically); returns its path."""
    path = sidecar_path(model_path)
    data = dict(data)
    if isinstance(data.get("preprocess"), PreprocessSpec):
        data["preprocess"] = data["preprocess"].to_json()
    validate_sidecar(data, path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
