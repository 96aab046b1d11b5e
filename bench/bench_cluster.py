"""What going distributed costs: ``livepredict classify`` on one folder, locally and through ``--ray``
on a local 2-CPU Ray runtime, measured in one run (the ratio is printed, nothing is asserted).

    .venv/bin/python bench/bench_cluster.py [--pictures N] [--model models/shapes.keras]

Both runs are the real command (``cli.main``) in this process, writing a CSV; the Ray runtime is
started before the clock (``ray.init(num_cpus=2)``), so the Ray figure is the job itself: packing
and shipping the model, starting the actor (TensorFlow imported inside it), reading and classifying
the files and streaming the rows back. The local run is timed warm (its model cached) and includes
opening the model.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "desktop"), str(ROOT / "tests")]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run(args: list[str]) -> float:
    from livepredict import cli

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(args)
    if code != 0:
        raise SystemExit(f"livepredict {' '.join(args)} exited {code}")
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pictures", type=int, default=400)
    ap.add_argument("--model", default=str(ROOT / "models" / "shapes.keras"))
    a = ap.parse_args()
    import ray
    from helpers.pictures import write_shape_pictures

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pictures"
        write_shape_pictures(folder, a.pictures)
        local_csv, ray_csv = Path(tmp) / "local.csv", Path(tmp) / "ray.csv"
        run(["classify", a.model, str(folder), "--csv", str(local_csv)])  # warm the cache and the imports
        local_s = run(["classify", a.model, str(folder), "--csv", str(local_csv)])
        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
        start_s = time.perf_counter() - t0
        try:
            ray_s = run(["classify", a.model, str(folder), "--csv", str(ray_csv), "--ray"])
            again_s = run(["classify", a.model, str(folder), "--csv", str(ray_csv), "--ray"])
        finally:
            ray.shutdown()
        same = local_csv.read_bytes() == ray_csv.read_bytes()
    n = a.pictures
    print(f"{n} pictures (48..420 px, 5 formats), {Path(a.model).name}, local Ray runtime with 2 CPUs")
    print(f"local classify          {local_s:7.2f} s  {n / local_s:7.1f} pictures/s")
    print(f"ray.init(num_cpus=2)    {start_s:7.2f} s  (once per session, not in the ratios)")
    print(f"classify --ray (first)  {ray_s:7.2f} s  {n / ray_s:7.1f} pictures/s")
    print(f"classify --ray (again)  {again_s:7.2f} s  {n / again_s:7.1f} pictures/s")
    print(f"overhead ratio (--ray / local): first {ray_s / local_s:.2f}x, again {again_s / local_s:.2f}x; "
          f"CSV identical: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
