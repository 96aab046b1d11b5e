"""Evaluating classifiers on labelled pictures: figures from predictions and true labels (numpy only).

- ``matching``: folder / CSV class names matched to a model's labels (case-insensitive);
- ``metrics``: accuracy, top-k accuracy, per-class precision/recall/F1/support, confusion matrix,
  reliability bins with the expected calibration error, ROC curve and AUC;
- ``compare``: McNemar's test on two models' paired errors and the pictures they disagree on;
- ``result``: ``Evaluation`` (one model's predictions on the matched pictures) and its ``Figures``;
- ``collect``: ``Evaluator``, which gathers a model's predictions as they are made;
- ``report`` / ``charts``: the JSON, CSV and self-contained HTML report (plots drawn with Pillow).

Nothing here imports TensorFlow: the figures are computed from the scores the heads return.
"""
