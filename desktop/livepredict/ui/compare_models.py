"""Models opened beside the main one to compare with it (File › Add Model to Compare, ``--compare``).

Each goes into its own engine slot (``threads.engine.compare.COMPARE_SLOTS``) with its own
preprocessing, labels and runtime. A model that fails to open is reported for its slot (one
sentence naming it); the main model and the other compared ones keep working. Panels ask
``names()`` for the models open now; ``changed`` tells them when that set changes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from livepredict.threads.engine.compare import COMPARE_SLOTS
from livepredict.threads.engine.controller import InferenceController
from livepredict.threads.engine.payloads import MAIN, LoadFailed, ModelLoaded


class CompareModels(QObject):
    """The compared models by slot.

    Signals:
        changed(): a compared model was opened, failed or was closed.
    """

    changed = Signal()

    def __init__(self, controller: InferenceController, show_message: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.show_message = show_message
        self.pending: dict[str, str] = {}  # slot -> path being opened
        self.open: dict[str, ModelLoaded] = {}
        self.note = ""  # the last sentence about a compared model
        self.note_pending = False
        self.main: ModelLoaded | None = None  # the main slot's model (its labels)
        controller.model_loaded.connect(self.on_model_loaded)
        controller.load_failed.connect(self.on_load_failed)
        controller.status_changed.connect(self._after_status)

    def free_slot(self) -> str | None:
        return next((s for s in COMPARE_SLOTS if s not in self.open and s not in self.pending), None)

    def add(self, path: str | Path, trust: bool = False) -> str | None:
        """Open ``path`` in the next free compare slot; returns the slot (None: all are taken)."""
        slot = self.free_slot()
        if slot is None:
            self.show_message(f"At most {len(COMPARE_SLOTS)} models can be compared with the main one; close the "
                              "compared models first (File › Close Compared Models).")
            return None
        self.pending[slot] = str(path)
        self.show_message(f"Opening {Path(path).name} to compare…")
        self.controller.open_model(str(path), trust=trust, slot=slot)
        return slot

    def close_all(self) -> None:
        for slot in list(self.open) + list(self.pending):
            self.controller.close_model(slot)
        self.open.clear()
        self.pending.clear()
        self.changed.emit()

    def names(self) -> dict[str, str]:
        """slot -> model file name, for the compared models open now (in slot order)."""
        return {s: Path(self.open[s].info.path).name for s in COMPARE_SLOTS if s in self.open}

    def label_note(self, loaded: ModelLoaded) -> str:
        """A sentence naming the labels of a compared model that the main model does not have ("" if none)."""
        main = self.main.info.labels if self.main is not None else ()
        if not main or not loaded.info.labels:
            return ""
        known = {label.casefold() for label in main}
        odd = [label for label in loaded.info.labels if label.casefold() not in known]
        if not odd:
            return ""
        return (f" Its labels {', '.join(odd[:8])}{' …' if len(odd) > 8 else ''} are not labels of "
                f"{Path(self.main.info.path).name}: the models are compared by name on the labels they share.")

    @Slot(object)
    def on_model_loaded(self, loaded: ModelLoaded) -> None:
        if loaded.slot == MAIN:
            self.main = loaded
            return
        if loaded.slot not in COMPARE_SLOTS or not self.controller.is_current(loaded.load_id, loaded.slot):
            return
        self.pending.pop(loaded.slot, None)
        self.open[loaded.slot] = loaded
        memory = loaded.memory_text
        self._say(f"{Path(loaded.info.path).name} open to compare ({loaded.info.runtime}"
                  + (f", {memory}" if memory else "") + ")." + self.label_note(loaded))
        self.changed.emit()

    @Slot(object)
    def on_load_failed(self, failed: LoadFailed) -> None:
        if failed.slot not in COMPARE_SLOTS:
            return
        self.pending.pop(failed.slot, None)
        self._say(f"{Path(failed.path).name} could not be opened to compare: {failed.message}")
        self.changed.emit()

    def _say(self, text: str) -> None:
        """Show ``text`` in place of the worker's own status line for this load ("Ready: …", or the
        failure), which the worker sends just after the load's result."""
        self.note, self.note_pending = text, True

    @Slot(str)
    def _after_status(self, text: str) -> None:
        if self.note_pending:
            self.note_pending = False
            QTimer.singleShot(0, self, self._show_note)  # after every other receiver of that status line

    @Slot()
    def _show_note(self) -> None:
        self.show_message(self.note)
