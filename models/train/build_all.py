"""Rebuild every bundled model and sample (``make models``).

Runs, each in its own Python process and in this order:

1. every ``models/train/build_*.py`` (sorted by name): one script per bundled model, each writing
   its model file and sidecar under ``models/``;
2. ``models/train/make_samples.py --check``: sample images and video under ``resources/samples/``,
   then the demo model's accuracy on those images;
3. ``models/train/make_scene_samples.py --check``: sample scenes and the scenes video, then the
   detector's mAP@0.5 on them.

Adding a model = adding a ``build_<name>.py`` beside this file with a ``main()`` guarded by
``if __name__ == "__main__"``. ``--only NAME`` runs just
``build_NAME.py`` (``--only samples`` just the samples).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(only: str | None = None) -> list[list[str]]:
    builds = sorted(p for p in HERE.glob("build_*.py") if p.name != "build_all.py")
    steps = [[str(p)] for p in builds]
    steps.append([str(HERE / "make_samples.py"), "--check"])
    steps.append([str(HERE / "make_scene_samples.py"), "--check"])
    if only:
        steps = [s for s in steps if Path(s[0]).stem in (f"build_{only}", f"make_{only}")]
        if not steps:
            raise SystemExit(f"no build_{only}.py or make_{only}.py in {HERE}")
    return steps


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Rebuild the bundled models and samples.")
    ap.add_argument("--only", help="run only build_NAME.py (or make_NAME.py)")
    args = ap.parse_args(argv)
    failed = []
    for step in scripts(args.only):
        name = Path(step[0]).name
        print(f"== {name}", flush=True)
        t0 = time.monotonic()
        rc = subprocess.call([sys.executable, *step], cwd=HERE.parents[1])
        print(f"== {name}: {'ok' if rc == 0 else f'failed ({rc})'} in {time.monotonic() - t0:.0f} s",
              flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
