"""Benchmark statistics from stored per-sample predictions (docs/methods.md §9.2).

Everything here is computed from the arrays the runner stores per test sample (``y_true``,
``y_pred``, ``subjects``, ``datasets``, fold names: fold records or ``predictions.csv``, see
``common.evaluation.records``), and every score is one of ``common.evaluation.metrics``'s
(``scores_from_confusion``: UF1 = macro F1, UAR = macro recall, accuracy), never re-derived here.

One module although it is longer than 600 lines: its five parts (inputs, scores, the bootstrap, the
paired comparison, chance level) form one chain over one data type (:class:`Predictions`), each
using the one before, and the leaderboard and the reports read them together; split, every reader
would import all five.

- :func:`pooled_score` / :func:`fold_mean_score`: the two aggregations of one set of predictions
  (pooled: one confusion matrix over all folds, the MEGC rule; fold mean: the mean of per-fold scores).
- :func:`bootstrap_interval`: 95 % interval of the pooled score by a bootstrap over subjects (a
  cluster bootstrap: resample subjects with replacement, take all their test predictions, recompute
  the pooled score); with several seeds, the crossed subjects x seeds bootstrap (below).
- :func:`seed_summary`: mean and standard deviation of the pooled score over seeds, and the interval.
- :func:`describe`: all of the above for one method, per scope (all, each database) and metric.
- :func:`experiment_intervals`: the interval of every pooled score of one experiment from its fold
  records, as a paper's report prints them (computed by the orchestration before the report).
- :func:`compare` / :func:`pairwise`: paired difference of two methods on the same samples, its
  paired bootstrap interval and a paired permutation p-value; the all-pairs matrix.
- :func:`chance_level`: a label-permutation null of the pooled score (mean and 95 % band).
- :func:`common_samples`: runs (seeds, methods) restricted to the samples every one predicted.

The resampled unit is the subject, identified by ``(dataset, subject)`` so that two databases
using the same subject name stay two subjects. Resampling clips instead would ignore that a
subject's clips are correlated and give intervals that are too narrow (docs/methods.md §9.2).

How it is computed. Each subject's confusion matrix is counted once; a resample's pooled
confusion matrix is then the sum of its drawn subjects' matrices (a subject drawn twice counts
twice), which is exactly the confusion matrix of the concatenated predictions of the drawn
subjects, and the score is ``metrics.scores_from_confusion`` of it (every resample's matrix scored
at once: ``metrics.score_arrays``). The resampling itself is ``scipy.stats.bootstrap``
(``method="percentile"`` by default, as docs/methods.md describes; ``"BCa"``
and ``"basic"`` are passed through) applied to the array of subject indices 0..S-1 with a statistic
that gathers the drawn subjects' matrices, and ``scipy.stats.permutation_test``
(``permutation_type="samples"``) for the paired permutation test. Only the label-permutation null
is a hand-written numpy loop: scipy's ``permutation_test`` cannot permute within strata (databases).

Several seeds (several runs of one method on the same samples) are resampled *crossed*: each
bootstrap resample draws S subjects with replacement and, independently, R seeds with replacement
(the "pigeonhole" bootstrap of a crossed design: every subject is scored under every seed), and
its statistic is the mean over the drawn seeds of each seed's pooled score on the drawn subjects.
The point estimate is the mean over seeds of the pooled score. This keeps both sources of
variance (which subjects, which training randomness) and reduces to the subject bootstrap with
one seed. Pooling all seeds' predictions into one confusion matrix instead would hide the seed
variance; drawing one seed per resample would make the interval rest on single runs.

Every function is seeded (``seed``, default 0) and returns the same numbers for the same inputs.
Bad input (lengths that differ, a sample without a subject, two methods on different samples, a
scope no sample belongs to) raises one ``ValueError`` that says what and where.
"""
from __future__ import annotations

import csv
import dataclasses
import inspect
import math
import warnings
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
from scipy import stats

from common.files import bounded_lines, open_regular, csv_text
from common.evaluation import metrics

METRICS = metrics.METRICS
METHODS = ("percentile", "basic", "BCa")
WITHIN = ("all", "dataset")
AGAINST = ("labels", "predictions")
DEFAULT_RESAMPLES = 2000


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclasses.dataclass(frozen=True)
class Predictions:
    """One run's per-sample test predictions (one row per test sample, all folds together).

    ``datasets`` holds one database name per sample, ``folds`` one fold name per sample (or
    None when unknown: then there is no fold mean), ``keys`` the sample keys (or None).
    ``source`` names where they came from (a file, a method) in error messages.
    Build it with :func:`make_predictions`, :func:`from_records` or :func:`read_predictions_csv`,
    which check it.
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    subjects: np.ndarray
    datasets: np.ndarray
    folds: np.ndarray | None = None
    keys: np.ndarray | None = None
    source: str = "predictions"

    def __len__(self) -> int:
        return len(self.y_true)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def make_predictions(y_true: Sequence[int], y_pred: Sequence[int], subjects: Sequence[str],
                     datasets: Sequence[str] | None = None, folds: Sequence[str] | None = None,
                     keys: Sequence[str] | None = None, source: str = "predictions") -> Predictions:
    """Checked :class:`Predictions` from per-sample sequences of one length.

    ``datasets=None`` puts every sample in one database named ``""`` (then only scope ``"all"``
    exists). Raises ``ValueError`` when the lengths differ, there is no sample, a label is not an
    integer, or a sample has no subject (None, NaN or empty): the subject is the bootstrap's unit.
    """
    n = len(y_true)
    columns = {"y_pred": y_pred, "subjects": subjects, "datasets": datasets, "folds": folds, "keys": keys}
    for name, column in columns.items():
        if column is not None and len(column) != n:
            raise ValueError(f"{source}: y_true has {n} entries but {name} has {len(column)}; expected one per sample")
    if n == 0:
        raise ValueError(f"{source}: no predictions (expected at least one test sample)")
    arrays = {}
    for name, column in (("y_true", y_true), ("y_pred", y_pred)):
        values = np.asarray(column)
        if values.dtype.kind not in "iu":
            if values.dtype.kind == "f" and np.all(np.isfinite(values)) and np.all(values == np.round(values)):
                values = values.astype(int)
            else:
                raise ValueError(f"{source}: {name} holds values that are not integer class ids")
        arrays[name] = values.astype(int)
    bad = [i for i, s in enumerate(subjects) if _missing(s)]
    if bad:
        where = f"key {keys[bad[0]]!r}" if keys is not None else f"row {bad[0]}"
        raise ValueError(f"{source}: {len(bad)} sample(s) have no subject (first: {where}); "
                         "every sample needs its subject, the unit the bootstrap resamples")
    return Predictions(
        y_true=arrays["y_true"], y_pred=arrays["y_pred"],
        subjects=np.asarray([str(s) for s in subjects]),
        datasets=np.asarray([str(d) for d in datasets]) if datasets is not None else np.full(n, ""),
        folds=np.asarray([str(f) for f in folds]) if folds is not None else None,
        keys=np.asarray([str(k) for k in keys]) if keys is not None else None,
        source=source)


def scored_records(records: Iterable[Mapping[str, Any]], nan_folds: str = "exclude") -> list[Mapping[str, Any]]:
    """The fold records ``metrics.aggregate`` scores, in their order: status in ``metrics.SCORED_STATUSES``
    (plus ``"nan"`` with ``nan_folds="include"``) and predictions."""
    if nan_folds not in metrics.NAN_FOLDS:
        raise ValueError(f"nan_folds={nan_folds!r}: expected one of {metrics.NAN_FOLDS}")
    statuses = metrics.SCORED_STATUSES + (("nan",) if nan_folds == "include" else ())
    return [r for r in records if r.get("status") in statuses and r.get("y_pred")]


def from_records(records: Iterable[Mapping[str, Any]], nan_folds: str = "exclude",
                 source: str = "fold records") -> Predictions:
    """:class:`Predictions` of the fold records that ``metrics.aggregate`` counts.

    A record is the runner's fold record (``fold``/``name``, ``status``, ``y_true``, ``y_pred``,
    ``subjects``, ``datasets``, optional ``keys``). Records with status in
    ``metrics.SCORED_STATUSES`` (plus ``"nan"`` with ``nan_folds="include"``) and predictions count,
    as in ``metrics.aggregate``, so the pooled score here equals its pooled score.
    """
    columns: dict[str, list] = {"y_true": [], "y_pred": [], "subjects": [], "datasets": [], "folds": [], "keys": []}
    with_keys = True
    for record in scored_records(records, nan_folds):
        name = str(record.get("name", record.get("fold")))
        n = len(record["y_pred"])
        for column in ("y_true", "subjects", "datasets"):
            values = record.get(column)
            if values is None or len(values) != n:
                got = "none" if values is None else len(values)
                raise ValueError(f"{source}: fold {name!r} has {n} predictions but {got} {column}")
        columns["y_true"] += list(record["y_true"])
        columns["y_pred"] += list(record["y_pred"])
        columns["subjects"] += list(record["subjects"])
        columns["datasets"] += list(record["datasets"])
        columns["folds"] += [name] * n
        with_keys = with_keys and record.get("keys") is not None and len(record["keys"]) == n
        columns["keys"] += list(record.get("keys") or [])
    return make_predictions(columns["y_true"], columns["y_pred"], columns["subjects"], columns["datasets"],
                            columns["folds"], columns["keys"] if with_keys else None, source)


PREDICTION_COLUMNS = ("fold", "key", "dataset", "subject", "y_true", "y_pred", "status")
PREDICTION_ROWS = 100_000  # the most rows a predictions file may hold (common.evaluation.outside's bound too)
PREDICTION_HEADER_CELLS = 1_000  # its columns: the runner writes 11 and one probability a class


def read_prediction_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a runner's ``predictions.csv`` as written (``{column: cell}``, each cell's text as
    ``common.files.csv_text`` reads it; a row shorter than the header holds ``None``); ``ValueError`` naming the
    file when it cannot be read or lacks a column of :data:`PREDICTION_COLUMNS`."""
    try:
        with open_regular(path, newline="", encoding="utf-8", errors="surrogateescape") as handle:
            reader = csv.DictReader(bounded_lines(handle))
            if len(reader.fieldnames or ()) > PREDICTION_HEADER_CELLS:
                raise ValueError(f"a header of more than {PREDICTION_HEADER_CELLS:,} columns")
            rows: list[dict[str, Any]] = []
            for row in reader:
                if None in row:  # csv.DictReader keeps a row's cells beyond the header under None
                    raise ValueError(f"line {reader.line_num} holds more cells than the header")
                if len(rows) >= PREDICTION_ROWS:
                    raise ValueError(f"more than {PREDICTION_ROWS:,} rows; no corpus this suite scores holds as many "
                                     "clips")
                rows.append({k: csv_text(v) if isinstance(v, str) else v for k, v in row.items()})
            header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:  # ValueError: a line too long, too many rows
        raise ValueError(f"{path}: cannot be read as predictions.csv ({exc})") from None
    missing = [c for c in PREDICTION_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"{path}: columns {missing} are missing; expected the runner's predictions.csv "
                         f"with {', '.join(PREDICTION_COLUMNS)}")
    return rows


def read_predictions_csv(path: str | Path, nan_folds: str = "exclude") -> Predictions:
    """:class:`Predictions` from a runner's ``predictions.csv`` (rows of diverged folds, status
    ``nan``, left out unless ``nan_folds="include"``, as in ``metrics.aggregate``).

    Raises ``ValueError`` naming the file when it cannot be read, lacks a column, or holds a
    label that is not an integer.
    """
    return predictions_of_rows(read_prediction_rows(path), path, nan_folds)


def predictions_of_rows(rows: Sequence[Mapping[str, Any]], path: str | Path,
                        nan_folds: str = "exclude") -> Predictions:
    """:func:`read_predictions_csv` of the rows :func:`read_prediction_rows` read from ``path`` (for a reader that
    also looks at the rows themselves, so the file is read once)."""
    if nan_folds not in metrics.NAN_FOLDS:
        raise ValueError(f"nan_folds={nan_folds!r}: expected one of {metrics.NAN_FOLDS}")
    statuses = metrics.SCORED_STATUSES + (("nan",) if nan_folds == "include" else ())
    rows = [r for r in rows if r["status"] in statuses]
    try:
        y_true = [int(r["y_true"]) for r in rows]
        y_pred = [int(r["y_pred"]) for r in rows]
    except (TypeError, ValueError):
        raise ValueError(f"{path}: y_true/y_pred hold a value that is not an integer class id") from None
    return make_predictions(y_true, y_pred, [r["subject"] for r in rows], [r["dataset"] for r in rows],
                            [r["fold"] for r in rows], [r["key"] for r in rows], source=str(path))


def select(predictions: Predictions, scope: str = "all") -> Predictions:
    """The predictions of one scope: ``"all"``, or the test samples of one database."""
    if scope == "all":
        return predictions
    mask = predictions.datasets == scope
    if not mask.any():
        present = sorted(set(predictions.datasets.tolist()))
        raise ValueError(f"{predictions.source}: no sample of database {scope!r}; present: {present}")
    return subset(predictions, mask)


def subset(predictions: Predictions, mask: np.ndarray) -> Predictions:
    """The samples of ``predictions`` where ``mask`` (one bool a sample) is True, every column cut alike."""
    return dataclasses.replace(
        predictions, y_true=predictions.y_true[mask], y_pred=predictions.y_pred[mask],
        subjects=predictions.subjects[mask], datasets=predictions.datasets[mask],
        folds=None if predictions.folds is None else predictions.folds[mask],
        keys=None if predictions.keys is None else predictions.keys[mask])


def common_samples(runs: Sequence[Predictions]) -> tuple[list[Predictions], int]:
    """The runs restricted to the samples (by key) that every run predicted, each in the first run's
    order, and how many samples of the union were left out. Paired statistics need the same
    samples: when a fold failed in one run (one seed, one method), its samples leave every run.

    Needs keys (``ValueError`` otherwise) and at most one prediction per key in each run. Runs that
    already hold the same keys in the same order come back unchanged, with 0 left out.
    """
    runs = list(runs)
    if not runs:
        raise ValueError("no run given (expected a sequence of Predictions)")
    keys: list[np.ndarray] = []  # each run's keys, checked once
    for run in runs:
        if run.keys is None:
            raise ValueError(f"{run.source}: no sample keys; aligning runs on their common samples needs them")
        listed = run.keys.tolist()
        if len(set(listed)) != len(run):
            seen, twice = set(), None
            for key in listed:
                if key in seen:
                    twice = key
                    break
                seen.add(key)
            raise ValueError(f"{run.source}: sample {twice!r} is predicted twice; expected one prediction per sample")
        keys.append(run.keys)
    if all(np.array_equal(run_keys, keys[0]) for run_keys in keys[1:]):
        return runs, 0
    shared = set(keys[0].tolist())
    union = set(shared)
    for run_keys in keys[1:]:
        shared &= set(run_keys.tolist())
        union |= set(run_keys.tolist())
    order = [k for k in keys[0].tolist() if k in shared]
    if not order:
        raise ValueError(f"{', '.join(r.source for r in runs)}: no sample is predicted by every run")
    aligned = []
    for run, run_keys in zip(runs, keys):
        position = {key: i for i, key in enumerate(run_keys.tolist())}
        index = np.array([position[k] for k in order], dtype=int)
        aligned.append(dataclasses.replace(
            run, y_true=run.y_true[index], y_pred=run.y_pred[index], subjects=run.subjects[index],
            datasets=run.datasets[index], folds=None if run.folds is None else run.folds[index], keys=run_keys[index]))
    return aligned, len(union) - len(order)


def subject_units(predictions: Predictions) -> tuple[np.ndarray, list[str]]:
    """``(unit index per sample, unit names)``: the resampled units, one per ``(dataset, subject)``,
    named ``"dataset/subject"`` (just ``subject`` when the database is unnamed), in sorted order."""
    names = np.asarray([f"{d}/{s}" if d else s for d, s in zip(predictions.datasets, predictions.subjects)])
    units, index = np.unique(names, return_inverse=True)
    return index.reshape(-1), units.tolist()


# ---------------------------------------------------------------------------------------------
# Scores


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r}: expected one of {METRICS}")


def _as_runs(runs: Predictions | Sequence[Predictions], scope: str) -> list[Predictions]:
    """A list of runs (seeds) on the same samples, each restricted to ``scope``."""
    runs = [runs] if isinstance(runs, Predictions) else list(runs)
    if not runs:
        raise ValueError("no run given (expected Predictions or a sequence of them, one per seed)")
    runs = [select(r, scope) for r in runs]
    for other in runs[1:]:
        _check_same_samples(runs[0], other)
    return runs


def _check_same_samples(a: Predictions, b: Predictions) -> None:
    """``ValueError`` unless ``a`` and ``b`` hold the same samples (subjects, databases, labels,
    and keys/folds where both have them) in the same order, as paired statistics need."""
    if len(a) != len(b) or not np.array_equal(a.subjects, b.subjects) or not np.array_equal(a.datasets, b.datasets):
        units_a, units_b = set(subject_units(a)[1]), set(subject_units(b)[1])
        detail = "".join(f"; subjects only in {x.source}: {sorted(only)[:5]}"
                         for x, only in ((a, units_a - units_b), (b, units_b - units_a)) if only)
        raise ValueError(f"{b.source} ({len(b)} samples) is not on the same samples as {a.source} "
                         f"({len(a)} samples){detail}; paired statistics need the same folds, samples and order")
    fields = [("y_true", a.y_true, b.y_true)]
    fields += [(name, getattr(a, name), getattr(b, name)) for name in ("keys", "folds")
               if getattr(a, name) is not None and getattr(b, name) is not None]
    for name, left, right in fields:
        differ = np.flatnonzero(left != right)
        if differ.size:
            i = int(differ[0])
            # .item(): the plain values (1, 'f0'), not numpy's np.int64(1), np.str_('f0')
            raise ValueError(f"{b.source} is not on the same samples as {a.source}: {name} differs first at "
                             f"row {i} ({left[i].item()!r} vs {right[i].item()!r}); paired statistics need the same "
                             "folds, samples and order")


def _label_positions(predictions: Predictions, labels: int | Sequence[Any]) -> tuple[np.ndarray, np.ndarray, int]:
    """``(y_true, y_pred)`` as positions 0..K-1 in the class list, and K. The class check is
    ``metrics.confusion``'s (a label outside the classes raises its ValueError)."""
    ids = metrics.label_ids(labels)
    try:
        metrics.confusion(predictions.y_true, predictions.y_pred, ids)  # validates the labels
    except ValueError as exc:
        raise ValueError(f"{predictions.source}: {exc}") from None
    lookup = np.full(max(ids) + 1, -1, dtype=int)
    lookup[ids] = np.arange(len(ids))
    return lookup[predictions.y_true], lookup[predictions.y_pred], len(ids)


def _confusions(groups: np.ndarray, n_groups: int, y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """(n_groups, K, K) confusion matrices (rows true, columns predicted) of the samples of each
    group, counted with ``np.bincount`` (equal to ``metrics.confusion`` per group; tested)."""
    codes = (groups * k + y_true) * k + y_pred
    return np.bincount(codes, minlength=n_groups * k * k).reshape(n_groups, k, k)


def _scores(matrices: np.ndarray, metric: str, absent: str) -> np.ndarray:
    """``metrics.scores_from_confusion(m)[metric]`` for every (K, K) matrix of ``matrices``, at once."""
    return metrics.score_arrays(matrices, absent)[metric]


def _subject_tables(runs: list[Predictions], labels, absent: str) -> tuple[np.ndarray, list[str]]:
    """(R, S, K, K): every run's per-subject confusion matrices, and the subject names."""
    units, names = subject_units(runs[0])
    tables = []
    for run in runs:
        t, p, k = _label_positions(run, labels)
        tables.append(_confusions(units, len(names), t, p, k))
    return np.stack(tables), names


def _gather(indices: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Pooled confusion matrices of resampled units: ``indices`` (..., n) index the second axis of
    ``table`` (R, M, K, K); returns (..., R, K, K), the sum of the drawn units' matrices (with
    repetition) per run. Done with counts so memory stays (resamples x units)."""
    indices = np.asarray(indices).astype(int)
    lead, n = indices.shape[:-1], indices.shape[-1]
    flat = indices.reshape(-1, n)
    m = table.shape[1]
    counts = np.bincount((flat + m * np.arange(len(flat))[:, None]).ravel(), minlength=len(flat) * m)
    counts = counts.reshape(len(flat), m)
    pooled = np.einsum("bm,rmkl->brkl", counts, table)
    return pooled.reshape(lead + pooled.shape[1:])


def pooled_score(predictions: Predictions, labels: int | Sequence[Any], metric: str = "uf1",
                 scope: str = "all", absent: str = "exclude") -> float:
    """The pooled score: ``metric`` of one confusion matrix over all predictions of ``scope``
    (all folds together; MEGC's rule, ``metrics.aggregate``'s ``"pooled"``)."""
    _check_metric(metric)
    p = select(predictions, scope)
    return float(metrics.scores(p.y_true, p.y_pred, labels, absent)[metric])


def fold_mean_score(predictions: Predictions, labels: int | Sequence[Any], metric: str = "uf1",
                    scope: str = "all", absent: str = "exclude") -> float:
    """The fold mean: the mean over folds holding a sample of ``scope`` of each fold's own
    ``metric`` (``metrics.aggregate``'s ``"fold_mean"``). Needs fold names (``ValueError`` otherwise)."""
    _check_metric(metric)
    p = select(predictions, scope)
    if p.folds is None:
        raise ValueError(f"{p.source}: no fold names, so no fold mean (the pooled score needs none)")
    names = list(dict.fromkeys(p.folds.tolist()))  # the folds in the order they first appear, as the mean adds them
    order = {name: i for i, name in enumerate(names)}
    t, y, k = _label_positions(p, labels)
    per_fold = _scores(_confusions(np.array([order[f] for f in p.folds.tolist()], dtype=int), len(names), t, y, k),
                       metric, absent)
    return float(np.mean(per_fold))


# ---------------------------------------------------------------------------------------------
# Bootstrap over subjects (and seeds)


@dataclasses.dataclass(frozen=True)
class Interval:
    """A bootstrap interval of a pooled score.

    ``estimate``: the pooled score (mean over seeds of the pooled scores with several runs);
    ``low``/``high``: the ``level`` interval; ``standard_error``: the standard deviation of the
    bootstrap distribution; ``n_subjects``/``n_runs``: resampled units; ``unit``: what was resampled.
    """

    metric: str
    scope: str
    estimate: float
    low: float
    high: float
    level: float
    standard_error: float
    method: str
    n_resamples: int
    seed: int
    n_subjects: int
    n_runs: int
    unit: str
    aggregation: str = "pooled"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return dataclasses.asdict(self)


def _seeded(seed: int) -> dict[str, np.random.Generator]:
    """scipy's keyword for a seeded generator: ``rng`` (scipy >= 1.15), else ``random_state``
    (pyproject allows scipy >= 1.11)."""
    keyword = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"
    return {keyword: np.random.default_rng(seed)}


def _check_resampling(n_resamples: int, level: float, method: str) -> None:
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise ValueError(f"n_resamples={n_resamples!r}: expected a positive integer")
    if not 0 < level < 1:
        raise ValueError(f"level={level!r}: expected a confidence level between 0 and 1, e.g. 0.95")
    if method not in METHODS:
        raise ValueError(f"method={method!r}: expected one of {METHODS}")


def _bootstrap(statistic, n_subjects: int, n_runs: int, n_resamples: int, level: float, method: str, seed: int):
    """``(low, high, standard error)`` of ``scipy.stats.bootstrap`` over subject indices 0..S-1
    and, with several runs, run indices 0..R-1 resampled independently (``paired=False``: the
    crossed design). ``statistic(subjects, runs)`` receives index arrays of shape (..., S) and
    (..., R) (``runs`` is None with one run)."""
    if n_subjects < 2:
        raise ValueError(f"{n_subjects} subject: a bootstrap over subjects needs at least two")
    subjects = np.arange(n_subjects)
    data: tuple[np.ndarray, ...]
    vectorised: Callable[..., Any]
    if n_runs > 1:
        data = (subjects, np.arange(n_runs))
        vectorised = lambda s, r, axis=-1: statistic(s, r)  # noqa: E731 (scipy passes axis=-1)
    else:
        data = (subjects,)
        vectorised = lambda s, axis=-1: statistic(s, None)  # noqa: E731
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = stats.bootstrap(data, vectorised, n_resamples=n_resamples, vectorized=True, paired=False,
                                 confidence_level=level, method=method, **_seeded(seed))
    distribution = np.asarray(result.bootstrap_distribution)
    if np.ptp(distribution) == 0:
        # Every resample gives the same value (e.g. a perfect predictor): the interval is that
        # value for every method (scipy's BCa would return NaN with a DegenerateDataWarning).
        return float(distribution.flat[0]), float(distribution.flat[0]), float(result.standard_error)
    for warning in caught:
        warnings.warn(warning.message, warning.category, stacklevel=3)
    interval = result.confidence_interval
    return float(interval.low), float(interval.high), float(result.standard_error)


def _run_means(pooled: np.ndarray, runs: np.ndarray | None) -> np.ndarray:
    """Mean over the drawn runs: ``pooled`` (..., R) scores per run, ``runs`` (..., R') drawn run
    indices (None: all runs once)."""
    if runs is None:
        return pooled.mean(axis=-1)
    return np.take_along_axis(pooled, np.asarray(runs).astype(int), axis=-1).mean(axis=-1)


def bootstrap_interval(runs: Predictions | Sequence[Predictions], labels: int | Sequence[Any],
                       metric: str = "uf1", scope: str = "all", *, n_resamples: int = DEFAULT_RESAMPLES,
                       level: float = 0.95, method: str = "percentile", seed: int = 0,
                       absent: str = "exclude") -> Interval:
    """Bootstrap interval of the pooled ``metric`` over subjects (one run) or over subjects and
    seeds crossed (several runs of one method on the same samples: see the module docstring).

    Each of ``n_resamples`` resamples draws the scope's S subjects with replacement (and R seeds
    with replacement), pools all test predictions of the drawn subjects (a subject drawn twice
    counts twice) and recomputes the pooled score (the mean over the drawn seeds of each seed's
    pooled score). The interval is the ``(1 - level)/2`` and ``(1 + level)/2`` percentiles of these
    (``method="percentile"``; scipy's ``"basic"`` and ``"BCa"`` on request). A perfect predictor
    scores 1 in every resample, so its interval is exactly [1, 1]. Needs at least two subjects.
    """
    _check_metric(metric)
    _check_resampling(n_resamples, level, method)
    runs = _as_runs(runs, scope)
    table, names = _subject_tables(runs, labels, absent)  # (R, S, K, K)

    def statistic(subjects, drawn_runs):
        return _run_means(_scores(_gather(subjects, table), metric, absent), drawn_runs)

    estimate = float(_scores(table.sum(axis=1), metric, absent).mean())
    low, high, standard_error = _bootstrap(statistic, len(names), len(runs), n_resamples, level, method, seed)
    unit = "subjects" if len(runs) == 1 else "subjects x seeds (crossed)"
    return Interval(metric=metric, scope=scope, estimate=estimate, low=low, high=high, level=level,
                    standard_error=standard_error, method=method, n_resamples=n_resamples,
                    seed=seed, n_subjects=len(names), n_runs=len(runs), unit=unit,
                    aggregation="pooled" if len(runs) == 1 else "pooled, mean over seeds")


@dataclasses.dataclass(frozen=True)
class SeedSummary:
    """The pooled score of each seed, their mean and standard deviation (``ddof=1``, the sample
    standard deviation; NaN with one seed), and the crossed subjects x seeds interval."""

    metric: str
    scope: str
    per_seed: tuple[float, ...]
    mean: float
    std: float
    interval: Interval

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the interval as a nested dict)."""
        return {"metric": self.metric, "scope": self.scope, "per_seed": list(self.per_seed), "mean": self.mean,
                "std": self.std, "interval": self.interval.to_dict()}


def seed_summary(runs: Sequence[Predictions], labels: int | Sequence[Any], metric: str = "uf1",
                 scope: str = "all", *, n_resamples: int = DEFAULT_RESAMPLES, level: float = 0.95,
                 method: str = "percentile", seed: int = 0, absent: str = "exclude") -> SeedSummary:
    """Mean and standard deviation over seeds of the pooled ``metric`` (one run per seed, all on
    the same samples), with the interval over seeds and subjects together (:func:`bootstrap_interval`)."""
    runs = _as_runs(runs, scope)
    per_seed = tuple(pooled_score(r, labels, metric, "all", absent) for r in runs)
    interval = bootstrap_interval(runs, labels, metric, "all", n_resamples=n_resamples, level=level,
                                  method=method, seed=seed, absent=absent)
    interval = dataclasses.replace(interval, scope=scope)
    std = float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else float("nan")
    return SeedSummary(metric=metric, scope=scope, per_seed=per_seed, mean=float(np.mean(per_seed)), std=std,
                       interval=interval)


def describe(runs: Predictions | Sequence[Predictions], labels: int | Sequence[Any],
             metric_names: Sequence[str] = ("uf1", "uar"), scopes: Sequence[str] | None = None, *,
             n_resamples: int = DEFAULT_RESAMPLES, level: float = 0.95, method: str = "percentile",
             seed: int = 0, absent: str = "exclude") -> dict[str, dict[str, dict[str, Any]]]:
    """One method's labelled scores per scope and metric, JSON-ready::

        {scope: {metric: {"pooled", "fold_mean", "interval": Interval.to_dict(), "n", "n_subjects",
                          "n_runs", "per_seed", "seed_std"}}}

    ``scopes=None`` means ``"all"`` and then every database present, in order of appearance.
    ``pooled`` is the pooled score (with several runs, the mean over seeds of the pooled scores),
    ``fold_mean`` the mean of per-fold scores (mean over seeds; None without fold names),
    ``interval`` the pooled score's :func:`bootstrap_interval` (subjects, or subjects x seeds),
    ``per_seed``/``seed_std`` the pooled score of each run and their standard deviation (``ddof=1``,
    None with one run).
    """
    all_runs = _as_runs(runs, "all")
    if scopes is None:
        scopes = ["all"] + list(dict.fromkeys(all_runs[0].datasets.tolist()))
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for scope in scopes:
        scoped = _as_runs(all_runs, scope)
        result[scope] = {}
        for metric in metric_names:
            summary = seed_summary(scoped, labels, metric, "all", n_resamples=n_resamples, level=level,
                                   method=method, seed=seed, absent=absent)
            has_folds = all(r.folds is not None for r in scoped)
            fold_mean = (float(np.mean([fold_mean_score(r, labels, metric, "all", absent) for r in scoped]))
                         if has_folds else None)
            result[scope][metric] = {
                "pooled": summary.mean, "fold_mean": fold_mean,
                "interval": dataclasses.replace(summary.interval, scope=scope).to_dict(),
                "n": len(scoped[0]), "n_subjects": summary.interval.n_subjects, "n_runs": len(scoped),
                "per_seed": list(summary.per_seed), "seed_std": summary.std if len(scoped) > 1 else None}
    return result


# The intervals a paper's report prints beside every pooled score: the benchmark's settings, one run.
REPORT_LEVEL = 0.95
REPORT_SEED = 0
REPORT_METHOD = "percentile"
REPORT_HOW = (f"{int(100 * REPORT_LEVEL)}% interval of the pooled score: {REPORT_METHOD} bootstrap over subjects "
              f"({DEFAULT_RESAMPLES} resamples, seed {REPORT_SEED}; common.evaluation.statistics, as the benchmark)")


def experiment_intervals(records: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]) -> dict[str, Any]:
    """The intervals of one experiment's pooled scores, from its fold records (read, never changed)::

        {"how": REPORT_HOW, "level", "n_resamples", "seed", "method", "unit": "subjects",
         "scopes": {scope: {metric: Interval.to_dict() | None}}, "notes": {scope: why there is none}}

    for every scope of ``summary["metrics"]["pooled"]`` that holds samples and every reported metric
    (``summary["metrics_reported"]``), with :func:`bootstrap_interval` at the benchmark's defaults
    (``REPORT_*``, ``DEFAULT_RESAMPLES``; docs/methods.md §9.2). A scope with fewer than two subjects
    gets ``None`` per metric and a note; records that predicted nothing give no scope and a note on "all".
    """
    aggregated = summary.get("metrics", {})
    out: dict[str, Any] = {"how": REPORT_HOW, "level": REPORT_LEVEL, "n_resamples": DEFAULT_RESAMPLES,
                           "seed": REPORT_SEED, "method": REPORT_METHOD, "unit": "subjects", "scopes": {}, "notes": {}}
    try:
        predictions = from_records(records, nan_folds=aggregated.get("nan_policy", "exclude"),
                                   source=str(summary.get("experiment", "experiment")))
    except ValueError as exc:  # no fold predicted anything: nothing to resample
        out["notes"]["all"] = f"no interval: {exc}"
        return out
    k = len(summary.get("class_names") or ()) or int(max(predictions.y_true.max(), predictions.y_pred.max()) + 1)
    absent = aggregated.get("absent", "exclude")
    reported = summary.get("metrics_reported", METRICS)
    for scope, values in aggregated.get("pooled", {}).items():
        if not values.get("n"):
            continue
        try:
            scoped = select(predictions, scope)
        except ValueError:
            continue
        subjects = len(subject_units(scoped)[1])
        if subjects < 2:
            out["scopes"][scope] = {m: None for m in reported}
            out["notes"][scope] = f"{subjects} subject: no interval"
            continue
        out["scopes"][scope] = {metric: {**bootstrap_interval(scoped, k, metric, n_resamples=DEFAULT_RESAMPLES,
                                                              level=REPORT_LEVEL, method=REPORT_METHOD,
                                                              seed=REPORT_SEED, absent=absent).to_dict(),
                                         "scope": scope}
                                for metric in reported if metric in METRICS}
    return out


# ---------------------------------------------------------------------------------------------
# Paired comparison of two methods


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Method ``a`` minus method ``b`` on the same samples.

    ``difference``: pooled score of a minus that of b (means over seeds with several runs);
    ``low``/``high``: its paired bootstrap interval (the same subjects, and seeds, drawn for both);
    ``p_value``: two-sided paired permutation p (each subject's predictions swapped between the
    two methods at random; exact over all 2^S swaps when ``2^S <= n_permutations``).
    """

    metric: str
    scope: str
    a: str
    b: str
    a_score: float
    b_score: float
    difference: float
    low: float
    high: float
    level: float
    p_value: float
    exact_p: bool
    n_resamples: int
    n_permutations: int
    seed: int
    n_subjects: int
    n_runs: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return dataclasses.asdict(self)

    @property
    def at_floor(self) -> bool:
        """Whether ``p_value`` is the least the randomized test can give (:func:`at_permutation_floor`)."""
        return at_permutation_floor(self.p_value, exact=self.exact_p, n_permutations=self.n_permutations)


def at_permutation_floor(p_value: float, *, exact: bool, n_permutations: int) -> bool:
    """Whether a two-sided paired permutation ``p_value`` is the least ``n_permutations`` random permutations can
    give, 2 / (n_permutations + 1) (scipy counts the observed arrangement among them, on each side): a bound, not an
    estimate. Never for an exact test (every arrangement enumerated)."""
    return not exact and p_value <= 2 / (n_permutations + 1) * (1 + 1e-9)


def p_text(p_value: float, *, exact: bool, n_permutations: int, digits: int = 3) -> str:
    """A paired permutation p as the reports and the site write it: "0.042", "0.031 (exact)", or at the least the
    permutations can give, a bound: "≤ 0.001 (the least 2,000 permutations give)"."""
    if at_permutation_floor(p_value, exact=exact, n_permutations=n_permutations):
        return f"≤ {p_value:.{digits}f} (the least {n_permutations:,} permutations give)"
    return f"{p_value:.{digits}f}{' (exact)' if exact else ''}"


def compare(a: Predictions | Sequence[Predictions], b: Predictions | Sequence[Predictions],
            labels: int | Sequence[Any], metric: str = "uf1", scope: str = "all", *,
            names: tuple[str, str] | None = None, n_resamples: int = DEFAULT_RESAMPLES,
            n_permutations: int = DEFAULT_RESAMPLES, level: float = 0.95, method: str = "percentile",
            seed: int = 0, absent: str = "exclude") -> Comparison:
    """Paired comparison of two methods evaluated on the same samples (same folds, same order).

    - difference: pooled ``metric`` of ``a`` minus that of ``b`` (with several seeds, one run per
      seed in the same seed order for both, the mean over seeds of each).
    - interval: paired bootstrap over subjects (``scipy.stats.bootstrap``): each resample draws the
      subjects (and, with several seeds, the seeds) once and recomputes both methods' pooled
      scores on them; the percentiles of the differences.
    - p-value: paired permutation test over subjects (``scipy.stats.permutation_test``,
      ``permutation_type="samples"``): under the null that the methods are exchangeable, each
      subject's predictions (under every seed) are swapped between a and b with probability 1/2
      and the difference recomputed. This null distribution is symmetric about 0 (swapping every
      subject negates it), so scipy's two-sided ``2 min(P(D <= d), P(D >= d))`` equals
      ``P(|D| >= |d|)``. With ``2^S <= n_permutations`` every swap pattern is enumerated (exact p);
      otherwise the p is ``(1 + #{D as extreme}) / (1 + n_permutations)`` per side.

    ``names`` labels the two methods (default: their ``source``). With several seeds the interval
    includes the seed variance (seeds are resampled) while the permutation p is conditional on the
    given runs, so the two can disagree near a boundary; report both.

    A method compared with itself gives difference 0, interval [0, 0] and p = 1. Raises
    ``ValueError`` when the two are not on the same samples (a subject missing in one, another
    order, other labels) or hold different numbers of seeds.
    """
    _check_metric(metric)
    _check_resampling(n_resamples, level, method)
    _check_resampling(n_permutations, level, method)
    runs_a, runs_b = _as_runs(a, scope), _as_runs(b, scope)
    if names is None:
        names = (runs_a[0].source, runs_b[0].source)
    else:
        runs_a = [dataclasses.replace(r, source=f"{names[0]} ({r.source})") for r in runs_a]
        runs_b = [dataclasses.replace(r, source=f"{names[1]} ({r.source})") for r in runs_b]
    if len(runs_a) != len(runs_b):
        raise ValueError(f"{names[0]} has {len(runs_a)} runs (seeds) but {names[1]} has {len(runs_b)}; "
                         "a paired comparison needs the same seeds for both")
    _check_same_samples(runs_a[0], runs_b[0])
    table_a, subjects = _subject_tables(runs_a, labels, absent)
    table_b, _ = _subject_tables(runs_b, labels, absent)
    n_subjects, n_runs = len(subjects), len(runs_a)
    score_a = float(_scores(table_a.sum(axis=1), metric, absent).mean())
    score_b = float(_scores(table_b.sum(axis=1), metric, absent).mean())

    def difference(subjects_drawn, runs_drawn):
        pooled_a = _scores(_gather(subjects_drawn, table_a), metric, absent)
        pooled_b = _scores(_gather(subjects_drawn, table_b), metric, absent)
        return _run_means(pooled_a - pooled_b, runs_drawn)

    low, high, _ = _bootstrap(difference, n_subjects, n_runs, n_resamples, level, method, seed)

    # Permutation: index i < S is a's predictions of subject i, S + i is b's; "samples" swaps
    # x[i] and y[i] within each pair, i.e. exchanges the two methods' predictions of subject i.
    both = np.concatenate([table_a, table_b], axis=1)  # (R, 2S, K, K)

    def swapped(x, y, axis=-1):
        return (_scores(_gather(x, both), metric, absent).mean(axis=-1)
                - _scores(_gather(y, both), metric, absent).mean(axis=-1))

    test = stats.permutation_test((np.arange(n_subjects), np.arange(n_subjects) + n_subjects), swapped,
                                  permutation_type="samples", vectorized=True, n_resamples=n_permutations,
                                  alternative="two-sided", **_seeded(seed))
    return Comparison(metric=metric, scope=scope, a=names[0], b=names[1], a_score=score_a, b_score=score_b,
                      difference=score_a - score_b, low=low, high=high, level=level,
                      p_value=float(min(1.0, test.pvalue)), exact_p=2 ** n_subjects <= n_permutations,
                      n_resamples=n_resamples, n_permutations=n_permutations, seed=seed,
                      n_subjects=n_subjects, n_runs=n_runs)


def pairwise(methods: Mapping[str, Predictions | Sequence[Predictions]], labels: int | Sequence[Any],
             metric: str = "uf1", scope: str = "all", **options: Any) -> dict[str, Any]:
    """All-pairs :func:`compare` of a dict ``{method name: runs}`` (``options`` are compare's).

    Returns ``{"methods": [names], "difference", "low", "high", "p_value", "p_adjusted":
    (M, M) arrays, "comparisons": {(row, column): Comparison}, "metric", "scope"}`` where cell
    ``[i, j]`` is method i minus method j. Each unordered pair is computed once (i < j); cell
    ``[j, i]`` is its mirror: difference and interval negated (the same resamples), same p. The
    diagonal is 0 with interval [0, 0] and p = 1. ``p_adjusted`` holds Benjamini-Hochberg adjusted
    p-values over the M(M-1)/2 pairs (``scipy.stats.false_discovery_control``); ``p_value`` is
    unadjusted.
    """
    names = list(methods)
    m = len(names)
    difference, low, high = np.zeros((m, m)), np.zeros((m, m)), np.zeros((m, m))
    p_value, p_adjusted = np.ones((m, m)), np.ones((m, m))
    comparisons = {}
    for i in range(m):
        for j in range(i + 1, m):
            c = compare(methods[names[i]], methods[names[j]], labels, metric, scope,
                        names=(names[i], names[j]), **options)
            comparisons[(names[i], names[j])] = c
            difference[i, j], low[i, j], high[i, j] = c.difference, c.low, c.high
            difference[j, i], low[j, i], high[j, i] = -c.difference, -c.high, -c.low
            p_value[i, j] = p_value[j, i] = c.p_value
    upper = np.triu_indices(m, k=1)
    if len(upper[0]):
        adjusted = stats.false_discovery_control(p_value[upper], method="bh")
        p_adjusted[upper] = adjusted
        p_adjusted[upper[1], upper[0]] = adjusted
    return {"methods": names, "metric": metric, "scope": scope, "difference": difference, "low": low,
            "high": high, "p_value": p_value, "p_adjusted": p_adjusted, "comparisons": comparisons}


# ---------------------------------------------------------------------------------------------
# Chance level


@dataclasses.dataclass(frozen=True)
class ChanceLevel:
    """A label-permutation null of the pooled score: its ``mean`` and ``level`` band
    (``low``/``high`` percentiles). With ``against="predictions"``, also the method's ``observed``
    pooled score and its one-sided ``p_value`` ``(1 + #{null >= observed}) / (1 + n)``."""

    metric: str
    scope: str
    mean: float
    low: float
    high: float
    level: float
    against: str
    within: str
    n_permutations: int
    seed: int
    observed: float | None = None
    p_value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return dataclasses.asdict(self)


def chance_level(predictions: Predictions, labels: int | Sequence[Any], metric: str = "uf1",
                 scope: str = "all", *, against: str = "labels", within: str = "all",
                 n_permutations: int = DEFAULT_RESAMPLES, level: float = 0.95, seed: int = 0,
                 absent: str = "exclude") -> ChanceLevel:
    """Chance level of the pooled ``metric`` on a track: a label-permutation null.

    - ``against="labels"`` (the track's chance line, the same for every method): the null
      predictor answers a random permutation of the track's own labels, i.e. guesses with the
      track's class balance; each draw scores ``(y_true, permuted y_true)``. Only ``y_true``
      (and the databases) of ``predictions`` are used.
    - ``against="predictions"`` (one method's null): ``y_true`` is permuted against the method's
      ``y_pred``; the result also holds the observed score and its permutation p-value.

    ``within="all"`` permutes over the whole scope; ``within="dataset"`` permutes within each
    database (keeps each database's class balance). Returns the mean of ``n_permutations`` draws
    and their ``(1 - level)/2``, ``(1 + level)/2`` percentiles. Hand-written numpy loop (scipy's
    ``permutation_test`` has no stratified permutation); the scores are ``metrics.scores_from_confusion``.
    Against the labels the permuted predictor predicts each class exactly as often as it is shown, so each
    class's F1 is its recall and the null UF1 equals the null UAR draw by draw (mean 1/K, however unbalanced
    the classes); against predictions the null UAR has mean 1/K and the null UF1 depends on how often the
    method predicts each class.
    """
    _check_metric(metric)
    if against not in AGAINST:
        raise ValueError(f"against={against!r}: expected one of {AGAINST}")
    if within not in WITHIN:
        raise ValueError(f"within={within!r}: expected one of {WITHIN}")
    if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise ValueError(f"n_permutations={n_permutations!r}: expected a positive integer")
    if not 0 < level < 1:
        raise ValueError(f"level={level!r}: expected a confidence level between 0 and 1, e.g. 0.95")
    p = select(predictions, scope)
    y_true, y_pred, k = _label_positions(p, labels)
    reference = y_true if against == "labels" else y_pred
    strata = [np.arange(len(p))] if within == "all" else [np.flatnonzero(p.datasets == d)
                                                             for d in dict.fromkeys(p.datasets.tolist())]
    rng = np.random.default_rng(seed)
    permuted = np.tile(y_true, (n_permutations, 1))
    for idx in strata:
        permuted[:, idx] = rng.permuted(permuted[:, idx], axis=1)
    draws = np.arange(n_permutations)[:, None]
    codes = (np.broadcast_to(draws, permuted.shape) * k + permuted) * k + reference[None, :]
    matrices = np.bincount(codes.ravel(), minlength=n_permutations * k * k).reshape(n_permutations, k, k)
    null = _scores(matrices, metric, absent)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(null, [tail, 100 - tail])
    observed = p_value = None
    if against == "predictions":
        observed = pooled_score(p, labels, metric, "all", absent)
        p_value = float((1 + np.sum(null >= observed - 1e-12)) / (1 + n_permutations))
    return ChanceLevel(metric=metric, scope=scope, mean=float(null.mean()), low=float(low), high=float(high),
                       level=level, against=against, within=within, n_permutations=n_permutations, seed=seed,
                       observed=observed, p_value=p_value)
