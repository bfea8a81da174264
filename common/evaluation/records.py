"""The files a run writes and reads back: the fold record, results.json and predictions.csv.

The schemas below, the check of a stored fold file (:func:`fold_record_problem`, :func:`load_fold_record`),
the conversion to strict JSON (:func:`jsonable`: non-finite floats become ``null``) and the predictions CSV.
Every file is written with ``common.files`` (``atomic_write``, ``write_json_atomic``). The fold loop that
writes them is ``common.running.runner``; the reasons a stored fold is reused or recomputed are there.

``folds/<fold>.json`` (one per fold)::

    {"schema": "mersuite.fold/1", "paper", "experiment", "fold", "fingerprint", "config_hash",
     "profile", "seed", "data_root", "status": "ok"|"nan"|"empty"|"failed"|"refused", "reason",
     "seconds" (wall time of run_fold), "seconds_by_fold" (FoldOutcome.seconds, when run),
     "finished", "n_train", "n_test",
     "test_indices": [int], "keys": [str], "datasets": [str], "subjects": [str],
     "y_true": [int], "y_pred": [int], "probabilities": [[float]] | null,
     "history": {name: [float|null]}, "parameters": {model: int}, "extra": {...},
     "cache": {stage: {"hits", "misses", "compute_seconds", "read_seconds"}} (this fold's preprocessing
     cache activity, ``common.preprocessing.cache.STATS`` before/after), "max_rss_mb" (the process's peak
     resident memory after the fold, ``common.environment.peak_rss_mb``; monotonic over the process),
     "trained_on": {"device", "backend"} (``common.environment.trained_on``; {} where Keras was not loaded)}

``results.json``::

    {"schema": "mersuite.results/1", "paper", "experiment", "title", "profile", "seed",
     "corpus": {"kind": "synthetic"|"real", "root", "datasets": {db: n_samples}, "inputs": what the clips are
                (``common.datasets.released.corpus_inputs``: frames, or the authors' released images),
                "label_sheets": {spreadsheet: "sheet 'NAME' (k of n)"}},
     "config": {...}, "config_hash", "overrides": {...}, "class_names": [...], "n_samples",
     "scopes": [...], "metrics_reported": [...],
     "metrics": {"pooled": {scope: {uf1, uar, accuracy, n, confusion}},
                 "fold_mean": {scope: {uf1, uar, accuracy, *_std, n_folds}},
                 "fold_best": {scope: {uf1, uar, accuracy}} (the best counted fold's),
                 "per_fold": {fold: {scope: {uf1, uar, accuracy, n}}},
                 "not_scored": [fold], "nan_folds": [fold], "nan_policy": "exclude", "absent": "exclude"},
     "comparison": [{"metric", "scope", "aggregation", "reported", "ours", "difference",
                     "source", "note", "comparable", "recomputed", "recomputed_note", "compared_with"}],
                    (difference None where not comparable; ours - recomputed where recomputed is set)
     "folds": [{"name", "status", "reason", "seconds", "n_train", "n_test", "parameters",
                "history", "reused"}],
     "parameters": {model: int}, "status_counts": {status: n},
     "warnings": [sentence per kind of fold left out of the metrics: nan, failed, empty, refused; and one where
                  folds predict with an epoch selected on their test data],
     "selected_on_test": what the folds' predictions were selected by on the test data, in words ("" for a
                         held-out run: ``common.evaluation.epoch_selection.selected_on_test``),
     "seconds": {"folds_total", "this_run"}, "environment": {...}, "finished",
     "folds_protocol": the folds the experiment's protocol makes (fewer run: a partial run),
     "released_weights": {...} (with ``--weights`` only: the authors' weights evaluated, their log compared;
                         ``common.evaluation.comparison``),
     "outputs": {"dir", "results", "predictions", "folds"},
     "epoch_selection": {"status": "measured"|"n/a", "reason", "selections": {...}}
                        (the epoch-selection gauge: common.evaluation.epoch_selection's schema),
     "selection": {"selected", "kept", "min_frames", "by_class": {"selected": {class: n}, "kept": {...}},
                   "dropped_by_stage": {stage: n}, "dropped": [{"key", "reason", "stage"}],
                   "flagged": [{"key", "reason", "stage"}],
                   "outside_root": {"root", "count", "keys": [first keys]}},
     "face_quality": {"policy", "sampled_frames", "params", "counts": {verdict: n},
                      "flagged": [{"key", "verdict", "reason", "positions", "found", "box_shift",
                                   "box_scale", "landmark_shift", "frames"}], "verdicts": {key: verdict}}}

``selection``: every sample dropped or merged on the way from the databases to the
folds, with its reason and stage (loader / selection / frames / faces), and the kept samples
flagged (frame-number gaps; faces ``fallback``/``face_lost``; ``motion``: no motion between onset and
apex, ``common.datasets.invariants`` rule 6; and what a fold's inputs flag in its record's
``extra["flagged"]``, e.g. ``points``: wang2024's clips whose five points are its code's fixed ones,
``common.running.screening.with_fold_flags``), and ``outside_root``: how many clips were read through links from
outside the data root (followed, never refused), with the first keys. ``face_quality``: the verdict of
every selected clip (``common.preprocessing.face_quality``) and the policy applied to no-face clips.

``predictions.csv``: one row per test sample per fold holding predictions (nan folds included):
``fold, index, key, list_key, dataset, subject, y_true, y_pred, true_class, predicted_class, status`` and one
``p_<class>`` column per class, empty where a fold stored no probabilities. Anyone can recompute every metric from
it.

Metric definitions and the pooled / fold-mean aggregations: ``common.evaluation.metrics``. A
``Reported`` with another aggregation name (a single-fold experiment only) is compared with the value
its ``run_fold`` stored in ``extra["aggregations"][aggregation][scope][metric]`` (Reddy's "whole_set").
Non-finite floats (a NaN loss) are written as ``null`` so every file is strict JSON.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any
from collections.abc import Mapping

import numpy as np

from common.config import to_dict
from common.datasets.released import list_key
from common.files import atomic_write, read_json, csv_writer

FOLD_SCHEMA = "mersuite.fold/1"
RESULTS_SCHEMA = "mersuite.results/1"
FOLD_STATUSES = ("ok", "nan", "empty", "failed", "refused")
# Statuses of a fold that is not in the scores and makes the command's exit status 3: an error, a
# divergence, or training data the runner refuses (fewer than two classes in the training part).
NOT_SCORED_STATUSES = ("failed", "nan", "refused")
# The keys of a fold record the runner reads back (resume, metrics, predictions.csv) and their types.
_FOLD_FIELDS: dict[str, type | tuple[type, ...]] = {
    "schema": str, "fold": str, "fingerprint": str, "status": str, "reason": str, "seconds": (int, float),
    "n_train": int, "n_test": int, "test_indices": list, "keys": list, "datasets": list,
    "subjects": list, "y_true": list, "y_pred": list, "history": dict, "parameters": dict}
_PER_SAMPLE = ("test_indices", "keys", "datasets", "subjects", "y_true", "y_pred")
ARGMAX_TOLERANCE = 1e-5  # relative: two probabilities this close are a tie (shipped folds keep 6 significant digits)


def jsonable(obj: Any) -> Any:
    """Plain JSON types; NumPy scalars/arrays converted, non-finite floats -> None, Paths -> str."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable(to_dict(obj))
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def fold_record_problem(record: Any) -> str:
    """Why a parsed fold file cannot be reused (a missing key, a wrong type, lists of different
    lengths...), or ``""`` when it is a well-formed record (never a KeyError on resume)."""
    if not isinstance(record, dict):
        return f"holds a JSON {type(record).__name__}, not a fold record"
    if record.get("schema") != FOLD_SCHEMA:
        return f"schema {record.get('schema')!r} is not {FOLD_SCHEMA!r}"
    for key, kind in _FOLD_FIELDS.items():
        if key not in record:
            return f"key {key!r} is missing"
        if not isinstance(record[key], kind) or isinstance(record[key], bool):
            return f"key {key!r} is a {type(record[key]).__name__}"
    if record["status"] not in FOLD_STATUSES:
        return f"status {record['status']!r} is not one of {FOLD_STATUSES}"
    lengths = {key: len(record[key]) for key in _PER_SAMPLE}
    if len(set(lengths.values())) != 1:
        return "per-sample lists of different lengths (" + ", ".join(f"{k} {n}" for k, n in lengths.items()) + ")"
    for key in ("test_indices", "y_true", "y_pred"):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in record[key]):
            return f"{key!r} holds a value that is not an integer"
    probabilities = record.get("probabilities")
    if probabilities is not None and (not isinstance(probabilities, list)
                                      or len(probabilities) != len(record["y_pred"])):
        return "'probabilities' does not hold one row per prediction"
    if probabilities and not (all(isinstance(row, list) and len(row) == len(probabilities[0]) for row in probabilities)
                              and all(_number_or_none(p) for row in probabilities for p in row)):
        return "'probabilities' holds a row that is not as many finite numbers as the others"
    for key in ("keys", "datasets", "subjects"):
        if not all(isinstance(v, str) for v in record[key]):
            return f"{key!r} holds a value that is not text"
    problem = _argmax_problem(probabilities, record["y_pred"], record["keys"]) if probabilities else ""
    if problem:
        return problem
    if not (_number_or_none(record["seconds"]) and record["seconds"] >= 0):
        return f"'seconds' is {str(record['seconds'])[:20]}, not a time"
    if record["n_train"] < 0 or record["n_test"] < 0:
        return "'n_train' or 'n_test' is negative"
    for name, values in record["history"].items():  # the training curves read each as numbers per epoch
        if not (isinstance(values, list) and all(_number_or_none(v) for v in values)):
            return f"history {name[:40]!r} is not a list of finite numbers (null where one diverged)"
    if not isinstance(record.get("extra", {}), dict):
        return "'extra' is not an object"
    return ""


def _argmax_problem(probabilities: list, y_pred: list, keys: list) -> str:
    """Why ``y_pred`` is not the arg-max of its ``probabilities`` rows, or ``""``: every method predicts the class of
    highest probability (``common.running.fold.outcome``; the SVMs check it), so a record whose two columns disagree
    was edited or damaged, and its metrics (from ``y_pred``) and its curves (from the probabilities) would describe
    different predictions. A row holding null (a diverged fold) and a class outside the row are left to the other
    checks; two classes within :data:`ARGMAX_TOLERANCE` of each other are a tie either way (probabilities are
    shipped at 6 significant digits)."""
    for n, (row, y) in enumerate(zip(probabilities, y_pred)):
        if None in row or not 0 <= y < len(row):
            continue
        top = max(row)
        if row[y] < top - ARGMAX_TOLERANCE * max(1.0, abs(top)):
            return (f"'y_pred' gives class {y} to test sample {n} ({keys[n][:80]}) where its probabilities' largest is "
                    f"class {row.index(top)} ({top:.6g} against {row[y]:.6g}): the predictions are not the "
                    f"probabilities' arg-max")
    return ""


def _number_or_none(value: Any) -> bool:
    """A finite JSON number (not a boolean), or null: what ``jsonable`` writes for a float (null when not finite).
    An integer beyond a float's range (``10**400``, which ``math.isfinite`` cannot take) is not one."""
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) if isinstance(value, float) else abs(value) < 2 ** 1023


def load_fold_record(path: Path) -> tuple[dict | None, str]:
    """``(record, "")`` for a well-formed fold file; ``(None, "")`` when there is none; ``(None, why)``
    when it is damaged (truncated, not JSON, a key missing...), so the runner recomputes it and says why."""
    path = Path(path)
    if not path.exists():
        return None, ""
    try:
        record = read_json(path)  # bounded: common.files.JSON_BYTES, JSON_DEPTH
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    except ValueError as exc:  # not UTF-8, too large, too deep, not JSON
        return None, f"is not valid JSON ({exc})"
    problem = fold_record_problem(record)
    return (None, problem) if problem else (record, "")


def write_predictions_csv(path: Path, records: list[dict], class_names: tuple[str, ...]) -> None:
    """One row per test sample of every fold that holds predictions (atomic, like the JSON).

    The ``status`` column marks the rows of a diverged fold (``nan``), kept here although the
    metrics leave them out by default. ``list_key`` is the clip as the MEGC 2019 composite's public list
    writes it (``released.list_key``: SMIC ``s01/s01_ne_01`` where the loaders say ``s1/s1_ne_01``), so a
    join on that list finds every clip.
    """
    with atomic_write(path, newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow(["fold", "index", "key", "list_key", "dataset", "subject", "y_true", "y_pred", "true_class",
                         "predicted_class", "status"] + [f"p_{name}" for name in class_names])
        for r in records:
            if not r.get("y_pred"):
                continue
            probabilities = r.get("probabilities") or [[None] * len(class_names)] * len(r["y_pred"])
            for i, (idx, key, ds, subj, yt, yp) in enumerate(zip(r["test_indices"], r["keys"], r["datasets"],
                                                                 r["subjects"], r["y_true"], r["y_pred"])):
                probs = ["" if p is None else f"{p:.6g}" for p in probabilities[i]]
                writer.writerow([r["fold"], idx, key, list_key(key), ds, subj, yt, yp, class_names[yt], class_names[yp],
                                 r["status"]] + probs)
