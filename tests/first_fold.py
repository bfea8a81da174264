"""One experiment's first fold through the runner, the smoke profile (tests/test_backends.py and
tests/test_real_shape.py share it)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from common.experiment import Experiment, Fold
from common.harness import ExperimentResult


def run_first_fold(paper_id: str, experiment: Experiment, data_root: Path, out_dir: Path, *,
                   per_class: int | None = None) -> ExperimentResult:
    """``experiment`` with its folds cut to the first, run quietly on ``data_root`` with its ``smoke`` profile;
    ``per_class``: that fold cut to its first ``per_class`` training clips of each class and as many test clips,
    the same path through the runner on fewer clips (tests/test_backends.py: another backend)."""
    from common.running.runner import run_experiment
    from common.running.profiles import resolve_run

    def first(selection, config, seed):
        fold = experiment.folds(selection, config, seed)[0]
        if per_class is None:
            return [fold]
        labels = selection.labels[fold.train]
        train = np.sort(np.concatenate([fold.train[labels == k][:per_class] for k in np.unique(labels)]))
        return [Fold(name=fold.name, train=train, test=np.asarray(fold.test)[:per_class])]

    one_fold = dataclasses.replace(experiment, folds=first)
    return run_experiment(paper_id, one_fold, resolve_run(data_root=data_root, profile="smoke", out=out_dir))
