"""The only package that makes QThreads: inference worker, capture worker, pipeline."""
