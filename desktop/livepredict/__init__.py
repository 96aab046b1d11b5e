"""Live Predict: open a Keras/TensorFlow model and watch it predict, live."""

__version__ = "0.1.0"
APP_NAME = "Live Predict"
APP_ID = "livepredict"
