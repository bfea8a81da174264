"""The linear SVMs' scores (``common.classifiers.class_scores``): LIBSVM's vote, as shares."""
from __future__ import annotations

import numpy as np

from common.classifiers import class_scores, fit_linear_svm, LinearSVMConfig


def test_vote_shares_follow_libsvms_rule_ties_and_missing_classes():
    # pairs (0,1), (0,2), (1,2): a positive value votes for the pair's first class, else its second
    values = np.array([[1.0, 1.0, -1.0],   # 0 wins twice, 2 once
                       [-1.0, 1.0, -1.0],  # 1, 0, 2: a three-way tie goes to class 0 (LIBSVM's first maximum)
                       [0.0, 0.0, 0.0]])   # zero votes for the second class of each pair
    scores = class_scores(values, [0, 1, 2], 3, "ovo")
    np.testing.assert_allclose(scores, [[2 / 3, 0, 1 / 3], [1 / 3, 1 / 3, 1 / 3], [0, 1 / 3, 2 / 3]])
    assert np.argmax(scores, axis=1).tolist() == [0, 0, 2]
    # class 1 absent from training: only the pair (0, 2) votes, class 1 scores nothing
    np.testing.assert_allclose(class_scores(np.array([[5.0, -1.0, 7.0]]), [0, 2], 3, "ovo"), [[0, 0, 1]])
    np.testing.assert_allclose(class_scores(np.array([[0.1, 0.9, -2.0]]), [0, 1, 2], 3, "ovr"), [[0, 1, 0]])


def test_the_scores_arg_max_is_the_svms_prediction():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    y = np.argmax(x[:, :3] + 0.8 * rng.normal(size=(60, 3)), axis=1)
    for kind in ("ovo", "ovr"):
        svm = fit_linear_svm(x[:40], y[:40], LinearSVMConfig(kind=kind))
        values = np.asarray(svm.decision_function(x[40:]))
        scores = class_scores(values, [0, 1, 2], 3, kind)
        assert np.argmax(scores, axis=1).tolist() == svm.predict(x[40:]).tolist(), kind
