"""Predictions made elsewhere, scored as the benchmark scores its own methods (``run_all.py --score``).

The numbers are the benchmark's own functions on the clips of the file that match the track
(``common.evaluation.outside.match``): per scope of the track ("all" and each database), the pooled
UF1 and UAR (one confusion matrix over all folds, the MEGC rule), the fold mean (folds = the track's),
the 95 % percentile bootstrap interval over subjects (``summary.scope_entry``, the very function that
scores a benchmark's method), the confusion matrix per scope (rows true, columns predicted), and, against
one of our runs on the same clips, the paired bootstrap interval of the difference and the paired
permutation p over subjects (``statistics.compare``, as the benchmark's pairwise comparisons).

:func:`write_score_report` draws the summary (``results.json``) on two pages: the scores and what they are,
then the confusion matrices.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Mapping

import numpy as np

from common.datasets.released import corpus_label
from common.evaluation import metrics
from common.evaluation import statistics as st
from common.evaluation.outside import AUTHORS_RUN, Matched, OWN_RUN, shown_name
from common.experiment import Track
from common.files import atomic_write, terminal_text
from common.leaderboard.summary import LEVEL, METRICS, scope_entry, source_name
from common.reporting import figures
from common.reporting.document import ReportDocument
from common.reporting.tables import fmt, fmt_signed

SCORE_SCHEMA = "mersuite.score/1"
POOLED = "pooled over folds: one confusion matrix over every scored clip (the MEGC rule)"
FOLD_MEAN = ("fold mean: the mean of each fold's own score, folds = the track's (a fold holding no scored clip has "
             "none); each fold's F1 averaged over the classes its clips show or its predictions name, its recall over "
             "the classes its clips show (scikit-learn's macro averages): a subject of one class scores on that class "
             "alone, so the fold mean is no MEGC number")
SELECTION = ("unknown: the file does not say how its predictions were chosen; an epoch or model picked on the test "
             "subjects' own clips (the leaky selection several public codes make) cannot be ruled out")


def _present(predictions: st.Predictions, scope: str) -> bool:
    return scope == "all" or bool(np.any(predictions.datasets == scope))


def interval_how(n_resamples: int, seed: int) -> str:
    return (f"{int(100 * LEVEL)}% percentile bootstrap over subjects (dataset/subject), {n_resamples} resamples, "
            f"seed {seed}: the benchmark's intervals (common.evaluation.statistics)")


def score_statistics(track: Track, matched: Matched, *, n_resamples: int = st.DEFAULT_RESAMPLES,
                     seed: int = 0) -> dict[str, Any]:
    """``{"scores": {scope: {metric: ...}}, "confusion": {scope: K x K}, "class_scores": ..., "n_folds_scored",
    "interval" (how the intervals were drawn), "aggregation" (pooled and fold mean in words)}`` of the matched clips
    (``matched.predictions``, not None), each score labelled with its aggregation."""
    predictions = matched.predictions
    if predictions is None:
        raise ValueError("no clip of the file matches the track: nothing to score")
    k = len(track.class_names)
    scopes = [scope for scope in track.scopes if _present(predictions, scope)]
    scores = {scope: scope_entry([predictions], k, scope, n_resamples, seed) for scope in scopes}
    scoped = {scope: st.select(predictions, scope) for scope in scopes}
    confusion = {scope: metrics.confusion(p.y_true, p.y_pred, k).tolist() for scope, p in scoped.items()}
    class_scores = None
    if matched.scores is not None:
        # The predicted class's score against the row's highest: a tie (equal vote shares, probabilities equal once
        # rounded) agrees with either tied class, where argmax would take the first and warn on a consistent file.
        given = matched.scores[np.arange(len(predictions)), predictions.y_pred]
        agree = int(np.sum(given >= matched.scores.max(axis=1)))
        class_scores = {"given": True, "argmax_is_pred": agree, "n": len(predictions),
                        "meaning": "clips whose highest class score is the class in 'pred', alone or tied (the scores "
                                   "use 'pred')",
                        "warning": disagreement(agree, len(predictions))}
    return {"scores": scores, "confusion": confusion, "class_scores": class_scores,
            "n_folds_scored": len(set(predictions.folds.tolist())) if predictions.folds is not None else None,
            "interval": {"how": interval_how(n_resamples, seed), "level": LEVEL, "method": "percentile",
                         "n_resamples": n_resamples, "seed": seed, "unit": "subjects"},
            "aggregation": {"pooled": POOLED, "fold_mean": FOLD_MEAN}}


def disagreement(agree: int, n: int) -> str | None:
    """The warning when the file's class scores contradict its predicted class on some clips (a column
    order swapped, scores of another model): the scores use ``pred``, so the file may not be what it says."""
    if agree == n:
        return None
    return (f"WARNING: on {n - agree} of {n} scored clips the highest class score is not the predicted class; "
            "the scores use 'pred' (check the score columns' order and that both come from one model)")


def minus_words(kind: str) -> str:
    """The other side of "file minus ...": "ours" for one of our runs, else "the other" (another scored file)."""
    return "ours" if kind == "our run" else "the other"


def against_run(theirs: st.Predictions, ours: st.Predictions, k: int, names: tuple[str, str], *,
                n_resamples: int = st.DEFAULT_RESAMPLES, seed: int = 0, kind: str = "our run") -> dict[str, Any]:
    """The file (``theirs``) minus the predictions ``--against`` names (``ours``; ``kind``: what they are, "our run"
    or another scored file, ``score_runs.against_kind``) on the clips both predicted (``statistics.common_samples``):
    per metric, ``statistics.compare`` on scope "all"."""
    (a, b), left_out = st.common_samples([theirs, ours])
    n_subjects = len(st.subject_units(a)[1])
    out: dict[str, Any] = {"a": names[0], "b": names[1], "b_kind": kind, "n": len(a), "n_subjects": n_subjects,
                           "left_out": left_out,
                           "meaning": f"file minus {kind}, pooled over folds, on the clips both predicted; paired "
                                      f"bootstrap interval over subjects ({int(100 * LEVEL)}%) and two-sided paired "
                                      "permutation p over subjects", "comparisons": {}}
    if n_subjects < 2:
        out["note"] = f"{n_subjects} subject in common: no paired test"
        return out
    for metric in METRICS:
        out["comparisons"][metric] = st.compare(a, b, k, metric, "all", names=names, n_resamples=n_resamples,
                                                n_permutations=n_resamples, level=LEVEL, seed=seed).to_dict()
    return out


# ---------------------------------------------------------------------------------------------
# The report


def _selection_short(summary: Mapping[str, Any]) -> str:
    """The banner's words for the selection: "unknown (the file does not say)", or the known one's first words and
    whose run it is ("last epoch (this suite's own run)", "last epoch (the authors' own run as released)":
    ``common.evaluation.outside.known_selection``)."""
    selection = str(summary.get("selection", SELECTION))
    if selection.startswith("unknown"):
        return "unknown (the file does not say)"
    head, _, rest = selection.partition(": ")
    whose = next((w for w in (OWN_RUN, AUTHORS_RUN) if rest.startswith(w)), "as the score's results.json says")
    return f"{head} ({whose})"


def _banner(summary: Mapping[str, Any]) -> str:
    synthetic = summary["corpus"]["kind"] == "synthetic"
    kind = ("SYNTHETIC CORPUS (not comparable with any paper's number)" if synthetic
            else corpus_label(summary["corpus"]))  # "real", or "real, the authors' released flow images (...)"
    matching = summary["matching"]
    partial = (f"   PARTIAL: {matching['left_out']} of {matching['track_clips']} clips of the track not scored"
               if matching["partial"] and matching["left_out"] else "")
    return (f"file {shown_name(source_name(summary['source']))} ({summary['source']['format']})   track "
            f"{summary['track']['name']}   corpus: {kind}{partial}\n"
            f"selection of the predictions: {_selection_short(summary)}   scores pooled over folds (MEGC rule); "
            f"{summary['statistics']['interval']['how']}")


def _score_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for scope, entry in summary["statistics"]["scores"].items():
        for metric in METRICS:
            values = entry.get(metric) or {}
            interval = values.get("interval") or {}
            ci = f"[{interval['low']:.4f}, {interval['high']:.4f}]" if interval.get("low") is not None else "–"
            rows.append([scope, metric.upper(), fmt(values.get("pooled")), ci, fmt(values.get("fold_mean")),
                         f"{values.get('n')} / {values.get('n_subjects')}"])
    return rows


def _against_rows(against: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for metric, c in against["comparisons"].items():
        rows.append([metric.upper(), fmt(c["a_score"]), fmt(c["b_score"]), fmt_signed(c["difference"]),
                     f"[{c['low']:+.4f}, {c['high']:+.4f}]",
                     st.p_text(c["p_value"], exact=c["exact_p"], n_permutations=c["n_permutations"], digits=4),
                     f"{c['n_subjects']}"])
    return rows


def _matching_lines(summary: Mapping[str, Any]) -> list[str]:
    m = summary["matching"]
    lines = [f"The file lists {m['file_rows']} clips; the track's selection holds {m['track_clips']}. Scored: "
             f"{m['scored']} (listed, with the track's true class)"
             + (f"; left out: {m['left_out']} (--partial)." if m["left_out"] else ".")]
    for what in ("missing", "extra", "relabelled"):
        listed, count = m[what], m[f"n_{what}"]  # results.json names the first few, and counts them all
        if count:  # a name from the file shortened and escaped (shown_name): one of 1,000 characters ran off the page
            names = [shown_name(r) if isinstance(r, str)
                     else f"{shown_name(r['key'])} (file {r['file_class']}, track {r['track_class']})"
                     for r in listed[:12]]
            more = ""
            if count > len(listed):
                more = f", ... (results.json names the first {len(listed)})"
            elif count > len(names):
                more = ", ... (results.json names every one)"
            lines.append(f"{count} {what}: {', '.join(names)}{more}")
    return lines


def _first_page(summary: Mapping[str, Any], doc: ReportDocument) -> None:
    flow = figures.Flow(f"Predictions of {shown_name(source_name(summary['source']))} scored on "
                        f"{summary['track']['name']}", _banner(summary), summary["corpus"]["kind"] == "synthetic",
                        emit=doc.savefig)
    flow.text([f"Source: {terminal_text(summary['source']['path'])} ({summary['source']['format']}, sha256 "
               f"{summary['source']['sha256'][:16]}...). Track: {summary['track']['title']}.",
               f"Selection of these predictions: {summary['selection']}",
               "Every score below is computed by the same functions as the benchmark's own methods, on the same "
               "folds and subjects."])
    warning = (summary["statistics"].get("class_scores") or {}).get("warning")
    if warning:
        flow.text([warning])
    flow.heading("Scores")
    flow.table(["scope", "metric", "pooled over folds", "95% CI (subjects)", "fold mean", "clips / subjects"],
               _score_rows(summary))
    statistics = summary["statistics"]
    flow.text([statistics["aggregation"]["pooled"], statistics["aggregation"]["fold_mean"],
               f"interval: {statistics['interval']['how']}"], size=6.5)
    against = summary.get("against")
    if against:
        kind = against.get("b_kind", "our run")
        flow.heading(f"Against {kind}: {against['b']}")
        flow.text([f"Its predictions selected by {against.get('b_selection', 'an unrecorded rule')}."], size=6.5)
        if against["comparisons"]:
            other = "our run" if kind == "our run" else "other"
            flow.table(["metric", "file", other, f"file minus {minus_words(kind)}", "95% CI (paired)",
                        "p (two-sided permutation)", "subjects"], _against_rows(against))
        flow.text([against["meaning"] + f"; {against['n']} clips" + (f", {against['left_out']} clips predicted by only "
                                                                     "one of the two left out" if against["left_out"]
                                                                     else "")]
                  + ([against["note"]] if against.get("note") else []), size=6.5)
    flow.heading("Matching against the track")
    flow.text(_matching_lines(summary), size=6.5)
    flow.finish()


def write_score_report(summary: Mapping[str, Any], path: str | Path) -> Path:
    """The report (atomic): the scores, what they are and the matching, then the confusion matrices."""
    path = Path(path)
    metadata = {"Title": f"mersuite score: {source_name(summary['source'])} on {summary['track']['name']}",
                "Creator": "mersuite run_all.py --score"}
    # the running header is one line, never wrapped: the file's name shortened and escaped (shown_name)
    header = (f"score {shown_name(source_name(summary['source']))} · track {summary['track']['name']} · corpus "
              f"{summary['corpus']['kind'].upper()}")
    with atomic_write(path, "wb") as handle, ReportDocument(handle, header, metadata) as doc:
        doc.section("Scores")
        _first_page(summary, doc)
        doc.section("Confusion matrices")
        doc.savefig(figures.confusion_page("Confusion matrices (scored clips, pooled over folds)",
                                           summary["statistics"]["confusion"], summary["track"]["class_names"],
                                           subtitle=_banner(summary)))
    return path
