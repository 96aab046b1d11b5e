"""A model shipped as bytes to Ray workers (no shared disk): packed on the driver, unpacked on a worker.

``model_bundle(path)`` packs what opening the model reads (the file, or every file of a SavedModel
folder, plus its sidecar, a Teachable Machine ``labels.txt`` and, when trusted, the custom-layer
``.py`` files beside it) into ``{relative name: bytes}``: the driver puts it in Ray's object store, so
workers need no shared disk for the model. ``unpack_bundle`` writes it into a worker's private
folder, where ``loader.open_model`` opens it (``commands.cluster_actor``). Nothing here imports Ray.
"""

from __future__ import annotations

import os
from pathlib import Path

from livepredict.core.errors import LivePredictError

_BESIDE = ("labels.txt",)  # read from the model's folder by the Teachable Machine layout
_CUSTOM = ("custom_layers.py", "custom_objects.py")


def model_bundle(path: str | os.PathLike, trust: bool = False) -> dict[str, bytes]:
    """``{name relative to the model's folder: bytes}`` of everything opening ``path`` reads."""
    p = Path(path).expanduser()
    if p.name in ("saved_model.pb", "saved_model.pbtxt") and p.is_file():
        p = p.parent
    if not p.exists():
        raise LivePredictError(f"No model at {p}; check the path.")
    files: dict[str, bytes] = {}
    if p.is_dir():
        for f in sorted(p.rglob("*")):
            if f.is_file():
                files[str(Path(p.name) / f.relative_to(p))] = f.read_bytes()
    else:
        files[p.name] = p.read_bytes()
    beside = [f"{p.name}.livepredict.json", *_BESIDE]
    if trust:
        stem = p.name.split(".")[0]
        beside += [f"{p.name}.py", f"{stem}.py", *_CUSTOM]
    for name in beside:
        f = p.parent / name
        if f.is_file():
            files[name] = f.read_bytes()
    return {"__model__": p.name.encode("utf-8"), **files}


def unpack_bundle(bundle: dict[str, bytes], folder: Path) -> Path:
    """Write ``bundle`` into ``folder``; returns the model's path there."""
    for name, data in bundle.items():
        if name == "__model__":
            continue
        target = (folder / name).resolve()
        if folder.resolve() not in target.parents:
            raise LivePredictError(f"The model bundle names a file outside its folder ({name}).")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder / bundle["__model__"].decode("utf-8")
