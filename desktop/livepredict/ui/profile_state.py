"""Where the Model tab's preprocessing and labels stand: as in the file, applied but not saved, or edited
but not applied. One sentence for the mark under the fields (empty when everything is as in the file)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from livepredict.core.types import PreprocessSpec

EDITED = "● Edited, not applied: Apply uses it for this session, Revert goes back to the file's profile."
APPLIED = ("● Applied, not saved: the model runs with it until it is closed; Save to Sidecar keeps it, "
           "Revert goes back to the file's profile.")


def profile_mark(fields: tuple[PreprocessSpec | None, Sequence[str]] | None,
                 running: tuple[PreprocessSpec | None, Sequence[str]],
                 in_file: tuple[PreprocessSpec | None, Sequence[str]]) -> str:
    """``fields`` (None: they do not parse), ``running`` and ``in_file`` are (spec, labels) pairs."""
    def same(a: tuple[PreprocessSpec | None, Sequence[str]], b: tuple[PreprocessSpec | None, Sequence[str]]) -> bool:
        return a[0] == b[0] and tuple(a[1]) == tuple(b[1])

    if fields is None or not same(fields, running):
        return EDITED
    return "" if same(running, in_file) else APPLIED


def panel_mark(panel: Any) -> str:
    """The mark for the Model tab ``panel``: its fields against the running and the file's profile."""
    if panel.loaded is None or panel.in_file is None:
        return ""
    try:
        fields: Any = (panel.edited_spec(), panel.edited_labels())
    except ValueError:
        fields = None
    running, in_file = panel.loaded.info, panel.in_file.info
    return profile_mark(fields, (running.preprocess, running.labels), (in_file.preprocess, in_file.labels))
