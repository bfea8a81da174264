"""Every experiment of every paper, one fold, on a corpus of real shape.

The smoke and default corpora are small in their counts: three or four subjects, a class or two with a
single clip. Branches that only real counts reach (a stratified inner hold-out, a tuning grid, every class
in a training fold, the cross-database pairings) were never run by the tests; talluri2022's
``model_c_tuning`` failed on every real database for that reason. The real-shape corpus is the synthetic
generator's ``mirror`` plan at smoke size (``common/datasets/synthetic/corpus.py``): the real databases'
subject and class counts (580 clips, 95 CAS(ME)^2 long videos), 64x64 frames, 18-22 frames per clip.

Each experiment of the registry runs its first fold with its ``smoke`` profile (the cheapest settings its
package defines: one or two epochs, the smallest tuning grid, reduced inputs) and the fold's outcome is
checked against the selection and the fold the experiment's own splitter makes.
``test_every_registered_experiment_has_a_real_shape_run`` fails when an experiment of the registry is
missing from the runs.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from papers import PAPER_IDS, get_paper

pytestmark = pytest.mark.real_shape

RUNS = [(paper_id, experiment.name) for paper_id in PAPER_IDS for experiment in get_paper(paper_id).EXPERIMENTS]
# One xdist group per paper: `make test` runs this file in two processes (pytest-xdist, --dist loadgroup),
# and a paper's experiments stay in one of them, where they share its preprocessing cache.
PARAMS = [pytest.param(paper_id, name, marks=pytest.mark.xdist_group(paper_id)) for paper_id, name in RUNS]
# Experiment-name parts that name the training or test side of a cross-database experiment.
SIDE = {"combined": ("casme2", "smic"), "casme2": ("casme2",), "smic": ("smic",), "samm": ("samm",)}
CROSS = re.compile(r"(?:^|_)(combined|casme2|smic|samm)_to_(combined|casme2|smic|samm)(?:_|$)")


def test_every_registered_experiment_has_a_real_shape_run():
    """The runs below are the registry's experiments, each once, none missing and none extra."""
    registered = {(paper_id, e.name) for paper_id in PAPER_IDS for e in get_paper(paper_id).EXPERIMENTS}
    assert len(RUNS) == len(set(RUNS)) == len(registered) > 0
    assert set(RUNS) == registered
    (parametrized,) = [m for m in test_one_fold_on_the_real_shape_corpus.pytestmark if m.name == "parametrize"]
    assert [tuple(param.values) for param in parametrized.args[1]] == RUNS


def test_the_real_shape_corpus_has_the_real_counts(real_shape_corpus):
    """Real in its counts: every database, its subjects and the class counts docs/databases.md gives."""
    import json

    from common.datasets.synthetic.corpus import (CASME2_CLASSES, CASME2_PER_SUBJECT, CASME_SQ_COUNTS,
                                                  SAMM_CLASSES, SMIC_CLASSES, SMIC_SUBJECTS)

    manifest = json.loads((real_shape_corpus / "corpus.json").read_text())
    assert manifest["mirror"] is True and manifest["clips"] == 580 and manifest["videos"] == CASME_SQ_COUNTS["videos"]
    counts = manifest["counts"]
    assert counts["casme2"] == CASME2_CLASSES and sum(CASME2_PER_SUBJECT) == sum(CASME2_CLASSES.values())
    assert counts["smic"] == SMIC_CLASSES and counts["samm"] == SAMM_CLASSES
    assert manifest["megc2019"] == 442  # the MEGC 2019 composite's clips (docs/databases.md §5.1)
    assert len(SMIC_SUBJECTS) == 16


def _cross_sides(name: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(training databases, test databases) of a cross-database experiment named ``..._X_to_Y...``."""
    match = CROSS.search(name)
    if match is None or match.group(1) == match.group(2):
        return None
    return SIDE[match.group(1)], SIDE[match.group(2)]


@pytest.mark.parametrize("paper_id,name", PARAMS)
def test_one_fold_on_the_real_shape_corpus(paper_id, name, real_shape_corpus, tmp_path):
    from first_fold import run_first_fold

    (experiment,) = [e for e in get_paper(paper_id).EXPERIMENTS if e.name == name]
    result = run_first_fold(paper_id, experiment, real_shape_corpus, tmp_path)
    (record,) = result.records
    assert record["status"] == "ok", record.get("reason")

    # The fold is the experiment's own first fold of the screened selection, trained and tested whole.
    selection = result.selection
    (fold,) = experiment.folds(selection, result.config, 0)[:1]
    labels, n_classes = selection.labels, len(selection.class_names)
    assert record["n_train"] == len(fold.train) and record["n_test"] == len(fold.test) > 0
    assert record["test_indices"] == [int(i) for i in fold.test]
    assert record["y_true"] == [int(labels[i]) for i in fold.test]
    assert set(record["y_pred"]) <= set(range(n_classes))
    # Real counts: every class of the experiment is in its training part (the branches tiny corpora miss).
    assert set(labels[fold.train]) == set(range(n_classes)), np.bincount(labels[fold.train], minlength=n_classes)
    if record.get("probabilities") is not None:
        probabilities = np.asarray(record["probabilities"], dtype=float)
        assert probabilities.shape == (len(fold.test), n_classes)
        assert np.isfinite(probabilities).all()
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)

    sides = _cross_sides(name)
    if sides is not None:  # cross-database: trained on one side, tested on the other, never mixed
        train_databases, test_databases = sides
        assert {selection.samples[i].dataset for i in fold.train} <= set(train_databases)
        assert {selection.samples[i].dataset for i in fold.test} <= set(test_databases)
        assert set(test_databases) - set(train_databases), name
    if experiment.run_fold.__name__ == "run_tuned_fold":  # the grid ran on an inner hold-out of the training fold
        from papers.talluri2022.protocol import tuning_grid

        trials = record["extra"]["trials"]
        assert len(trials) == len(tuning_grid(result.config)) >= 1
        assert record["extra"]["chosen"] in trials


def test_every_fold_function_is_an_experiments_run_fold():
    """Every fold function of a paper (``run_fold``, ``run_split_fold``, ``run_tuned_fold``,
    ``run_kernel_study``, ...: a protocol function returning ``FoldOutcome``) is the ``run_fold`` of a
    registered experiment, so the real-shape runs above cover it and assert its outcome."""
    import importlib
    import inspect

    used = {e.run_fold for paper_id in PAPER_IDS for e in get_paper(paper_id).EXPERIMENTS}
    fold_functions = []
    for paper_id in PAPER_IDS:
        protocol = importlib.import_module(f"papers.{paper_id}.protocol")
        fold_functions += [f for _, f in inspect.getmembers(protocol, inspect.isfunction)
                           if f.__module__ == protocol.__name__
                           and "FoldOutcome" in str(f.__annotations__.get("return"))]
    assert len(fold_functions) >= len(PAPER_IDS)
    missing = [f"{f.__module__}.{f.__name__}" for f in fold_functions if f not in used]
    assert not missing, missing
