"""One experiment's first fold through the runner, the smoke profile (tests/test_backends.py and
tests/test_real_shape.py share it)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from common.experiment import Experiment, Fold
from common.harness import ExperimentResult


def thinned(indices, labels: np.ndarray, most: int, floor: int = 3) -> np.ndarray:
    """At most about ``most`` of ``indices`` in the proportions of their classes: every k-th clip of each class
    (k = ceil(len(indices) / most)), and at least the first ``floor`` of a class that has that many; in order."""
    indices = np.asarray(indices, dtype=int)
    step = max(1, -(-len(indices) // most))
    kept = []
    for k in np.unique(labels[indices]):
        of_class = indices[labels[indices] == k]
        kept.append(of_class[::step] if len(of_class[::step]) >= min(floor, len(of_class)) else of_class[:floor])
    return np.sort(np.concatenate(kept))


def first_fold(experiment: Experiment, *, per_class: int | None = None,
               most: tuple[int, int] | None = None) -> Experiment:
    """``experiment`` with its folds cut to the first; ``per_class``: that fold cut to its first ``per_class``
    training clips of each class and as many test clips; ``most``: (training, test) thinned to about that many
    clips in their classes' proportions (:func:`thinned`)."""
    def first(selection, config, seed):
        fold = experiment.folds(selection, config, seed)[0]
        labels = selection.labels
        if most is not None:
            return [Fold(name=fold.name, train=thinned(fold.train, labels, most[0]),
                         test=thinned(fold.test, labels, most[1]))]
        if per_class is None:
            return [fold]
        train = np.sort(np.concatenate([fold.train[labels[fold.train] == k][:per_class]
                                        for k in np.unique(labels[fold.train])]))
        return [Fold(name=fold.name, train=train, test=np.asarray(fold.test)[:per_class])]

    return dataclasses.replace(experiment, folds=first)


def run_first_fold(paper_id: str, experiment: Experiment, data_root: Path, out_dir: Path, *,
                   per_class: int | None = None, most: tuple[int, int] | None = None) -> ExperimentResult:
    """``experiment`` cut to its first fold (:func:`first_fold`), run quietly on ``data_root`` with its ``smoke``
    profile: the same path through the runner on fewer clips (tests/test_backends.py: another backend;
    tests/test_real_shape.py: a real-shape fold thinned)."""
    from common.running.runner import run_experiment
    from common.running.profiles import resolve_run

    one_fold = first_fold(experiment, per_class=per_class, most=most)
    return run_experiment(paper_id, one_fold, resolve_run(data_root=data_root, profile="smoke", out=out_dir))
