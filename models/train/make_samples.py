"""Make the sample images and the sample video of the demo shape classes, and check the model on them.

    .venv/bin/python models/train/make_samples.py [--check]

* ``resources/samples/images/<label>_NN.png``: generated pictures at varied sizes (seed 100, never
  used in training, which uses seeds 1-4);
* ``resources/samples/images/<label>_paper_NN.jpg``: "photos" of shapes drawn by hand on paper
  (pen jitter, paper texture, perspective, lighting, sensor noise, JPEG; seed 200);
* ``resources/samples/shapes.avi``: MJPG, 320x240, 15 fps, 10 s: each class for 25 frames, moving,
  turning, growing, with ``shapes.avi.json`` saying which class is on screen in which frames.

``--check`` classifies the images with ``models/shapes.keras`` (Keras, safe mode, the sidecar's
preprocessing: squash to 96x96, bilinear) and prints the accuracy.
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

import shapes_data as sd  # noqa: E402

SAMPLES = ROOT / "resources" / "samples"
IMAGES = SAMPLES / "images"
VIDEO = SAMPLES / "shapes.avi"
SEED_IMAGES, SEED_PAPER, SEED_VIDEO = 100, 200, 300
PER_CLASS, PAPER_PER_CLASS = 4, 2
# (height, width) of the generated pictures, cycled: landscape, portrait, square, wide
SIZES = ((240, 320), (400, 300), (256, 256), (300, 560), (480, 360), (200, 300), (300, 420),
         (440, 330))
FPS, FRAMES_PER_CLASS, VIDEO_SIZE = 15, 25, (320, 240)  # 6 classes: 150 frames, 10 s


def make_images(out: Path = IMAGES) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for old in list(out.glob("*.png")) + list(out.glob("*.jpg")):
        old.unlink()
    rng = np.random.default_rng(SEED_IMAGES)
    written = []
    k = 0
    for label in sd.CLASSES:
        for n in range(1, PER_CLASS + 1):
            h, w = SIZES[k % len(SIZES)]
            k += 1
            img = sd.render(label, rng, (h, w), style="synthetic", degrade=0.5)
            path = out / f"{label}_{n:02d}.png"
            Image.fromarray(img).save(path, optimize=True)
            written.append(path)
    rng = np.random.default_rng(SEED_PAPER)
    for label in sd.CLASSES:
        for n in range(1, PAPER_PER_CLASS + 1):
            h, w = (480, 640) if n % 2 else (640, 480)
            img = sd.render(label, rng, (h, w), style="paper", degrade=0.0)
            img = photo(img, rng)
            path = out / f"{label}_paper_{n:02d}.jpg"
            Image.fromarray(img).save(path, quality=int(rng.integers(70, 88)))
            written.append(path)
    return written


def photo(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a phone does to a sheet of paper: tilt, uneven light, defocus, noise (JPEG on save)."""
    f = img.astype(np.float32)
    h, w = f.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + rng.uniform(-0.07, 0.07, (4, 2)).astype(np.float32) * np.float32([w, h])
    f = cv2.warpPerspective(f, cv2.getPerspectiveTransform(src, dst), (w, h),
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, 2 * np.pi)
    ramp = ((xx / w - 0.5) * math.cos(a) + (yy / h - 0.5) * math.sin(a))
    vignette = 1 - 0.25 * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2)
    light = (1 + rng.uniform(0.15, 0.35) * ramp) * vignette * rng.uniform(0.8, 1.0)
    f *= light[..., None]
    f *= np.float32([1.0, rng.uniform(0.95, 1.02), rng.uniform(0.85, 0.97)])  # warm indoor light
    f = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.6, 1.3))
    sigma = rng.uniform(3, 7)
    f += rng.normal(0, sigma, (h, w, 1)).astype(np.float32)
    f += rng.normal(0, sigma * 0.5, (h, w, 3)).astype(np.float32)
    return np.clip(f, 0, 255).astype(np.uint8)


def _video_frame(label: str, t: float, seg_rng_state: dict, size: tuple[int, int]) -> np.ndarray:
    """Frame at time ``t`` (0..1 within the segment) of one class: moving, turning, growing."""
    w, h = size
    st = seg_rng_state
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ph = st["bg_angle"] + 0.8 * t
    ramp = (xx / w - 0.5) * math.cos(ph) + (yy / h - 0.5) * math.sin(ph) + 0.5
    bg = st["c0"][None, None] * (1 - ramp[..., None]) + st["c1"][None, None] * ramp[..., None]
    cx = w * (0.25 + 0.5 * (0.5 + 0.5 * math.sin(2 * math.pi * (t * st["fx"] + st["px"]))))
    cy = h * (0.35 + 0.3 * (0.5 + 0.5 * math.sin(2 * math.pi * (t * st["fy"] + st["py"]))))
    r = min(w, h) * (0.22 + 0.1 * math.sin(2 * math.pi * t + st["pr"]))
    theta = st["theta0"] + st["spin"] * t
    pts = sd._place(st["outline"], cx, cy, r, theta)  # noqa: SLF001 - same package of scripts
    img = bg.astype(np.float32)
    if st["paper"]:
        stroke = sd._place(st["stroke"], cx, cy, r, theta)  # noqa: SLF001
        m = sd._mask(h, w, 2, lambda d, s: d.line([(x * s, y * s) for x, y in stroke], fill=255,  # noqa: SLF001
                                                  width=int(max(2, r * 0.07) * s), joint="curve"))
        sd._blend(img, m, st["colour"])  # noqa: SLF001
    else:
        m = sd._mask(h, w, 2, lambda d, s: d.polygon([(x * s, y * s) for x, y in pts], fill=255))  # noqa: SLF001
        sd._blend(img, m, st["colour"])  # noqa: SLF001
    return np.clip(img, 0, 255).astype(np.uint8)


def make_video(path: Path = VIDEO, fps: int = FPS, size: tuple[int, int] = VIDEO_SIZE) -> dict:
    """Write the MJPG/AVI sample video and its schedule (``<video>.json``); returns the schedule."""
    rng = np.random.default_rng(SEED_VIDEO)
    per = FRAMES_PER_CLASS
    path.parent.mkdir(parents=True, exist_ok=True)
    # The default (FFmpeg) backend subsamples chroma: frames half the size of OpenCV's own MJPG
    # writer at the same look (neither lets us pick the JPEG quality here).
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"cv2.VideoWriter could not open {path} for MJPG")
    segments = []
    frame = 0
    try:
        for k, label in enumerate(sd.CLASSES):
            paper = k % 2 == 1
            if paper:
                c0 = np.array([rng.uniform(215, 245)] * 3) + rng.uniform(-8, 8, 3)
                c1 = c0 - rng.uniform(10, 40)
                colour = np.array(sd._PENS[int(rng.integers(3))], np.float32)  # noqa: SLF001
            else:
                c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
                colour = sd._contrasting(rng, np.array([c0, c1]), 110)  # noqa: SLF001
            unit = sd.outline(label, rng)
            st = {"outline": unit, "paper": paper, "c0": c0, "c1": c1, "colour": colour,
                  "stroke": sd.hand_stroke(unit, 1.0, rng),
                  "bg_angle": rng.uniform(0, 2 * np.pi), "fx": rng.uniform(0.4, 0.9),
                  "fy": rng.uniform(0.4, 0.9), "px": rng.random(), "py": rng.random(),
                  "pr": rng.uniform(0, 2 * np.pi), "theta0": rng.uniform(0, 2 * np.pi),
                  "spin": rng.choice([-1, 1]) * rng.uniform(1.0, 3.0)}
            for i in range(per):
                rgb = _video_frame(label, i / per, st, size)
                writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
            segments.append({"label": label, "start": frame, "end": frame + per})
            frame += per
    finally:
        writer.release()
    schedule = {"fps": fps, "frames": frame, "size": list(size), "segments": segments}
    path.with_name(path.name + ".json").write_text(json.dumps(schedule, indent=1) + "\n")
    return schedule


def check(model_path: Path = ROOT / "models" / "shapes.keras", images: Path = IMAGES) -> float:
    """Classify the sample images with the bundled model; print each miss and the accuracy."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    side = json.loads(model_path.with_name(model_path.name + ".livepredict.json").read_text())
    labels = side["labels"]
    h, w = side["preprocess"]["size"]
    model = keras.saving.load_model(model_path, safe_mode=True, compile=False)
    paths = sorted(images.glob("*.png")) + sorted(images.glob("*.jpg"))
    batch = np.stack([np.asarray(Image.open(p).convert("RGB").resize((w, h), Image.Resampling.BILINEAR))
                      for p in paths]).astype(np.float32)
    probs = np.asarray(model(batch, training=False))
    right = {"all": [0, 0], "paper": [0, 0]}
    for p, pr in zip(paths, probs, strict=True):
        truth = p.name.split("_")[0]
        guess = labels[int(pr.argmax())]
        ok = guess == truth
        for key in ("all", "paper") if "_paper_" in p.name else ("all",):
            right[key][0] += ok
            right[key][1] += 1
        print(f"  {'ok  ' if ok else 'MISS'} {p.name:24} -> {guess} {pr.max():.2f}")
    for key, (r, n) in right.items():
        print(f"{key}: {r}/{n} right ({r / max(n, 1):.1%})")
    return right["all"][0] / max(right["all"][1], 1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="classify the images with the bundled model")
    ap.add_argument("--no-video", action="store_true")
    args = ap.parse_args(argv)
    written = make_images()
    kb = sum(p.stat().st_size for p in written) / 1024
    print(f"wrote {len(written)} images to {IMAGES.relative_to(ROOT)} ({kb:.0f} KB)")
    if not args.no_video:
        sched = make_video()
        print(f"wrote {VIDEO.relative_to(ROOT)}: {sched['frames']} frames at {sched['fps']} fps "
              f"({VIDEO.stat().st_size / 1024:.0f} KB)")
    if args.check:
        check()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
