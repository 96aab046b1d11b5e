"""Outputs are named after the layer that makes them, not Keras's internal tensor names."""

from __future__ import annotations


def test_a_sequential_models_output_is_named_after_its_last_layer(tmp_path):
    import keras

    from livepredict.inference.loader import open_model

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(name="flat"),
                              keras.layers.Dense(3, activation="softmax", name="colour_probs")])
    path = tmp_path / "seq.keras"
    model.save(path)
    loaded = open_model(path)
    assert [t.name for t in loaded.info.outputs] == ["colour_probs"]  # was "keras_tensor_…"
