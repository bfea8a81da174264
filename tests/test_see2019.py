"""The LBP-TOP baseline (papers/see2019) and the linear SVM's Keras copy (common/classifiers.py)."""
from __future__ import annotations

import numpy as np
import pytest

from common.classifiers import (LinearSVMConfig, build_decision_model, copy_to_keras, decision_values,
                                fit_linear_svm, svm_training_stages)


def _features(seed: int = 0, n: int = 60, d: int = 30):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, d)) + 0.8 * np.eye(3)[y] @ rng.normal(size=(3, d))
    return x, y


@pytest.mark.parametrize("kind", ["ovo", "ovr"])
def test_the_keras_copy_gives_the_svms_decision_values(kind):
    x, y = _features()
    svm = fit_linear_svm(x[:45], y[:45], LinearSVMConfig(kind=kind))
    model = copy_to_keras(svm, build_decision_model(features=x.shape[1], num_classes=3, kind=kind), 3)
    keras_values = model.predict(x[45:].astype("float32"), verbose=0)
    assert keras_values.shape == (15, 3)
    np.testing.assert_allclose(keras_values, decision_values(svm, x[45:]), rtol=1e-4, atol=1e-4)
    if kind == "ovr":  # one-vs-rest: the arg-max of the copy is the SVM's class
        assert np.array_equal(keras_values.argmax(1), svm.predict(x[45:]))


def test_a_training_fold_without_a_class_keeps_the_models_shape():
    x, y = _features()
    kept = y != 2  # the pairs with class 2 were not fitted: their columns stay 0
    svm = fit_linear_svm(x[kept], y[kept], LinearSVMConfig(kind="ovo"))
    model = copy_to_keras(svm, build_decision_model(features=x.shape[1], num_classes=3, kind="ovo"), 3)
    values = model.predict(x[:5].astype("float32"), verbose=0)
    np.testing.assert_allclose(values[:, 0], decision_values(svm, x[:5])[:, 0], rtol=1e-4, atol=1e-4)
    assert np.all(values[:, 1:] == 0)


def test_the_svm_stage_builds_a_hinge_model_that_takes_a_step():
    (stage,) = svm_training_stages("svm", lambda: build_decision_model(features=30, num_classes=3, kind="ovo"), 40)
    assert (stage.epochs, stage.batch_size, stage.samples) == (1, 40, 40)
    model = stage.build()
    assert np.isfinite(model.train_on_batch(np.ones((2, 30), "float32"), np.eye(3, dtype="float32")[[0, 2]]))


def test_the_lbp_top_svm_has_the_weights_of_a_1125_long_vector():
    from common.harness import build_paper_model
    from common.training import trainable_parameters
    from papers.see2019 import PAPER
    from papers.see2019.config import default_config
    from papers.see2019.preprocessing import feature_length

    assert feature_length(default_config()) == 5 * 5 * 3 * 15  # 4 neighbours, u2: 4 x 3 + 3 labels per plane
    model = build_paper_model(PAPER, "lbp_top_svm")
    assert trainable_parameters(model) == 3 * 1125 + 3 == PAPER.parameter_counts["lbp_top_svm"][0]


def test_a_clip_too_short_for_the_temporal_radius_is_padded_with_its_end_frames(smoke_corpus, tmp_path):
    """On a track (every clip kept), a clip of fewer than 2 R_T + 1 frames is described after repeating its
    first and last frames: the vector of the padded volume, never an error or a silent empty histogram."""
    import dataclasses

    from common.datasets.megc2019 import load
    from common.preprocessing import motion
    from common.preprocessing.motion_stages import face_sequence
    from papers.see2019.config import default_config
    from papers.see2019.preprocessing import clip_features

    config = default_config()
    f = config.features
    sample = load(smoke_corpus)[0]
    short = dataclasses.replace(sample, frames=sample.frames[:5])
    vector = clip_features(short, config, tmp_path)
    faces = face_sequence(short, f.size, tmp_path)
    padded = np.concatenate([faces[:2], faces, faces[-2:]])  # 5 -> 9 frames, two repeated at either end
    np.testing.assert_allclose(vector, motion.lbp_top(padded, f.grid, f.radii, f.points, f.method,
                                                      normalisation=f.normalisation, blocks=f.blocks), atol=1e-6)


def test_the_paper_profile_normalises_the_whole_vector_once_as_lbptop_m(smoke_corpus, tmp_path):
    """The reference LBPTOP.m divides the whole vector by its sum; the option divides each histogram by its
    own. On 32-pixel faces at R = (1, 1, 4) the coded pixels are rows and columns 1..30, the reference's
    blocks 30 // 5 = 6 of them: every block holds 1/25 of the coded voxels, so each per-histogram entry
    is exactly 3 x 25 = 75 times its whole-vector entry (and the cache keeps the two apart)."""
    import dataclasses

    from common.datasets.megc2019 import load
    from papers.see2019.config import default_config
    from papers.see2019.preprocessing import clip_features

    config = default_config()
    assert (config.features.normalisation, config.features.blocks) == ("whole", "reference")
    small = dataclasses.replace(config, features=dataclasses.replace(config.features, size=32))
    per_histogram = dataclasses.replace(small, features=dataclasses.replace(small.features,
                                                                            normalisation="per_histogram"))
    sample = load(smoke_corpus)[0]
    whole = clip_features(sample, small, tmp_path)
    separate = clip_features(sample, per_histogram, tmp_path)
    assert whole.shape == separate.shape == (1125,)
    assert whole.sum() == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(separate.reshape(25, 3, 15).sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(separate, 75 * whole, rtol=1e-5, atol=1e-7)


def test_one_smoke_fold_fits_the_svm_and_predicts(smoke_corpus, tmp_path):
    """The shared SVM fold (``common.classifiers.svm_fold``) end to end on the LBP-TOP vectors of the smoke corpus."""
    from common.running.runner import run_experiment
    from common.running.profiles import resolve_run
    from papers.see2019 import EXPERIMENTS

    result = run_experiment("see2019", EXPERIMENTS[0], resolve_run(data_root=smoke_corpus, profile="smoke",
                            out=tmp_path))
    (record,) = result.records
    assert record["status"] == "ok", record.get("reason")
    assert len(record["y_pred"]) == record["n_test"] > 0
    # the scores are the SVM's pairwise vote shares: rows of thirds summing to 1, their arg-max its class
    scores = np.asarray(record["probabilities"])
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    np.testing.assert_allclose(scores * 3, np.round(scores * 3))
    assert np.argmax(scores, axis=1).tolist() == record["y_pred"]
    assert np.shape(record["extra"]["decision_values"]) == (record["n_test"], 3)
    assert record["parameters"] == {"lbp_top_svm": 3378}
