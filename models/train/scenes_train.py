"""What ``build_detector.py`` and ``build_segmenter.py`` share: the scene data sets (cached, so the
two scripts render them once), the single-core TensorFlow setup, saving a bare model with its
sidecar, and the held-out metrics (VOC-style AP, mean IoU) in numpy."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "desktop"))

import scenes_data  # noqa: E402

from livepredict.core.boxes import iou_matrix  # noqa: E402

SIZE = 128
SEED_TRAIN, SEED_TEST = 11, 13
PREPROCESS = {"size": [SIZE, SIZE], "resize": "letterbox", "interpolation": "bilinear", "color": "rgb",
              "scale": "none", "dtype": "float32"}
CACHE = HERE / ".cache"


def dataset(n: int, seed: int) -> dict[str, np.ndarray]:
    """``scenes_data.make_dataset(n, seed, SIZE)``, kept in ``models/train/.cache`` (not in git)."""
    path = CACHE / f"scenes_{SIZE}_{seed}_{n}.npz"
    if path.exists():
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    t0 = time.monotonic()
    d = scenes_data.make_dataset(n, seed, SIZE)
    print(f"rendered {n} scenes (seed {seed}) in {time.monotonic() - t0:.0f} s", flush=True)
    CACHE.mkdir(exist_ok=True)
    np.savez(path, **d)
    return d


def train_args(doc: str, epochs: int, out_name: str, argv=None):
    """The command line every scene trainer takes: --train, --test, --epochs, --out."""
    import argparse

    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--train", type=int, default=12000, help="training scenes (default 12000)")
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--out", type=Path, default=MODELS / out_name)
    return ap.parse_args(argv)


def scenes(args) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], float]:
    """(training scenes, held-out scenes, seconds it took to render or load them)."""
    t0 = time.monotonic()
    tr, te = dataset(args.train, SEED_TRAIN), dataset(args.test, SEED_TEST)
    return tr, te, time.monotonic() - t0


def compile_cosine(keras, model, n: int, batch: int, epochs: int, loss) -> None:
    """Adam with a warm-up then cosine decay over the whole run (the schedule both trainers use)."""
    steps = epochs * ((n + batch - 1) // batch)
    lr = keras.optimizers.schedules.CosineDecay(1e-3, steps, warmup_target=4e-3, warmup_steps=steps // 12)
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss)


def setup_tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(0)
    return keras, tf


def save(model, build, out: Path, sidecar: dict, report: dict, report_name: str) -> None:
    """An uncompiled copy (no optimizer state) at ``out``, its sidecar, and the report (for the
    bundled path only)."""
    bare = build()
    bare.set_weights(model.get_weights())
    out.parent.mkdir(parents=True, exist_ok=True)
    bare.save(out)
    report["size_kb"] = round(out.stat().st_size / 1024)
    out.with_name(out.name + ".livepredict.json").write_text(json.dumps(sidecar, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    if out.resolve().parent == MODELS.resolve():
        (HERE / report_name).write_text(json.dumps(report, indent=2) + "\n")
    print(f"saved {out} ({report['size_kb']} KB)")


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the precision envelope (VOC 2010+ all-point interpolation)."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    i = np.flatnonzero(r[1:] != r[:-1])
    return float(np.sum((r[i + 1] - r[i]) * p[i + 1]))


def mean_ap(preds: list[tuple[np.ndarray, np.ndarray, np.ndarray]], truth_boxes: np.ndarray,
            truth_classes: np.ndarray, n_classes: int, iou: float = 0.5) -> dict[int, float]:
    """AP per class at ``iou``: ``preds[i]`` = (boxes, scores, class ids) for picture i; truth
    padded with class -1. A detection is right when it overlaps an unmatched truth box of its class
    by ``iou`` or more (best-scored detections claim first)."""
    aps: dict[int, float] = {}
    for c in range(n_classes):
        rows = []  # (score, right)
        n_truth = 0
        for i, (b, s, k) in enumerate(preds):
            t = truth_boxes[i][truth_classes[i] == c]
            n_truth += len(t)
            mine = np.flatnonzero(k == c)
            mine = mine[np.argsort(-s[mine])]
            used = np.zeros(len(t), bool)
            ov = iou_matrix(b[mine], t) if len(t) else np.zeros((len(mine), 0))
            for j, _ in enumerate(mine):
                m = -1
                if len(t):
                    cand = np.where(used, -1.0, ov[j])
                    if cand.max() >= iou:
                        m = int(cand.argmax())
                        used[m] = True
                rows.append((float(s[mine[j]]), m >= 0))
        if not rows or n_truth == 0:
            aps[c] = 0.0 if n_truth else float("nan")
            continue
        rows.sort(key=lambda r: -r[0])
        right = np.array([r[1] for r in rows], float)
        tp = np.cumsum(right)
        fp = np.cumsum(1 - right)
        aps[c] = voc_ap(tp / n_truth, tp / np.maximum(tp + fp, 1e-9))
    return aps


def class_iou(pred: np.ndarray, truth: np.ndarray, valid: np.ndarray, n_classes: int) -> np.ndarray:
    """IoU per class over all pictures' valid pixels (letterbox bars left out)."""
    p, t = pred[valid].astype(np.int64), truth[valid].astype(np.int64)
    conf = np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    inter = np.diag(conf).astype(float)
    union = conf.sum(0) + conf.sum(1) - inter
    return inter / np.maximum(union, 1)
