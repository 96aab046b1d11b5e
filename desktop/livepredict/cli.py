"""Headless commands: info, classify, evaluate, explain, generate, live, bench, serve, export.

Every command prints one sentence on stderr and exits 2 on bad input (no traceback unless
``--debug``). Heavy modules are imported inside the commands so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import os
import sys
import typing
from collections.abc import Callable

from livepredict import __version__
from livepredict.core.errors import LivePredictError

COMMANDS = ("info", "classify", "evaluate", "explain", "generate", "live", "bench", "serve", "export")


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line on stderr (exit 2), like every other refusal of the CLI."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help.\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="livepredict", description="Watch a Keras/TensorFlow model predict, live.")
    p.add_argument("-V", "--version", action="version", version=f"livepredict {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--debug", action="store_true", help="show tracebacks")
        sp.add_argument("--trust", action="store_true",
                        help="allow unsafe deserialisation (Lambda layers, custom code) for a model you trust")
        return sp

    output_help = "the output of a multi-output model to show (index or name; default: the first)"
    sp = cmd("info", "Describe a model: inputs, outputs, task, preprocessing, runtime.")
    sp.add_argument("model")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--output", default=None, metavar="OUT", help=output_help)

    sp = cmd("classify", "Classify image files and folders (recursive), or text with --text.")
    sp.add_argument("model")
    sp.add_argument("paths", nargs="*", metavar="PATH")
    sp.add_argument("--text", action="append", default=None, metavar="TEXT",
                    help="classify this text with a text classifier (repeat for several)")
    sp.add_argument("--output", default=None, metavar="OUT", help=output_help)
    sp.add_argument("--top", type=int, default=3, metavar="K")
    sp.add_argument("--csv", metavar="FILE")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                    help="classify on a Ray cluster (ADDRESS: ray://HOST:10001, HOST:6379 or auto; none: a local "
                         "Ray runtime); needs pip install -e '.[cluster]'")
    sp.add_argument("--masks", metavar="DIR", default=None, help="write a segmenter's masks as PNGs into DIR")

    sp = cmd("evaluate", "Evaluate classifiers on a labelled folder (one sub-folder per class) or a CSV of "
                         "path,label; two or more models are compared.")
    sp.usage = "livepredict evaluate [options] MODEL [MODEL ...] FOLDER|CSV"
    sp.add_argument("paths", nargs="+", metavar="PATH",
                    help="one to four models, then the labelled folder or CSV (last)")
    sp.add_argument("--report", metavar="DIR", help="write report.html with its plots, CSV and JSON here")
    sp.add_argument("--top", type=int, default=3, metavar="K", help="k of the top-k accuracy (default 3)")
    sp.add_argument("--output", default=None, metavar="OUT", help=output_help)
    sp.add_argument("--json", action="store_true", help="print every figure and every picture's prediction as JSON")
    sp.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                    help="classify the pictures on a Ray cluster (as classify --ray)")

    from livepredict.commands.explain import add_parser as add_explain

    add_explain(cmd)

    sp = cmd("bench", "Measure predict, each runtime and the path the app uses, in one run.")
    sp.add_argument("model")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--seconds", type=float, default=2.0, metavar="S")
    sp.add_argument("--int8", action="store_true",
                    help="also quantise an image classifier to int8 and time it next to float LiteRT, with its "
                         "top-1 agreement on probe pictures")
    sp.add_argument("--calibration", nargs="+", default=[], metavar="PATH",
                    help="pictures or folders to calibrate (and probe) the int8 model with (default: synthetic)")

    sp = cmd("generate", "Generate text from a recurrent model, or forecast a series.")
    sp.add_argument("model")
    sp.add_argument("--seed-text", default="", metavar="T")
    sp.add_argument("--length", type=int, default=200, metavar="N")
    sp.add_argument("--temperature", type=float, default=1.0, metavar="X")
    sp.add_argument("--top-k", type=int, default=0, metavar="K")
    sp.add_argument("--top-p", type=float, default=1.0, metavar="P")
    sp.add_argument("--seed", type=int, default=None, metavar="S")
    sp.add_argument("--horizon", type=int, default=None, metavar="H")
    sp.add_argument("--json", action="store_true")

    sp = cmd("live", "Run the live pipeline on a camera, video or stream without a window.")
    sp.add_argument("model")
    sp.add_argument("--source", required=True, metavar="SRC")
    sp.add_argument("--frames", type=int, default=None, metavar="N")
    sp.add_argument("--unthrottled", action="store_true")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--trace", metavar="FILE.csv")

    sp = cmd("serve", "Serve live predictions over WebSocket.")
    sp.add_argument("model")
    sp.add_argument("--source", default=None, metavar="SRC")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8765)
    sp.add_argument("--token", default=None)
    sp.add_argument("--frames", type=int, default=None, metavar="N")

    sp = cmd("export", "Export a picture model for TensorFlow Serving: OUT_DIR/NAME/VERSION as a SavedModel.")
    sp.add_argument("model")
    sp.add_argument("out_dir", metavar="OUT_DIR", help="the folder the NAME/VERSION SavedModel is written into")
    sp.add_argument("--name", default=None, metavar="N", help="the model name (default: from the file name)")
    sp.add_argument("--version", default="1", metavar="V", help="the version folder, a whole number (default 1)")
    sp.add_argument("--top", type=int, default=5, metavar="K", help="labels returned per picture (default 5)")
    sp.add_argument("--output", default=None, metavar="OUT", help=output_help)

    from livepredict.commands.option_help import describe_options

    describe_options(p)  # one line of help for each option declared above without one
    return p


HANDLERS = {  # command -> "module in livepredict.commands:function", imported only when that command runs
    "info": "classify:cmd_info", "classify": "classify:cmd_classify", "evaluate": "evaluate:cmd_evaluate",
    "explain": "explain:cmd_explain", "bench": "classify:cmd_bench", "generate": "generate:cmd_generate",
    "live": "live:cmd_live", "serve": "serve:cmd_serve", "export": "export:cmd_export",
}


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    """The body of ``command``: only its own module is imported (``classify`` must not pay for Qt,
    which ``live`` needs), and none for ``--help``."""
    import importlib

    module, func = HANDLERS[command].split(":")
    return getattr(importlib.import_module(f"livepredict.commands.{module}"), func)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    _quiet_tensorflow()
    for stream in (sys.stdout, sys.stderr):  # file names that are not valid UTF-8 print readably
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    previous_sigterm = _sigterm_raises()
    try:
        code = _handler(args.command)(args)
        sys.stdout.flush()  # a full stdout must fail here, with a message, not at exit
        return code
    except LivePredictError as e:
        if args.debug:
            raise
        print(f"livepredict: {e}", file=sys.stderr)
        return e.exit_code
    except Terminated:
        print("livepredict: stopped (SIGTERM); results written so far were kept.", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("livepredict: interrupted; results written so far were kept.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _discard_stdout()
        return 0
    except OSError as e:
        if not _stdout_failed(e):
            return _unexpected(args, e)
        print(f"livepredict: cannot write to standard output ({e.strerror or type(e).__name__}); free some "
              "space or send the output elsewhere.", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - last line of defence: one sentence, no traceback
        return _unexpected(args, e)
    finally:
        _restore_sigterm(previous_sigterm)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl+C so every ``finally`` runs (result files are closed and kept)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def _sigterm_raises() -> object:
    """Turn SIGTERM into :class:`Terminated` for this command (commands with a clean stop of their own
    install their handler over it). Returns the previous handler (None off the main thread)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


def _restore_sigterm(previous: object) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


def _discard_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail (and print) again."""
    import contextlib

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _stdout_failed(e: OSError) -> bool:
    """True when ``e`` came from writing standard output (full disk, /dev/full, I/O error).

    Errors of files the app opens carry the file name (or became OutputWriteError); a write error
    without one, or standard output refusing what is still buffered, is the output's.
    """
    import errno

    failed = e.filename is None and e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)
    try:
        sys.stdout.flush()
    except OSError:
        failed = True
    if failed:
        _discard_stdout()
    return failed


def _unexpected(args: argparse.Namespace, e: Exception) -> int:
    if args.debug:
        raise e
    print(f"livepredict: unexpected error ({type(e).__name__}: {e}); run again with --debug "
          "for details.", file=sys.stderr)
    return 1
