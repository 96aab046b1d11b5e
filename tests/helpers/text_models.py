"""A tiny real recurrent text model (character level) with its vocabulary in the sidecar."""

from __future__ import annotations

import json
import string
from pathlib import Path

CHARS = list(string.ascii_lowercase + " .")


def save_char_model(folder: Path, name: str = "chars", vocab: list[str] = CHARS, seed: int = 3) -> Path:
    """Embedding → GRU (every step) → softmax over ``vocab``, saved as ``folder/name.keras``."""
    import keras

    keras.utils.set_random_seed(seed)
    layers = [keras.Input((None,), dtype="int32"), keras.layers.Embedding(len(vocab), 4),
              keras.layers.GRU(8, return_sequences=True), keras.layers.Dense(len(vocab), activation="softmax")]
    path = Path(folder) / f"{name}.keras"
    keras.Sequential(layers).save(path)
    Path(f"{path}.livepredict.json").write_text(json.dumps({"task": "text-generator", "vocab": vocab}),
                                                encoding="utf-8")
    return path
