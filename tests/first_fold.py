"""One experiment's first fold through the runner, the smoke profile (tests/test_backends.py and
tests/test_real_shape.py share it)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from common.experiment import Experiment
from common.harness import ExperimentResult


def run_first_fold(paper_id: str, experiment: Experiment, data_root: Path, out_dir: Path) -> ExperimentResult:
    """``experiment`` with its folds cut to the first, run quietly on ``data_root`` with its ``smoke`` profile."""
    from common.running.runner import run_experiment
    from common.running.profiles import resolve_run

    one_fold = dataclasses.replace(experiment, folds=lambda selection, config, seed: experiment.folds(
        selection, config, seed)[:1])
    return run_experiment(paper_id, one_fold, resolve_run(data_root=data_root, profile="smoke", out=out_dir))
