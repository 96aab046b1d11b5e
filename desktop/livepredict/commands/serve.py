"""``serve``: the prediction feed over WebSocket, with or without a live source."""

from __future__ import annotations

import argparse
import json
import os
import sys

from livepredict.commands.common import status_printer
from livepredict.core.errors import LivePredictError


def cmd_serve(args: argparse.Namespace) -> int:
    """Publish live predictions (and answer classify requests) over WebSocket until Ctrl+C/SIGTERM.

    The app's InferenceController owns the model either way: its InferenceWorker answers classify
    requests on the inference thread (``threads.feed_bridge``). With ``--source`` the live pipeline
    runs headless (``commands.live.serve_live``) and the worker publishes each prediction on
    its own thread; a video file or folder loops while serving, unless ``--frames N`` (stop after N
    predictions, or at the end). Without ``--source`` it only answers classify requests
    (``threads.feed_bridge.serve_classify_requests``). Prints the client address on stdout
    (``--port 0`` picks a free port). ``$LIVEPREDICT_THREAD_REPORT``: which threads imported and
    called the engine, written at exit.
    """
    import logging

    from livepredict.feed.server import FeedServer
    from livepredict.threads.engine.guard import install_import_watch

    feed = FeedServer(host=args.host, port=args.port, token=args.token)  # refuses a bare network host
    if args.frames is not None and args.frames <= 0:
        raise LivePredictError("--frames must be a positive number of predictions.")
    if args.frames is not None and not args.source:
        raise LivePredictError("--frames counts live predictions, so it needs --source.")
    if not args.debug and not logging.getLogger().handlers:
        logging.getLogger("livepredict").addHandler(logging.NullHandler())  # failures are raised, once
    install_import_watch()

    def announce(model_name: str) -> None:
        print(feed.client_url(), flush=True)
        page = feed.url.replace("ws://", "http://", 1) + "/" + (f"?token={feed.token}" if feed.token else "")
        print(f"livepredict: serving {model_name} at {feed.url}"
              + (f" from {args.source}" if args.source else " (classify requests only)")
              + f"; web page {page}; Ctrl+C stops.", file=sys.stderr, flush=True)
        others = feed.network_urls()
        if others:
            print(f"livepredict: from other machines: {', '.join(others)}", file=sys.stderr, flush=True)

    try:
        from livepredict.commands.live import serve_live
        from livepredict.threads.feed_bridge import serve_classify_requests

        if args.source:
            summary = serve_live(args.model, args.source, feed, frames=args.frames, trust=args.trust,
                                 on_status=status_printer(), on_ready=announce)
            print(f"livepredict: published {feed.published} predictions ({summary['frames_inferred']} frames "
                  f"inferred of {summary['frames_read']} read).", file=sys.stderr, flush=True)
        else:
            serve_classify_requests(args.model, feed, trust=args.trust, on_status=status_printer(),
                                    on_ready=announce)
        return 0
    finally:
        feed.publish_status("stopped", "The feed is shutting down.")
        feed.stop()
        _write_thread_report()


def _write_thread_report() -> None:
    """``$LIVEPREDICT_THREAD_REPORT``: the thread guard's record (engine calls and imports by thread)."""
    path = os.environ.get("LIVEPREDICT_THREAD_REPORT")
    if not path:
        return
    import threading

    from livepredict.threads.engine.guard import THREAD_GUARD

    report = {**THREAD_GUARD.report(), "main_thread": threading.main_thread().name}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)

