"""Engine faults reach the user as what they are: a failing LiteRT invoke() during a real text run."""

from __future__ import annotations

import pytest
from helpers.text_models import save_char_model

from livepredict.threads.engine.payloads import GeneratorReady, TextChunk

WAIT = 180_000  # loading + building a generator on a busy 2-core machine


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    return save_char_model(tmp_path_factory.mktemp("faults"))


class FailingInvoke:
    """Wraps the real interpreter's ``invoke``: the first ``ok`` calls run, then it raises like a
    LiteRT kernel failure does (RuntimeError)."""

    def __init__(self, invoke, ok: int) -> None:
        self.invoke, self.ok, self.calls = invoke, ok, 0

    def __call__(self) -> None:
        self.calls += 1
        if self.calls > self.ok:
            raise RuntimeError("Node number 3 (GRU) failed to invoke.")
        self.invoke()


def test_a_failing_litert_invoke_is_shown_as_the_engine_error(qtbot, controller, text_model):
    with qtbot.waitSignal(controller.model_loaded, timeout=WAIT):
        controller.open_model(text_model)
    with qtbot.waitSignal(controller.generator_ready, timeout=WAIT) as ready:
        controller.prepare_generator()
    assert isinstance(ready.args[0], GeneratorReady)
    gen = controller.worker.generator.gen  # idle on the inference thread until the run starts
    assert "litert" in gen.engine.runtimes
    gen.use_runtime("litert")
    step = gen.engine.runtime
    fault = FailingInvoke(step._it.invoke, ok=20)
    step._it.invoke = fault  # the real interpreter of the real LiteRT step runtime

    chunks: list[TextChunk] = []
    controller.text_chunk.connect(chunks.append)
    with qtbot.waitSignal(controller.text_chunk, timeout=60_000, check_params_cb=lambda c: c.finished):
        controller.start_text("ab", 500, 1.0, 0, 1.0, seed=1)
    last = chunks[-1]
    assert fault.calls == 21  # the run went on until the fault, then stopped at once
    assert last.finished and "RuntimeError" in last.reason and "failed to invoke" in last.reason
    assert "model changed" not in last.reason
    assert sum(c.tokens for c in chunks) == 18  # the tokens made before the fault are shown too (2 primed)
