"""Send pictures to a model exported with ``livepredict export`` and served by TensorFlow Serving.

    python examples/serving_client.py PICTURE [PICTURE ...] [--url http://localhost:8501]
                                      [--model shapes] [--version N] [--json]

Standard library only. Each picture file is sent as it is (PNG, JPEG, GIF, BMP, WebP): the export
decodes and preprocesses it inside the model, exactly as Live Predict does. The request is TF
Serving's REST predict call in the row format, one instance per picture:

    POST {url}/v1/models/{model}[/versions/{version}]:predict
    {"signature_name": "serving_default",
     "instances": [{"image_bytes": {"b64": "<base64 of the file>"}}, ...]}

and each prediction holds ``top_labels``, ``top_scores``, ``top_classes`` and ``scores``.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path


def predict(url: str, model: str, pictures: list[bytes], version: str | None = None,
            timeout: float = 60.0) -> list[dict]:
    """The predictions for ``pictures`` (encoded files), one dict per picture."""
    where = f"{url.rstrip('/')}/v1/models/{model}" + (f"/versions/{version}" if version else "") + ":predict"
    body = {"signature_name": "serving_default",
            "instances": [{"image_bytes": {"b64": base64.b64encode(p).decode("ascii")}} for p in pictures]}
    request = urllib.request.Request(where, data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))["predictions"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Classify pictures with a TensorFlow Serving model.")
    ap.add_argument("pictures", nargs="+", metavar="PICTURE")
    ap.add_argument("--url", default="http://localhost:8501", help="the REST API (default: %(default)s)")
    ap.add_argument("--model", default="shapes", help="the model name (default: %(default)s)")
    ap.add_argument("--version", default=None, help="a version (default: the newest)")
    ap.add_argument("--json", action="store_true", help="print the raw predictions")
    args = ap.parse_args(argv)
    try:
        data = [Path(p).read_bytes() for p in args.pictures]
        predictions = predict(args.url, args.model, data, args.version)
    except OSError as e:  # a missing file, a server that is not there (URLError is an OSError)
        detail = e.read().decode("utf-8", "replace") if isinstance(e, urllib.error.HTTPError) else str(e)
        print(f"serving_client: {detail}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(predictions, indent=2))
        return 0
    for name, pred in zip(args.pictures, predictions, strict=True):
        ranked = ", ".join(f"{lbl} {s:.3f}" for lbl, s in zip(pred["top_labels"], pred["top_scores"], strict=True))
        print(f"{name}\t{ranked}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
