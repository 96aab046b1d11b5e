"""The LiteRT conversion of a new model, in a helper process, while the model already runs on Keras.

``start(path, key, …)`` launches the helper and returns a :class:`Pending` at once. The helper is a
fresh interpreter (``multiprocessing`` *spawn*: TensorFlow may already be imported here, and forking
after that hangs the child). It opens the model the ordinary way (``loader.open_model``: Keras load,
conversion, the numeric check on probe inputs, the timings), and the loader writes the cache entry
atomically, exactly as an inline open would. ``inference.handover`` then moves the caller's model
onto the verified LiteRT runtime.

The helper outlives the command that started it: a ``classify`` that is done before the conversion
returns at once and the next open is warm. To allow that, the helper is started through a short-lived
launcher process that exits (``os._exit``, skipping ``multiprocessing``'s join of its children) as
soon as the helper holds the job's lock. While it works the helper holds an exclusive ``flock`` on
``<cache>/models/.jobs/<key>.lock`` (released by the kernel however it ends) and, when done, writes
``<key>.json`` (``{"state": "done" | "failed", "reason": …}``). A second open of the same file while
a conversion runs waits for that one instead of starting another. The helper runs at a lower
priority (``nice``), so the model the user is waiting for keeps the cores.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

# How far the helper yields the cores to the process showing results. It keeps a share of them: a
# live source or a large folder may run on Keras for minutes, and reaching LiteRT soon pays back.
# When what is left of a folder will be done before LiteRT could help, the caller hands the helper
# the rest of the way down (``Pending.yield_cores``: nice 19, it then takes only what is left over).
HELPER_NICE = 4
YIELDED_NICE = 19

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: the helper's done/failed record says when it ended
    fcntl = None  # type: ignore[assignment]


def jobs_dir() -> Path:
    from livepredict.inference.cache import cache_dir

    return cache_dir() / "models" / ".jobs"


def _lock_path(key: str) -> Path:
    return jobs_dir() / f"{key}.lock"


def _state_path(key: str) -> Path:
    return jobs_dir() / f"{key}.json"


def _try_lock(path: Path, blocking: bool = False) -> IO[bytes] | None:
    """The open lock file, locked (None when another process holds it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "ab")  # noqa: SIM115 - closed by the caller (closing releases the lock)
    if fcntl is None:
        return fh
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError:
        fh.close()
        return None
    return fh


class Pending:
    """A conversion under way in a helper process (this process's own, or another's)."""

    def __init__(self, key: str, launcher: Any = None) -> None:
        self.key = key
        self._launcher = launcher  # multiprocessing.Process, or None when another process converts
        self.started = time.monotonic()

    def _launched(self, timeout: float | None = 0.0) -> bool | None:
        """True once the helper holds its lock (or has finished), False if the launcher failed,
        None while it is still starting."""
        p = self._launcher
        if p is None:
            return True
        p.join(timeout)
        if p.exitcode is None:
            return None
        return p.exitcode == 0

    def done(self) -> bool:
        """True when the helper has finished (successfully or not). Never blocks."""
        launched = self._launched()
        if launched is None:
            return False
        if launched is False:
            return True
        if fcntl is None:  # no flock: the helper's own record of its end
            return self._state().get("state") in ("done", "failed")
        fh = _try_lock(_lock_path(self.key))
        if fh is None:
            return False
        fh.close()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the helper has finished; False when ``timeout`` seconds passed first."""
        end = None if timeout is None else time.monotonic() + timeout
        if self._launched(timeout) is None:
            return False
        if fcntl is None or timeout is not None:
            while not self.done():
                if end is not None and time.monotonic() >= end:
                    return False
                time.sleep(0.05)
            return True
        fh = _try_lock(_lock_path(self.key), blocking=True)
        if fh is not None:
            fh.close()
        return True

    def yield_cores(self) -> bool:
        """Lower the running helper to the least priority (the caller's remaining work comes first);
        True when it was lowered. A process may always raise another's niceness of its own user."""
        if self.done():
            return False
        state = self._state()
        pid = state.get("pid")  # an older job's record (done or failed) names a process long gone
        if state.get("state") != "running" or not isinstance(pid, int) or pid == os.getpid():
            return False
        try:
            os.setpriority(os.PRIO_PROCESS, pid, max(YIELDED_NICE, os.getpriority(os.PRIO_PROCESS, pid)))
        except (OSError, AttributeError):  # gone meanwhile, another user's, or not POSIX
            return False
        return True

    def _state(self) -> dict[str, Any]:
        try:
            state = json.loads(_state_path(self.key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def failure(self) -> str | None:
        """Why the helper did not write a verified conversion (None when it did, or said nothing)."""
        if self._launched() is False:
            return "the conversion helper could not be started"
        state = self._state()
        return state.get("reason") if state.get("state") == "failed" else None


def start(path: Path, key: str, *, trust: bool, output: str | int | None, batch: int) -> Pending | None:
    """Convert ``path`` (cache key ``key``) in a helper process; returns at once (None: it could not start)."""
    fh = _try_lock(_lock_path(key))
    if fh is None:  # another process is converting this very file: wait for it
        return Pending(key)
    fh.close()
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    _start_tracker_quietly()
    job = {"path": str(path), "key": key, "trust": bool(trust), "output": output, "batch": int(batch),
           "cache": str(jobs_dir().parent.parent)}
    launcher = ctx.Process(target=_launch, args=(job,), name="livepredict-convert-launcher")
    try:
        launcher.start()
    except (OSError, RuntimeError) as e:  # e.g. a script without the ``if __name__ == "__main__"`` idiom
        log.warning("the conversion helper could not be started (%s); converting here instead", e)
        return None
    return Pending(key, launcher)


def _start_tracker_quietly() -> None:
    """Start ``multiprocessing``'s resource tracker with /dev/null as its stdio.

    Spawned processes keep the tracker alive, and it inherits file descriptors 0-2: started with
    ours, it would hold a pipe reading our output open until the helper ends, so ``livepredict
    classify … | head`` (or a test reading our output) would wait for the conversion."""
    from multiprocessing import resource_tracker

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        resource_tracker.ensure_running()
    finally:
        for fd, copy in zip((0, 1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


def _quiet_stdio(log_file: Path | None) -> None:
    """Detach from the caller's terminal or pipes (a reader waiting for EOF must not wait for us)."""
    if os.environ.get("LIVEPREDICT_DEBUG"):
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    target = devnull
    if log_file is not None:
        with contextlib.suppress(OSError):
            target = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(target, 2)


def _launch(job: dict[str, Any]) -> None:
    """The launcher: start the helper, wait until it holds the lock, then vanish."""
    _quiet_stdio(None)
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)  # a pipe, not an Event: no semaphore is left behind
    helper = ctx.Process(target=_convert, args=(job, writer), name="livepredict-convert")
    helper.start()
    writer.close()
    while not reader.poll(0.05):
        if not helper.is_alive():
            os._exit(1)
    os._exit(0)  # not sys.exit: multiprocessing would join the helper first


def _niceness() -> int | None:
    """This process's nice value, recorded in the job's state (what it ran at)."""
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (OSError, AttributeError):  # pragma: no cover - not on Windows
        return None


def _write_state(key: str, **state: Any) -> None:
    path = _state_path(key)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, path)


def _convert(job: dict[str, Any], ready: Any) -> None:
    """The helper: hold the lock, open the model the ordinary way (which fills the cache), record the outcome."""
    os.environ["LIVEPREDICT_CACHE_DIR"] = job["cache"]
    key = job["key"]
    lock = _try_lock(_lock_path(key))
    if lock is None:  # another helper got there first
        ready.send(b"1")
        return
    _quiet_stdio(jobs_dir() / f"{key}.log")
    with contextlib.suppress(OSError, AttributeError):
        os.nice(HELPER_NICE)
    _write_state(key, state="running", pid=os.getpid(), nice=_niceness())
    ready.send(b"1")
    ready.close()
    state: dict[str, Any]
    try:
        from livepredict.inference.loader import open_model

        # "checked": LiteRT whenever it matches (timings taken while the caller runs Keras next to
        # us mean little), Keras with the reason otherwise.
        model = open_model(job["path"], trust=job["trust"], output=job["output"], batch=job["batch"],
                           runtime="checked")
        chk = model.info.runtime_check
        if model.info.runtime == "litert":
            state = {"state": "done", "reason": ""}
        else:
            state = {"state": "failed", "reason": chk.reason if chk is not None else "it was not converted"}
        model.close()
    except BaseException as e:  # noqa: BLE001 - the outcome is recorded whatever happened
        from livepredict.core.errors import LivePredictError

        reason = e.message if isinstance(e, LivePredictError) else f"{type(e).__name__}: {e}"
        state = {"state": "failed", "reason": f"the conversion helper failed ({reason})"}
        log.exception("background conversion of %s failed", job["path"])
    _write_state(key, **state, pid=os.getpid(), nice=_niceness())
    lock.close()


CONVERTING = "converting in a helper process; the model switches to LiteRT when this check passes"


def start_if_useful(path: Path, key: str, sidecar: dict[str, Any] | None, *, trust: bool,
                    output: str | int | None, batch: int) -> Pending | None:
    """``start`` unless the model would not be converted anyway (a text generator runs its own step)."""
    if (sidecar or {}).get("task") == "text-generator":
        return None
    try:
        return start(path, key, trust=trust, output=output, batch=batch)
    except OSError as e:  # the cache folder is not writable: convert here, as before
        log.warning("no background conversion (%s); converting before the first result", e)
        return None


def attach(model: Any, pending: Pending, status: Any = None) -> None:
    """Mark ``model`` (opened on Keras) as waiting for ``pending``'s conversion."""
    import dataclasses

    from livepredict.core.types import RuntimeCheck
    from livepredict.inference.runtimes import DEFAULT_TOLERANCE
    from livepredict.inference.tf_env import _say

    info = model.info
    if info.task == "text-generator":
        return  # generation converts its own single step; the helper's entry is harmless
    model.pending = pending
    check = RuntimeCheck(f"litert vs {info.runtime}", None, DEFAULT_TOLERANCE, False, CONVERTING)
    model.info = dataclasses.replace(info, runtime_check=check, extras=dict(info.extras, converting=True))
    _say(status, f"Running on {info.runtime} while LiteRT is converted and checked in the background…")


def reuse_verdict(model: Any, entry: dict[str, Any]) -> Any:
    """``model`` (on Keras) with the cached verdict of an earlier conversion that was not verified."""
    import dataclasses

    from livepredict.core.types import RuntimeCheck

    check = entry.get("runtime_check")
    info = model.info
    known = [w for w in entry.get("warnings_engine", []) if w not in info.warnings]
    model.info = dataclasses.replace(info, runtime_check=RuntimeCheck(**check) if check else info.runtime_check,
                                     warnings=(*info.warnings, *known))
    return model


def default_mode() -> str:
    """How the app and ``classify`` convert a new model: ``background`` (default) or ``inline``
    (``LIVEPREDICT_CONVERT=inline``: convert and check before the first result, as ``info`` does)."""
    mode = os.environ.get("LIVEPREDICT_CONVERT", "background").strip().lower()
    return mode if mode in ("inline", "background") else "background"
