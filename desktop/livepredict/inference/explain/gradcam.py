"""Grad-CAM (Selvaraju et al. 2017) for Keras models, compiled once with ``tf.function``.

The explanation model maps the input to (the chosen layer's activations, the scores before
softmax/sigmoid), rebuilt by :mod:`.replay`. One compiled call per batch computes the scores, picks
the class (top-1, or the one asked for), differentiates that class's score with respect to the
layer's activations and returns ``ReLU(sum_k mean(dS/dA_k) * A_k)`` per picture. A single sigmoid
unit reads as two classes: the score of "yes" is the logit, of "no" its negative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from livepredict.core.errors import UnsupportedModelError
from livepredict.inference.explain.replay import replay
from livepredict.inference.tf_env import import_tf

NO_SPATIAL = ("This model has no layer with a spatial output (height x width x channels) to explain; "
              "use the occlusion method instead.")


class GradCam:
    """Grad-CAM of ``model`` at ``layer`` (None: the last layer with a spatial rank-4 output)."""

    def __init__(self, model: Any, layer: str | None = None, *, layer_source: str = "") -> None:
        tf = import_tf()
        g = replay(model)
        spatial = g.spatial()
        if layer is None:
            if not spatial:
                raise UnsupportedModelError(NO_SPATIAL)
            layer = spatial[-1]
        elif layer not in spatial:
            known = [n for n, _ in g.layers]
            where = f" named {layer_source}" if layer_source else ""
            if layer in known:
                raise UnsupportedModelError(f"The layer {layer!r}{where} has no spatial output to explain; pick "
                                            f"one of: {', '.join(spatial[-8:]) or 'none (use occlusion)'}.")
            raise UnsupportedModelError(f"There is no layer {layer!r}{where} in this model; pick one of: "
                                        f"{', '.join(spatial[-8:]) or 'none (use occlusion)'}.")
        self.layer = layer
        self.layers = tuple(spatial)
        scores = g.pre_activation if g.pre_activation is not None else g.outputs
        self.before_squash = g.pre_activation is not None
        keras = type(model).__module__.startswith("tf_keras")
        km = _keras_for(keras)
        self.model = km.Model(g.inputs, [g.output(layer), scores])
        shape = tuple(self.model.inputs[0].shape)
        units = int(self.model.outputs[1].shape[-1])
        if len(self.model.outputs[1].shape) != 2:
            raise UnsupportedModelError("Grad-CAM explains classifiers with one score per class; this model's "
                                        "output is not (batch, classes).")
        self.binary = units == 1
        self.input_shape = shape[1:]
        dtype = self.model.inputs[0].dtype
        self.dtype = str(getattr(dtype, "name", dtype))
        self._fn = self._compile(tf)

    def _compile(self, tf: Any) -> Any:
        grad_model = self.model
        binary = self.binary

        def explain(x, wanted):
            with tf.GradientTape() as tape:
                tape.watch(x)
                acts, scores = grad_model(x, training=False)
                scores = tf.cast(scores, tf.float32)
                if binary:
                    scores = tf.concat([-scores, scores], axis=1)
                top = tf.argmax(scores, axis=1, output_type=tf.int32)
                cls = tf.where(wanted < 0, top, wanted)
                picked = tf.gather(scores, cls, axis=1, batch_dims=1)
            grads = tf.cast(tape.gradient(picked, acts), tf.float32)
            acts = tf.cast(acts, tf.float32)
            weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
            cam = tf.nn.relu(tf.reduce_sum(acts * weights, axis=-1))
            return cam, scores, cls

        spec = [tf.TensorSpec((None, *self.input_shape), tf.as_dtype(self.dtype)),
                tf.TensorSpec((None,), tf.int32)]
        return tf.function(explain, input_signature=spec, reduce_retracing=False)

    def __call__(self, x: np.ndarray, wanted: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(cams (N, h, w), scores before squashing (N, classes), explained class per picture) for a
        preprocessed batch; ``wanted`` holds a class index per picture, -1 for the top-1."""
        xb = np.asarray(x, dtype=self.dtype)
        w = np.full(len(xb), -1, np.int32) if wanted is None else np.asarray(wanted, np.int32)
        cam, scores, cls = self._fn(xb, w)
        return cam.numpy(), scores.numpy(), cls.numpy()


def _keras_for(keras2: bool) -> Any:
    if keras2:
        import tf_keras

        return tf_keras
    import keras

    return keras
