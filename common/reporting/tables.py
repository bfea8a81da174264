"""The report's tables as plain rows, written to CSV beside the PDF (docs/house.md, Results).

Every table the PDF shows is built here from ``results.json`` content only, so the PDF, the
CSV files and the JSON always hold the same numbers.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from common.config import profile_label
from common.files import atomic_write, csv_cell

COMPARISON_COLUMNS = ("experiment", "metric", "scope", "aggregation", "reported", "ours", "difference",
                      "source", "note", "profile", "corpus", "comparable", "recomputed", "compared_with",
                      "recomputed_note", "ours_low", "ours_high", "paper_in_interval", "partial", "selected_on_test",
                      "weights")
# beside each score what the report's pages mark it with: a partial run, an epoch picked on the test data, the
# authors' weights evaluated (not a training of ours)
SCORE_COLUMNS = ("experiment", "scope", "aggregation", "metric", "value", "n", "profile", "corpus", "low", "high",
                 "interval", "partial", "selected_on_test", "weights")


def run_columns(results: Mapping[str, Any]) -> dict[str, str]:
    """The columns of :data:`SCORE_COLUMNS` and :data:`COMPARISON_COLUMNS` that say what one experiment's numbers
    are: ``partial`` (:func:`run_partial`), ``selected_on_test`` (what picked the predictions' epoch on the test data),
    ``weights`` (the authors' released weights folder a ``--weights`` run evaluated); "" where none holds."""
    weights = results.get("released_weights")
    return {"partial": run_partial(results), "selected_on_test": str(results.get("selected_on_test") or ""),
            "weights": str(weights.get("folder", "")) if isinstance(weights, Mapping) else ""}


def comparison_rows(results_by_experiment: Mapping[str, Mapping[str, Any]]) -> list[dict]:
    """The paper's reported numbers beside ours: one row per ``Reported`` of every experiment (a row not
    comparable carries no difference; a row with ``recomputed`` keeps the published number in ``reported``
    and its difference is ours - recomputed: ``common.evaluation.comparison.comparison_rows``); a partial run's
    rows carry none either, as the report's pages show them; :func:`run_columns` says what the numbers are."""
    rows = []
    for name, results in results_by_experiment.items():
        marks = run_columns(results)
        for row in results.get("comparison", []):
            rows.append({"experiment": name, **{k: row.get(k) for k in COMPARISON_COLUMNS[1:9]},
                         "profile": profile_label(results.get("profile"), results.get("overrides")),
                         "corpus": results.get("corpus", {}).get("kind"), "comparable": row.get("comparable", True),
                         "recomputed": row.get("recomputed"),
                         "compared_with": row.get("compared_with") or "published",
                         "recomputed_note": row.get("recomputed_note") or "", **marks})
            if marks["partial"]:  # a partial run is not comparable with published rows: no difference
                rows[-1]["difference"] = None
    return rows


def paper_reference(row: Mapping[str, Any]) -> float | None:
    """The paper's number a comparison row compares ours with: its ``recomputed`` value where the authors'
    own artefact does not give the published one, else the published ``reported``."""
    recomputed = row.get("recomputed")
    return row.get("reported") if recomputed is None else float(recomputed)


def score_rows(results_by_experiment: Mapping[str, Mapping[str, Any]],
               intervals: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict]:
    """Our scores: every experiment x scope x aggregation (pooled, fold_mean) x metric; pooled scores
    carry their interval (``low``/``high`` and how it was computed) from ``intervals``
    (experiment -> ``common.evaluation.statistics.experiment_intervals``)."""
    rows = []
    for name, results in results_by_experiment.items():
        metrics = results.get("metrics", {})
        for aggregation in ("pooled", "fold_mean"):
            for scope, values in metrics.get(aggregation, {}).items():
                n = values.get("n", values.get("n_folds"))
                for metric in results.get("metrics_reported", ("uf1", "uar", "accuracy")):
                    found = interval_of((intervals or {}).get(name), scope, metric)
                    interval = found if aggregation == "pooled" and found else {}
                    rows.append({"experiment": name, "scope": scope, "aggregation": aggregation, "metric": metric,
                                 "value": values.get(metric), "n": n,
                                 "profile": profile_label(results.get("profile"), results.get("overrides")),
                                 "corpus": results.get("corpus", {}).get("kind"), "low": interval.get("low"),
                                 "high": interval.get("high"),
                                 "interval": (f"{int(100 * interval['level'])}% {interval['method']} bootstrap over "
                                              f"{interval['unit']}, {interval['n_resamples']} resamples, seed "
                                              f"{interval['seed']}") if interval else None,
                                 **run_columns(results)})
    return rows


def interval_of(intervals: Mapping[str, Any] | None, scope: str, metric: str) -> Mapping[str, Any] | None:
    """The interval dict of ``scope``/``metric`` in one experiment's intervals
    (``common.evaluation.statistics.experiment_intervals``), or None."""
    return ((intervals or {}).get("scopes", {}).get(scope) or {}).get(metric)


def score_with_interval(value: Any, interval: Mapping[str, Any] | None, digits: int = 3) -> str:
    """``0.412 [0.301, 0.520]``; the value alone when there is no interval; an en dash for none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    text = f"{value:.{digits}f}"
    if interval and interval.get("low") is not None:
        text += f" [{interval['low']:.{digits}f}, {interval['high']:.{digits}f}]"
    return text


def fold_rows(results: Mapping[str, Any]) -> list[dict]:
    """Per-fold (per-subject under LOSO) scores on scope "all", time and status."""
    per_fold = results.get("metrics", {}).get("per_fold", {})
    rows = []
    for fold in results.get("folds", []):
        scores = per_fold.get(fold["name"], {}).get("all", {})
        rows.append({"fold": fold["name"], "status": fold["status"], "n_train": fold["n_train"],
                     "n_test": fold["n_test"], "uf1": scores.get("uf1"), "uar": scores.get("uar"),
                     "accuracy": scores.get("accuracy"), "seconds": fold["seconds"], "reason": fold["reason"]})
    return rows


def partial_note(run: int, total: int | None) -> str:
    """The mark of a run with fewer folds than its protocol (a smoke profile's, ``--max-folds``):
    "partial run: N of M folds, not comparable with published rows"; "" for a whole run."""
    if not total or run >= total:
        return ""
    return f"partial run: {run} of {total} folds, not comparable with published rows"


def shout(note: str) -> str:
    """A mark's head in capitals, for a banner: "PARTIAL RUN: 4 of 68 folds, ..."."""
    head, _, rest = note.partition(":")
    return f"{head.upper()}:{rest}"


def left_out_mark(res: Mapping[str, Any]) -> str:
    """The warning an experiment's own pages carry above its scores when folds are not in them (failed, empty,
    or diverged under ``nan_policy`` "exclude": ``metrics.not_scored``): its summary counts every fold, so
    without it the scores read as those of all of them; "" when every fold is scored."""
    left = [str(fold) for fold in (res.get("metrics") or {}).get("not_scored") or []]
    if not left:
        return ""
    shown = ", ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
    return (f"WARNING: {len(left)} of {len(res.get('folds') or [])} folds failed, diverged (nan) or were empty and "
            f"are NOT in these scores ({shown})")


SYNTHETIC_MARK = ("SYNTHETIC corpus: these scores test the code, not the method; not comparable with the paper's "
                  "numbers")


def score_marks(results: Mapping[str, Any]) -> list[str]:
    """The marks a page showing one experiment's scores beside a published number carries (a paper's own page,
    ``common.reporting.published``): the suite's synthetic corpus (:data:`SYNTHETIC_MARK`), a partial run
    (:func:`run_partial`), folds left out of the scores (:func:`left_out_mark`); such a page gives no difference
    from the published number while any holds. A page whose table the protocol's test-selected epoch fills adds
    :func:`selection_mark`."""
    synthetic = (results.get("corpus") or {}).get("kind") == "synthetic"
    partial = run_partial(results)
    return ([SYNTHETIC_MARK] * synthetic + [shout(partial)] * bool(partial)
            + [mark for mark in [left_out_mark(results)] if mark])


def selection_mark(results: Mapping[str, Any]) -> str:
    """The mark of a run whose protocol picked the predictions' epoch on the test data (results.json's
    ``selected_on_test``: not a held-out score); "" for a run that did not."""
    chosen = results.get("selected_on_test")
    return f"SELECTED ON THE TEST DATA: the predictions are of {chosen}" if chosen else ""


def run_partial(results: Mapping[str, Any]) -> str:
    """:func:`partial_note` of one experiment's ``results.json`` (``folds_protocol``, the protocol's fold count,
    beside the folds it ran); a results.json written before that count was kept says it from the config's cut."""
    folds = len(results.get("folds") or [])
    total = results.get("folds_protocol")
    if total is not None:
        return partial_note(folds, int(total))
    cut = ((results.get("config") or {}).get("evaluation") or {}).get("max_folds") or 0
    if cut and folds <= cut:
        return f"partial run: the first {folds} folds only (evaluation.max_folds {cut}), not comparable with " \
               "published rows"
    return ""


def weights_line(record: Mapping[str, Any]) -> str:
    """Whose model a ``--weights`` run's numbers are, in the words every summary line and page of it carries
    (``results.json``'s ``released_weights``: ``common.evaluation.comparison.released_weights_record``)."""
    text = f"the authors' released weights ({Path(str(record['folder'])).name}), evaluated, not trained here"
    log = record.get("log")
    if log:
        names = ", ".join(Path(file).name for file in str(log["file"]).split(", "))
        text += f"; {log['agree']} of {log['clips']} clips predicted as in the authors' log {names}" + (
            f" ({log['folds']} of {log['folds_total']} folds compared)" if log["folds"] < log["folds_total"] else "")
    return text


def corpus_place(corpus: Mapping[str, Any]) -> str:
    """Where a run's corpus is, as a report page prints it: the corpus folder's name only ("default-seed0-v2",
    "HTNet"), never the absolute path (a home or cache folder of whoever ran it: the path is in results.json's
    ``corpus.root``)."""
    root = corpus.get("root")
    if not root or root == "?":
        return "?"
    return Path(str(root)).name


def fmt(value: Any, digits: int = 4) -> str:
    """A cell: floats with ``digits`` decimals, None/NaN as an en dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def seeds_words(seeds: Sequence[int]) -> str:
    """``seed 3`` or ``seeds 0, 1, 2``: a run's seeds as the reports, the site and the docs' tables say them."""
    return f"seed{'s' if len(seeds) > 1 else ''} {', '.join(str(k) for k in seeds)}"


def fmt_signed(value: Any, digits: int = 4) -> str:
    """A difference with its sign; one that rounds to zero is "+0.0000", never "-0.0000"."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{(value if round(value, digits) != 0 else 0.0):+.{digits}f}"


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> Path:
    """Rows to CSV with a header; floats written with full precision (``repr``), None as empty, text that a
    spreadsheet would run as a formula written safe (``common.files.csv_cell``) (atomic)."""
    path = Path(path)
    with atomic_write(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else csv_cell(row.get(k))) for k in columns})
    return path
