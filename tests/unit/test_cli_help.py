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


def test_each_command_imports_only_its_own_module_so_classify_pays_no_qt():
    import subprocess
    import sys

    from livepredict.cli import COMMANDS, HANDLERS

    assert set(HANDLERS) == set(COMMANDS)
    code = ("import sys; from livepredict import cli; f = cli._handler(sys.argv[1]); "
            "print(callable(f), 'PySide6.QtCore' in sys.modules, 'livepredict.commands.live' in sys.modules)")
    run = {cmd: subprocess.run([sys.executable, "-c", code, cmd], capture_output=True, text=True, check=True).stdout.split()
           for cmd in ("classify", "live")}
    assert run["classify"] == ["True", "False", "False"]  # a folder classified headless never loads Qt
    assert run["live"] == ["True", "True", "True"]
