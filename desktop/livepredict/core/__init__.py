"""Plain types and data structures: no Qt, no TensorFlow, no OpenCV (DESIGN §2)."""
