"""Entry point: ``livepredict`` opens the window; ``livepredict COMMAND`` runs a headless command.

Nothing heavy is imported here: the window must appear before TensorFlow finishes importing.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from livepredict import cli

    if argv and (argv[0] in cli.COMMANDS or argv[0] in ("-h", "--help", "--version", "-V")):
        return _leave(cli.main(argv))
    from livepredict import app

    return app.main(argv)


def _leave(code: int) -> int:
    """End a command that imported TensorFlow at once: its interpreter shutdown (TensorFlow's and
    Keras' teardown) takes seconds after the last result, measured here 3-9 s. Everything the
    command writes is closed and flushed before it returns; a helper process it started goes on."""
    if "tensorflow" not in sys.modules:
        return code
    import logging
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
