"""Processes started by the benchmarks get compiled bytecode, as an installed app has it.

``pip install`` and the frozen bundle ship ``.pyc`` files; a checkout run with
``PYTHONDONTWRITEBYTECODE=1`` (some CI and container images set it) compiles every module of the
package from source at each start, about 0.1 s of a warm start on 2 cores. ``installed_env(env)``
compiles the package once (into its ``__pycache__`` folders, which git ignores) and returns ``env``
without that variable, so each start measures the app rather than the compiler.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "desktop" / "livepredict"
_compiled = False


def installed_env(env: dict[str, str] | None = None) -> dict[str, str]:
    global _compiled
    if not _compiled:
        compileall.compile_dir(str(PACKAGE), quiet=1)
        _compiled = True
    out = dict(os.environ if env is None else env)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out
