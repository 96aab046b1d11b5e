"""``explain``: heatmaps of where an image classifier looked, written as overlay PNGs and raw ``.npy`` maps.

For each picture, ``DIR/<name>.explain.png`` (the picture with the coloured map laid over it) and
``DIR/<name>.explain.npy`` (float32, the picture's height x width, 0..1) are written whole through
``core.outfile.replace_with`` (an interruption never leaves half a file). One line per picture on
stdout (or ``--json``); a progress bar on stderr at a terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from livepredict.commands.common import open_for_cli, print_json, progress_bar, status_printer
from livepredict.core.errors import LivePredictError


def add_parser(cmd: Any) -> None:
    """The ``explain`` sub-command's arguments (``cmd(name, help)`` makes a sub-parser)."""
    sp = cmd("explain", "Show where an image classifier looked: heatmaps (Grad-CAM or occlusion) of pictures.")
    sp.add_argument("model")
    sp.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders (recursive)")
    sp.add_argument("--out", required=True, metavar="DIR", help="folder for the overlay PNGs and .npy maps")
    sp.add_argument("--class", dest="label", default=None, metavar="LABEL",
                    help="explain this class (default: each picture's top-1 class)")
    sp.add_argument("--method", choices=("auto", "gradcam", "occlusion"), default="auto",
                    help="auto: Grad-CAM when the model has a Keras graph, else occlusion")
    sp.add_argument("--layer", default=None, metavar="NAME", help="the layer Grad-CAM explains at "
                    "(default: the sidecar's explain_layer, else the last layer with a spatial output)")
    sp.add_argument("--window", type=int, default=None, metavar="PX", help="occlusion patch side (model pixels)")
    sp.add_argument("--stride", type=int, default=None, metavar="PX", help="occlusion patch step (model pixels)")
    sp.add_argument("--opacity", type=float, default=0.6, metavar="A", help="how strongly the map covers the "
                    "picture, 0..1 (default 0.6)")
    sp.add_argument("--colormap", choices=("inferno", "viridis"), default="inferno",
                    help="a perceptually uniform colour map (default inferno)")
    sp.add_argument("--json", action="store_true")


def _out_dir(path: str) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise LivePredictError(f"--out {path} is a file, not a folder; give a folder for the heatmaps.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LivePredictError(f"Cannot make the folder {path} ({e.strerror or type(e).__name__}); pick another "
                               "--out.") from e
    return out


def _names(paths: list[Path]) -> list[str]:
    """A distinct file stem per picture (``cat``, ``cat-2`` for a second cat.png from another folder)."""
    seen: dict[str, int] = {}
    names = []
    for p in paths:
        n = seen[p.stem] = seen.get(p.stem, 0) + 1
        names.append(p.stem if n == 1 else f"{p.stem}-{n}")
    return names


def _write(out: Path, name: str, rgb: Any, heat: Any, opacity: float, colormap: str) -> tuple[Path, Path]:
    import numpy as np
    from PIL import Image

    from livepredict.core.heatmap import blend
    from livepredict.core.outfile import replace_with

    def png(tmp: Path) -> None:
        Image.fromarray(blend(rgb, heat.values, opacity, colormap)).save(tmp, format="PNG")

    def npy(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.save(f, heat.values.astype(np.float32))

    return replace_with(out / f"{name}.explain.png", png), replace_with(out / f"{name}.explain.npy", npy)


def cmd_explain(args: argparse.Namespace) -> int:
    from livepredict.inference.explain import Explainer
    from livepredict.sources.images import collect_image_paths, read_image

    if not 0.0 <= args.opacity <= 1.0:
        raise LivePredictError(f"--opacity must be between 0 and 1, not {args.opacity:g}; try --opacity 0.6.")
    paths = collect_image_paths(args.paths)  # bad paths fail before the slow model load
    if not paths:
        raise LivePredictError(f"No images found in {', '.join(args.paths)}; give PNG/JPEG files or folders "
                               "that contain them.")
    out = _out_dir(args.out)
    model = open_for_cli(args)
    rows: list[dict[str, Any]] = []
    try:
        ex = Explainer(model, args.method, args.layer, window=args.window, stride=args.stride,
                       status=status_printer())
        ex.class_index(args.label)  # an unknown class fails before the first picture
        with progress_bar(len(paths)) as bar:
            for p, name in zip(paths, _names(paths), strict=True):
                rows.append(_one(ex, Path(p), name, out, args, read_image))
                if not args.json:
                    bar.clear()
                    print(_line(rows[-1]), flush=True)
                bar.update(1)
    finally:
        model.close()
    if args.json:
        print_json(rows)
    failed = sum(1 for r in rows if r["error"])
    if failed:
        print(f"livepredict: {failed} of {len(rows)} pictures could not be explained (see their errors).",
              file=sys.stderr)
        if failed == len(rows):
            return 2
    return 0


def _one(ex: Any, path: Path, name: str, out: Path, args: argparse.Namespace, read_image: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"path": str(path), "label": None, "score": None, "method": ex.method, "layer": ex.layer,
                           "overlay": None, "map": None, "error": None}
    try:
        rgb = read_image(path)
        heat = ex.explain([rgb], args.label)[0]
    except LivePredictError as e:
        row["error"] = str(e)
        return row
    png, npy = _write(out, name, rgb, heat, args.opacity, args.colormap)
    row.update(label=heat.label, score=round(heat.score, 6), overlay=str(png), map=str(npy),
               peak=[int(heat.peak[1]), int(heat.peak[0])], ms=round(heat.ms, 3))
    return row


def _line(row: dict[str, Any]) -> str:
    if row["error"]:
        return f"{row['path']}\terror: {row['error']}"
    return (f"{row['path']}\t{row['label']} {row['score']:.3f}\t{row['method']} ({row['layer']})\t"
            f"peak at x={row['peak'][0]}, y={row['peak'][1]}\t-> {row['overlay']}")
