"""Another Keras backend: the representative subset ``make test-jax`` / ``make test-torch`` run.

Skipped unless ``KERAS_BACKEND`` is ``jax`` or ``torch`` (the default suite runs on TensorFlow).
On that backend: every model of every paper is built once and its parameter counts equal
TensorFlow's (``run_all.py --paper all --architectures --json`` run under ``KERAS_BACKEND=tensorflow``
in a subprocess of the same environment), and one smoke fold of each paper's first experiment (a few clips of
each class of its first fold) trains and predicts through the runner.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from papers import PAPER_IDS  # every registered paper, a sixth one included

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
pytestmark = pytest.mark.skipif(BACKEND not in ("jax", "torch"),
                                reason="the backend subset runs under KERAS_BACKEND=jax or torch (make test-jax)")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tensorflow_counts() -> dict:
    """``{paper: {model: (trainable, non_trainable)}}`` as TensorFlow builds them (a subprocess)."""
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(REPO / "run_all.py"), "--paper", "all", "--architectures", "--json"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    papers = json.loads(done.stdout)["papers"]
    return {paper: {name: (m["trainable_params"], m["non_trainable_params"]) for name, m in entry["models"].items()}
            for paper, entry in papers.items()}


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_every_model_has_tensorflows_parameter_counts(paper_id, tensorflow_counts):
    import keras

    from common.harness import build_paper_model
    from common.orchestration.architectures import model_summary
    from papers import get_paper

    assert keras.backend.backend() == BACKEND
    paper = get_paper(paper_id).PAPER
    ours = {name: (s["trainable_params"], s["non_trainable_params"])
            for name, s in ((n, model_summary(build_paper_model(paper, n))) for n in paper.models)}
    assert ours == tensorflow_counts[paper_id]


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_one_smoke_fold_trains_and_predicts(paper_id, smoke_corpus, tmp_path):
    from first_fold import run_first_fold
    from papers import get_paper

    # a few clips of each class of the first fold: the runner's path on this backend, not the corpus again
    result = run_first_fold(paper_id, get_paper(paper_id).EXPERIMENTS[0], smoke_corpus, tmp_path, per_class=4)
    (record,) = result.records
    assert record["status"] == "ok", record.get("reason")
    assert len(record["y_pred"]) == record["n_test"] > 0
    assert result.summary["environment"].get("keras_backend") == BACKEND


# Beyond each paper's first experiment: the smoke experiments whose single fold trains a deep network for a
# handful of steps, where the backend's numerics decide between finite and NaN predictions (le2020's
# cross-database ResNet50 diverged to NaN on JAX, exit 3, with the first experiments all fine).
FEW_STEP_EXPERIMENTS = [("le2020", "cross_samm_to_casme2_resnet50")]


@pytest.mark.parametrize("paper_id,name", FEW_STEP_EXPERIMENTS)
def test_few_step_smoke_experiments_predict_finite_probabilities(paper_id, name, smoke_corpus, tmp_path):
    import numpy as np

    from common.running.runner import run_experiment
    from common.running.profiles import resolve_run
    from papers import get_paper

    (experiment,) = [e for e in get_paper(paper_id).EXPERIMENTS if e.name == name]
    result = run_experiment(paper_id, experiment, resolve_run(data_root=smoke_corpus, profile="smoke", out=tmp_path))
    for record in result.records:
        assert record["status"] == "ok", record.get("reason")
        assert np.isfinite(np.asarray(record["probabilities"], dtype=float)).all()
