"""`livepredict COMMAND --help` describes every option and argument of every command."""

from __future__ import annotations

import argparse

from livepredict.cli import build_parser


def test_every_option_of_every_command_has_a_description():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [f"{name} {opt.option_strings[0] if opt.option_strings else opt.dest}"
               for name, cmd in sub.choices.items() for opt in cmd._actions
               if not (opt.help or "").strip()]
    assert missing == []
    assert "camera number" in sub.choices["live"].format_help()
