"""Logging to a rotating file in the user's log folder (``LIVEPREDICT_LOG_DIR`` overrides it)."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from livepredict import APP_ID

FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
MAX_BYTES = 1_000_000
BACKUPS = 3
_handler: logging.Handler | None = None


def log_dir() -> Path:
    env = os.environ.get("LIVEPREDICT_LOG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_ID, appauthor=False))


def log_file() -> Path:
    return log_dir() / f"{APP_ID}.log"


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Attach a rotating file handler to the root logger once; returns the log file (None if it
    cannot be written, in which case logging goes nowhere rather than failing the app)."""
    global _handler
    path = log_file()
    if _handler is not None:
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                       encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    _handler = handler
    return path


def shutdown_logging() -> None:
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None
