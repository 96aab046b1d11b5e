"""A labels.txt problem reaches the model's warnings (shown in the Model tab and by ``info``)."""

from __future__ import annotations

from helpers.models import build_color_classifier

from livepredict.inference.loader import open_model


def test_duplicate_labels_are_a_model_warning(tmp_path):
    p = tmp_path / "m.keras"
    build_color_classifier().save(p)
    (tmp_path / "labels.txt").write_text("red\nred\nblue\n", encoding="utf-8")
    info = open_model(p, use_cache=False, runtime="keras").info
    assert info.labels == ("red", "red", "blue")
    assert any("names 'red' more than once" in w for w in info.warnings)
