"""Start-up of the desktop app, measured in one run: time to window shown, to model ready, to first result.

Launches ``livepredict MODEL IMAGE`` as a subprocess twice: cold (an empty LiteRT cache, so TensorFlow is
imported and the model converted) and warm (the cache filled by the cold run). Times count from just
before the process is spawned (``LIVEPREDICT_T0``). Uses the X display when there is one, else offscreen.
The warm start is repeated (``--warm N``, default 5) and reported as the median, with the spread,
next to the floor: a bare interpreter importing PySide6's widgets and NumPy, which any start pays.
Also compares the per-image model time the app reports with ``livepredict bench`` on the same model.

    .venv/bin/python bench/bench_startup.py [MODEL] [IMAGE] [--warm N]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bytecode import installed_env  # noqa: E402 - bench/ on the path first


def launch(model: Path, image: Path, work: Path, cache: Path, name: str) -> dict:
    report = work / f"startup-{name}.json"
    env = dict(installed_env(), LIVEPREDICT_CACHE_DIR=str(cache), LIVEPREDICT_STARTUP_REPORT=str(report),
               LIVEPREDICT_QUIT_WHEN_DONE="1", LIVEPREDICT_SETTINGS_DIR=str(work / "settings"),
               LIVEPREDICT_LOG_DIR=str(work / "logs"), TF_CPP_MIN_LOG_LEVEL="2")
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env["LIVEPREDICT_T0"] = repr(time.time())
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "livepredict", str(model), str(image)], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        sys.exit(f"the app failed ({out.returncode}): {out.stderr.strip()}")
    data = json.loads(report.read_text())
    data["process_s"] = wall
    return data


def tf_import_s() -> float:
    """Seconds for a bare interpreter to import TensorFlow (what a cold start cannot avoid)."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tensorflow"], check=True, capture_output=True,
                   env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    return time.perf_counter() - t


def wait_for_conversion(model: Path, cache: Path) -> float:
    """Wait for the helper process a cold start left converting (the warm runs need its cache entry)."""
    sys.path.insert(0, str(ROOT / "desktop"))
    os.environ["LIVEPREDICT_CACHE_DIR"] = str(cache)
    from livepredict.inference import background
    from livepredict.inference import cache as model_cache
    from livepredict.inference.tf_env import tf_version

    t = time.perf_counter()
    background.Pending(model_cache.entry_key(model.resolve(), tf_version())).wait()
    return time.perf_counter() - t


def floor_s() -> float:
    """Seconds for a bare interpreter to import what any window of this kind needs."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy, PySide6.QtWidgets"], check=True)
    return time.perf_counter() - t


def main(argv: list[str]) -> int:
    repeats = 5
    if "--warm" in argv:
        i = argv.index("--warm")
        repeats = max(1, int(argv[i + 1]))
        argv = argv[:i] + argv[i + 2:]
    model = Path(argv[0]) if argv else ROOT / "models" / "shapes.keras"
    image = Path(argv[1]) if len(argv) > 1 else ROOT / "resources" / "samples" / "images" / "star_01.png"
    platform = "x11" if os.environ.get("DISPLAY") else "offscreen"
    with tempfile.TemporaryDirectory(prefix="lp-bench-") as tmp:
        work = Path(tmp)
        tf_s = tf_import_s()
        cold = launch(model, image, work, work / "cache", "cold")
        helper_s = wait_for_conversion(model, work / "cache")
        warms = [launch(model, image, work, work / "cache", f"warm{i}") for i in range(repeats)]
        floors = sorted(floor_s() for _ in range(repeats))
        bench = subprocess.run([sys.executable, "-m", "livepredict", "bench", str(model), "--json", "--seconds", "1"],
                               cwd=ROOT, capture_output=True, text=True, timeout=300,
                               env=dict(os.environ, LIVEPREDICT_CACHE_DIR=str(work / "cache")))
    warms.sort(key=lambda d: d["first_prediction_made"])
    warm = warms[len(warms) // 2]  # the median run by time to the first prediction
    floor = floors[len(floors) // 2]
    print(f"Start-up of {model.name} with 1 image ({platform}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}); seconds since launch:")
    print(f"{'':6} {'window shown':>13} {'model ready':>12} {'prediction made':>16} {'shown':>6} "
          f"{'TF imported':>12} {'close→exit':>11}")
    for name, d in (("cold", cold), ("warm", warm)):
        close_to_exit = d["process_s"] - d["window_closed"]
        print(f"{name:6} {d['window_shown']:13.2f} {d['model_ready']:12.2f} {d['first_prediction_made']:16.2f} "
              f"{d['first_result']:6.2f} {'yes' if d['tf_loaded_at_ready'] else 'no':>12} {close_to_exit:11.2f}")
    print("(model ready / shown: received by the window; prediction made: when the inference thread had it;")
    print(f" warm: the median of {repeats} runs; the package's bytecode compiled first, as an install has it)")
    made = [d["first_prediction_made"] for d in warms]
    print(f"warm first prediction made: min {made[0]:.3f} s, median {warm['first_prediction_made']:.3f} s, "
          f"max {made[-1]:.3f} s; {sum(m < 0.5 for m in made)} of {len(made)} runs under 0.5 s")
    print(f"floor (python -c 'import numpy, PySide6.QtWidgets'): median {floor:.3f} s; "
          f"warm first prediction / floor: {warm['first_prediction_made'] / floor:.2f}")
    print(f"warm/cold time to first result: {warm['first_result'] / cold['first_result']:.2f}")
    print(f"window shown before the model was ready by {cold['model_ready'] - cold['window_shown']:.2f} s (cold)")
    print(f"cold first prediction {cold['first_prediction_made']:.2f} s vs `import tensorflow` alone {tf_s:.2f} s: "
          f"+{cold['first_prediction_made'] - tf_s:.2f} s (goal <= +1.5 s); the LiteRT helper finished "
          f"{helper_s:.2f} s after the cold run ended")
    if bench.returncode == 0:
        b = json.loads(bench.stdout)
        chosen = b.get("chosen")
        ms = b["paths"][chosen]["ms_median"]
        print(f"model time per image: app {warm['ms_per_image']:.3f} ms ({chosen}), `livepredict bench` "
              f"{ms:.3f} ms; ratio app/bench {warm['ms_per_image'] / ms:.2f}")
    else:
        print(f"(livepredict bench failed: {bench.stderr.strip()})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
