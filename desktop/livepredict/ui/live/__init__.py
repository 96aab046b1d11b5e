"""The Live tab: video with the prediction drawn over it, confidence plot, timing strip."""
