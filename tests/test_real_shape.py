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

Trained, or split: an experiment's real counts reach the selection, the splitter and the fold's code. Every
experiment's selection and first fold are checked at real counts (every class in the training part, a
cross-database fold's sides); the fold, thinned to about 60 training and 30 test clips in its classes' real
proportions (every class, at least three clips of each that has them: a stratified inner hold-out and a tuning grid
still run; ``first_fold.thinned``), is trained for a covering set of the experiments (:func:`trained_runs`):
each paper's fold functions, databases, and every value of every config section but the recipe's, the ones
naming databases and the kind of split (the network, its inputs, the protocol's variant) in at least one trained
fold. A paper's other experiments differ from a trained one only in which databases a fold takes and how they are
split (le2020's three backbones on three databases: three trained of thirteen; kumar2019's four LOSO and six cross
pairs: one of ten, the composite's LOSO).
"""
from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest

from common.datasets import DATASETS
from common.running.profiles import effective_config
from papers import PAPER_IDS, get_paper

pytestmark = pytest.mark.real_shape

# A trained fold's (training, test) clips, about: the experiment's first fold thinned in its classes' proportions.
THINNED = (60, 30)
RUNS = [(paper_id, experiment.name) for paper_id in PAPER_IDS for experiment in get_paper(paper_id).EXPERIMENTS]
# Values of a config field that only name the databases a fold takes (talluri2022's ``protocol.test``): the
# splits check those without training.
DATABASE_WORDS = set(DATASETS) | {"combined", ""}
# Fields that only choose how the folds are made (a LOSO, k-fold or cross-database split: the experiment's
# select and folds read them, and the splits check every experiment's at real counts without training): a
# fold function is handed the fold's clips whatever made them.
SPLIT_FIELDS = {("protocol", "kind")}


def _names_databases(value) -> bool:
    if isinstance(value, str):
        return value in DATABASE_WORDS
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) and v in DATABASE_WORDS for v in value)


def features(experiment) -> set[tuple]:
    """What a trained fold of ``experiment`` runs that another experiment's may not: its fold function, each of
    its databases, and each value of its smoke config's sections but the recipe (``train``), except the values
    that only name databases or the kind of split (:data:`SPLIT_FIELDS`)."""
    config = effective_config(experiment, "smoke", {})
    found = {("run_fold", experiment.run_fold.__qualname__)} | {("database", d) for d in experiment.datasets}
    for field in dataclasses.fields(config):
        if field.name == "train":
            continue
        section = getattr(config, field.name)
        values = dataclasses.asdict(section) if dataclasses.is_dataclass(section) else {"": section}
        found |= {(field.name, key, json.dumps(value, sort_keys=True, default=str))
                  for key, value in values.items()
                  if not _names_databases(value) and (field.name, key) not in SPLIT_FIELDS}
    return found


def trained_runs(paper_id: str) -> list[str]:
    """A covering set of ``paper_id``'s experiments (greedy: the one covering most features not yet covered, the
    registry's order breaking ties): every feature (:func:`features`) of every experiment is in one of them."""
    experiments = list(get_paper(paper_id).EXPERIMENTS)
    found = {e.name: features(e) for e in experiments}
    left, chosen = set().union(*found.values()), []
    while left:
        best = max(experiments, key=lambda e: (len(found[e.name] & left), -experiments.index(e)))
        chosen.append(best.name)
        left -= found[best.name]
    return chosen


TRAINED = [(paper_id, name) for paper_id in PAPER_IDS for name in trained_runs(paper_id)]
# One unit of work per paper (tests/conftest.py: the parameter id's ``@GROUP``): `make test` runs the suite in two
# processes (pytest-xdist), and a paper's experiments stay in one of them, in turn, where each reads what the one
# before cached; the methods on the onset-apex flow (``needs_motion``) share one group, where the first computes
# the flow stage the others read.
PARAMS = [pytest.param(paper_id, name, id=f"{paper_id}-{name}@" + (
    "onset_apex_flow" if get_paper(paper_id).EXPERIMENTS[0].needs_motion else paper_id))
    for paper_id, name in RUNS if (paper_id, name) in TRAINED]
# Experiment-name parts that name the training or test side of a cross-database experiment.
SIDE = {"combined": ("casme2", "smic"), "casme2": ("casme2",), "smic": ("smic",), "samm": ("samm",)}
CROSS = re.compile(r"(?:^|_)(combined|casme2|smic|samm)_to_(combined|casme2|smic|samm)(?:_|$)")


def test_every_registered_experiment_has_a_real_shape_run():
    """Every experiment of the registry has its selection and first fold checked at real counts, and the trained
    ones cover every feature of every experiment of their paper."""
    registered = {(paper_id, e.name) for paper_id in PAPER_IDS for e in get_paper(paper_id).EXPERIMENTS}
    assert len(RUNS) == len(set(RUNS)) == len(registered) > 0
    assert set(RUNS) == registered
    (split,) = [m for m in test_the_selection_and_first_fold_at_real_counts.pytestmark if m.name == "parametrize"]
    assert [tuple(param) for param in split.args[1]] == RUNS
    (parametrized,) = [m for m in test_one_fold_on_the_real_shape_corpus.pytestmark if m.name == "parametrize"]
    trained = [tuple(param.values) for param in parametrized.args[1]]
    assert set(trained) <= registered and {p for p, _ in trained} == set(PAPER_IDS)
    for paper_id in PAPER_IDS:
        every = set().union(*(features(e) for e in get_paper(paper_id).EXPERIMENTS))
        covered = set().union(*(features(e) for e in get_paper(paper_id).EXPERIMENTS if (paper_id, e.name) in trained))
        assert every == covered, (paper_id, sorted(every - covered))


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


def _check_fold(name: str, selection, fold) -> None:
    """What real counts give a fold: every class of the experiment in its training part (the branches tiny corpora
    miss), and a cross-database fold trained on one side and tested on the other, never mixed."""
    labels, n_classes = selection.labels, len(selection.class_names)
    assert len(fold.test) > 0
    assert set(labels[fold.train]) == set(range(n_classes)), np.bincount(labels[fold.train], minlength=n_classes)
    sides = _cross_sides(name)
    if sides is not None:
        train_databases, test_databases = sides
        assert {selection.samples[i].dataset for i in fold.train} <= set(train_databases)
        assert {selection.samples[i].dataset for i in fold.test} <= set(test_databases)
        assert set(test_databases) - set(train_databases), name


@pytest.fixture(scope="module")
def real_shape_databases(real_shape_corpus) -> dict:
    """Every database the registry's experiments name, loaded from the real-shape corpus once for the module, as
    a run loads them once for its experiments (``load_all``; each loader's options once): loaded again for each
    of the 74 experiments, their label spreadsheets took most of these checks' time."""
    from common.running.corpus import load_all

    return load_all([e for paper_id in PAPER_IDS for e in get_paper(paper_id).EXPERIMENTS], real_shape_corpus)


@pytest.mark.parametrize("paper_id,name", RUNS)
def test_the_selection_and_first_fold_at_real_counts(paper_id, name, real_shape_corpus, real_shape_databases):
    """Every experiment's selection on the real-shape corpus and its splitter's first fold (the trained ones below
    also train it)."""
    from common.running.corpus import load_datasets

    (experiment,) = [e for e in get_paper(paper_id).EXPERIMENTS if e.name == name]
    config = effective_config(experiment, "smoke", {})
    loaded = {key: list(samples) for key, samples in real_shape_databases.items()}  # a list of its own per experiment
    data = load_datasets(experiment, real_shape_corpus, loaded)
    selection = experiment.select(data, config)
    assert len(selection) > 0
    (fold,) = experiment.folds(selection, config, 0)[:1]
    _check_fold(name, selection, fold)


@pytest.mark.parametrize("paper_id,name", PARAMS)
def test_one_fold_on_the_real_shape_corpus(paper_id, name, real_shape_corpus, tmp_path):
    from first_fold import first_fold, run_first_fold

    (experiment,) = [e for e in get_paper(paper_id).EXPERIMENTS if e.name == name]
    result = run_first_fold(paper_id, experiment, real_shape_corpus, tmp_path, most=THINNED)
    (record,) = result.records
    assert record["status"] == "ok", record.get("reason")

    # The fold is the experiment's own first fold of the screened selection, thinned in its classes' proportions.
    selection = result.selection
    labels, n_classes = selection.labels, len(selection.class_names)
    (fold,) = first_fold(experiment, most=THINNED).folds(selection, result.config, 0)
    assert record["n_train"] == len(fold.train) and record["n_test"] == len(fold.test) > 0
    assert record["test_indices"] == [int(i) for i in fold.test]
    assert record["y_true"] == [int(labels[i]) for i in fold.test]
    assert set(record["y_pred"]) <= set(range(n_classes))
    _check_fold(name, selection, fold)
    if record.get("probabilities") is not None:
        probabilities = np.asarray(record["probabilities"], dtype=float)
        assert probabilities.shape == (len(fold.test), n_classes)
        assert np.isfinite(probabilities).all()
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    if experiment.run_fold.__name__ == "run_tuned_fold":  # the grid ran on an inner hold-out of the training fold
        from papers.talluri2022.protocol import tuning_grid

        trials = record["extra"]["trials"]
        assert len(trials) == len(tuning_grid(result.config)) >= 1
        assert record["extra"]["chosen"] in trials


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_every_fold_function_is_an_experiments_run_fold(paper_id):
    """Every fold function of a paper (``run_fold``, ``run_split_fold``, ``run_tuned_fold``,
    ``run_kernel_study``, ...: a protocol function returning ``FoldOutcome``) is the ``run_fold`` of a
    registered experiment, so the real-shape runs above cover it and assert its outcome (a declared flow network
    has no protocol.py: its fold is the shared one's)."""
    import importlib
    import importlib.util
    import inspect

    used = {e.run_fold for e in get_paper(paper_id).EXPERIMENTS}
    if importlib.util.find_spec(f"papers.{paper_id}.protocol") is None:
        return
    protocol = importlib.import_module(f"papers.{paper_id}.protocol")
    fold_functions = [f for _, f in inspect.getmembers(protocol, inspect.isfunction)
                      if f.__module__ == protocol.__name__ and "FoldOutcome" in str(f.__annotations__.get("return"))]
    missing = [f"{f.__module__}.{f.__name__}" for f in fold_functions if f not in used]
    assert not missing, missing


def test_a_papers_trained_folds_go_out_together_and_other_tests_by_file():
    """`make test`'s units of work (tests/conftest.py ``unit_of``): each paper's trained folds one unit, the methods
    on the onset-apex flow one unit, every other test with its file."""
    from conftest import unit_of

    node = "tests/test_real_shape.py::test_one_fold_on_the_real_shape_corpus[{}]"
    units = {paper_id: unit_of(node.format(param.id)) for param in PARAMS for paper_id in param.values[:1]}
    flow = {p for p in units if get_paper(p).EXPERIMENTS[0].needs_motion}
    assert flow and {units[p] for p in flow} == {"@onset_apex_flow"}
    assert all(units[p] == f"@{p}" for p in set(units) - flow)
    assert unit_of("tests/test_cli.py::test_one[a@b-c]") == "@b-c"
    assert unit_of("tests/test_cli.py::test_one[a-b]") == unit_of("tests/test_cli.py::test_two") == "tests/test_cli.py"
