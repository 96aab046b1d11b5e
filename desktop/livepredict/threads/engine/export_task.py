"""File › Export for Serving… as a task on the inference thread (the GUI thread never touches TF).

``ExportTask`` exports the model open in a slot (``inference.export.export_for_serving``) in a few
steps — check, reopen with its TensorFlow graph if it was opened from the LiteRT cache, write — and
yields ``ExportProgress`` lines and one ``ExportFinished`` (the folder, or one sentence on failure).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from livepredict.threads.engine.guard import engine_call
from livepredict.threads.engine.payloads import MAIN
from livepredict.threads.engine.runner import Task
from livepredict.threads.engine.slots import ModelSlots


@dataclass(frozen=True)
class ExportProgress:
    load_id: int
    text: str
    slot: str = MAIN


@dataclass(frozen=True)
class ExportFinished:
    """``path`` is the SavedModel folder written ("" on failure, then ``error`` says why)."""

    load_id: int
    path: str = ""
    error: str = ""
    details: str = ""
    summary: str = ""
    slot: str = MAIN


class ExportTask(Task):
    """Export the model of ``load_id`` in ``slot`` to ``out_dir/name/version``."""

    lane = "export"

    def __init__(self, load_id: int, out_dir: str, name: str, version: str, top_k: int, models: ModelSlots,
                 slot: str = MAIN) -> None:
        self.load_id, self.slot = load_id, slot
        self.out_dir, self.name, self.version, self.top_k = out_dir, name, version, top_k
        self.models = models
        self._lines: list[str] = []

    def on_error(self, message: str, details: str) -> Sequence[Any]:
        return [ExportFinished(self.load_id, error=message, details=details, slot=self.slot)]

    def on_cancel(self) -> Sequence[Any]:
        return [ExportFinished(self.load_id, error="The export was cancelled.", slot=self.slot)]

    def steps(self) -> Iterator[Sequence[Any]]:
        from livepredict.inference import export

        s = self.models.get(self.slot)
        if s is None or s.load_id != self.load_id:
            yield [ExportFinished(self.load_id, error="Open a model before exporting it.", slot=self.slot)]
            return
        name = self.name or export.default_name(s.path)
        export.target_folder(self.out_dir, name, self.version)
        export.check_exportable(s.model.info)
        yield [ExportProgress(self.load_id, f"Exporting {name} for TensorFlow Serving…", self.slot)]
        with engine_call("export graph model"):
            model = export.graph_model_for(s.model, status=self._lines.append)
        yield [ExportProgress(self.load_id, "Writing the SavedModel…", self.slot)]
        try:
            with engine_call("export_for_serving"):
                result = export.export_for_serving(model, self.out_dir, name, self.version, top_k=self.top_k)
        finally:
            if model is not s.model:
                model.close()
        summary = (f"Exported {result.name} version {result.version} to {result.path} "
                   f"({len(result.labels)} labels, outputs {', '.join(result.outputs)}).")
        yield [ExportFinished(self.load_id, path=str(result.path), summary=summary, slot=self.slot)]
