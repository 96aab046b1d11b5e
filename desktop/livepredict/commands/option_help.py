"""One line of ``--help`` for every option and argument of the headless commands that has none where it
is declared (``livepredict.cli``): the same name reads the same everywhere, a command may say it its way."""

from __future__ import annotations

import argparse

# (command, dest) first, then dest alone.
HELP: dict[tuple[str, str] | str, str] = {
    "model": "the model file: .keras, .h5, .tflite or a SavedModel folder",
    "paths": "image files or folders (searched recursively)",
    ("evaluate", "paths"): "the models to evaluate, then a labelled folder (one sub-folder per class) or a CSV "
                           "of path,label",
    ("export", "out_dir"): "the folder the Serving layout goes into (OUT_DIR/NAME/VERSION)",
    "json": "print JSON on stdout instead of text",
    ("classify", "top"): "how many labels to give per image (default 3)",
    "csv": "also write the results to this CSV file",
    "seconds": "how long to measure each runtime, in seconds (default 2)",
    ("generate", "seed_text"): "text to start from (a forecaster: comma-separated values of the series)",
    "length": "how many tokens to generate (default 200)",
    "temperature": "sampling temperature: below 1 safer, above 1 wilder (default 1.0)",
    ("generate", "top_k"): "sample only among the K most likely tokens (0: all, the default)",
    "top_p": "sample only among the most likely tokens that add up to P (1.0: all, the default)",
    "seed": "random seed, for the same text again",
    "horizon": "how many steps a forecaster predicts ahead (default 10)",
    ("live", "source"): "camera number (0), video file, folder of images or rtsp:// / http:// stream URL",
    ("serve", "source"): "also run live on this camera, video, folder or stream and publish every prediction",
    ("live", "frames"): "stop after N predictions (default: until the source ends or Ctrl+C)",
    ("serve", "frames"): "stop after publishing N live predictions (needs --source)",
    "unthrottled": "read a video file as fast as it decodes instead of at its frame rate",
    "trace": "write one CSV row of timings per frame to this file",
    "host": "address to listen on (default 127.0.0.1: this machine only)",
    "port": "port to listen on (default 8765)",
    "token": "a token every client must send (needed to listen on any address but this machine's)",
}


def describe_options(parser: argparse.ArgumentParser) -> None:
    """Fill the missing help of every sub-command's options from ``HELP`` (declared help is kept)."""
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its sub-parsers only here
        if not isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            continue
        for name, sub in action.choices.items():
            for opt in sub._actions:  # noqa: SLF001
                if opt.help is None:
                    opt.help = HELP.get((name, opt.dest)) or HELP.get(opt.dest)
