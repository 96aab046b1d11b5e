"""Live Predict: open a Keras/TensorFlow model and watch it predict, live."""

__version__ = "0.1.0"
APP_NAME = "Live Predict"
APP_ID = "livepredict"


def data_dir():
    """The folder holding ``models/``, ``resources/`` and ``examples/``: the bundle's data folder
    when running frozen (PyInstaller sets ``sys._MEIPASS``), else the source tree's root.

    Use ``data_dir() / "models" / "shapes.keras"`` rather than ``Path(__file__).parents[N]``, whose
    depth differs inside the bundle.
    """
    import sys
    from pathlib import Path

    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parents[2]
