"""One fold of a run, computed and stored: what the runner's loop (``common.running.runner``), a worker process
or a Dask worker (``common.orchestration.parallel``) and ``--fold-parallel N`` (``common.fold_parallel``) all
do the same way. A fold's checks before training (empty, one class), its seed, the method's ``run_fold`` (or
``fold_fit`` for folds trained together), the checks of what it returned (``failed``, ``nan``), its record
(schema: ``common.evaluation.records``) written atomically, and its log line.
"""
from __future__ import annotations

import dataclasses
import datetime
import logging
import time
import traceback
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from common.environment import peak_rss_mb, trained_on
from common.errors import RunError
from common.evaluation import metrics as metrics_module
from common.evaluation.epoch_selection import selected_on_test
from common.evaluation.records import FOLD_STATUSES, FOLD_SCHEMA, jsonable
from common.experiment import Experiment, Fold, FoldContext, FoldOutcome, Selection
from common.files import write_json_atomic, write_remedy, write_text_atomic
from common.preprocessing.cache import STATS as CACHE_STATS
from common.progress import EpochProgress, duration
from common.preprocessing.cache import default_root as stages_root
from common.preprocessing.cache import stats_delta
from common.running.fold import training_class_problem

logger = logging.getLogger(__name__)


def write_output(write: Callable[..., Any], path: Path, *args: Any) -> None:
    """``write(path, *args)``; a failure (disk full, folder made read-only mid-run) is one RunError line."""
    try:
        write(path, *args)
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}; {write_remedy(exc, path)}") from None


def check_outcome(outcome: Any, fold, n_classes: int) -> str:
    """Why ``outcome`` cannot be stored, or ``""`` when it is fine."""
    if not isinstance(outcome, FoldOutcome):
        return f"run_fold returned {type(outcome).__name__}, expected FoldOutcome"
    if outcome.status not in FOLD_STATUSES:
        return f"run_fold returned status {outcome.status!r}, expected one of {FOLD_STATUSES}"
    if outcome.status in ("empty", "failed", "refused") and len(outcome.y_pred) == 0:
        return ""
    test = np.asarray(outcome.test_indices, dtype=int)
    if sorted(test.tolist()) != sorted(np.asarray(fold.test).tolist()):
        return "run_fold's test_indices are not the fold's test samples"
    y_pred = np.asarray(outcome.y_pred)
    if y_pred.shape != (len(test),):
        return f"run_fold returned {y_pred.shape} predictions for {len(test)} test samples"
    if len(y_pred) and (y_pred.min() < 0 or y_pred.max() >= n_classes):
        return f"run_fold predicted a class outside 0..{n_classes - 1}"
    if outcome.probabilities is not None and np.shape(outcome.probabilities) != (len(test), n_classes):
        return (f"run_fold's probabilities have shape {np.shape(outcome.probabilities)}, "
                f"expected {(len(test), n_classes)}")
    return ""


def nan_reason(history: Mapping[str, Any], probabilities: Any = None) -> str:
    """Why a fold's training diverged (a NaN/inf loss in its history, NaN/inf predicted probabilities),
    or ""."""
    for name, values in history.items():
        if "loss" not in name:
            continue
        values = np.asarray([np.nan if v is None else v for v in values], dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            return f"training loss {name!r} became NaN/inf at epoch {bad[0] + 1} (TerminateOnNaN stopped training)"
    if probabilities is not None and not np.all(np.isfinite(np.asarray(probabilities, dtype=float))):
        return "the model predicted NaN/inf probabilities (its weights diverged)"
    return ""


def fold_record(base: Mapping[str, Any], selection: Selection, fold, fingerprint: str, status: str, reason: str,
            seconds: float, outcome: FoldOutcome | None) -> dict:
    record = {"schema": FOLD_SCHEMA, **base, "fold": fold.name, "fingerprint": fingerprint, "status": status,
              "reason": reason, "seconds": round(float(seconds), 3),
              "finished": datetime.datetime.now().isoformat(timespec="seconds"),
              "n_train": int(len(fold.train)), "n_test": int(len(fold.test)),
              "test_indices": [], "keys": [], "datasets": [], "subjects": [], "y_true": [], "y_pred": [],
              "probabilities": None, "history": {}, "parameters": {}, "extra": {}}
    if outcome is not None:
        record.update(history=dict(outcome.history), parameters=dict(outcome.parameters), extra=dict(outcome.extra),
                      seconds_by_fold=float(outcome.seconds))
        if len(outcome.y_pred):
            test = np.asarray(outcome.test_indices, dtype=int)
            record.update(test_indices=test.tolist(), y_pred=np.asarray(outcome.y_pred, dtype=int).tolist(),
                          y_true=np.asarray(selection.labels)[test].astype(int).tolist(),
                          keys=[selection.samples[i].key for i in test],
                          datasets=[selection.samples[i].dataset for i in test],
                          subjects=[selection.samples[i].subject for i in test],
                          probabilities=None if outcome.probabilities is None
                          else np.asarray(outcome.probabilities, dtype=float).tolist())
    return jsonable(record)


def _run_one_fold(experiment: Experiment, ctx: FoldContext, n_classes: int) -> tuple[str, str, FoldOutcome | None]:
    """(status, reason, outcome) of one fold; exceptions become status "failed" (not Ctrl-C)."""
    from common.training import set_seed

    fold = ctx.fold
    before = _before_training(ctx)
    if before:
        return before[0], before[1], None
    set_seed(ctx.seed)
    try:
        outcome = experiment.run_fold(ctx)
    except Exception as exc:  # recorded, the run goes on; KeyboardInterrupt is not an Exception
        return "failed", _failure(ctx, exc), None
    return _checked(outcome, fold, n_classes)


def _before_training(ctx: FoldContext) -> tuple[str, str] | None:
    """(status, reason) of a fold that is not trained (no training or test sample; one class), else None."""
    fold = ctx.fold
    if len(fold.test) == 0 or len(fold.train) == 0:
        return "empty", f"fold has {len(fold.train)} training and {len(fold.test)} test samples"
    one_class = training_class_problem(ctx.selection, fold.train)  # every method, never per classifier
    if one_class:
        return "refused", one_class
    return None


def _failure(ctx: FoldContext, exc: Exception) -> str:
    """The reason of a fold that raised ``exc``, its traceback written to ``folds/<fold>/error.txt``."""
    reason = f"{type(exc).__name__}: {exc}"
    try:
        write_text_atomic(ctx.work_dir / "error.txt", traceback.format_exc())
    except OSError as write_error:  # the handler must not fail in turn: the reason is in the fold record
        reason += f" (error.txt not written: {write_error.strerror or write_error})"
    return reason


def _checked(outcome: Any, fold, n_classes: int) -> tuple[str, str, FoldOutcome | None]:
    """(status, reason, outcome) of a fold's returned outcome: "failed" when it cannot be stored, "nan" when
    its loss or probabilities are not finite."""
    problem = check_outcome(outcome, fold, n_classes)
    if problem:
        return "failed", problem, None
    status, reason = outcome.status, outcome.reason
    if status == "ok":
        nan = nan_reason(outcome.history, outcome.probabilities)
        if nan:
            status, reason = "nan", nan
    return status, reason, outcome


@dataclasses.dataclass(frozen=True)
class FoldJob:
    """One fold to compute, with everything :func:`compute_fold` needs besides the experiment.

    Plain data (picklable): ``common.orchestration.parallel`` hands it to a worker process or a Dask
    worker, which computes the same fold as the sequential loop (same fingerprint, seed, config,
    selection and fold) and writes the same fold file.
    """

    tag: str  # "[paper/experiment]", for log lines
    selection: Selection  # after the checks (screen_selection)
    fold: Fold
    config: Any  # the effective config
    profile: str
    seed: int
    # the fold record's run-wide keys (paper, experiment, profile, seed, config_hash, data_root)
    base: Mapping[str, Any]
    fingerprint: str
    folds_dir: Path
    position: int  # 1-based, among ``total`` folds (log lines)
    total: int
    record_epochs: bool = True  # FoldContext.record_epochs: the epoch-selection gauge's record
    synthetic: bool = False  # the synthetic corpus: said on each fold's log line beside its scores

    @property
    def path(self) -> Path:
        return self.folds_dir / f"{self.fold.name}.json"

    @property
    def work_dir(self) -> Path:
        return self.folds_dir / self.fold.name

    @property
    def label(self) -> str:
        return f"{self.tag} fold {self.position}/{self.total} {self.fold.name}"


# ``fold_runner(jobs) -> {fold name: record}``: computes folds elsewhere (common.orchestration.parallel)
FoldRunner = Callable[[Sequence[FoldJob]], Mapping[str, dict]]


def compute_fold(experiment: Experiment, job: FoldJob) -> dict:
    """Run one fold and write its fold file atomically; returns the record (schema: ``common.evaluation.records``).

    The body of the runner's loop, and what a worker process or Dask worker runs
    (``common.orchestration.parallel.run_one_fold``): one code path, so a fold computed elsewhere is
    the fold the sequential run computes. A fold that raises is recorded ``failed`` (its traceback
    in ``folds/<fold>/error.txt``); Ctrl-C propagates with nothing written.
    """
    from common.training import released_fold_graphs  # Keras only once a fold runs

    ctx = FoldContext(selection=job.selection, fold=job.fold, config=job.config, profile=job.profile, seed=job.seed,
                      work_dir=job.work_dir, cache_dir=stages_root(), record_epochs=job.record_epochs)
    t0 = time.perf_counter()
    cache_before = CACHE_STATS.snapshot()
    with released_fold_graphs():  # the fold's graphs and weights freed after it (common.training)
        status, reason, outcome = _run_one_fold(experiment, ctx, len(job.selection.class_names))
    record = fold_record(job.base, job.selection, job.fold, job.fingerprint, status, reason, time.perf_counter() - t0,
                     outcome)
    record.update(_measured(cache_before))
    write_output(write_json_atomic, job.path, jsonable(record))
    return record


def _measured(cache_before: Any) -> dict[str, Any]:
    """What a fold record holds of the process that computed it: the benchmark's cost columns (this fold's
    preprocessing cache activity since ``cache_before``, the process's peak memory) and the device and backend
    that trained it."""
    return {"cache": stats_delta(cache_before, CACHE_STATS.snapshot()), "max_rss_mb": peak_rss_mb(),
            "trained_on": trained_on()}


def compute_folds_together(experiment: Experiment, jobs: Sequence[FoldJob], group: int) -> dict[str, dict]:
    """``--fold-parallel N`` (``TrainConfig.fold_parallel``): the folds of ``jobs`` in groups of ``group``, each
    group's networks trained as one computation (``common.fold_parallel``); ``{fold name: record}``, each
    fold's file written as :func:`compute_fold` writes it.

    Per fold, in its order: the checks of :func:`compute_fold`, its seed, the method's ``fold_fit(ctx)`` (its
    inputs and compiled network) and what its training draws before the first step
    (``common.fold_parallel.prepare``); then the group trains; then each fold finishes as the sequential fold
    does (``FoldTraining.finish``: the prediction, the outcome). A fold's ``seconds``: its own preparation
    and finish, plus its share of the group's training; ``extra["fold_parallel"]``: the group's size and
    training seconds. A fold that raises is recorded ``failed``; a group whose training raises records each
    of its folds ``failed``."""
    from common import fold_parallel
    from common.training import released_fold_graphs, set_seed

    records: dict[str, dict] = {}
    n_classes = len(jobs[0].selection.class_names) if jobs else 0

    def store(job: FoldJob, status: str, reason: str, seconds: float, outcome: FoldOutcome | None,
              cache_before: Any, after: str = "", together: dict | None = None) -> None:
        record = fold_record(job.base, job.selection, job.fold, job.fingerprint, status, reason, seconds, outcome)
        record.update(_measured(cache_before))
        if together is not None:  # the group's size and training seconds, and the fold's own
            record["extra"]["fold_parallel"] = together
        write_output(write_json_atomic, job.path, jsonable(record))
        records[job.fold.name] = record
        logger.info(fold_line(job, record, after))

    def run_group(part: Sequence[FoldJob]) -> None:
        ready = []  # (job, ctx, training, prepared fold, seconds so far, cache counts before)
        for job in part:
            ctx = FoldContext(selection=job.selection, fold=job.fold, config=job.config, profile=job.profile,
                              seed=job.seed, work_dir=job.work_dir, cache_dir=stages_root(),
                              record_epochs=job.record_epochs)
            logger.info(f"{job.label}: {len(job.fold.train)} train / {len(job.fold.test)} test")
            t0, cache_before = time.perf_counter(), CACHE_STATS.snapshot()
            before = _before_training(ctx)
            if before:
                store(job, before[0], before[1], time.perf_counter() - t0, None, cache_before)
                continue
            set_seed(ctx.seed)
            try:
                training = experiment.fold_fit(ctx)  # type: ignore[misc]  # checked before the run (preflight)
                prepared = fold_parallel.prepare(training)
            except Exception as exc:  # recorded, the group goes on without it
                store(job, "failed", _failure(ctx, exc), time.perf_counter() - t0, None, cache_before)
                continue
            ready.append((job, ctx, training, prepared, time.perf_counter() - t0, cache_before))
        if not ready:
            return
        names = ", ".join(r[0].fold.name for r in ready)
        tag, epochs = ready[0][0].tag, ready[0][2].train.epochs
        logger.info(f"{tag} training {len(ready)} folds together ({names})")
        fit_started = time.perf_counter()
        progress = EpochProgress(f"{tag} {len(ready)} folds together", epochs, logger=logger)
        try:
            histories: list[Any] = fold_parallel.train_together([r[3] for r in ready], epochs, progress)
        except Exception as exc:  # recorded for each fold of the group, the run goes on; not Ctrl-C
            for job, ctx, _, _, seconds, cache_before in ready:
                store(job, "failed", _failure(ctx, exc), seconds + time.perf_counter() - fit_started, None,
                      cache_before)
            return
        together = time.perf_counter() - fit_started
        share = together / len(ready)
        for (job, ctx, training, _, seconds, cache_before), history in zip(ready, histories):
            finish_started = time.perf_counter()
            timing = {"folds": len(ready), "fit_seconds": round(together, 4)}
            try:
                outcome = training.finish(history, inputs_seconds=seconds, fit_seconds=share,
                                          extra={"fold_parallel": dict(timing)})
                status, reason, checked = _checked(outcome, job.fold, n_classes)
            except Exception as exc:  # recorded, the group's other folds go on; not Ctrl-C
                status, reason, checked = "failed", _failure(ctx, exc), None
            own = seconds + time.perf_counter() - finish_started
            # its own time (preparation and finish) and the group's training, both in the record: its
            # ``seconds`` add its share of the training, so that the folds' seconds sum to the run's
            store(job, status, reason, own + share, checked, cache_before,
                  together={**timing, "own_seconds": round(own, 4)},
                  after=f" ({len(ready)} folds trained together: its own {duration(own)}, the group's training "
                        f"{duration(together)})")

    for part in fold_parallel.groups(jobs, group):
        with released_fold_graphs():  # the group's graphs and weights freed after it (common.training)
            run_group(part)
    return records


def failed_fold_record(job: FoldJob, reason: str, seconds: float) -> dict:
    """The ``failed`` record of a fold whose computation never returned (a worker process that died),
    as the loop records a fold that raised: the reason in the record and in ``folds/<fold>/error.txt``.
    Not written here (the caller stores it); a rerun retries it like any failed fold."""
    try:
        write_text_atomic(job.work_dir / "error.txt", reason + "\n")
    except OSError as exc:
        reason += f" (error.txt not written: {exc.strerror or exc})"
    return fold_record(job.base, job.selection, job.fold, job.fingerprint, "failed", reason, seconds, None)


def released_folder(config: Any) -> str:
    """``train.weights`` (``--weights DIR``): the authors' released weights the folds evaluate, or ""."""
    return str(getattr(getattr(config, "train", None), "weights", "") or "")


def fold_line(job: FoldJob, record: Mapping[str, Any], after: str = "") -> str:
    """The log line of a finished fold: status, its UF1, UAR and accuracy on its own test clips and what they are
    beyond a held-out training of ours (the synthetic corpus; the authors' weights, not trained; an epoch picked on
    the test clips), its time, then ``after`` and the reason. The same line whichever process computed the fold."""
    score = ""
    if record["y_pred"]:
        s = metrics_module.scores(record["y_true"], record["y_pred"], len(job.selection.class_names))
        marks = ["SYNTHETIC corpus"] * job.synthetic
        marks += ["the authors' weights, not trained here"] * bool(released_folder(job.config))
        marks += ["SELECTED ON THE TEST DATA"] * bool(selected_on_test([record]))
        score = (f" uf1={s['uf1']:.3f} uar={s['uar']:.3f} acc={s['accuracy']:.3f} on its {len(record['y_pred'])} "
                 "test clips" + (f" ({'; '.join(marks)})" if marks else ""))
    excluded = "; not in the metrics" if record["status"] == "nan" else ""
    reason = f" ({record['reason']}{excluded})" if record["reason"] else ""
    return f"{job.label}: {record['status']}{score} in {duration(record['seconds'])}{after}{reason}"
