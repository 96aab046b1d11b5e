"""The tabs of the main window, in order. A new tab is one module with a ``Panel`` class
(see ``ui.panel``) and one line here."""

from __future__ import annotations

from livepredict.ui.panel import PanelSpec

PANELS: tuple[PanelSpec, ...] = (
    PanelSpec("Classify", "livepredict.ui.classify.panel:ClassifyPanel"),
    PanelSpec("Live", "livepredict.ui.live.panel:LivePanel", lazy=True),
    PanelSpec("Model", "livepredict.ui.model_panel:ModelPanel"),
    PanelSpec("Generate", "livepredict.ui.generate.panel:GeneratePanel", lazy=True),
    PanelSpec("Evaluate", "livepredict.ui.evaluate.panel:EvaluatePanel", lazy=True),
)
