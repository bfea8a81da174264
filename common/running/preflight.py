"""Settings checked before any work starts: seeds, fold counts against the selected samples, each
model built once on the chosen config, and the preprocessing run once on one clip. Each problem is one
:class:`RunError` line.

``run_papers`` and the benchmark call :func:`check_experiment`, one check for both, on every planned
experiment (every method of a track) after the databases are loaded and before the first fold trains; the
runner and ``--estimate`` make their folds through :func:`split`, so a fold count that does not fit is the
same line everywhere.
"""
from __future__ import annotations

import dataclasses
from typing import Any
from collections.abc import Mapping
from pathlib import Path

from common.config import SEED_LIMIT, config_fold_counts
from common.errors import RunError
from common.running.profiles import RunSpec, config_hash
from common.experiment import Experiment, Fold, Selection
from common.preprocessing.io import FrameReadError
from common.running.screening import check_released


def check_seeds(seed: Any, seeds: int = 1) -> None:
    """``--seed`` (and, for a benchmark, the ``--seeds`` that follow it: ``seed .. seed + seeds - 1``)
    inside the random generators' range, 0 .. 2**32 - 1; one RunError line otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        raise RunError(f"--seed {seed!r}: expected a whole number from 0 to {SEED_LIMIT - 1} "
                       "(the range NumPy's and scikit-learn's random generators take)")
    if seeds > SEED_LIMIT:  # more seeds than the range holds: no --seed can make room, so name --seeds' own range
        raise RunError(f"--seeds {seeds}: expected a whole number from 1 to {SEED_LIMIT} (the seeds run from --seed "
                       f"to --seed + N - 1, each from 0 to {SEED_LIMIT - 1}, the random generators' range)")
    last = seed + seeds - 1
    if last >= SEED_LIMIT:  # both remedies are within range here: seeds <= SEED_LIMIT and seed < SEED_LIMIT
        raise RunError(f"--seed {seed} --seeds {seeds}: the last seed would be {last}, past {SEED_LIMIT - 1} "
                       f"(the random generators' range); give --seed {SEED_LIMIT - seeds} or less, "
                       f"or --seeds {SEED_LIMIT - seed} or fewer")


def split(paper_id: str, experiment: Experiment, config: Any, selection: Selection, seed: int) -> list[Fold]:
    """``experiment.folds(selection, config, seed)``, or one RunError line naming the fold count field
    (``common.config.FoldCount``), its value and the number of selected samples when the split cannot be
    made (more folds than samples, or than the largest class where stratified splitting needs it)."""
    where = f"experiment {paper_id}/{experiment.name}"
    counts = config_fold_counts(config) if dataclasses.is_dataclass(config) else []
    n = len(selection)
    for path, value in counts:
        if value > n:
            raise RunError(f"{where}: {path}={value} is more than the {n} selected samples; "
                           f"give {path} from 2 to {n}")
    try:
        return experiment.folds(selection, config, seed)
    except ValueError as exc:  # scikit-learn's and common.evaluation.splits' refusals
        fields = ", ".join(f"{path}={value}" for path, value in counts)
        about = f" with {fields}" if fields else ""
        raise RunError(f"{where}: the folds cannot be made from the {n} selected samples{about} "
                       f"({' '.join(str(exc).split())})") from None


def _given(profile: str, overrides: Mapping[str, Any] | None) -> str:
    if overrides:
        return f"profile {profile}, --set " + " ".join(f"{k}={v}" for k, v in overrides.items())
    return f"profile {profile}"


def check_models(paper_id: str, experiment: Experiment, config: Any, selection: Selection, fold: Fold,
                 profile: str, overrides: Mapping[str, Any] | None = None, built: set | None = None) -> None:
    """Build (and compile) every model one fold trains (``experiment.training_stages``) once on the
    chosen config, so that a size or a value the network cannot take (an input smaller than its
    poolings) is one RunError line naming the settings before any training, not a failure in every
    fold. ``built`` (shared across experiments) skips a model already built on the same config."""
    if experiment.training_stages is None:
        return
    built = set() if built is None else built
    try:
        stages = list(experiment.training_stages(config, selection, fold))
    except Exception as exc:  # boundary: a paper's hook on the user's config, any error; one RunError line
        raise RunError(f"experiment {paper_id}/{experiment.name}: its models cannot be planned with this "
                       f"config ({_given(profile, overrides)}): {' '.join(str(exc).split())}") from None
    for stage in stages:
        key = (paper_id, stage.model, config_hash(config), len(selection.class_names))
        if key in built:
            continue
        try:
            model = stage.build()
        except Exception as exc:  # boundary: Keras raises many types for a size the network cannot take
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise RunError(f"experiment {paper_id}/{experiment.name}: model {stage.model} cannot be built "
                           f"with this config ({_given(profile, overrides)}): {reason[:300]}") from None
        del model
        built.add(key)


def check_stages(paper_id: str, experiment: Experiment, config: Any, selection: Selection, profile: str,
                 overrides: Mapping[str, Any] | None = None) -> None:
    """The paper's preprocessing (``experiment.preprocess_clip``, every stage from frames to the network's
    input) run once on the first clip with frames, so that a setting a stage cannot take (a size the
    four-area cut of HTNet cannot divide, a window longer than the clip) is one RunError line before any
    training, as :func:`check_models` does for the network, not a failure in every fold. A stage refuses
    with ``ValueError`` (numpy's and OpenCV's shape errors are ``ValueError`` too, ``cv2.error`` aside); a
    clip that cannot be read is the screening's to report, so it passes here."""
    if experiment.preprocess_clip is None:
        return
    sample = next((s for s in selection.samples if len(s.frames) >= max(experiment.min_frames, 2)), None)
    if sample is None:  # released inputs or in-memory clips: no frames to preprocess
        return
    try:
        experiment.preprocess_clip(sample, config)
    except FrameReadError:
        return
    except ValueError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise RunError(f"experiment {paper_id}/{experiment.name}: its preprocessing cannot take this config "
                       f"({_given(profile, overrides)}), on clip {sample.key}: {reason[:300]}") from None


def check_experiment(paper_id: str, experiment: Experiment, data: Mapping[str, list], run: RunSpec,
                     built: set | None = None) -> tuple[Selection, list[Fold]]:
    """Every check of one experiment on the loaded ``data`` under ``run`` before any fold trains, the one
    preflight of ``--paper`` and ``--benchmark`` (each method's first seed): a frame method on released inputs
    (``check_released``), the folds (:func:`split`), ``--weights`` (:func:`check_weights`), the models
    (:func:`check_models`), the preprocessing (:func:`check_stages`) and ``--fold-parallel``
    (:func:`check_fold_parallel`). Returns the selection and its folds (none when nothing is selected: the
    runner says so, naming the data root). Before the runner's screening: a screening that drops clips is
    checked again there."""
    profile, seed, overrides = run.profile, run.seed, run.overrides
    config = run.config(experiment)
    selection = experiment.select(data, config)
    if len(selection) == 0:
        return selection, []

    check_released(paper_id, experiment, selection, "the data root")
    folds = split(paper_id, experiment, config, selection, seed)
    check_weights(paper_id, experiment, config, selection, folds)
    usable = [f for f in folds if len(f.train) and len(f.test)]
    if usable:
        check_models(paper_id, experiment, config, selection, usable[0], profile, overrides, built)
    check_stages(paper_id, experiment, config, selection, profile, overrides)
    check_fold_parallel(paper_id, experiment, config, selection, usable)
    return selection, folds


def check_fold_parallel(paper_id: str, experiment: Experiment, config: Any, selection: Selection,
                        folds: list[Fold]) -> None:
    """``--fold-parallel N`` (``TrainConfig.fold_parallel``): one RunError line when the method or the settings
    cannot train folds together (``common.fold_parallel.refusal``), or when N folds (at most as many as there
    are) would not fit in the memory free now (``common.fold_parallel.fold_bytes``, from the network of
    ``training_stages`` and the largest training part)."""
    train = getattr(config, "train", None)
    n = int(getattr(train, "fold_parallel", 1) or 1)
    if n <= 1:
        return
    from common import fold_parallel

    where = f"--fold-parallel {n}: experiment {paper_id}/{experiment.name}"
    refused = fold_parallel.refusal(has_fold_fit=experiment.fold_fit is not None, train=train)
    if refused:
        raise RunError(f"{where}: {refused}")
    if not folds or experiment.training_stages is None:
        return
    largest = max(folds, key=lambda f: len(f.train))
    stages = list(experiment.training_stages(config, selection, largest))
    if len(stages) != 1:
        raise RunError(f"{where}: a fold trains {len(stages)} networks; fold-parallel training takes one")
    stage = stages[0]
    per_fold = fold_parallel.fold_bytes(stage.build(), stage.samples, stage.batch_size)
    problem = fold_parallel.memory_refusal(per_fold, min(n, len(folds)))
    if problem:
        raise RunError(f"{where}: {problem}")


def check_weights(paper_id: str, experiment: Experiment, config: Any, selection: Selection,
                  folds: list[Fold]) -> None:
    """``--weights DIR`` (``TrainConfig.weights``): one RunError line when the method cannot take released
    weights (no ``Experiment.released_weights``), or when its check of the folder finds a problem (a fold's
    file missing, unreadable, of another network, or a profile whose network is not the one they fit)."""
    folder = getattr(getattr(config, "train", None), "weights", "")
    if not folder:
        return
    where = f"experiment {paper_id}/{experiment.name}"
    if experiment.released_weights is None:
        raise RunError(f"--weights {folder}: {where} cannot evaluate released weights (only a method that declares "
                       "how it reads its authors' files takes them; docs/running.md, \"Real data\")")
    if not Path(folder).is_dir():
        raise RunError(f"--weights {folder}: no such folder (expected one file of weights per left-out subject)")
    problem = experiment.released_weights(config, selection, folds, Path(folder))
    if problem:
        raise RunError(f"--weights {folder}: {where}: {problem}")
