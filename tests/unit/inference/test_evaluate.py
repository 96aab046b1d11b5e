"""Evaluation figures checked against scikit-learn on real labelled folders and real models.

The shapes folder holds the bundled sample pictures and freshly rendered ones; the bundled shapes
model and a centre-crop copy of it classify them through the app's own path (``read_image`` →
``predict_images``); every figure is compared with scikit-learn (and McNemar with SciPy).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.labelled import SHAPES_MODEL, color_folder, second_shapes_model, shapes_folder
from scipy import stats
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from livepredict.inference.evaluate import metrics
from livepredict.inference.evaluate.collect import Evaluator, model_labels
from livepredict.inference.evaluate.compare import mcnemar
from livepredict.inference.evaluate.result import Evaluation, compare
from livepredict.inference.loader import open_model
from livepredict.inference.predict import predict_images
from livepredict.sources.images import read_image
from livepredict.sources.labelled import LabelledSetError, read_labelled


def _evaluate(model_path, source, top_k: int = 3) -> Evaluator:
    model = open_model(model_path)
    try:
        labelled = read_labelled(source)
        ev = Evaluator(model_path.name, model_labels(model), labelled.items, top_k=top_k)
        paths = list(ev.wanted)
        preds = predict_images(model, [read_image(p) for p in paths], top_k=1, paths=paths)
        for p, pred in zip(paths, preds, strict=True):
            ev.add(p, pred)
        return ev
    finally:
        model.close()


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    folder = shapes_folder(root / "shapes")
    a = _evaluate(SHAPES_MODEL, folder)
    b = _evaluate(second_shapes_model(root / "crop"), folder)
    return folder, a, b


def test_folder_names_match_case_insensitively_and_unknown_ones_are_left_out(shapes):
    folder, a, _ = shapes
    assert a.match.index["Circle"] == 0
    assert a.match.unmatched == ("blob",)
    assert a.match.sentence("shapes.keras") == ("This class of the labelled pictures is not among the labels of "
                                                "shapes.keras and was left out: blob.")
    ev = a.result()
    assert ev.count == 36 + 6 * 4 and not ev.failed and ev.complete
    assert not any("blob" in p for p in ev.paths)


def test_every_figure_matches_scikit_learn(shapes):
    _, a, _ = shapes
    ev = a.result()
    f = ev.figures
    n = len(ev.labels)
    y, yp = ev.y_true, ev.y_pred
    assert 0.6 < f.accuracy < 1.0  # real mistakes: the rendered pictures are hard
    assert f.accuracy == pytest.approx(skm.accuracy_score(y, yp))
    for k in (1, 2, 3):
        assert metrics.top_k_accuracy(y, ev.scores, k) == pytest.approx(
            skm.top_k_accuracy_score(y, ev.scores, k=k, labels=range(n)))
    assert f.top_k == 3 and f.top_k_accuracy == pytest.approx(skm.top_k_accuracy_score(y, ev.scores, k=3))
    np.testing.assert_array_equal(f.confusion, skm.confusion_matrix(y, yp, labels=range(n)))
    p, r, f1, s = skm.precision_recall_fscore_support(y, yp, labels=range(n), zero_division=0)
    np.testing.assert_allclose(f.per_class.precision, p)
    np.testing.assert_allclose(f.per_class.recall, r)
    np.testing.assert_allclose(f.per_class.f1, f1)
    np.testing.assert_array_equal(f.per_class.support, s)
    assert f.macro_f1 == pytest.approx(skm.f1_score(y, yp, average="macro"))
    cal = f.calibration
    prob_true, prob_pred = calibration_curve(ev.correct, ev.confidence, n_bins=10, strategy="uniform")
    filled = cal.counts > 0
    np.testing.assert_allclose(cal.accuracy[filled], prob_true)
    np.testing.assert_allclose(cal.confidence[filled], prob_pred)
    weights = cal.counts[filled] / cal.counts.sum()
    assert cal.ece == pytest.approx(float(np.sum(weights * np.abs(prob_true - prob_pred))))
    assert cal.counts.sum() == ev.count and f.roc is None


def test_a_confusion_cell_lists_its_pictures(shapes):
    _, a, _ = shapes
    ev = a.result()
    cm = ev.figures.confusion
    t, q = np.argwhere((cm > 0) & ~np.eye(len(ev.labels), dtype=bool))[0]
    cell = ev.pictures(int(t), int(q))
    assert len(cell) == cm[t, q]
    rows = {r["path"]: r for r in ev.prediction_rows()}
    assert all(rows[p]["true"] == ev.labels[t] and rows[p]["predicted"] == ev.labels[q] for p in cell)


def test_mcnemar_and_disagreements_of_two_real_models(shapes):
    _, a, b = shapes
    ea, eb = a.result(), b.result()
    cmp = compare(ea, eb)
    assert cmp.pictures == ea.count == eb.count
    right_a = dict(zip(ea.paths, ea.correct, strict=True))
    right_b = dict(zip(eb.paths, eb.correct, strict=True))
    assert set(cmp.only_a) == {p for p in ea.paths if right_a[p] and not right_b[p]}
    assert set(cmp.only_b) == {p for p in ea.paths if right_b[p] and not right_a[p]}
    assert cmp.only_a or cmp.only_b  # the crop really changes answers
    t = cmp.test
    assert (t.b, t.c) == (len(cmp.only_a), len(cmp.only_b))
    assert t.method == "exact binomial"
    assert t.p_value == pytest.approx(stats.binomtest(t.b, t.b + t.c, 0.5).pvalue)
    assert set(cmp.only_a) | set(cmp.only_b) <= set(cmp.disagree)
    assert "McNemar p =" in cmp.sentence()


@pytest.mark.parametrize("b,c", [(30, 12), (14, 15), (40, 0), (0, 3), (7, 7)])
def test_mcnemar_matches_scipy_for_small_and_large_counts(b, c):
    # paired right/wrong flags with b + c discordant pairs (and some concordant ones)
    right_a = np.array([True] * b + [False] * c + [True] * 20 + [False] * 5)
    right_b = np.array([False] * b + [True] * c + [True] * 20 + [False] * 5)
    t = mcnemar(right_a, right_b)
    if b + c < 25:
        assert t.method == "exact binomial"
        assert t.p_value == pytest.approx(stats.binomtest(b, b + c, 0.5).pvalue)
    else:
        chi = (abs(b - c) - 1) ** 2 / (b + c)
        assert t.method == "chi-square, continuity corrected"
        assert t.statistic == pytest.approx(chi)
        assert t.p_value == pytest.approx(stats.chi2.sf(chi, 1))


def test_binary_model_roc_auc_and_threshold_match_scikit_learn(tmp_path, binary_model):
    model_path = binary_model
    folder = color_folder(tmp_path / "colors")
    ev = _evaluate(model_path, folder).result()
    assert ev.binary and ev.count == 24
    f = ev.figures
    positive, score = ev.y_true == 1, ev.scores[:, 1]
    fpr, tpr, thr = skm.roc_curve(positive, score, drop_intermediate=False)
    np.testing.assert_allclose(f.roc.fpr, fpr)
    np.testing.assert_allclose(f.roc.tpr, tpr)
    np.testing.assert_allclose(f.roc.thresholds[1:], thr[1:])
    assert 0.5 < f.roc.auc < 1.0
    assert f.roc.auc == pytest.approx(skm.roc_auc_score(positive, score))
    for t in (0.2, 0.5, 0.8):
        at = ev.at_threshold(t)
        called = score >= t
        assert at["accuracy"] == pytest.approx(skm.accuracy_score(positive, called))
        assert at["tpr"] == pytest.approx(skm.recall_score(positive, called))
        tn, fp, fn, tp = skm.confusion_matrix(positive, called).ravel()
        assert (at["tn"], at["fp"], at["fn"], at["tp"]) == (tn, fp, fn, tp)
    json.dumps(ev.to_json(), allow_nan=False)


def test_csv_of_path_label_rows_relative_to_the_csv(shapes, tmp_path):
    folder, _, _ = shapes
    rows = ["path,label"] + [f"{p.relative_to(folder.parent)},{p.parent.name.upper()}"
                             for p in sorted(folder.glob("*/*_01.*"))]
    csv = folder.parent / "labels.csv"
    csv.write_text("\n".join(rows) + "\n")
    labelled = read_labelled(csv)
    assert len(labelled.items) == len(rows) - 1
    assert all(p.startswith(str(folder)) for p, _ in labelled.items)
    assert "CIRCLE" in labelled.classes


@pytest.mark.parametrize("make,fragment", [
    (lambda d: d / "missing", "No folder or CSV at"),
    (lambda d: (d / "flat").mkdir() or (d / "flat"), "has no class sub-folders"),
    (lambda d: (d / "bad.csv").write_text("path,label\nonly-a-path\n") and d / "bad.csv", "Line 2 of"),
    (lambda d: (d / "empty.csv").write_text("path,label\n") and d / "empty.csv", "No labelled pictures"),
])
def test_unusable_labelled_input_is_one_sentence(tmp_path, make, fragment):
    with pytest.raises(LabelledSetError) as e:
        read_labelled(make(tmp_path))
    assert fragment in str(e.value) and str(e.value).endswith(".") and "\n" not in str(e.value)


def test_empty_evaluation_is_json_safe():
    ev = Evaluation("m", ("a", "b"), (), np.zeros(0, np.int64), np.zeros((0, 2)))
    out = json.dumps(ev.to_json(), allow_nan=False)
    assert '"accuracy": null' in out
