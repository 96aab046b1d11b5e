"""core.wire: results cross a process as JSON (never pickle) and come back equal."""

import json

import numpy as np
import pytest

from livepredict.core import wire
from livepredict.core.types import (
    Classification,
    Detection,
    Detections,
    OutputKind,
    Prediction,
    Segmentation,
)


def _same(a, b):
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    elif hasattr(a, "__dataclass_fields__"):
        assert type(a) is type(b)
        for name in a.__dataclass_fields__:
            _same(getattr(a, name), getattr(b, name))
    elif isinstance(a, tuple | list):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        assert a == b and type(a) is type(b)


def test_every_result_type_round_trips_through_json_text():
    cls = Classification(top=(("cat", 0.9), ("dog", 0.1)), scores=np.array([0.9, 0.1], np.float32),
                         labels=("cat", "dog"), output_kind=OutputKind.LOGITS)
    det = Detections(items=(Detection("star", 0.8, (1.0, 2.0, 30.5, 40.0), 3),), labels=("a", "star"),
                     image_size=(120, 160), boxes=np.ones((2, 4), np.float32),
                     box_scores=np.array([0.8, 0.1], np.float32), class_ids=np.array([3, 1], np.int32), dropped=1)
    seg = Segmentation(mask=np.arange(12, dtype=np.uint8).reshape(3, 4), labels=("background", "x"),
                       fractions=(0.75, 0.25))
    value = [[(Prediction(top=cls.top, scores=cls.scores, path="a.png", infer_ms=1.5, result=r), None)
              for r in (cls, det, seg)], [(None, "cannot be read")]]
    text = wire.dumps(value)
    json.loads(text)  # plain JSON
    _same(wire.loads(text), value)


def test_only_the_listed_types_are_built():
    with pytest.raises(KeyError):
        wire.loads('{"__dc": "Popen", "args": ["rm"]}')
    with pytest.raises(ValueError):
        wire.loads('{"__nd": "|O", "shape": [1], "b64": ""}')
    with pytest.raises(TypeError):
        wire.dumps(object())
