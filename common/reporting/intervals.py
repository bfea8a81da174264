"""95 % intervals of every pooled score a report shows, computed after the run from its stored predictions.

The same statistics as the benchmark (``common.evaluation.statistics.bootstrap_interval`` with the
benchmark's defaults: a percentile bootstrap over subjects, ``DEFAULT_RESAMPLES`` resamples, seed 0,
level 0.95; docs/methods.md §9.2). The fold records are read, never changed: predictions and the
scores in ``results.json`` stay as the runner wrote them. A scope with fewer than two subjects gets
no interval (``None``) and says so.
"""
from __future__ import annotations

import math
from typing import Any
from collections.abc import Mapping, Sequence

from common.evaluation import statistics as st

LEVEL = 0.95
N_RESAMPLES = st.DEFAULT_RESAMPLES
SEED = 0
METHOD = "percentile"
HOW = (f"{int(100 * LEVEL)}% interval of the pooled score: {METHOD} bootstrap over subjects "
       f"({N_RESAMPLES} resamples, seed {SEED}; common.evaluation.statistics, as the benchmark)")


def experiment_intervals(records: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]) -> dict[str, Any]:
    """``{"how": HOW, "scopes": {scope: {metric: Interval dict | None}}, "notes": {scope: why none}}``
    for every scope of ``summary["metrics"]["pooled"]`` and every reported metric."""
    aggregated = summary.get("metrics", {})
    out: dict[str, Any] = {"how": HOW, "level": LEVEL, "n_resamples": N_RESAMPLES, "seed": SEED, "method": METHOD,
                           "unit": "subjects", "scopes": {}, "notes": {}}
    try:
        predictions = st.from_records(records, nan_folds=aggregated.get("nan_policy", "exclude"),
                                      source=str(summary.get("experiment", "experiment")))
    except ValueError as exc:  # no fold predicted anything: nothing to resample
        out["notes"]["all"] = f"no interval: {exc}"
        return out
    k = len(summary.get("class_names") or ()) or int(max(predictions.y_true.max(), predictions.y_pred.max()) + 1)
    absent = aggregated.get("absent", "exclude")
    for scope, values in aggregated.get("pooled", {}).items():
        if not values.get("n"):
            continue
        try:
            scoped = st.select(predictions, scope)
        except ValueError:
            continue
        subjects = len(st.subject_units(scoped)[1])
        if subjects < 2:
            out["scopes"][scope] = {m: None for m in summary.get("metrics_reported", st.METRICS)}
            out["notes"][scope] = f"{subjects} subject: no interval"
            continue
        entry = {}
        for metric in summary.get("metrics_reported", st.METRICS):
            if metric not in st.METRICS:
                continue
            interval = st.bootstrap_interval(scoped, k, metric, n_resamples=N_RESAMPLES, level=LEVEL, method=METHOD,
                                             seed=SEED, absent=absent)
            entry[metric] = {**interval.to_dict(), "scope": scope}
        out["scopes"][scope] = entry
    return out


def interval_of(intervals: Mapping[str, Any] | None, scope: str, metric: str) -> Mapping[str, Any] | None:
    """The interval dict of ``scope``/``metric``, or None."""
    return ((intervals or {}).get("scopes", {}).get(scope) or {}).get(metric)


def score_with_interval(value: Any, interval: Mapping[str, Any] | None, digits: int = 3) -> str:
    """``0.412 [0.301, 0.520]``; the value alone when there is no interval; an en dash for none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    text = f"{value:.{digits}f}"
    if interval and interval.get("low") is not None:
        text += f" [{interval['low']:.{digits}f}, {interval['high']:.{digits}f}]"
    return text
