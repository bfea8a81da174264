"""UF1, UAR and accuracy, pooled over folds and mean over folds, from stored predictions.

Definitions (MEGC 2019, "Recognition Challenge" description; docs/house.md, Evaluation):

- ``uf1`` (unweighted F1): per class ``F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)``, then the
  unweighted mean over classes. Pooled over folds, ``TP/FP/FN`` are summed over all folds
  first, which is the same as computing F1 on the concatenated predictions of all folds.
  Equals scikit-learn's ``f1_score(average="macro")``.
- ``uar`` (unweighted average recall): per class ``TP_c / N_c``, unweighted mean. Equals
  ``balanced_accuracy_score``.
- ``accuracy``: correct / all.

Absent classes (a LOSO fold of one subject rarely holds all classes) are handled by the
explicit ``absent`` parameter:

- ``absent="exclude"`` (default): F1 is averaged over the classes present in ``y_true`` or
  ``y_pred`` (a class never shown and never predicted has no defined F1 and is left out; a
  class predicted but never shown has F1 = 0 and counts), and recall over the classes present
  in ``y_true``. These are scikit-learn's defaults (``f1_score(average="macro")`` without
  ``labels``; ``balanced_accuracy_score``) and on the pooled MEGC composite, where every class
  is present, exactly the MEGC definition.
- ``absent="zero"``: every class of ``labels`` counts, an absent class scoring 0
  (``f1_score(labels=all, zero_division=0)``); this penalises folds for classes they lack.

With no test sample at all, every score is NaN (an empty fold has no score).

:func:`aggregate` computes both aggregations from one list of stored fold records, for the
whole selection (scope ``"all"``) and per database (scope = a database name: the pooled
predictions filtered to that database's test samples).
"""
from __future__ import annotations

from typing import Any
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from sklearn.metrics import confusion_matrix

METRICS = ("uf1", "uar", "accuracy")
ABSENT = ("exclude", "zero")
# Fold records with these statuses carry predictions that count in the metrics. A fold whose
# training diverged ("nan") did not train as the recipe says: by default (``nan_folds="exclude"``,
# data checks) its predictions are kept (per-fold scores, predictions.csv) but left out of the
# pooled and fold-mean scores, and listed, so that no headline number mixes in an untrained model;
# ``nan_folds="include"`` counts them (its scores then include whatever the diverged model predicted).
SCORED_STATUSES = ("ok",)
NAN_FOLDS = ("exclude", "include")
# Class ids of the samples: a list, or an integer array as the fold records and the runner hold them.
ClassIds = Sequence[int] | np.ndarray


def label_ids(labels: int | Sequence[Any]) -> list[int]:
    """Class ids from a class count, a list of ids, or a list of class names (ids 0..n-1)."""
    if isinstance(labels, (int, np.integer)):
        return list(range(int(labels)))
    values = list(labels)
    if all(isinstance(v, (int, np.integer)) for v in values):
        return [int(v) for v in values]
    return list(range(len(values)))


def confusion(y_true: ClassIds, y_pred: ClassIds, labels: int | Sequence[Any]) -> np.ndarray:
    """``sklearn.metrics.confusion_matrix`` with rows = true class, columns = predicted class.

    ``labels`` is the number of classes, the class ids, or the class names (ids 0..n-1).
    """
    ids = label_ids(labels)
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.shape} entries but y_pred has {y_pred.shape}")
    if y_true.size == 0:
        return np.zeros((len(ids), len(ids)), dtype=int)
    unknown = sorted(set(np.concatenate([y_true, y_pred]).tolist()) - set(ids))
    if unknown:
        raise ValueError(f"labels {unknown} are not among the classes {ids}")
    return confusion_matrix(y_true, y_pred, labels=ids)


def scores_from_confusion(matrix: np.ndarray, absent: str = "exclude") -> dict[str, float]:
    """``{"uf1", "uar", "accuracy"}`` from a confusion matrix (rows true, columns predicted).

    The per-class formulas are one line each (:func:`score_arrays`) and are checked against scikit-learn's
    ``f1_score``/``balanced_accuracy_score`` in the tests.
    """
    m = np.asarray(matrix)
    if m.ndim != 2:
        raise ValueError(f"expected a square confusion matrix, got shape {m.shape}")
    return {name: float(value) for name, value in score_arrays(m, absent).items()}


def score_arrays(matrices: np.ndarray, absent: str = "exclude") -> dict[str, np.ndarray]:
    """:func:`scores_from_confusion` of every (K, K) matrix of ``matrices`` (shape (..., K, K)) at once: arrays of
    shape (...). A matrix of no sample scores NaN. What the bootstraps score, hundreds of thousands of matrices."""
    if absent not in ABSENT:
        raise ValueError(f"absent={absent!r}: expected one of {ABSENT}")
    m = np.asarray(matrices, dtype=float)
    if m.ndim < 2 or m.shape[-1] != m.shape[-2]:
        raise ValueError(f"expected a square confusion matrix, got shape {m.shape}")
    total = m.sum(axis=(-2, -1))
    tp = np.diagonal(m, axis1=-2, axis2=-1)
    support = m.sum(axis=-1)  # N_c = TP + FN
    predicted = m.sum(axis=-2)  # TP + FP
    f1_denominator = support + predicted  # 2TP + FP + FN
    f1 = np.divide(2 * tp, f1_denominator, out=np.zeros_like(tp), where=f1_denominator > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    # "exclude": the mean over the classes present (a class absent adds an exact 0 to the sum; numpy adds fewer
    # than 8 terms in order, so each sum is, to the bit, the one over the present classes alone); "zero": over
    # every class
    f1_classes = (f1_denominator > 0).sum(axis=-1) if absent == "exclude" else np.full(total.shape, m.shape[-1])
    recall_classes = (support > 0).sum(axis=-1) if absent == "exclude" else np.full(total.shape, m.shape[-1])
    with np.errstate(invalid="ignore", divide="ignore"):  # a matrix of no sample: 0 / 0, NaN
        scored = {"uf1": f1.sum(axis=-1) / f1_classes, "uar": recall.sum(axis=-1) / recall_classes,
                  "accuracy": tp.sum(axis=-1) / total}
    empty = total == 0
    return {name: np.where(empty, np.nan, value) for name, value in scored.items()}


def scores(y_true: ClassIds, y_pred: ClassIds, labels: int | Sequence[Any],
           absent: str = "exclude") -> dict[str, float]:
    """UF1, UAR and accuracy of one set of predictions (see the module docstring)."""
    return scores_from_confusion(confusion(y_true, y_pred, labels), absent=absent)


def _name(record: Mapping[str, Any]) -> str:
    return str(record["name"] if "name" in record else record["fold"])


def _scope_mask(record: Mapping[str, Any], scope: str) -> np.ndarray:
    datasets = np.asarray(record.get("datasets", []), dtype=str)
    if scope == "all":
        return np.ones(len(record["y_true"]), dtype=bool)
    return datasets == scope


def aggregate(records: Iterable[Mapping[str, Any]], labels: int | Sequence[Any],
              scopes: Sequence[str] = ("all",), absent: str = "exclude", nan_folds: str = "exclude") -> dict[str, Any]:
    """Pooled and fold-mean scores per scope from stored fold records.

    A record is a mapping with ``name`` (or ``fold``), ``status``, ``y_true``, ``y_pred`` and ``datasets``
    (one database name per test sample), as the runner writes them. Only records whose status
    is in ``SCORED_STATUSES`` (plus ``"nan"`` with ``nan_folds="include"``) and that hold
    predictions count; the others are listed under ``"not_scored"``, and the diverged ones also
    under ``"nan_folds"``. Returns::

        {"pooled":    {scope: {"uf1", "uar", "accuracy", "n", "confusion": [[...]]}},
         "fold_mean": {scope: {"uf1", "uar", "accuracy", "uf1_std", "uar_std", "accuracy_std", "n_folds"}},
         "fold_best": {scope: {"uf1", "uar", "accuracy"}},  (the best counted fold's score)
         "per_fold":  {fold: {scope: {"uf1", "uar", "accuracy", "n"}}},
         "not_scored": [fold, ...], "nan_folds": [fold, ...], "nan_policy": nan_folds, "absent": absent}

    ``per_fold`` also holds the own scores of excluded nan folds that predicted something (shown
    in the report's per-fold table, marked by their status). ``fold_mean`` averages per-fold
    scores over the counted folds holding at least one test sample of the scope; a fold's score
    on a scope it has no sample of is absent (not zero).
    """
    if nan_folds not in NAN_FOLDS:
        raise ValueError(f"nan_folds={nan_folds!r}: expected one of {NAN_FOLDS}")
    records = list(records)
    ids = label_ids(labels)
    statuses = SCORED_STATUSES + (("nan",) if nan_folds == "include" else ())
    scored = [r for r in records if r.get("status") in statuses and len(r.get("y_pred", [])) > 0]
    diverged = [r for r in records if r.get("status") == "nan"]
    result: dict[str, Any] = {"pooled": {}, "fold_mean": {}, "fold_best": {}, "per_fold": {}, "absent": absent,
                              "not_scored": [_name(r) for r in records if r not in scored],
                              "nan_folds": [_name(r) for r in diverged], "nan_policy": nan_folds}
    shown = scored + [r for r in diverged if r not in scored and len(r.get("y_pred", [])) > 0]
    for record in shown:
        per_scope = {}
        for scope in scopes:
            mask = _scope_mask(record, scope)
            if mask.any():
                y_t = np.asarray(record["y_true"], dtype=int)[mask]
                y_p = np.asarray(record["y_pred"], dtype=int)[mask]
                per_scope[scope] = {**scores(y_t, y_p, ids, absent), "n": int(mask.sum())}
        result["per_fold"][_name(record)] = per_scope
    for scope in scopes:
        masks = [_scope_mask(r, scope) for r in scored]
        y_true = np.concatenate([np.asarray(r["y_true"], dtype=int)[m] for r, m in zip(scored, masks)]
                                or [np.zeros(0, int)])
        y_pred = np.concatenate([np.asarray(r["y_pred"], dtype=int)[m] for r, m in zip(scored, masks)]
                                or [np.zeros(0, int)])
        matrix = confusion(y_true, y_pred, ids)
        result["pooled"][scope] = {**scores_from_confusion(matrix, absent), "n": int(len(y_true)),
                                   "confusion": matrix.tolist()}
        counted = {_name(r) for r in scored}
        fold_scores = [s[scope] for name, s in result["per_fold"].items() if scope in s and name in counted]
        mean: dict[str, float] = {"n_folds": len(fold_scores)}
        for metric in METRICS:
            values = np.array([s[metric] for s in fold_scores], dtype=float)
            mean[metric] = float(values.mean()) if len(values) else float("nan")
            mean[f"{metric}_std"] = float(values.std()) if len(values) else float("nan")
        result["fold_mean"][scope] = mean
        # The best fold (e.g. Talluri Sec. 8.1's "highest accuracy" of five runs): a like-with-like
        # comparison for a paper that reports its best run, never a headline score.
        result["fold_best"][scope] = {metric: max((float(s[metric]) for s in fold_scores), default=float("nan"))
                                      for metric in METRICS}
    return result
