"""Headless commands: info, classify, generate, live, bench, serve.

Every command prints one sentence on stderr and exits 2 on bad input (no traceback unless
``--debug``). Heavy modules are imported inside the commands so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable

from livepredict import __version__
from livepredict.core.errors import LivePredictError

COMMANDS = ("info", "classify", "generate", "live", "bench", "serve")


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="livepredict", description="Watch a Keras/TensorFlow model predict, live.")
    p.add_argument("-V", "--version", action="version", version=f"livepredict {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--debug", action="store_true", help="show tracebacks")
        sp.add_argument("--trust", action="store_true",
                        help="allow unsafe deserialisation (Lambda layers, custom code) for a model you trust")
        return sp

    sp = cmd("info", "Describe a model: inputs, outputs, task, preprocessing, runtime.")
    sp.add_argument("model")
    sp.add_argument("--json", action="store_true")

    sp = cmd("classify", "Classify image files and folders (recursive).")
    sp.add_argument("model")
    sp.add_argument("paths", nargs="+", metavar="PATH")
    sp.add_argument("--top", type=int, default=3, metavar="K")
    sp.add_argument("--csv", metavar="FILE")
    sp.add_argument("--json", action="store_true")

    sp = cmd("bench", "Measure predict, each runtime and the path the app uses, in one run.")
    sp.add_argument("model")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--seconds", type=float, default=2.0, metavar="S")

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
    return p


def _handlers() -> dict[str, Callable[[argparse.Namespace], int]]:
    return {
        "info": cmd_info,
        "classify": cmd_classify,
        "bench": cmd_bench,
        "generate": cmd_generate,
        "live": cmd_live,
        "serve": cmd_serve,
    }


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    _quiet_tensorflow()
    try:
        return _handlers()[args.command](args)
    except LivePredictError as e:
        if args.debug:
            raise
        print(f"livepredict: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("livepredict: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # noqa: BLE001 - last line of defence: one sentence, no traceback
        if args.debug:
            raise
        print(f"livepredict: unexpected error ({type(e).__name__}: {e}); run again with --debug "
              "for details.", file=sys.stderr)
        return 1


def _print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


# ---------------------------------------------------------------- info / classify / bench (engine)

def cmd_info(args: argparse.Namespace) -> int:
    raise LivePredictError("The info command is not available yet.")


def cmd_classify(args: argparse.Namespace) -> int:
    raise LivePredictError("The classify command is not available yet.")


def cmd_bench(args: argparse.Namespace) -> int:
    raise LivePredictError("The bench command is not available yet.")


# ---------------------------------------------------------------- generate (generation)

def cmd_generate(args: argparse.Namespace) -> int:
    raise LivePredictError("The generate command is not available yet.")


# ---------------------------------------------------------------- live (live pipeline)

def cmd_live(args: argparse.Namespace) -> int:
    raise LivePredictError("The live command is not available yet.")


# ---------------------------------------------------------------- serve (feed)

def cmd_serve(args: argparse.Namespace) -> int:
    raise LivePredictError("The serve command is not available yet.")
