"""The output a multi-output model shows: a runtime view whose ``infer`` returns that output."""

from __future__ import annotations

from typing import Any

import numpy as np

from livepredict.inference.runtimes import Inputs, Runtime


class SelectedOutput(Runtime):
    """``inner`` with ``infer`` returning output ``index`` (``infer_all`` still returns every output)."""

    def __init__(self, inner: Runtime, index: int) -> None:
        self.inner = inner
        self.index = int(index)
        self.name = inner.name

    def infer(self, batch: Inputs) -> np.ndarray:
        return self.inner.infer_all(batch)[self.index]

    def infer_all(self, batch: Inputs) -> list[np.ndarray]:
        return self.inner.infer_all(batch)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # batch, content, input_details, … of the wrapped runtime
        return getattr(self.__dict__["inner"], name)


def select(runtime: Runtime, index: int) -> Runtime:
    return runtime if index == 0 else SelectedOutput(runtime, index)
