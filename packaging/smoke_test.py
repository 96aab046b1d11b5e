"""Frozen smoke test of the built bundle (``make package-test``).

Runs the real bundle in dist/livepredict, never the source tree:

1. ``livepredict --version`` prints the package version;
2. the frozen CLI: ``info --json`` on the bundled demo model, ``classify --json`` on the bundled
   sample images - the labels match the file names (as the source tests require, >= 90 %) and the
   frozen results equal those of the CLI run from source;
3. the window offscreen with the demo model and sample images: waits for the "ready" log line and
   for the first classification, saves a screenshot, and the app quits by itself with exit code 0;
4. the window under Xvfb (the xcb plugin): a cold start (bundle evicted from the page cache, empty
   model cache) and a warm start, timing when the window is mapped and when the model is ready;
5. install.sh into a private home, the installed command, menu entry, icons and MIME types, then
   uninstall.sh leaves nothing behind.

Each step fails on a traceback, a Qt plugin error or a timeout (the process is killed). Logs,
screenshots and timings go to tests/artifacts/package/. Timings are printed, never asserted.

Usage: .venv/bin/python packaging/smoke_test.py [--bundle dist/livepredict] [--skip-install]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts" / "package"
sys.path.insert(0, str(ROOT / "desktop"))
from livepredict import __version__  # noqa: E402 - the source tree's version, the one place

# Problems that must never appear in the frozen app's output or log.
BAD = re.compile(
    r"Traceback \(most recent call last\)|qt\.qpa\.plugin|Could not (?:load|find) the Qt platform plugin"
    r"|Cannot load library|ModuleNotFoundError|ImportError|No module named|Failed to execute script"
    r"|QThread: Destroyed while thread|Fatal Python error|Segmentation fault|undefined symbol"
    r"|AutoGraph could not transform"
)
READY = re.compile(r"\bready: window shown, model ")
CLI_TIMEOUT = 300
GUI_TIMEOUT = 240


class SmokeFailure(Exception):
    pass


def say(msg: str) -> None:
    print(f"package-test: {msg}", flush=True)


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise SmokeFailure(msg)


def no_problems(text: str, where: str) -> None:
    m = BAD.search(text)
    if m:
        start = max(0, text.rfind("\n", 0, max(0, m.start() - 600)))
        raise SmokeFailure(f"{where} shows {m.group(0)!r}:\n{text[start:m.end() + 1500]}")


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The user's folders of a fresh machine: settings, caches and logs all under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEPREDICT_", "QT_", "XDG_"))}
    env.update(
        HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"), XDG_RUNTIME_DIR=str(home / "run"),
        LIVEPREDICT_CACHE_DIR=str(home / "model-cache"), LIVEPREDICT_LOG_DIR=str(home / "logs"),
        TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1",
    )
    (home / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str], timeout: float = CLI_TIMEOUT, ok_codes=(0,)) -> subprocess.CompletedProcess:
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise SmokeFailure(f"{' '.join(cmd[:3])} ... did not finish within {timeout:.0f} s (killed)") from e
    out = r.stdout + r.stderr
    no_problems(out, " ".join(Path(c).name for c in cmd[:2]))
    check(r.returncode in ok_codes, f"{' '.join(cmd)} exited {r.returncode}:\n{out[-3000:]}")
    return r


# ------------------------------------------------------------------ 1-2: version and frozen CLI

def check_version(exe: Path, home: Path) -> None:
    r = run([str(exe), "--version"], isolated_env(home))
    check(r.stdout.strip() == f"livepredict {__version__}",
          f"--version printed {r.stdout.strip()!r}, expected 'livepredict {__version__}'")
    say(f"ok  --version: {r.stdout.strip()}")


def samples(data: Path) -> list[Path]:
    folder = data / "resources" / "samples" / "images"
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))


def check_cli(exe: Path, data: Path, home: Path) -> dict[str, str]:
    model = data / "models" / "shapes.keras"
    check(model.is_file(), f"the bundle lacks the demo model {model}")
    images = samples(data)
    check(len(images) >= 4, f"the bundle lacks sample images in {data / 'resources/samples/images'}")
    env = isolated_env(home)

    t = time.perf_counter()
    info = json.loads(run([str(exe), "info", str(model), "--json"], env).stdout)
    say(f"ok  info --json: task {info.get('task')!r}, runtime {info.get('runtime')!r} "
        f"({time.perf_counter() - t:.1f} s)")
    # The bundle carries the package metadata the app reads (TensorFlow's version without importing
    # it): its LiteRT cache entry has the same key as one made from source.
    from livepredict.inference.cache import entry_key
    from livepredict.inference.tf_env import tf_version

    entries = [p.name for p in (home / "model-cache" / "models").iterdir()]
    expected = entry_key(model, tf_version())
    check(entries == [expected], f"frozen cache entries {entries}, expected [{expected}] (package metadata "
          "missing from the bundle?)")

    t = time.perf_counter()
    frozen = json.loads(run([str(exe), "classify", str(model), *map(str, images), "--json", "--top", "3"],
                            env).stdout)
    t_frozen = time.perf_counter() - t
    check(len(frozen) == len(images), f"classify returned {len(frozen)} results for {len(images)} images")
    errors = [(r["path"], r["error"]) for r in frozen if r["error"]]
    check(not errors, f"classify failed on {errors}")
    guesses = {Path(r["path"]).name: r["top"][0]["label"] for r in frozen}
    right = sum(guesses[p.name] == p.name.split("_")[0] for p in images)
    misses = {n: g for n, g in guesses.items() if g != n.split("_")[0]}
    check(right >= 0.9 * len(images), f"the frozen CLI got only {right}/{len(images)} samples right: {misses}")
    say(f"ok  classify --json: {right}/{len(images)} samples labelled as their file names "
        f"({t_frozen:.1f} s, misses {misses or 'none'})")

    # The same command from source (the .venv) must give the same answers.
    src_env = isolated_env(home / "source", PYTHONPATH=str(ROOT / "desktop"))
    r = run([sys.executable, "-m", "livepredict", "classify", str(model), *map(str, images), "--json",
             "--top", "3"], src_env)
    source = {Path(x["path"]).name: x for x in json.loads(r.stdout)}
    for f in frozen:
        s = source[Path(f["path"]).name]
        check([t["label"] for t in f["top"]] == [t["label"] for t in s["top"]],
              f"frozen and source disagree on {f['path']}: {f['top']} vs {s['top']}")
        diff = max(abs(a["score"] - b["score"]) for a, b in zip(f["top"], s["top"], strict=True))
        check(diff <= 1e-3, f"frozen and source scores differ by {diff:.2g} on {f['path']}")
    say("ok  frozen classify results equal the source tree's")
    return guesses


# ------------------------------------------------------------------ 3-4: the window

class App:
    """The bundle's window as a process: output captured to files, log and reports in its home."""

    def __init__(self, exe: Path, args: list[str], env: dict[str, str], name: str) -> None:
        self.name = name
        self.home = Path(env["HOME"])
        self.out_path = ARTIFACTS / f"{name}.out"
        self.report = ARTIFACTS / f"{name}-startup.json"
        self.report.unlink(missing_ok=True)
        env = dict(env, LIVEPREDICT_STARTUP_REPORT=str(self.report))
        self.t0 = time.time()
        env["LIVEPREDICT_T0"] = repr(self.t0)
        self._out = open(self.out_path, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([str(exe), *args], env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.log_dir = Path(env["LIVEPREDICT_LOG_DIR"])

    def log_text(self) -> str:
        logs = sorted(self.log_dir.glob("*.log"))
        return "".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)

    def output(self) -> str:
        self._out.flush()
        return self.out_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, what: str, cond, timeout: float = GUI_TIMEOUT, poll: float = 0.05) -> float:
        """Seconds from launch until cond() is true; fails if the app exits first or time runs out."""
        end = time.time() + timeout
        while time.time() < end:
            if cond():
                return time.time() - self.t0
            if self.proc.poll() is not None and not cond():
                raise SmokeFailure(f"{self.name}: exited ({self.proc.returncode}) before {what}:\n"
                                   f"{self.output()[-3000:]}\n{self.log_text()[-3000:]}")
            time.sleep(poll)
        self.kill()
        raise SmokeFailure(f"{self.name}: no {what} within {timeout:.0f} s (killed):\n"
                           f"{self.output()[-3000:]}\n{self.log_text()[-3000:]}")

    def wait_exit(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise SmokeFailure(f"{self.name}: did not quit within {timeout:.0f} s (killed)") from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        self.kill()
        self._out.close()
        (ARTIFACTS / f"{self.name}.log").write_text(self.log_text(), encoding="utf-8")

    def check_clean(self) -> None:
        no_problems(self.output(), f"{self.name} output")
        no_problems(self.log_text(), f"{self.name} log")

    def times(self) -> dict:
        return json.loads(self.report.read_text(encoding="utf-8")) if self.report.exists() else {}


def check_keras2_file(exe: Path, home: Path) -> None:
    """A Keras-2 era .h5 (written here by tf_keras) opens in the bundle with the real Keras 2."""
    code = ("import sys, tf_keras as k; m = k.Sequential([k.layers.Input((16, 16, 3)), k.layers.Rescaling(1 / 255), "
            "k.layers.GlobalAveragePooling2D(), k.layers.Dense(3, activation='softmax')]); m.save(sys.argv[1])")
    path = home / "keras2.h5"
    made = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=CLI_TIMEOUT,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    check(made.returncode == 0, f"could not write a Keras 2 file with tf_keras: {made.stderr[-300:]}")
    info = json.loads(run([str(exe), "info", str(path), "--json"], isolated_env(home)).stdout)
    check(str(info.get("loader", "")).startswith("tf_keras"), f"a Keras 2 file was loaded by {info.get('loader')!r}, "
          "not tf_keras (is tf_keras in the bundle?)")
    say(f"ok  Keras-2 .h5 loaded by {info['loader']}")


def check_window_offscreen(exe: Path, data: Path, home: Path) -> None:
    model = data / "models" / "shapes.keras"
    by_label: dict[str, Path] = {}
    for p in samples(data):  # one image of each class
        by_label.setdefault(p.name.split("_")[0], p)
    images = list(by_label.values())[:6]
    shot = ARTIFACTS / "offscreen.png"
    shot.unlink(missing_ok=True)
    env = isolated_env(home, QT_QPA_PLATFORM="offscreen", LIVEPREDICT_SCREENSHOT=str(shot),
                       LIVEPREDICT_QUIT_WHEN_DONE="1")
    app = App(exe, [str(model), *map(str, images)], env, "offscreen")
    try:
        ready = app.wait_for('the "ready" log line', lambda: READY.search(app.log_text()))
        rc = app.wait_exit(GUI_TIMEOUT)
        app.check_clean()
        check(rc == 0, f"offscreen: exit code {rc}:\n{app.output()[-2000:]}")
        times = app.times()
        check("first_result" in times, f"offscreen: no classification result reached the window: {times}")
        check(shot.is_file(), "offscreen: no screenshot was saved")
        from PIL import Image

        with Image.open(shot) as im:
            lo, hi = im.convert("L").getextrema()
            check(im.width >= 400 and im.height >= 300 and hi - lo > 50, f"offscreen: blank screenshot {shot}")
        say(f"ok  window offscreen: ready line after {ready:.1f} s, first result after "
            f"{times['first_result']:.1f} s, quit cleanly; screenshot {shot.relative_to(ROOT)}")
    finally:
        app.stop()


def start_xvfb() -> tuple[subprocess.Popen, str]:
    r, w = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        num = f.readline().strip()
    check(num.isdigit(), "Xvfb did not start")
    return xvfb, f":{num}"


def window_mapped(display: str) -> bool:
    r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "Live Predict"],
                       env=dict(os.environ, DISPLAY=display), capture_output=True, text=True)
    return r.returncode == 0 and bool(r.stdout.strip())


def wm_class(display: str) -> str:
    env = dict(os.environ, DISPLAY=display)
    wids = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "Live Predict"], env=env,
                          capture_output=True, text=True).stdout.split()
    if not wids or not shutil.which("xprop"):
        return "WM_CLASS unknown"
    r = subprocess.run(["xprop", "-id", wids[0], "WM_CLASS"], env=env, capture_output=True, text=True)
    return r.stdout.strip()


def evict_from_page_cache(folder: Path) -> int:
    """Drop the bundle's files from the page cache (POSIX_FADV_DONTNEED; no root, affects no one else)."""
    n = 0
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fdatasync(fd)  # a freshly built file's pages are dirty, and DONTNEED drops clean pages only
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                n += 1
            finally:
                os.close(fd)
    return n


def cached_fraction(path: Path) -> str:
    if not shutil.which("fincore"):
        return "?"
    r = subprocess.run(["fincore", "-b", "-n", "-o", "RES,SIZE", str(path)], capture_output=True, text=True)
    try:
        res, size = map(int, r.stdout.split())
        return f"{100 * res / max(size, 1):.0f} %"
    except ValueError:
        return "?"


def time_window_under_xvfb(exe: Path, bundle: Path, data: Path, home: Path) -> dict:
    for tool in ("Xvfb", "xdotool"):
        check(shutil.which(tool) is not None, f"{tool} is missing; run packaging/linux/system-deps.sh")
    model = data / "models" / "shapes.keras"
    xvfb, display = start_xvfb()
    results: dict[str, dict] = {}
    try:
        for run_name in ("cold", "warm"):
            if run_name == "cold":
                shutil.rmtree(home / "model-cache", ignore_errors=True)
                n = evict_from_page_cache(bundle)
                lib = next((bundle / "_internal" / "PySide6" / "Qt" / "lib").glob("libQt6Widgets.so*"))
                cached = cached_fraction(lib)
                say(f"    cold start: evicted {n} bundle files from the page cache "
                    f"({lib.name} now {cached} cached), empty model cache")
            # The app closes its window itself once the model is ready (a clean exit, exit code 0).
            env = isolated_env(home, DISPLAY=display, QT_QPA_PLATFORM="xcb", LIVEPREDICT_QUIT_WHEN_DONE="1")
            app = App(exe, [str(model)], env, f"xvfb-{run_name}")
            try:
                mapped = app.wait_for("mapped window", lambda d=display: window_mapped(d))
                klass = wm_class(display)
                ready = app.wait_for('the "ready" log line', lambda a=app: READY.search(a.log_text()))
                rc = app.wait_exit(60)
                app.check_clean()
                check(rc == 0, f"xvfb-{run_name}: exit code {rc} after closing the window")
                t = app.times()
                results[run_name] = {
                    "window_mapped_s": round(mapped, 2),
                    "window_painted_s": round(t.get("window_shown", float("nan")), 2),
                    "model_ready_s": round(t.get("model_ready", ready), 2),
                    "tensorflow_imported": bool(t.get("tf_loaded_at_ready", 1.0)),
                }
                if run_name == "cold":
                    results[run_name]["qt_widgets_cached_before"] = cached
                say(f"ok  window under Xvfb, {run_name} start: mapped after {mapped:.2f} s, model ready after "
                    f"{results[run_name]['model_ready_s']:.2f} s (TensorFlow imported: "
                    f"{results[run_name]['tensorflow_imported']}); {klass}")
            finally:
                app.stop()
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    return results


# ------------------------------------------------------------------ 5: install / uninstall

def check_install(bundle: Path, home: Path) -> None:
    data_home = home / ".local" / "share"
    bin_dir = home / ".local" / "bin"
    env = isolated_env(home, LIVEPREDICT_BIN_DIR=str(bin_dir), PATH=f"{bin_dir}:{os.environ['PATH']}")
    r = run(["bash", str(bundle / "linux" / "install.sh")], env, timeout=600)
    appdir = data_home / "livepredict"
    check((appdir / "livepredict").is_file(), f"install.sh did not install the bundle: {r.stdout}")
    r = run([str(bin_dir / "livepredict"), "--version"], env)
    check(r.stdout.strip() == f"livepredict {__version__}", f"installed command says {r.stdout!r}")
    desktop = data_home / "applications" / "livepredict.desktop"
    check(desktop.is_file(), "no menu entry installed")
    if shutil.which("desktop-file-validate"):
        v = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        check(v.returncode == 0, f"installed desktop entry does not validate: {v.stdout}{v.stderr}")
    exec_line = next(line for line in desktop.read_text().splitlines() if line.startswith("Exec="))
    check(exec_line == f'Exec="{appdir}/livepredict" %f', f"unexpected {exec_line}")
    for size in (16, 32, 48, 128, 256, 512):
        check((data_home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "livepredict.png").is_file(),
              f"icon {size}x{size} not installed")
    check((data_home / "icons" / "hicolor" / "scalable" / "apps" / "livepredict.svg").is_file(), "no SVG icon")
    keras_file = home / "some model.keras"
    shutil.copy(bundle / "_internal" / "models" / "shapes.keras", keras_file)
    code = ("import sys; from PySide6.QtCore import QMimeDatabase; "
            "print(QMimeDatabase().mimeTypeForFile(sys.argv[1]).name())")
    mime = run([sys.executable, "-c", code, str(keras_file)],
               dict(env, XDG_DATA_DIRS="/usr/local/share:/usr/share")).stdout.strip()
    check(mime == "application/x-keras", f"a .keras file is {mime!r} after install")
    if shutil.which("xdg-mime"):
        default = subprocess.run(["xdg-mime", "query", "default", "application/x-keras"], env=env,
                                 capture_output=True, text=True).stdout.strip()
        check(default == "livepredict.desktop", f"default app for .keras is {default!r}")
    say(f"ok  install.sh: command, menu entry (Exec {exec_line[5:]}), icons, MIME type {mime}")

    run(["bash", str(appdir / "linux" / "uninstall.sh")], env, timeout=300)
    # Settings, logs and the model cache the app made in earlier steps are the user's; they stay.
    left = [p for d in (data_home, bin_dir) if d.exists() for p in d.rglob("*livepredict*")]
    check(not left, f"uninstall.sh left {left}")
    if shutil.which("xdg-mime"):
        default = subprocess.run(["xdg-mime", "query", "default", "application/x-keras"], env=env,
                                 capture_output=True, text=True).stdout.strip()
        check(default == "", f"after uninstall the default app for .keras is still {default!r}")
    say("ok  uninstall.sh removed every installed file")


# ------------------------------------------------------------------ main

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bundle", type=Path, default=ROOT / "dist" / "livepredict")
    p.add_argument("--skip-install", action="store_true", help="skip the install/uninstall check")
    p.add_argument("--skip-xvfb", action="store_true", help="skip the timed starts under Xvfb")
    args = p.parse_args(argv)
    bundle = args.bundle.resolve()
    exe = bundle / ("livepredict.exe" if sys.platform == "win32" else "livepredict")
    data = bundle / "_internal"
    if not exe.is_file():
        say(f"FAIL no bundle at {bundle}; build it with `make package`")
        return 2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    info = (bundle / "BUILD-INFO.txt").read_text() if (bundle / "BUILD-INFO.txt").exists() else ""
    say(f"testing {bundle} ({' / '.join(info.splitlines()[:4]) or 'no BUILD-INFO.txt'})")
    timings: dict = {}
    with tempfile.TemporaryDirectory(prefix="livepredict-smoke-") as tmp:
        home = Path(tmp)
        try:
            check_version(exe, home)
            check_cli(exe, data, home)
            check_keras2_file(exe, home)
            check_window_offscreen(exe, data, home)
            if not args.skip_xvfb:
                timings = time_window_under_xvfb(exe, bundle, data, home)
            if not args.skip_install:
                check_install(bundle, home)
        except SmokeFailure as e:
            say(f"FAIL {e}")
            return 1
    summary = {"bundle": str(bundle), "build_info": info.splitlines(), "starts": timings,
               "load_average_1_5_15min": [round(x, 1) for x in os.getloadavg()],
               "smoke_test_s": round(time.perf_counter() - t_start, 1)}
    (ARTIFACTS / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    say(f"all checks passed in {summary['smoke_test_s']:.0f} s; timings in "
        f"{(ARTIFACTS / 'summary.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
