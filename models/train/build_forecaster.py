"""Train the bundled forecaster ``models/forecaster.keras`` (+ its sidecar with mean, std, window).

    .venv/bin/python models/train/build_forecaster.py [--epochs E]

Series: yearly mean sunspot numbers 1700-2008 (``resources/data/sunspots_yearly.csv``, public
domain, NOAA National Geophysical Data Center; see ``resources/data/SOURCE.md``).

Model: windows of 24 years, normalised with the training mean/std → GRU(32) → Dense(16, relu) →
Dense(1): the next year's value. Trained on 1700-1950 (seeds fixed), validated on 1951-2008 (the
windows whose target year is ≥ 1951). Prints and stores (sidecar notes, ``forecaster_report.json``)
the validation MSE and the mean absolute error of one-step forecasts and of 5-year rolled forecasts
(predictions fed back), each against the naive last-value baseline.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent
ROOT = MODELS.parent
DATA = ROOT / "resources" / "data" / "sunspots_yearly.csv"
WINDOW = 24
SPLIT_YEAR = 1951
SEED = 1


def load_series():
    import numpy as np

    with open(DATA, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    years = np.array([int(float(r["YEAR"])) for r in rows])
    values = np.array([float(r["SUNACTIVITY"]) for r in rows], np.float32)
    return years, values


def build_model(window: int = WINDOW):
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((window, 1), name="years"),
        layers.GRU(32, name="gru"),
        layers.Dense(16, activation="relu", name="hidden"),
        layers.Dense(1, name="next_year"),
    ], name="sunspots")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--out", default=str(MODELS / "forecaster.keras"))
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    keras.utils.set_random_seed(SEED)
    years, values = load_series()
    train_mask = years < SPLIT_YEAR
    mean, std = float(values[train_mask].mean()), float(values[train_mask].std())
    z = (values - mean) / std
    idx = np.arange(WINDOW, len(z))
    x = np.stack([z[i - WINDOW:i] for i in idx])[..., None].astype(np.float32)
    y = z[idx][:, None].astype(np.float32)
    tr = years[idx] < SPLIT_YEAR
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=40, restore_best_weights=True)
    h = model.fit(x[tr], y[tr], validation_data=(x[~tr], y[~tr]), epochs=args.epochs, batch_size=32,
                  verbose=0, callbacks=[stop])
    val_mse = float(min(h.history["val_loss"]))
    epochs = len(h.history["loss"])
    out = Path(args.out)
    model.save(out)
    sidecar = {"task": "sequence-forecaster", "mean": round(mean, 6), "std": round(std, 6), "window": WINDOW}
    (out.parent / (out.name + ".livepredict.json")).write_text(json.dumps(sidecar, indent=2) + "\n",
                                                               encoding="utf-8")
    report = evaluate(out, years, values)
    report.update(validation_mse_normalised=round(val_mse, 4), epochs=epochs, mean=mean, std=std, window=WINDOW,
                  params=int(model.count_params()), file_bytes=out.stat().st_size)
    sidecar["notes"] = (f"GRU(32) forecaster of yearly sunspot numbers (NOAA NGDC, 1700-2008), window {WINDOW} "
                        f"years, trained on 1700-1950 by models/train/build_forecaster.py (seed {SEED}). "
                        f"Validation 1951-2008: one-step MAE {report['one_step_mae']:.1f} vs naive last value "
                        f"{report['one_step_mae_naive']:.1f}; 5-year rolled MAE {report['rolled5_mae']:.1f} vs "
                        f"naive {report['rolled5_mae_naive']:.1f}.")
    (out.parent / (out.name + ".livepredict.json")).write_text(json.dumps(sidecar, indent=2) + "\n",
                                                               encoding="utf-8")
    (HERE / "forecaster_report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


def evaluate(path: Path, years, values) -> dict:
    """Validation errors through the app's own Forecaster (the runtime the app would use)."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "desktop"))
    from livepredict.inference.generation import open_generator

    fc = open_generator(path)
    val_idx = [i for i in range(WINDOW, len(values)) if years[i] >= SPLIT_YEAR]
    one = np.array([fc.forecast(values[:i], 1)[0] for i in val_idx])
    truth = values[val_idx]
    naive = values[np.array(val_idx) - 1]
    rolled, rolled_naive = [], []
    for i in val_idx:
        if i + 5 > len(values):
            break
        f = fc.forecast(values[:i], 5)
        rolled.append(np.abs(f - values[i:i + 5]).mean())
        rolled_naive.append(np.abs(values[i - 1] - values[i:i + 5]).mean())
    fc.close()
    return {"runtime": fc.runtime, "validation_years": f"{SPLIT_YEAR}-{int(years[-1])}",
            "one_step_mae": round(float(np.abs(one - truth).mean()), 2),
            "one_step_mae_naive": round(float(np.abs(naive - truth).mean()), 2),
            "rolled5_mae": round(float(np.mean(rolled)), 2),
            "rolled5_mae_naive": round(float(np.mean(rolled_naive)), 2)}


if __name__ == "__main__":
    sys.exit(main())
