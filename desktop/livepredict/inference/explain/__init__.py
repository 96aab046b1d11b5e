"""Explanation heatmaps (Grad-CAM, occlusion) for opened image classifiers; inference thread only.

``Explainer(model, method, layer)`` makes :class:`livepredict.core.heatmap.Heatmap` values over the
original pictures; :mod:`.replay` rebuilds a Keras graph on a fresh ``Input`` (entering nested
models), :mod:`.gradcam` compiles Grad-CAM with ``tf.function``, :mod:`.occlusion` runs occluded
copies through the fast runtime. Importing this package is cheap (TensorFlow only when Grad-CAM runs).
"""

from livepredict.inference.explain.explainer import (
    METHOD_CHOICES,
    SIDECAR_KEY,
    Explainer,
    explain_reason,
    has_keras_graph,
)

__all__ = ["METHOD_CHOICES", "SIDECAR_KEY", "Explainer", "explain_reason", "has_keras_graph"]
