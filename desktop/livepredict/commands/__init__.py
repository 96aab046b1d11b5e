"""The bodies of the headless commands; ``livepredict.cli`` parses the command line and dispatches here.

- ``common``: what every command shares (status lines, opening a model, JSON on stdout);
- ``classify``: ``info``, ``classify`` (pictures, ``--text``), ``bench``;
- ``generate``: ``generate`` (text and forecasts);
- ``live``: ``live`` (the headless live pipeline, ``run_live``) and ``serve_live``;
- ``serve``: ``serve`` (the prediction feed).

Heavy modules are imported inside the commands, so ``--help`` stays instant.
"""
