"""UF1/UAR/accuracy against hand-computed values; pooled vs fold-mean; absent classes."""
from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score

from common.evaluation.metrics import aggregate, score_arrays, scores, scores_from_confusion

# An unbalanced toy case, two folds, three classes (0 has 5 samples, 1 has 3, 2 has 1).
FOLD_A = {"name": "A", "status": "ok", "y_true": [0, 0, 0, 0, 1, 2], "y_pred": [0, 0, 0, 1, 1, 0],
          "datasets": ["casme2", "casme2", "casme2", "samm", "samm", "samm"]}
FOLD_B = {"name": "B", "status": "ok", "y_true": [0, 1, 1], "y_pred": [0, 1, 2],
          "datasets": ["casme2", "casme2", "casme2"]}


def test_scores_by_hand_on_pooled_predictions():
    # pooled confusion (rows true): [[4,1,0],[0,2,1],[1,0,0]]
    # F1 = 2TP/(2TP+FP+FN): 8/10, 4/6, 0/2 -> UF1 = 22/45; recall 4/5, 2/3, 0 -> UAR = 22/45; acc 6/9
    y_true = FOLD_A["y_true"] + FOLD_B["y_true"]
    y_pred = FOLD_A["y_pred"] + FOLD_B["y_pred"]
    s = scores(y_true, y_pred, 3)
    assert s["uf1"] == pytest.approx(22 / 45)
    assert s["uar"] == pytest.approx(22 / 45)
    assert s["accuracy"] == pytest.approx(6 / 9)
    assert scores_from_confusion([[4, 1, 0], [0, 2, 1], [1, 0, 0]]) == s


def test_pooled_differs_from_fold_mean_on_the_unbalanced_toy():
    result = aggregate([FOLD_A, FOLD_B], 3, scopes=("all", "samm"))
    pooled, mean = result["pooled"]["all"], result["fold_mean"]["all"]
    assert pooled["uf1"] == pytest.approx(22 / 45)
    assert pooled["confusion"] == [[4, 1, 0], [0, 2, 1], [1, 0, 0]]
    assert pooled["n"] == 9
    # fold A: F1 6/8, 2/3, 0 -> 17/36; recall 3/4, 1, 0 -> 7/12
    # fold B: F1 1, 2/3, 0 (class 2 predicted but absent: counts as 0) -> 5/9; recall over present classes 1, 1/2 -> 3/4
    assert result["per_fold"]["A"]["all"]["uf1"] == pytest.approx(17 / 36)
    assert result["per_fold"]["B"]["all"]["uar"] == pytest.approx(3 / 4)
    assert mean["uf1"] == pytest.approx((17 / 36 + 5 / 9) / 2)
    assert mean["uar"] == pytest.approx((7 / 12 + 3 / 4) / 2)
    assert mean["accuracy"] == pytest.approx(2 / 3)
    assert mean["n_folds"] == 2
    assert mean["uf1"] != pytest.approx(pooled["uf1"])
    # scope samm: pooled predictions filtered to samm -> [[0,1,0],[0,1,0],[1,0,0]]; only fold A holds samm
    samm = result["pooled"]["samm"]
    assert (samm["uf1"], samm["uar"], samm["accuracy"]) == pytest.approx((2 / 9, 1 / 3, 1 / 3))
    assert result["fold_mean"]["samm"]["n_folds"] == 1
    assert "samm" not in result["per_fold"]["B"]
    # fold_best: the better fold per metric (Talluri Sec. 8.1 reports its best run): UF1 max(17/36, 5/9),
    # UAR max(7/12, 3/4), accuracy max(4/6, 2/3); on samm only fold A counts (UF1 2/9)
    best = result["fold_best"]["all"]
    assert (best["uf1"], best["uar"], best["accuracy"]) == pytest.approx((5 / 9, 3 / 4, 2 / 3))
    assert result["fold_best"]["samm"]["uf1"] == pytest.approx(2 / 9)


def test_absent_classes_are_explicit():
    # class 2 never shown and never predicted
    assert scores([0, 1], [0, 1], 3) == {"uf1": 1.0, "uar": 1.0, "accuracy": 1.0}
    zero = scores([0, 1], [0, 1], 3, absent="zero")
    assert zero["uf1"] == pytest.approx(2 / 3) and zero["uar"] == pytest.approx(2 / 3)
    # class 2 predicted but never shown: F1 0 counts, recall undefined is left out
    s = scores([0, 0, 1], [0, 2, 1], 3)
    assert s["uf1"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert s["uar"] == pytest.approx((1 / 2 + 1) / 2)
    with pytest.raises(ValueError, match="absent"):
        scores([0], [0], 2, absent="ignore")


def test_a_stack_of_matrices_scores_each_as_its_own_matrix_bit_for_bit():
    """``score_arrays`` (what the bootstraps score) against the per-class formulas written out for one matrix at a
    time, the mean over the classes present taken by ``np.mean`` of those classes: the same floats, not close ones,
    so that a bootstrap's interval does not move; with absent classes, unpredicted ones and empty matrices."""
    rng = np.random.default_rng(0)
    for k in (2, 3, 5, 7):
        stack = rng.integers(0, 4, size=(4, 50, k, k)) * (rng.random((4, 50, k, k)) < 0.6)
        stack[0, 0] = 0  # no sample: NaN
        stack[0, 1, 1:, :] = 0  # one class shown only
        for absent in ("exclude", "zero"):
            got = score_arrays(stack, absent)
            for index in np.ndindex(stack.shape[:2]):
                m = stack[index].astype(float)
                tp, support, predicted = np.diag(m), m.sum(axis=1), m.sum(axis=0)
                f1 = np.array([2 * t / d if d > 0 else 0.0 for t, d in zip(tp, support + predicted)])
                recall = np.array([t / n if n > 0 else 0.0 for t, n in zip(tp, support)])
                if m.sum() == 0:
                    expected = (math.nan, math.nan, math.nan)
                elif absent == "exclude":
                    expected = (f1[support + predicted > 0].mean(), recall[support > 0].mean(), tp.sum() / m.sum())
                else:
                    expected = (f1.mean(), recall.mean(), tp.sum() / m.sum())
                assert [float(got[name][index]) for name in ("uf1", "uar", "accuracy")] == pytest.approx(
                    expected, rel=0, abs=0, nan_ok=True), (k, absent, index)
                assert scores_from_confusion(m, absent) == pytest.approx(
                    dict(zip(("uf1", "uar", "accuracy"), expected)), rel=0, abs=0, nan_ok=True)
    with pytest.raises(ValueError, match="square"):
        score_arrays(np.zeros((4, 3, 2)))


def test_empty_predictions_score_nan_and_bad_labels_fail():
    assert all(math.isnan(v) for v in scores([], [], 3).values())
    with pytest.raises(ValueError, match="not among the classes"):
        scores([0, 3], [0, 1], 3)


def test_failed_and_nan_folds_are_not_scored_unless_nan_folds_are_included():
    failed = {"name": "C", "status": "failed", "y_true": [], "y_pred": [], "datasets": []}
    diverged = {**FOLD_B, "name": "D", "status": "nan"}
    result = aggregate([FOLD_A, failed, diverged], 3)  # default: a diverged fold is left out
    assert result["not_scored"] == ["C", "D"] and result["nan_folds"] == ["D"]
    assert result["pooled"]["all"] == {**scores(FOLD_A["y_true"], FOLD_A["y_pred"], 3), "n": 6,
                                       "confusion": [[3, 1, 0], [0, 1, 0], [1, 0, 0]]}
    assert result["fold_mean"]["all"]["n_folds"] == 1
    assert result["per_fold"]["D"]["all"]["n"] == 3  # its own score is still shown
    included = aggregate([FOLD_A, failed, diverged], 3, nan_folds="include")
    assert included["not_scored"] == ["C"] and included["nan_policy"] == "include"
    assert included["pooled"]["all"]["uf1"] == pytest.approx(22 / 45)
    with pytest.raises(ValueError, match="nan_folds"):
        aggregate([FOLD_A], 3, nan_folds="drop")


def test_agrees_with_scikit_learn():
    rng = np.random.default_rng(0)
    for _ in range(20):
        y_true = rng.integers(0, 4, 30)
        y_pred = np.where(rng.random(30) < 0.5, y_true, rng.integers(0, 4, 30))
        s = scores(y_true, y_pred, 5)  # class 4 never occurs: excluded, as sklearn's defaults do
        assert s["uf1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
        assert s["uar"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
        zero = scores(y_true, y_pred, 5, absent="zero")
        assert zero["uf1"] == pytest.approx(f1_score(y_true, y_pred, labels=range(5), average="macro",
                                                     zero_division=0))
