"""The training curves of a run's folds, as the reports draw them: per epoch, the median over folds and the
band between two quantiles of the folds (their spread), never one line per fold (68 lines hide each other).

Read from the fold records only (``records``: each fold's JSON): the training history each fold wrote
(``history``: ``loss`` and ``accuracy`` per epoch, the same numbers as ``folds/<fold>/<model>_history.csv``)
and the test part's classes after every epoch that the epoch-selection gauge recorded
(``extra["epoch_predictions"]``, ``common.evaluation.epoch_selection.epoch_rows``), from which each fold's
test accuracy per epoch is counted here. A fold without one of them is simply not in that curve; the count
of folds behind every epoch is kept (``n``), since folds may record different numbers of epochs.

``training_curves(records)``::

    {"folds": scored folds read, "quantiles": [low, high],
     "curves": {name: {"epochs": [1..E], "median": [...], "low": [...], "high": [...], "n": [...],
                       "pooled": [...] (test accuracy only: all folds' test clips at that epoch), "what": ...}}}

in the order :data:`CURVES` lists them; a curve no fold recorded is absent.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping, Sequence

import numpy as np

from common.evaluation.epoch_selection import epoch_rows, selected_on_test

QUANTILES = (0.25, 0.75)  # the inter-quartile band: half the folds lie inside it
# The curves, their history keys (the first one a fold has) and what they are, in the reports' words.
CURVES = (("loss", ("loss",), "training loss"),
          ("train accuracy", ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy"),
           "accuracy on the fold's training clips"),
          ("test accuracy", (), "accuracy on the fold's left-out test clips after each epoch (the epoch gauge's "
                                "predictions; never used to train or choose)"))


def _series(values: Sequence[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def band(series: Sequence[np.ndarray], quantiles: tuple[float, float] = QUANTILES) -> dict[str, list]:
    """Median and quantile band over folds of per-fold series of unequal length: at each epoch, over the
    folds that recorded it (``n``); non-finite values are left out."""
    length = max((len(s) for s in series), default=0)
    table = np.full((len(series), length), np.nan)
    for row, values in zip(table, series):
        row[:len(values)] = values
    finite = np.isfinite(table)
    counts = finite.sum(axis=0)
    with np.errstate(all="ignore"):
        usable = counts > 0
        median = np.full(length, np.nan)
        low, high = median.copy(), median.copy()
        if usable.any():
            median[usable] = np.nanmedian(table[:, usable], axis=0)
            low[usable], high[usable] = np.nanquantile(table[:, usable], quantiles, axis=0)
    return {"epochs": list(range(1, length + 1)), "median": median.tolist(), "low": low.tolist(),
            "high": high.tolist(), "n": counts.astype(int).tolist()}


def _history_key(history: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    return next((key for key in keys if history.get(key)), None)


def training_curves(records: Sequence[Mapping[str, Any]],
                    quantiles: tuple[float, float] = QUANTILES) -> dict[str, Any]:
    """The curves of the scored folds of ``records`` (module docstring); ``{"folds": 0, ...}`` without any."""
    scored = [r for r in records if r.get("status") in ("ok", "nan")]
    curves: dict[str, Any] = {}
    for name, keys, what in CURVES:
        if keys:
            series = [_series(r["history"][key]) for r in scored
                      if (key := _history_key(r.get("history") or {}, keys)) is not None]
            if series:
                curves[name] = {**band(series, quantiles), "what": what}
            continue
        tested = [(np.asarray(r["y_true"], dtype=int), rows) for r in scored if (rows := epoch_rows(r)) is not None]
        if not tested:
            continue
        series = [(rows == truth[None, :]).mean(axis=1) for truth, rows in tested]
        entry = {**band(series, quantiles), "what": what}
        common = min(len(rows) for _, rows in tested)  # pooled over every fold: the epochs all of them recorded
        correct = sum((rows[:common] == truth[None, :]).sum(axis=1) for truth, rows in tested)
        entry["pooled"] = (np.asarray(correct, dtype=float) / sum(len(truth) for truth, _ in tested)).tolist()
        curves[name] = entry
    # where the protocol picks its epoch on the test data, the test accuracy did choose it (the caption says so)
    return {"folds": len(scored), "quantiles": list(quantiles), "curves": curves,
            "selected_on_test": bool(selected_on_test(records))}
