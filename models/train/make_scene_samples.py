"""Sample scenes of several shapes for the bundled detector and segmenter, and a check of both on them.

    .venv/bin/python models/train/make_scene_samples.py [--check] [--no-video]

* ``resources/samples/scenes/scene_NN.jpg``: generated scenes of 2-5 shapes at varied sizes (seed
  500, never used in training, which uses seeds 11 and 13), with ``truth.json`` holding each
  picture's boxes (x0, y0, x1, y1 in pixels) and labels;
* ``resources/samples/scenes.avi``: MJPG, 320x240, 15 fps, 10 s: four shapes gliding, bouncing off
  the edges and turning over a slowly changing background, with ``scenes.avi.json`` holding every
  frame's boxes and labels.

``--check`` runs ``models/detector.keras`` and ``models/segmenter.keras`` (Keras, safe mode, the
sidecars' letterbox to 128x128) on the pictures and the video's frames and prints the detector's
mAP@0.5 and the segmenter's mean IoU on them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import scenes_data as sc  # noqa: E402
import shapes_data as sd  # noqa: E402

SCENES = ROOT / "resources" / "samples" / "scenes"
VIDEO = ROOT / "resources" / "samples" / "scenes.avi"
SEED_PICTURES, SEED_VIDEO = 500, 600
SIZES = ((240, 320), (360, 480), (300, 300), (270, 480), (480, 360), (300, 400), (400, 300), (256, 384))
FPS, FRAMES, VIDEO_SIZE = 15, 150, (320, 240)


def make_pictures(out: Path = SCENES) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("scene_*.*"):
        old.unlink()
    rng = np.random.default_rng(SEED_PICTURES)
    truth = {}
    written = []
    for n, size in enumerate(SIZES, 1):
        rgb, boxes, classes, _ = sc.render_scene(rng, size, count=(2, 5))
        path = out / f"scene_{n:02d}.jpg"
        Image.fromarray(rgb).save(path, quality=90)
        truth[path.name] = {"boxes": np.round(boxes, 1).tolist(), "labels": [sc.CLASSES[k] for k in classes]}
        written.append(path)
    (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return written


def _movers(rng: np.random.Generator, w: int, h: int, n: int = 4) -> list[dict]:
    spots = sc._spots(rng, h, w, n, (0.26, 0.36))  # noqa: SLF001
    kinds = rng.permutation(len(sc.CLASSES))[:len(spots)]
    out = []
    for (cx, cy, r), k in zip(spots, kinds, strict=False):
        ang = rng.uniform(0, 2 * np.pi)
        speed = rng.uniform(25, 60)  # pixels per second
        out.append({"label": sc.CLASSES[int(k)], "unit": sd.outline(sc.CLASSES[int(k)], rng), "x": cx, "y": cy,
                    "r": r, "vx": speed * math.cos(ang), "vy": speed * math.sin(ang),
                    "theta": rng.uniform(0, 2 * np.pi), "spin": rng.choice([-1, 1]) * rng.uniform(0.5, 1.5),
                    "colour": rng.uniform(0, 255, 3)})
    return out


def make_video(path: Path = VIDEO, fps: int = FPS, size: tuple[int, int] = VIDEO_SIZE) -> dict:
    """Write the MJPG/AVI sample video and its per-frame boxes (``<video>.json``)."""
    rng = np.random.default_rng(SEED_VIDEO)
    w, h = size
    c0, c1 = rng.uniform(150, 240, 3), rng.uniform(20, 110, 3)
    movers = _movers(rng, w, h)
    for m in movers:
        m["colour"] = sd._contrasting(rng, np.array([c0, c1]), 100)  # noqa: SLF001
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"cv2.VideoWriter could not open {path} for MJPG")
    frames = []
    try:
        for i in range(FRAMES):
            t = i / fps
            ph = 0.4 * t
            ramp = ((xx / w - 0.5) * math.cos(ph) + (yy / h - 0.5) * math.sin(ph) + 0.5)[..., None]
            img = (c0 * (1 - ramp) + c1 * ramp).astype(np.float32)
            cmap = np.zeros((h, w), np.uint8)
            boxes, labels = [], []
            for m in movers:
                box = sc.draw_shape(img, cmap, m["label"], m["x"], m["y"], m["r"], m["theta"] + m["spin"] * t,
                                    m["colour"], rng, unit=m["unit"])
                boxes.append([round(v, 1) for v in box])
                labels.append(m["label"])
            for m in movers:  # move, bouncing off the edges
                m["x"] += m["vx"] / fps
                m["y"] += m["vy"] / fps
                if not m["r"] < m["x"] < w - m["r"]:
                    m["vx"] = -m["vx"]
                if not m["r"] < m["y"] < h - m["r"]:
                    m["vy"] = -m["vy"]
            for j, a in enumerate(movers):  # two shapes about to touch swap their velocities
                for b in movers[j + 1:]:
                    dx, dy = b["x"] - a["x"], b["y"] - a["y"]
                    closing = dx * (b["vx"] - a["vx"]) + dy * (b["vy"] - a["vy"]) < 0
                    if math.hypot(dx, dy) < 1.1 * (a["r"] + b["r"]) and closing:
                        a["vx"], b["vx"], a["vy"], b["vy"] = b["vx"], a["vx"], b["vy"], a["vy"]
            noisy = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
            writer.write(cv2.cvtColor(noisy, cv2.COLOR_RGB2BGR))
            frames.append({"boxes": boxes, "labels": labels})
    finally:
        writer.release()
    info = {"fps": fps, "frames": FRAMES, "size": list(size), "boxes": frames}
    path.with_name(path.name + ".json").write_text(json.dumps(info) + "\n")
    return info


def _letterboxed(rgbs: list[np.ndarray], side: int) -> np.ndarray:
    from PIL import ImageOps

    return np.stack([np.asarray(ImageOps.pad(Image.fromarray(x), (side, side), method=Image.Resampling.BILINEAR,
                                             color=(0, 0, 0), centering=(0.5, 0.5))) for x in rgbs])


def check() -> dict:
    """The bundled detector's mAP@0.5 on the pictures and the video frames (boxes in original pixels)."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import scenes_train as st
    from build_detector import NC, decode

    from livepredict.core.geometry import boxes_to_original, placement

    model = keras.saving.load_model(ROOT / "models" / "detector.keras", safe_mode=True, compile=False)
    truth = json.loads((SCENES / "truth.json").read_text())
    rgbs = [np.asarray(Image.open(SCENES / name).convert("RGB")) for name in truth]
    labels = [v for v in truth.values()]
    cap = cv2.VideoCapture(str(VIDEO))
    vid = json.loads(VIDEO.with_name(VIDEO.name + ".json").read_text())
    for f in vid["boxes"]:
        ok, bgr = cap.read()
        if not ok:
            break
        rgbs.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        labels.append(f)
    cap.release()
    outs = np.asarray(model(_letterboxed(rgbs, st.SIZE).astype(np.float32), training=False))
    preds, tb, tc = [], np.zeros((len(rgbs), sc.MAX_SHAPES, 4)), np.full((len(rgbs), sc.MAX_SHAPES), -1)
    for i, (rgb, out, t) in enumerate(zip(rgbs, outs, labels, strict=True)):
        b, s, k = decode(out)
        b, keep = boxes_to_original(b, placement(rgb.shape[:2], (st.SIZE, st.SIZE), "letterbox"))
        preds.append((b[keep], s[keep], k[keep]))
        tb[i, :len(t["boxes"])] = t["boxes"]
        tc[i, :len(t["labels"])] = [sc.CLASSES.index(lbl) for lbl in t["labels"]]
    n_pic = len(truth)
    res = {}
    for name, sl in (("pictures", slice(0, n_pic)), ("video", slice(n_pic, None))):
        aps = st.mean_ap(preds[sl], tb[sl], tc[sl], NC)
        res[name] = float(np.nanmean(list(aps.values())))
        print(f"detector mAP@0.5 on the sample {name}: {res[name]:.3f}")
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="run the bundled detector on the samples")
    ap.add_argument("--no-video", action="store_true")
    args = ap.parse_args(argv)
    written = make_pictures()
    print(f"wrote {len(written)} scenes to {SCENES.relative_to(ROOT)} "
          f"({sum(p.stat().st_size for p in written) / 1024:.0f} KB)")
    if not args.no_video:
        info = make_video()
        print(f"wrote {VIDEO.relative_to(ROOT)}: {info['frames']} frames at {info['fps']} fps "
              f"({VIDEO.stat().st_size / 1024:.0f} KB)")
    if args.check:
        check()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
