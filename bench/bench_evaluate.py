#!/usr/bin/env python3
"""Evaluation benchmark: ``evaluate`` vs ``classify`` on the same labelled folder, and two models
evaluated together vs each alone, measured in one run with the bundled shapes model and a
centre-crop copy of it (a second real model), on freshly rendered pictures.

    .venv/bin/python bench/bench_evaluate.py [--pictures 600] [--repeats 3]

Both the command-line path (``commands.classify`` / ``commands.evaluate``, output to /dev/null) and
the engine path of the window (``BatchTask`` / ``EvaluateTask`` stepped by the task runner) are timed
with the models already open (model loading is not what is compared); each figure is the best of
``--repeats`` alternating runs. Goals from the issue: evaluate >= 0.95x classify's pictures/s; two
models together <= 1.1x the sum of their separate times. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))
sys.path.insert(0, str(ROOT / "models" / "train"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
MODEL = ROOT / "models" / "shapes.keras"


def make_folder(root: Path, n: int) -> Path:
    import numpy as np
    import shapes_data
    from PIL import Image

    rng = np.random.default_rng(0)
    for i in range(n):
        label = shapes_data.CLASSES[i % len(shapes_data.CLASSES)]
        d = root / label
        d.mkdir(parents=True, exist_ok=True)
        h, w = int(rng.integers(120, 320)), int(rng.integers(120, 320))
        img = Image.fromarray(shapes_data.render(label, rng, (h, w)))
        img.save(d / f"{i:04d}.{'jpg' if i % 2 else 'png'}")
    return root


def crop_model(folder: Path) -> Path:
    path = folder / "shapes_crop.keras"
    shutil.copy(MODEL, path)
    side = json.loads(Path(f"{MODEL}.livepredict.json").read_text())
    side["preprocess"]["resize"] = "center-crop"
    Path(f"{path}.livepredict.json").write_text(json.dumps(side))
    return path


class _Kept:
    """An open model the commands may 'close' without closing it (it is reused between runs)."""

    def __init__(self, model) -> None:
        self._m = model

    def __getattr__(self, name):
        return getattr(self._m, name)

    def close(self) -> None:
        pass


def cli_seconds(command: str, models: dict[str, object], paths: list[str]) -> float:
    """Seconds of one ``classify`` or ``evaluate`` run of the real command, models already open."""
    from livepredict.commands import classify, evaluate

    ns = argparse.Namespace(trust=False, output=None, top=3, json=True, csv=None, text=None, report=None,
                            debug=False)
    if command == "classify":
        ns.model, ns.paths = paths[0], paths[1:]
    else:
        ns.paths = paths

    def opened(args, **_kw):
        return models[str(args.model)]

    run = classify.cmd_classify if command == "classify" else evaluate.cmd_evaluate
    saved = classify.open_for_cli, evaluate.open_for_cli
    classify.open_for_cli = evaluate.open_for_cli = opened
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            t = time.perf_counter()
            run(ns)
            return time.perf_counter() - t
    finally:
        classify.open_for_cli, evaluate.open_for_cli = saved


def engine_seconds(task) -> float:
    """Seconds to step ``task`` to its end through the task runner (no event loop: steps run in turn)."""
    from livepredict.threads.engine.runner import TaskRunner

    queue: list = []
    runner = TaskRunner(lambda r: None, lambda delay, fn: queue.append(fn))
    t = time.perf_counter()
    runner.submit(task)
    while queue:
        queue.pop(0)()
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pictures", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    # Off the main thread, like the app's inference thread (the engine guard warns about the main one).
    worker = threading.Thread(target=measure, args=(args,), name="inference")
    worker.start()
    worker.join()
    return 0


def measure(args: argparse.Namespace) -> None:
    from livepredict.inference.loader import open_model
    from livepredict.threads.engine.batch import BatchTask, JobFlags
    from livepredict.threads.engine.evaluate import EvaluateTask
    from livepredict.threads.engine.slots import ModelSlots

    tmp = Path(tempfile.mkdtemp(prefix="bench_eval_"))
    try:
        folder = make_folder(tmp / "shapes", args.pictures)
        a, b = str(MODEL), str(crop_model(tmp))
        models = {a: _Kept(open_model(a)), b: _Kept(open_model(b))}
        slots = ModelSlots()
        slots.load("main", a, False, 1, lambda s: None)
        slots.load("compare1", b, False, 2, lambda s: None)
        flags = JobFlags()
        n = args.pictures
        best: dict[str, float] = {}

        def keep(name: str, seconds: float) -> None:
            best[name] = min(best.get(name, float("inf")), seconds)

        for r in range(args.repeats):
            order = ["classify", "evaluate"] if r % 2 == 0 else ["evaluate", "classify"]
            for cmd in order:
                keep(f"cli {cmd} A", cli_seconds(cmd, models, [a, str(folder)]))
            keep("cli evaluate B", cli_seconds("evaluate", models, [b, str(folder)]))
            keep("cli evaluate A+B", cli_seconds("evaluate", models, [a, b, str(folder)]))
            keep("engine classify A", engine_seconds(BatchTask(flags.next_id(), "main", 1, [str(folder)], 3,
                                                               slots, flags)))
            for name, s in (("A", ["main"]), ("B", ["compare1"]), ("A+B", ["main", "compare1"])):
                keep(f"engine evaluate {name}", engine_seconds(EvaluateTask(flags.next_id(), str(folder), s, 3,
                                                                            slots, flags)))
        print(f"{n} pictures (rendered, 120-320 px, PNG and JPEG), 6 classes; best of {args.repeats} runs")
        print(f"{'run':<22}{'seconds':>9}{'pictures/s':>12}")
        for name, s in best.items():
            print(f"{name:<22}{s:>9.3f}{n / s:>12.1f}")
        for path in ("cli", "engine"):
            ratio = best[f"{path} classify A"] / best[f"{path} evaluate A"]
            together = best[f"{path} evaluate A+B"] / (best[f"{path} evaluate A"] + best[f"{path} evaluate B"])
            print(f"{path}: evaluate vs classify pictures/s {ratio:.3f} (goal >= 0.95); two models together vs "
                  f"the sum of separate times {together:.3f}x (goal <= 1.1)")
        slots.close()
        for m in models.values():
            m._m.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
