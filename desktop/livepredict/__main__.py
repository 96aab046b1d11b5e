"""Entry point: ``livepredict`` opens the window; ``livepredict COMMAND`` runs a headless command.

Nothing heavy is imported here: the window must appear before TensorFlow finishes importing.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from livepredict import cli

    if argv and (argv[0] in cli.COMMANDS or argv[0] in ("-h", "--help", "--version", "-V")):
        return cli.main(argv)
    from livepredict import app

    return app.main(argv)


if __name__ == "__main__":
    sys.exit(main())
