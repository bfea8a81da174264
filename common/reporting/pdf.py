"""``reports/<paper>/report.pdf`` and ``reports/<paper>/results.json`` (Reports).

Sections, the answer first, each bookmarked in the PDF's outline, every page headed (paper, profile,
corpus) and numbered (``common.reporting.document``):

1. the answer: a dot-and-whisker chart of our pooled score with its 95 % subject-bootstrap interval
   beside the paper's number, for every reported number of every experiment; the compact table
   (difference and "paper's number inside our interval" on real data only: on the synthetic corpus
   the paper's numbers are context; both against the recomputed value where the authors' own artefact
   does not give the published one, ``Reported.recomputed``); our scores per experiment and scope with
   their intervals;
2. per experiment, flowing over as few pages as it needs: summary, scores with intervals, the pooled
   confusion matrix of every scope (row-normalised and counted), per-fold scores as a strip plot with the
   pooled line, the training curves (the folds' median and inter-quartile band per epoch of the loss and
   the training and test accuracy), the per-fold table, the folds not ok, the selection (dropped and
   flagged samples with their reasons) and the config; thumbnails of clips the face check flagged where
   faces may be shown (the synthetic corpus, or ``--allow-faces``);
3. architectures (models with the same layers appear once, "xN, inputs differ: ...");
4. each experiment's own ``report_pages(pdf, result, context)``; last, the run: citation, corpus,
   profile, seed, environment, total time, command and the licence note on faces.

A run of the authors' released weights (``--weights``) says so on every page (the running header, its
banners; page 1 compares it with what their artefact states, never "ours" with "the paper"), and a run
with fewer folds than its protocol is marked "partial run: N of M folds, not comparable with published
rows" on every page and gets no difference or verdict beside a published number (:func:`run_marks`; page 1
names the experiments a mark holds for where it does not hold for all, :func:`marks_by_experiment`). An
experiment with folds left out of its scores (failed, empty, diverged) says so above them
(``tables.left_out_mark``).

Beside the PDF: ``results.json`` (every experiment's results, the comparison with intervals,
``intervals``), the PDF's tables as CSV: ``comparison.csv`` (reported vs ours, our interval),
``scores.csv`` (all our scores, pooled ones with their interval), ``architectures.json`` (layer
tables). Everything is drawn from the experiments' results in memory
(``common.harness.ExperimentResult``), the ``ReportContext`` and four inputs computed before the
report (``common.orchestration.paper_reports``): the intervals
(``common.evaluation.statistics.experiment_intervals``), the model summaries, the flagged clips'
frames and the training curves (``common.evaluation.curves.training_curves``). No page reads a file,
builds a model or resamples.
"""
from __future__ import annotations

import datetime
import logging
import traceback
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from common.config import profile_label
from common.evaluation.records import jsonable
from common.harness import ExperimentResult, ReportContext
from common.files import atomic_write, write_json_atomic
from common.reporting import figures, style, tables
from common.reporting.document import ReportDocument
from common.reporting.figures import Flow
from common.reporting.tables import corpus_place, interval_of, score_with_interval

logger = logging.getLogger(__name__)

REPORT_SCHEMA = "mersuite.report/1"
# What "paper 0.761 (recomputed 0.719)" means, in the words the answer page prints under its table.
RECOMPUTED_MEANING = ("\"(recomputed x)\": the authors' own artefact (e.g. their published per-sample predictions) "
                      "does not give the paper's number; x is what it gives, and the note says why")


def _corpus_words(corpus: Mapping[str, Any]) -> str:
    """The corpus as the banners and the running header name it: its kind in capitals, and what the inputs were
    made from where it is not frames ("REAL, the authors' released flow images (no frames)")."""
    kind = str(corpus.get("kind", "?")).upper()
    return f"{kind}, {corpus['inputs']}" if corpus.get("inputs", "frames") != "frames" else kind


def _banner(profile: Any, corpus: Mapping[str, Any], overrides: Any = None) -> str:
    return f"profile: {profile_label(profile, overrides)}    corpus: {_corpus_words(corpus)} ({corpus_place(corpus)})"


def _overrides(results: Mapping[str, Mapping]) -> Any:
    """The ``--set`` overrides of a report's run (one command: its experiments' first results.json's)."""
    return next(iter(results.values()), {}).get("overrides")


def running_header(paper_id: str, context: ReportContext, results: Mapping[str, Mapping]) -> str:
    """The line at the top of every page of a paper's report: the paper, profile and corpus, and what any of its
    experiments' numbers are beyond a held-out training of ours (:func:`run_marks`'s kinds, short): the authors'
    weights, a partial run, an epoch picked on the test data."""
    header = (f"{paper_id} · profile {profile_label(context.profile, _overrides(results))} · corpus "
              f"{_corpus_words(context.corpus)}")
    if _weights_run(results):  # on every page: these numbers are the authors' weights, not a training
        header += " · the AUTHORS' released weights, evaluated, not trained here"
    if any(tables.run_partial(res) for res in results.values()):
        header += " · PARTIAL run, not comparable with published rows"
    if any(tables.selection_mark(res) for res in results.values()):  # the pages past page 1's banner say it too
        header += " · SELECTED ON THE TEST DATA, not a held-out score"
    return header


def run_marks(res: Mapping[str, Any]) -> list[str]:
    """What an experiment's every page must say beside its numbers: whose weights they are (a ``--weights``
    run: the authors', evaluated, not trained here), that its protocol picked the predictions' epoch on the test
    data (``selected_on_test``: not a held-out score), and that a run with fewer folds than its protocol is
    partial, not comparable with published rows."""
    marks = []
    if res.get("released_weights"):
        marks.append("WEIGHTS: " + tables.weights_line(res["released_weights"]))
    if tables.selection_mark(res):
        marks.append(tables.selection_mark(res))
    partial = tables.run_partial(res)
    if partial:
        marks.append(tables.shout(partial))
    return marks


def marks_by_experiment(results: Mapping[str, Mapping]) -> list[str]:
    """Each distinct :func:`run_marks` line of ``results`` once, for a page that shows every experiment (page 1);
    a mark that holds for some experiments only names them, so a whole run's rows are not read as partial or a
    partial run's as whole."""
    marked: dict[str, list[str]] = {}
    for name, res in results.items():
        for mark in run_marks(res):
            marked.setdefault(mark, []).append(name)
    return [mark if len(names) == len(results) else f"{mark} (experiments: {', '.join(names)})"
            for mark, names in marked.items()]


def _weights_run(results: Mapping[str, Mapping]) -> bool:
    return any(res.get("released_weights") for res in results.values())


ANSWER_LEGEND_ROW = 0.012  # page 1's chart: the height of one row of its legend, in page fractions
ANSWER_LEGEND_PT = 240  # and the width a row of it may take, in points (the chart's)

# Page 1's words: a run of the authors' released weights is compared with what their artefact states, and its
# numbers are theirs evaluated here, never "ours" (``common.evaluation.comparison.released_weights_record``).
WORDS = {False: {"title": "The answer: the paper's numbers and ours", "reference": "paper", "ours": "ours",
                 "table": "Reported by the paper", "chart_ours": "ours, pooled, 95% interval",
                 "chart_other": "ours, paper's aggregation", "scores": "Our scores per experiment and scope"},
         True: {"title": "The answer: the authors' released weights, evaluated here, beside the numbers their "
                         "artefact states", "reference": "stated", "ours": "weights here",
                "table": "Stated for the released weights (their artefact, not the paper)",
                "chart_ours": "the authors' weights here, pooled, 95% interval",
                "chart_other": "the authors' weights here, stated aggregation",
                "scores": "The authors' released weights, evaluated here, per experiment and scope"}}


NO_PUBLISHED_TITLE = "The answer: our numbers (the paper publishes none to compare with)"


def _faces_note(corpus: Mapping[str, Any], allow_faces: bool) -> str:
    if corpus.get("kind") == "synthetic":
        return "Faces: synthetic corpus; its faces may be shown (no licence limit)."
    if allow_faces:
        return ("Faces: licensed data, face images INCLUDED at the user's request (--allow-faces); "
                "check the databases' licences before sharing this report.")
    return ("Faces: licensed data; this report embeds no face images (example inputs, saliency maps), "
            "as the databases' licences require. Use --allow-faces to include them for private use.")


def _run_page(paper_id: str, paper: Any, context: ReportContext, results: Mapping[str, Mapping]) -> plt.Figure:
    """The last page: who and how (citation, corpus, profile, seed, environment, time, command)."""
    corpus = context.corpus
    env = context.environment or {}
    seconds = context.seconds
    lines = [f"Paper      {paper_id}" + (f"  (status: {paper.status})" if paper is not None else "")]
    if paper is not None:
        lines += ["", "Citation", *_wrap(paper.citation, 95), ""]
    lines += [f"Profile    {profile_label(context.profile, _overrides(results))}",
              f"Seed(s)    {context.seed}",
              f"Corpus     {corpus.get('kind')}  folder: {corpus_place(corpus)} (its full path: results.json, "
              "corpus.root)"]
    for name, count in (corpus.get("datasets") or {}).items():
        lines.append(f"             {name}: {count} samples")
    lines += ["", *_wrap(_faces_note(corpus, bool(context.allow_faces)), 95), "", "Experiments"]
    for name, res in results.items():
        counts = ", ".join(f"{k} {v}" for k, v in res.get("status_counts", {}).items())
        lines += _wrap(f"{name}: {res.get('title', '')}  [{len(res.get('folds', []))} folds: {counts}]", 93)
        for mark in run_marks(res):
            lines += _wrap(f"    {mark}", 93)
        for warning in res.get("warnings", []):  # folds left out of the scores
            lines += _wrap(f"    WARNING: {warning}", 93)
    lines += ["", "Environment"]
    lines += [f"  {k}: {v}" for k, v in env.items()]
    if seconds is not None:
        lines += ["", f"Total time {seconds:.1f} s"]
    if context.command:
        lines += ["", "Command", *_wrap(str(context.command), 95)]
    lines += ["", f"Generated {datetime.datetime.now().isoformat(timespec='seconds')}"]
    title = f"The run: {paper.title if paper is not None else paper_id}"
    return figures.text_page(title, lines, banner=_banner(context.profile, corpus, _overrides(results)))


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(" ".join(str(text).split()), width) or [""]


def _is_synthetic(context: ReportContext) -> bool:
    return str(context.corpus.get("kind")) == "synthetic"


def paper_in_interval(row: Mapping[str, Any], interval: Mapping[str, Any] | None) -> bool | None:
    """Whether the paper's number lies inside our pooled interval; None where there is no verdict to give
    (no interval, not a pooled row, no reported number, or a row marked not comparable). The paper's
    number is the recomputed one where the row has it (``tables.paper_reference``); none for a partial run."""
    paper = tables.paper_reference(row)
    if (interval is None or row.get("aggregation") != "pooled" or paper is None
            or not row.get("comparable", True) or row.get("partial")):
        return None
    return bool(interval["low"] <= paper <= interval["high"])


def answer_rows(results: Mapping[str, Mapping], intervals: Mapping[str, Mapping]) -> list[dict]:
    """Page 1's rows: every reported number of every experiment beside ours and our pooled interval;
    an experiment the paper gives no number for shows its pooled scores on scope "all"."""
    rows = []
    for row in tables.comparison_rows(results):
        interval = interval_of(intervals.get(row["experiment"]), row["scope"], row["metric"])
        pooled = (results[row["experiment"]].get("metrics", {}).get("pooled", {}).get(row["scope"], {})
                  .get(row["metric"]))
        rows.append({**row, "pooled": pooled, "interval": interval})
    for name, res in results.items():
        if res.get("comparison"):
            continue
        values = res.get("metrics", {}).get("pooled", {}).get("all", {})
        for metric in list(res.get("metrics_reported", ("uf1",)))[:2]:
            rows.append({"experiment": name, "metric": metric, "scope": "all", "aggregation": "pooled",
                         "reported": None, "ours": values.get(metric), "difference": None, "source": "",
                         "note": "", "pooled": values.get(metric), "partial": tables.run_partial(res),
                         "interval": interval_of(intervals.get(name), "all", metric)})
    return rows


def reported_table(compared: list[dict], synthetic: bool,
                   weights: bool = False) -> tuple[list[str], list[list[str]], list[str]]:
    """Page 1's table of the paper's numbers beside ours: (header, rows, lines under it). A row's note is
    numbered once ("[k]" after its source); a published number the authors' own artefact does not give
    reads "0.761 (recomputed 0.719)", its difference and "paper in CI" use the recomputed value, and the
    lines under the table say so in words (``RECOMPUTED_MEANING``) and give each note. A partial run's rows
    get no difference and no verdict (:func:`run_marks`); ``weights``: a run of the authors' released weights,
    its columns named as :data:`WORDS` says."""
    words = WORDS[weights]
    notes: list[str] = []  # each distinct note once, numbered; the rows it applies to carry its number
    body = []
    for r in compared:
        marker = ""
        recomputed = r.get("recomputed")
        if r.get("note") or recomputed is not None:
            parts = [r.get("note") or "",
                     "" if recomputed is None else f"recomputed: {r.get('recomputed_note') or ''}"]
            text = f"{r['experiment']}: " + "; ".join(part for part in parts if part)
            if text not in notes:
                notes.append(text)
            marker = f" [{notes.index(text) + 1}]"
        iv = r.get("interval")
        # four decimals, as papers print their numbers (a rounding would hide a difference of 0.0004)
        paper = tables.fmt(r["reported"], 4) + ("" if recomputed is None
                                                else f" (recomputed {tables.fmt(recomputed, 4)})")
        cells = [r["experiment"], r["metric"], r["scope"], r["aggregation"], paper, tables.fmt(r["ours"], 4),
                 f"[{iv['low']:.3f}, {iv['high']:.3f}]" if iv and r["aggregation"] == "pooled" else "–"]
        if not synthetic:
            inside = paper_in_interval(r, iv)
            cells += ["–" if r.get("partial") else tables.fmt_signed(r["difference"], 4),
                      "–" if inside is None else ("yes" if inside else "no")]
        body.append(cells + [f"{r['source'] or ''}{marker}".strip()])
    reference, ours = words["reference"], words["ours"]
    header = ["experiment", "metric", "scope", "aggregation", reference, ours, f"{ours} 95% CI"]
    header += ([] if synthetic else [f"{ours.split()[0]}-{reference}", f"{reference} in CI"]) + ["source"]
    lines = []
    partial = list(dict.fromkeys(f"{r['experiment']}: {r['partial']}" for r in compared if r.get("partial")))
    if partial and not synthetic:
        lines += [f"No difference and no verdict (–) for a partial run: {text}." for text in partial]
    if any(r.get("recomputed") is not None for r in compared):
        lines.append(RECOMPUTED_MEANING + ("." if synthetic else "; ours-paper and paper in CI use the recomputed "
                                           "value there, not the published one."))
    if notes:
        lines += ["Notes on the reported numbers"] + [f"[{k}] {text}" for k, text in enumerate(notes, 1)]
    return header, body, lines


def _answer_chart(rows: list[dict], synthetic: bool,
                  weights: bool = False) -> tuple[Callable[[plt.Figure, list[float]], None], float]:
    """Dot-and-whisker: our pooled score and its interval (colour of the experiment), our score in the
    paper's aggregation where that differs (x), the paper's number (red diamond) and, where the authors'
    own artefact does not give it, the recomputed value (red square); with the height its legend takes
    above it (page fractions), which the block must add."""
    words = WORDS[weights]
    handles = [plt.Line2D([], [], marker="o", color=style.MUTED, label=words["chart_ours"]),
               plt.Line2D([], [], marker="x", linestyle="", color=style.MUTED, label=words["chart_other"]),
               plt.Line2D([], [], marker="D", linestyle="", color=style.PAPER,
                          markerfacecolor="none" if synthetic else style.PAPER,
                          label=("stated by their artefact" if weights else "paper")
                          + (" (context only)" if synthetic else ""))]
    if any(r.get("recomputed") is not None for r in rows):
        handles.append(plt.Line2D([], [], marker="s", linestyle="", color=style.PAPER, markerfacecolor="none",
                                  label="paper, recomputed (note)"))
    labels = [len(str(h.get_label())) for h in handles]
    # the most columns whose widest row fits above the chart (6 pt: about 3.6 pt a character, 22 pt a marker)
    ncol = next(n for n in (3, 2, 1) if n == 1 or max(
        sum(labels[i:i + n]) * 3.6 + 22 * n for i in range(0, len(labels), n)) <= ANSWER_LEGEND_PT)
    legend = ANSWER_LEGEND_ROW * -(-len(handles) // ncol)  # the legend's rows above the chart, inside the block

    def draw(fig: plt.Figure, rect: list[float]) -> None:
        left, bottom, width, height = rect
        height -= legend
        ax = fig.add_axes((left + width * 0.5, bottom + 0.035, width * 0.47, height - 0.045))
        y = np.arange(len(rows))[::-1]
        label_size = 6.5 if len(rows) <= 30 else 5.5
        for yi, r in zip(y, rows):
            colour = style.colour(r["experiment"])
            iv = r.get("interval")
            if r.get("pooled") is not None and iv and iv.get("low") is not None:
                ax.errorbar(r["pooled"], yi, xerr=[[r["pooled"] - iv["low"]], [iv["high"] - r["pooled"]]], fmt="o",
                            color=colour, capsize=2.5, markersize=4, linewidth=1.2)
            elif r.get("pooled") is not None:
                ax.plot(r["pooled"], yi, "o", color=colour, markersize=4)
            if r["aggregation"] != "pooled" and r.get("ours") is not None:
                ax.plot(r["ours"], yi, "x", color=colour, markersize=5)
            if r.get("reported") is not None:
                ax.plot(r["reported"], yi, "D", color=style.PAPER, markersize=4, markerfacecolor="none"
                        if synthetic else style.PAPER)
            if r.get("recomputed") is not None:
                ax.plot(r["recomputed"], yi, "s", color=style.PAPER, markersize=4, markerfacecolor="none")
            label = f"{r['experiment']} · {r['scope']} · {r['metric'].upper()}" + (
                f" ({r['aggregation']})" if r["aggregation"] != "pooled" else "")
            fig.text(left, bottom + 0.035 + (height - 0.045) * (yi + 0.5) / len(rows), label, fontsize=label_size,
                     va="center", color=colour)
        ax.set_ylim(-0.5, len(rows) - 0.5)
        ax.set_yticks([])
        ax.set_xlim(-0.03, 1.05)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlabel("score", fontsize=7)
        ax.legend(handles=handles, fontsize=6, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=ncol,
                  frameon=False)
    return draw, legend


def _answer(doc: ReportDocument, results: Mapping[str, Mapping], context: ReportContext,
            intervals: Mapping[str, Mapping]) -> None:
    """Page 1: the answer. The chart and a compact table of the paper's numbers beside ours, with
    the difference and "paper inside our interval" on real data only; then our scores per scope."""
    synthetic = _is_synthetic(context)
    weights = _weights_run(results)
    words = WORDS[weights]
    title = context.paper.title if context.paper is not None else context.paper_id
    banner = f"{context.paper_id}: {title}\n" + _banner(context.profile, context.corpus, _overrides(results))
    for mark in marks_by_experiment(results):
        banner += f"\n{mark}"
    if synthetic:
        banner += ("\nSYNTHETIC corpus: these scores test the code, not the method; the paper's numbers are "
                   "context only, so no difference is shown")
    left_out = sum(len(res.get("metrics", {}).get("not_scored", [])) for res in results.values())
    if left_out:
        banner += (f"\nWARNING: {left_out} fold(s) failed, diverged (nan) or were empty and are NOT in these "
                   "scores; see each experiment's section")
    rows = answer_rows(results, intervals)
    # a paper that publishes no number to compare (``Paper.no_published_number``) gets no "the paper's numbers"
    heading = words["title"] if weights or any(r.get("reported") is not None for r in rows) else NO_PUBLISHED_TITLE
    doc.section(heading.split(",")[0] if weights else heading)
    flow = Flow(heading, banner, synthetic or any(run_marks(res) for res in results.values()), emit=doc.savefig)
    per_chart = 42
    for start in range(0, len(rows), per_chart):
        chunk = rows[start:start + per_chart]
        draw, legend = _answer_chart(chunk, synthetic, weights)
        flow.block(min(0.62, 0.06 + 0.0125 * len(chunk)) + legend, draw)
    how = next((iv["how"] for iv in intervals.values() if iv.get("how")), None)  # as stored with the intervals
    flow.text([(f"{how}. " if how else "") + "Pooled = one confusion matrix over all folds' predictions (MEGC); "
               "fold_mean = mean of per-fold scores; x marks " + ("the weights' score in the stated aggregation."
                                                                   if weights else "our score in the paper's "
                                                                   "aggregation.")], size=6.5, color=style.MUTED)
    compared = [r for r in rows if r.get("reported") is not None]
    if compared:
        header, body, notes = reported_table(compared, synthetic, weights)
        flow.heading(words["table"] + (" (context only: synthetic corpus)" if synthetic
                                       else " vs evaluated here" if weights else " vs ours"), 9)
        flow.table(header, body)
        if notes:
            flow.text(notes, size=6.5)
    flow.heading(words["scores"], 9)
    body = []
    for name, res in results.items():
        metrics = res.get("metrics", {})
        for scope, values in metrics.get("pooled", {}).items():
            if not values.get("n"):
                continue
            fold_mean = metrics.get("fold_mean", {}).get(scope, {})
            body.append([name, scope, str(values.get("n")),
                         *[score_with_interval(values.get(m), interval_of(intervals.get(name), scope, m))
                           for m in ("uf1", "uar", "accuracy")],
                         tables.fmt(fold_mean.get("uf1"), 3)])
    flow.table(["experiment", "scope", "n", "UF1 pooled [95% CI]", "UAR pooled [95% CI]", "accuracy pooled [95% CI]",
                "UF1 fold mean"], body)
    flow.finish()


def _experiment_section(doc: ReportDocument, name: str, res: Mapping[str, Any], intervals: Mapping[str, Any],
                        allow_faces: bool, thumbnails: list[Mapping[str, Any]],
                        curves: Mapping[str, Any] | None = None) -> None:
    """One experiment: summary and scores with intervals, the pooled confusion matrix of every scope and the
    per-subject scores, the training curves (``curves``: ``common.evaluation.curves.training_curves``), the
    per-fold table, the folds not ok, the selection and the config, flowing."""
    corpus = res.get("corpus", {})
    synthetic = str(corpus.get("kind")) == "synthetic"
    marks = run_marks(res) + [mark for mark in [tables.left_out_mark(res)] if mark]
    doc.section(f"{name}: {res.get('title', '')}")
    flow = Flow(f"{name}: {res.get('title', '')}", "\n".join([_banner(res.get("profile"), corpus,
                                                                       res.get("overrides")), *marks]),
                synthetic or bool(marks), emit=doc.savefig)
    metrics = res.get("metrics", {})
    selection = res.get("selection") or {}
    lines = [f"{len(res.get('folds', []))} folds, {res.get('n_samples')} samples, classes "
             f"{', '.join(res.get('class_names') or [])}"]
    if selection:
        lines.append(f"selection: {selection.get('selected')} selected by the paper, {selection.get('kept')} kept "
                     f"after the checks, {len(selection.get('dropped') or [])} dropped, "
                     f"{len(selection.get('flagged') or [])} flagged (details at the end of this section)")
    params = ", ".join(f"{model} {count:,}" for model, count in (res.get("parameters") or {}).items())
    lines.append(f"trainable parameters: {params or '(not given)'};  fold time total "
                 f"{res.get('seconds', {}).get('folds_total', 0):.1f} s;  seed {res.get('seed')}, config hash "
                 f"{res.get('config_hash')}, overrides {res.get('overrides') or '{}'}")
    flow.text(lines)
    body = []
    for scope, values in metrics.get("pooled", {}).items():
        fold_mean = metrics.get("fold_mean", {}).get(scope, {})
        body.append([scope, str(values.get("n")),
                     *[score_with_interval(values.get(m), interval_of(intervals, scope, m))
                       for m in res.get("metrics_reported", ("uf1", "uar", "accuracy"))],
                     *[tables.fmt(fold_mean.get(m), 3) for m in res.get("metrics_reported", ("uf1", "uar"))][:2]])
    reported = list(res.get("metrics_reported", ("uf1", "uar", "accuracy")))
    flow.table(["scope", "n"] + [f"{m} pooled [95% CI]" for m in reported] + [f"{m} fold mean" for m in reported[:2]],
               body)
    how = (intervals or {}).get("how")
    notes = [f"{how}."] if how else []
    notes += [f"{scope}: {note}" for scope, note in ((intervals or {}).get("notes") or {}).items()]
    if notes:
        flow.text(notes, size=6.5, color=style.MUTED)
    _epoch_selection(flow, res, intervals)
    matrices = {scope: v["confusion"] for scope, v in metrics.get("pooled", {}).items() if v.get("n")}
    fold_rows = tables.fold_rows(res)
    class_names = res.get("class_names", [])

    panels: list[tuple[str, Any]] = [(scope, matrix) for scope, matrix in matrices.items()]
    if fold_rows:
        panels.append(("", None))  # the per-fold strip plot, after the matrices
    per_row = 3

    def draw_scores(shown: list[tuple[str, Any]]) -> Callable[[plt.Figure, list[float]], None]:
        def draw(fig: plt.Figure, rect: list[float]) -> None:
            left, bottom, width, height = rect
            gap = 0.09
            cell = (width - gap * per_row) / per_row
            for i, (scope, matrix) in enumerate(shown):
                ax = fig.add_axes((left + gap * 0.9 + i * (cell + gap), bottom + 0.05, cell, height - 0.08))
                if matrix is None:
                    figures.subject_strip(ax, fold_rows, metrics.get("pooled", {}).get("all", {}))
                    ax.set_title("per fold (subject under LOSO), all scopes", fontsize=7)
                    continue
                figures.confusion_axes(ax, matrix, class_names, f"{scope} (n={int(np.asarray(matrix).sum())})",
                                       fontsize=5.5 if len(class_names) > 4 else 6.5, ylabel=i == 0)
        return draw

    if panels:
        flow.heading("Pooled confusion matrices of every scope (row-normalised, counted) and per-fold scores", 8)
        for start in range(0, len(panels), per_row):
            flow.block(0.25, draw_scores(panels[start:start + per_row]))
    entries = (curves or {}).get("curves") or {}
    if entries:
        flow.heading("Training curves: the folds' median and spread per epoch", 8)
        flow.block(0.17, figures.curves_row(curves or {}, style.colour(name)))
        flow.text([figures.curves_legend(curves or {})], size=6.5, color=style.MUTED)
    if fold_rows:
        flow.heading("Per fold", 8)
        trained = not res.get("released_weights")  # the authors' weights: no fold trains, no "train" column
        flow.table(["fold", "status"] + ["train"] * trained + ["test", "uf1", "uar", "accuracy", "seconds"],
                   [[r["fold"], r["status"]] + [r["n_train"]] * trained
                    + [r["n_test"], tables.fmt(r["uf1"], 3), tables.fmt(r["uar"], 3), tables.fmt(r["accuracy"], 3),
                       tables.fmt(r["seconds"], 1)] for r in fold_rows],
                   highlight=[r["status"] != "ok" for r in fold_rows])
    problems = [f for f in res.get("folds", []) if f["status"] != "ok"]
    if problems:
        nan_counted = metrics.get("nan_policy") == "include"
        flow.text([f"Folds not ok ({len(problems)}); failed/empty folds are not scored; nan folds (training "
                   f"diverged) {'ARE' if nan_counted else 'are NOT'} in the pooled and fold-mean scores "
                   "(their own scores are in the per-fold table, their predictions in predictions.csv):"]
                  + [f"  {fold['name']}: {fold['status']}: {fold['reason']}" for fold in problems[:40]])
    selection_lines = _selection_lines(res)
    if selection_lines:
        flow.heading("Selection: samples dropped and flagged", 8)
        flow.text(selection_lines, size=6.5, mono=True)
    flow.heading("Config", 8)
    flow.text(config_lines(shown_config(res.get("config", {}), weights=res.get("released_weights"))), size=6.5,
              mono=True)
    flow.finish()
    if thumbnails and allow_faces:
        doc.savefig(_thumbnail_page(f"{name}: clips flagged by the face check", thumbnails,
                                    _banner(res.get("profile"), corpus, res.get("overrides"))))


def epoch_selection_table(res: Mapping[str, Any], intervals: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The epoch-selection gauge's table on scope "all" (docs/methods.md §9.4): the protocol's own score and
    its interval, then (b) and (c), each with its interval, the epoch(s) chosen and the inflation over the
    protocol's own with its paired interval (``common.evaluation.epoch_selection``'s record, as stored)."""
    gauge = res.get("epoch_selection") or {}
    metric_list = [m for m in res.get("metrics_reported", ("uf1", "uar")) if m in ("uf1", "uar")]
    pooled = res.get("metrics", {}).get("pooled", {}).get("all", {})
    header = ["selection", "epoch"] + [f"{m} pooled [95% CI]" for m in metric_list] \
        + [f"{m} inflation [95% CI]" for m in metric_list]
    fixed = ("chosen by the protocol on the test data" if gauge.get("protocol_selects_on_test")
             else "fixed by the protocol")
    # the letters docs/methods.md §9.4 and the gauge's note below ("how") name the selections by
    letters = {"best_epoch_per_fold": "(b)", "best_single_epoch": "(c)"}
    rows = [[f"(a) {gauge['protocol']}", fixed,
             *[score_with_interval(pooled.get(m), interval_of(intervals, "all", m)) for m in metric_list],
             *["–" for _ in metric_list]]]
    for name, selection in gauge["selections"].items():
        values = selection["scopes"].get("all", {})
        epochs = selection["epochs"]
        chosen = (", ".join(f"{m} {epochs[m]}" for m in metric_list if m in epochs) if name == "best_single_epoch"
                  else f"{min(epochs.values())} in every fold" if len(set(epochs.values())) == 1
                  else f"{min(epochs.values())}-{max(epochs.values())} by fold")
        rows.append([f"{letters.get(name, '')} {selection['label']}".strip(), chosen,
                     *[score_with_interval(values.get(m, {}).get("estimate"), values.get(m)) for m in metric_list],
                     *[tables.fmt_signed(values[m]["inflation"], 3)
                       + f" [{values[m]['inflation_low']:+.3f}, {values[m]['inflation_high']:+.3f}]"
                       if m in values else "–" for m in metric_list]])
    return header, rows


def _epoch_selection(flow: Flow, res: Mapping[str, Any], intervals: Mapping[str, Any]) -> None:
    """The gauge's heading, table and the sentence saying which number to cite; one line when it is n/a."""
    gauge = res.get("epoch_selection") or {}
    if gauge.get("status") != "measured":
        reason = ("the authors' released weights are evaluated, not trained here: no epochs"
                  if res.get("released_weights") else gauge.get("reason") or "not computed")
        flow.text([f"Epoch selection (docs/methods.md §9.4): n/a: {reason}."],
                  size=6.5, color=style.MUTED)
        return
    flow.heading("Epoch selection: what choosing the epoch on the test fold adds (docs/methods.md §9.4)", 8)
    header, rows = epoch_selection_table(res, intervals)
    flow.table(header, rows)
    low, high = gauge["epochs"]["min"], gauge["epochs"]["max"]
    recorded = f"{low} epochs recorded in every fold" if low == high else f"{low} to {high} epochs recorded by fold"
    flow.text([gauge["cite"], f"{gauge['how']}; model {gauge['model']}, {gauge['folds']} folds, {recorded}."],
              size=6.5, color=style.MUTED)


def _selection_lines(res: Mapping[str, Any]) -> list[str]:
    """The selection (before/after counts, dropped and flagged samples) and the face-check counts."""
    selection = res.get("selection")
    if not selection:
        return []
    faces = res.get("face_quality") or {}
    by_class = selection.get("by_class", {})
    lines = [f"Selected by the paper: {selection.get('selected')}    kept after the checks: {selection.get('kept')}"
             f"    (min_frames {selection.get('min_frames')}, faces policy {faces.get('policy', '?')})", "",
             f"  {'class':<16}{'selected':>10}{'kept':>8}"]
    for cls, n in (by_class.get("selected") or {}).items():
        lines.append(f"  {cls:<16}{n:>10}{(by_class.get('kept') or {}).get(cls, 0):>8}")
    counts = ", ".join(f"{k} {v}" for k, v in (faces.get("counts") or {}).items() if v)
    if faces.get("sampled_frames") is not None:
        lines += ["", f"Face check ({faces['sampled_frames']} frames per clip): {counts}"]
    else:  # no frames to check (the authors' released inputs): what was done instead, as the run recorded it
        note = str(faces.get("note") or "no face check")
        lines += ["", note[:1].upper() + note[1:] + (f" ({counts})" if counts else "")]
    dropped = selection.get("dropped") or []
    by_stage = selection.get("dropped_by_stage") or {}
    lines += ["", f"Dropped or merged: {len(dropped)}" + (" (" + ", ".join(f"{k} {v}" for k, v in by_stage.items())
                                                          + ")" if by_stage else "")]
    lines += [f"  [{d['stage']}] {d['key']}: {d['reason']}" for d in dropped[:40]]
    if len(dropped) > 40:
        lines.append(f"  ... and {len(dropped) - 40} more (results.json: selection.dropped)")
    flagged = selection.get("flagged") or []
    lines += ["", f"Flagged, kept: {len(flagged)}"]
    lines += [f"  [{f['stage']}] {f['key']}: {f['reason']}" for f in flagged[:30]]
    if len(flagged) > 30:
        lines.append(f"  ... and {len(flagged) - 30} more (results.json: selection.flagged)")
    shown = [f for f in faces.get("flagged") or [] if f.get("frames")][:12]
    if shown:
        lines += ["", "Clips flagged by the face check (first sampled frame):"]
        lines += [f"  {f['key']} ({f['verdict']}): {f['frames'][0]}" for f in shown]
    return lines


def _thumbnail_page(title: str, clips: list[Mapping[str, Any]], banner: str) -> plt.Figure:
    """First, middle and last sampled frame of each flagged clip, as given
    (``common.orchestration.paper_reports.flagged_frames``); a frame that could not be read shows its note."""
    fig, axes = plt.subplots(max(len(clips), 6), 3, figsize=(8.27, 11.69), squeeze=False)
    fig.subplots_adjust(top=0.9, bottom=0.03, hspace=0.35)
    fig.suptitle(title, fontsize=12, weight="bold", x=0.05, ha="left", y=0.975)
    fig.text(0.05, 0.945, banner + "\nfirst, middle and last sampled frame of each flagged clip", fontsize=7, va="top")
    for ax in axes.ravel():
        ax.axis("off")
    for row, clip in zip(axes, clips):
        for ax, cell in zip(row, clip["cells"]):
            if cell["image"] is None:
                ax.text(0.5, 0.5, "\n".join(_wrap(cell["note"], 40)), fontsize=5, ha="center", va="center",
                        transform=ax.transAxes, color=style.MUTED)
                continue
            ax.imshow(cell["image"])
            face = "face" if cell["face"] else "NO FACE"
            ax.set_title(f"{clip['key'] if cell['first'] else ''} [{cell['position']}: {face}]", fontsize=6)
    return fig


def shown_config(config: Mapping[str, Any] | None, *, weights: Mapping[str, Any] | str | None = None,
                 max_folds: int | None = None) -> dict[str, Any]:
    """The config as a report page prints it: as run, except that a run of the authors' released weights
    (``weights``: its ``released_weights`` record, or the weights folder) shows no training recipe, which trained
    nothing (one line says so), and a benchmark cut by ``--max-folds`` says, beside ``evaluation.max_folds``,
    that the benchmark cut the track's folds (the config's own value is not what ran)."""
    shown = dict(config or {})  # a run's results.json may hold none (a toy harness's)
    if weights and isinstance(shown.get("train"), Mapping):
        folder = weights.get("folder", "?") if isinstance(weights, Mapping) else weights
        shown["train"] = (f"not used: the authors' released weights ({Path(str(folder)).name}) are evaluated here, "
                          "nothing is trained")
    evaluation = shown.get("evaluation")
    if max_folds and isinstance(evaluation, Mapping) and "max_folds" in evaluation:
        shown["evaluation"] = {**evaluation, "max_folds": f"{evaluation['max_folds']} (not what ran: --max-folds "
                                                         f"{max_folds} kept the track's first {max_folds} folds)"}
    return shown


def config_lines(config: Any, indent: str = "  ") -> list[str]:
    """A config tree (``to_dict``) as indented ``key = value`` lines (reports' config pages)."""
    lines = []
    if isinstance(config, Mapping):
        for key, value in config.items():
            if isinstance(value, Mapping):
                lines.append(f"{indent}{key}:")
                lines += config_lines(value, indent + "  ")
            else:
                lines.append(f"{indent}{key} = {value}")
    return lines


def architecture_groups(summaries: Mapping[str, dict]) -> list[tuple[list[str], dict]]:
    """Models with the same layers (classes and parameter counts, in order) that all agree with the
    paper's table where it gives one, grouped: ``[(names, first summary), ...]`` in first-seen order.
    Their inputs may differ. A model with a mismatching row keeps its own table."""
    groups: dict[Any, list[str]] = {}
    for name, summary in summaries.items():
        agrees = all(row["match"] for row in summary.get("paper_comparison", []))
        key = tuple((layer["class"], layer["params"]) for layer in summary["layers"]) if agrees else name
        groups.setdefault(key, []).append(name)
    return [(names, summaries[names[0]]) for names in groups.values()]


def _architecture_section(doc: ReportDocument, summaries: Mapping[str, dict], banner: str, synthetic: bool) -> None:
    if not summaries:
        return
    doc.section("Architectures")
    # the models at the paper's sizes (build_paper_model), not the run's profile's (which may train smaller inputs)
    flow = Flow("Architectures (our built models at the paper's sizes, whatever the run's profile)", banner, synthetic,
                emit=doc.savefig)
    for names, summary in architecture_groups(summaries):
        comparison = {row["name"]: row for row in summary.get("paper_comparison", [])}
        header = ["layer", "class", "output shape", "params"]
        if comparison:
            header += ["paper shape", "paper params"]
        body, highlight = [], []
        for layer in summary["layers"]:
            row = [layer["name"], layer["class"], str(layer["output_shape"]), f"{layer['params']:,}"]
            if comparison:
                paper_row = comparison.get(layer["name"])
                row += ["" if paper_row is None else str(paper_row["paper_shape"]),
                        "" if paper_row is None or paper_row["paper_params"] is None
                        else f"{paper_row['paper_params']:,}"]
                highlight.append(paper_row is not None and not paper_row["match"])
            else:
                highlight.append(False)
            body.append(row)
        ours = {layer["name"] for layer in summary["layers"]}
        for missing in (r for r in comparison.values() if r["name"] not in ours):  # in the paper, not in ours
            body.append([missing["name"], "(missing)", "", "", str(missing["paper_shape"]),
                         "" if missing["paper_params"] is None else f"{missing['paper_params']:,}"])
            highlight.append(True)
        title = names[0] if len(names) == 1 else f"{names[0]} (x{len(names)}: {', '.join(names)})"
        flow.heading(f"Architecture: {title}", 9)
        lines = [f"trainable {summary['trainable_params']:,}   non-trainable {summary['non_trainable_params']:,}"
                 + (f"   paper table: {sum(highlight)} mismatching rows (red)" if comparison else
                    "   (the paper gives no layer table for this model)")]
        if len(names) > 1:
            lines.append(f"x{len(names)}, the same layers; inputs differ: "
                         + "; ".join(f"{n} {summaries[n]['layers'][0]['output_shape']}" for n in names)
                         + f". The table is {names[0]}'s (its shapes).")
        flow.text(lines, size=7)
        flow.table(header, body, highlight)
    flow.finish()


def write_report(paper_id: str, results_by_experiment: Mapping[str, ExperimentResult], out_dir: str | Path,
                 context: ReportContext | None = None, *,
                 architectures: Mapping[str, dict] | None = None, intervals: Mapping[str, Mapping] | None = None,
                 thumbnails: Mapping[str, list] | None = None, pages: list | None = None,
                 curves: Mapping[str, Mapping] | None = None, folder: str | Path | None = None) -> Path:
    """Write ``<out>/<paper>/report.pdf`` (+ results.json, comparison.csv, scores.csv), or into ``folder`` (the
    run's own folder, ``common.orchestration.run_folders``); return the PDF path.

    A pure function of records and numbers (``common.orchestration.paper_reports.write_paper_report``
    computes the last three before calling it): ``results_by_experiment`` (name -> ``ExperimentResult``,
    in memory), ``context`` (default: one made from the first result), ``architectures`` (model ->
    ``model_summary``; none: no architecture section), ``intervals`` (experiment ->
    ``statistics.experiment_intervals``; none: scores without intervals) and ``thumbnails`` (experiment
    -> ``paper_reports.flagged_frames``, drawn only where ``context.allow_faces``) and ``curves`` (experiment
    -> ``common.evaluation.curves.training_curves``; none: no training curves). Each experiment's
    ``report_pages(pdf, result, context)`` draws its own pages from the same objects. ``pages``, when
    given, receives one ``layout.PageCheck`` per page (the layout tests read them).
    """
    summaries_by_name = {name: res.summary for name, res in results_by_experiment.items()}
    if context is None:
        first = next(iter(summaries_by_name.values()), {})
        corpus = first.get("corpus", {"kind": "?", "root": "?"})
        context = ReportContext(paper_id=paper_id, profile=first.get("profile", "?"), seed=first.get("seed"),
                                corpus=corpus, allow_faces=corpus.get("kind") == "synthetic",
                                environment=first.get("environment", {}), results=dict(results_by_experiment))
    paper = context.paper
    paper_dir = Path(folder) if folder is not None else Path(out_dir) / paper_id
    paper_dir.mkdir(parents=True, exist_ok=True)
    summaries = dict(architectures or {})
    intervals = dict(intervals or {})
    thumbnails = thumbnails or {}
    synthetic = _is_synthetic(context)
    banner = _banner(context.profile, context.corpus, _overrides(summaries_by_name))
    pdf_path = paper_dir / "report.pdf"
    metadata = {"Title": f"mersuite report: {paper_id}", "Subject": banner, "Creator": "mersuite run_all.py"}
    header = running_header(paper_id, context, summaries_by_name)
    open_before = len(plt.get_fignums())
    # atomic (common.files): a reader or a second run never sees half a PDF
    with atomic_write(pdf_path, "wb") as handle, ReportDocument(handle, header, metadata,
                                                                check=pages is not None) as doc:
        _answer(doc, summaries_by_name, context, intervals)
        for name, res in summaries_by_name.items():
            _experiment_section(doc, name, res, intervals.get(name, {}), bool(context.allow_faces),
                                thumbnails.get(name) or [], (curves or {}).get(name))
        _architecture_section(doc, summaries, banner, synthetic)
        for name, result in results_by_experiment.items():
            if result.experiment.report_pages is None:
                continue
            doc.section(f"{name}: the paper's own pages")
            try:
                result.experiment.report_pages(doc, result, context)
            except Exception as exc:  # the paper's extra pages are optional; say what went wrong
                logger.warning(f"report: {name}.report_pages failed: {type(exc).__name__}: {exc}")
                doc.savefig(figures.text_page(f"{name}: extra pages failed", traceback.format_exc().splitlines()))
        doc.section("The run")
        doc.savefig(_run_page(paper_id, paper, context, summaries_by_name))
    for number in plt.get_fignums()[open_before:]:  # a paper's page left open: close it, the PDF is written
        plt.close(number)
    if pages is not None:
        pages.extend(doc.pages)
    comparison = _comparison_with_intervals(summaries_by_name, intervals, synthetic)
    tables.write_csv(paper_dir / "comparison.csv", comparison, tables.COMPARISON_COLUMNS)
    tables.write_csv(paper_dir / "scores.csv", tables.score_rows(summaries_by_name, intervals), tables.SCORE_COLUMNS)
    write_json_atomic(paper_dir / "architectures.json", jsonable({"models": summaries}))
    write_json_atomic(paper_dir / "results.json", jsonable({
        "schema": REPORT_SCHEMA, "paper": paper_id,
        "title": getattr(paper, "title", None), "citation": getattr(paper, "citation", None),
        "profile": context.profile, "seed": context.seed, "corpus": context.corpus,
        "allow_faces": bool(context.allow_faces), "environment": context.environment,
        "seconds": context.seconds, "command": context.command,
        "comparison": comparison,
        "intervals": intervals,
        "experiments": jsonable(summaries_by_name),
        "outputs": {"report": pdf_path, "comparison": paper_dir / "comparison.csv", "scores": paper_dir / "scores.csv",
                    "architectures": paper_dir / "architectures.json"},
    }))
    return pdf_path


def _comparison_with_intervals(results: Mapping[str, Mapping], intervals: Mapping[str, Mapping],
                               synthetic: bool) -> list[dict]:
    """``tables.comparison_rows`` plus our pooled interval (``ours_low``/``ours_high``, pooled rows only)
    and, on real data, whether the paper's number lies inside it (``paper_in_interval``)."""
    rows = []
    for row in tables.comparison_rows(results):
        iv = interval_of(intervals.get(row["experiment"]), row["scope"], row["metric"])
        pooled = iv if row["aggregation"] == "pooled" else None  # the interval is the pooled score's
        inside = None if synthetic or row["partial"] else paper_in_interval(row, iv)
        rows.append({**row, "ours_low": None if pooled is None else pooled["low"],
                     "ours_high": None if pooled is None else pooled["high"], "paper_in_interval": inside})
    return rows
