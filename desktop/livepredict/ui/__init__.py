"""Widgets only: no TensorFlow, no OpenCV, no engine imports (they come through threads)."""
