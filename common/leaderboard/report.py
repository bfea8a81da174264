"""The benchmark's PDF: one report a researcher would put in an appendix.

A pure function of the benchmark's summary in memory (``BenchmarkResult.summary``, exactly what
``results.json`` holds); nothing is reloaded or recomputed. Pages, the answer first:

1. the leaderboard (method, model, profile, pooled UF1 and UAR with 95 % intervals, fold mean,
   per database, the paper's own number where it reports one; the published reference rows
   at the bottom, marked "published, not run by us", with whether each one's code selects on test
   data; those that do in a block of their own, last, under one sentence saying why the honest number
   is the one to cite) and the forest plot (UF1 and UAR with their
   intervals and the chance level of the track); a published number the authors' own artefact does
   not reproduce carries a dagger, and the footnote under the table gives the recomputed value and
   why (``Reported.recomputed``, ``Reference.recomputed``); a paper's number that measures something else than
   our run (``Reported.comparable`` False: HTNet's, each subject's best test epoch) a double dagger, its
   footnote saying what; a ``--weights`` row's paper column holds the numbers its weights' source states;
2. per-database heatmap (method x database); 3. the confusion matrices of every method on every scope;
4. per subject: each fold's UF1 and accuracy per method; 5. the training curves (each method's folds,
   median and quantile band per epoch: loss, training and test accuracy);
6. pairwise differences and p-values (coloured by the difference's sign where the adjusted p < 0.05);
7. every score with its label (scores table); 8. cost vs UF1 (training time, parameters) and the cost table;
9. per method: the effective configuration and every setting that differs from the paper profile;
10. last: the run (corpus, folds, seeds, statistics settings, environment, device, command, and each
   published row's source and the source of its selection practice).

A run with fewer folds than the track (``--max-folds``) says "partial run: N of M folds, not comparable
with published rows" in its title, its banner (every page) and its rows.
Every number says what it is: profile, corpus (SYNTHETIC in capitals and boxed when synthetic),
pooled over folds (the mean over seeds of it, its interval over subjects x seeds, with several seeds) or fold
mean. Wherever a method's scores are shown, its name says "(authors' weights, not trained)" for the authors'
released weights evaluated (``--weights``) and "(test-selected)" where its predictions were picked on the test
data (page 1's table: in a column of its own; ``summary.method_label``). :func:`save_leaderboard_png` saves page
1's leaderboard and forest plot as a PNG (the README's figure).
"""
from __future__ import annotations

import datetime
import textwrap
from pathlib import Path
from typing import Any
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from common.config import profile_label
from common.datasets.released import corpus_label
from common.evaluation.references import PUBLISHED
from common.evaluation.epoch_selection import CITE_HONEST as CITE_OURS
from common.evaluation.epoch_selection import SHORT as GAUGE_SHORT
from common.leaderboard.summary import (CITE_HONEST, GAUGE_SELECTIONS, TEST_SELECTED, by_uf1, gauge_note, gauge_value,
                                        interval_text, method_label, method_marks, missing_folds, not_comparable,
                                        partial, ranks, run_selected_on_test, score_text, test_selected)
from common.leaderboard.tracks import fold_word, folds_are
from common.files import atomic_write
from common.reporting import figures, style
from common.reporting.document import ReportDocument
from common.reporting.tables import corpus_place, fmt, seeds_words, shout
from common.reporting.pdf import config_lines, shown_config

LANDSCAPE = (11.69, 8.27)
HEAT = "YlGnBu"  # the per-database page's colours (its light half only: the text stays black)
# The paired page's cells: coloured by the sign of the difference (row minus column) where its Benjamini-Hochberg
# adjusted p is below 0.05 (stronger below 0.01), white otherwise; every colour light enough for black text.
PAIR_COLOURS = {(1, 0.01): "#6baed6", (1, 0.05): "#c6dbef", (-1, 0.01): "#fd8d3c", (-1, 0.05): "#fdd0a2"}
PAIR_NONE = "#ffffff"
METRIC_TITLES = {"uf1": "UF1", "uar": "UAR"}
# Marks a published number the authors' own artefact does not reproduce; the footnote gives the recomputed one.
DAGGER = "\u2020"
# Marks a paper's number that measures something else than our run (Reported.comparable False: HTNet's, selected on
# its test data); the footnote says what.
DOUBLE_DAGGER = "\u2021"
# Where a --weights row's paper column comes from: what the weights' source states for them, not the paper's table.
STATED_BY_WEIGHTS = "stated by the weights' source"
MARK_CHARS = 18  # a name's marks on an axis wrap at this many characters a line
# Page 1's column of each published row's selection practice (Reference.selects_on_test), and the block's title.
SELECTION_HEADER = "selects on\ntest data"
PER_DATABASE_HEADER = "UF1 per database"
TEST_SELECTED_TITLE = "Published, selected on\ntest data: not comparable"
TEST_SELECTED_FACE = "#f6dede"  # rows of that block


def _summary(bench: Any) -> Mapping[str, Any]:
    return bench.summary if hasattr(bench, "summary") else bench


def _synthetic(summary: Mapping[str, Any]) -> bool:
    return summary["corpus"]["kind"] == "synthetic"


def banner(summary: Mapping[str, Any]) -> str:
    """Profile, corpus, seeds and folds of the whole benchmark, on every page; a partial run says so."""
    inputs = summary["corpus"].get("inputs") or ""
    kind = ("SYNTHETIC CORPUS (not comparable with any paper's number)" if _synthetic(summary)
            else f"real, from {inputs}" if "released" in inputs else "real databases")
    seeds = summary["seeds"]
    folds = f"{summary['n_folds']} folds" + (f" (only the first {summary['max_folds']})"
                                             if summary.get("max_folds") else "")
    return (f"track {summary['track']['name']}   profile: {profile_label(summary['profile'], summary.get('overrides'))}"
            f"   corpus: {kind}\n"
            f"{seeds_words(seeds)}   {folds}   scores pooled over folds (MEGC rule)"
            + (", mean over seeds" if len(seeds) > 1 else "")
            + f"; {int(100 * summary['statistics']['settings']['level'])}% "
            f"intervals: bootstrap over subjects{' x seeds' if len(seeds) > 1 else ''} "
            f"({summary['statistics']['settings']['n_resamples']} resamples)"
            + (f"\n{shout(partial(summary))}" if partial(summary) else ""))


def _ranked(summary: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return by_uf1(summary["methods"])


def tick_label(m: Mapping[str, Any]) -> str:
    """A run row's name on an axis or in a table of scores: the name, then each of its marks
    (``summary.method_marks``: the authors' weights, test-selected) on lines of at most :data:`MARK_CHARS`."""
    return "\n".join([str(m["name"]), *[line for mark in method_marks(m) for line in textwrap.wrap(mark, MARK_CHARS)]])


def pooled_words(summary: Mapping[str, Any]) -> str:
    """What a run row's pooled score is, as the banner says it: "pooled over folds", and with several seeds ", mean
    over seeds" (each seed's pooled score, then their mean)."""
    return "pooled over folds" + (", mean over seeds" if len(summary.get("seeds") or ()) > 1 else "")


def ci_words(summary: Mapping[str, Any]) -> str:
    """A run row's interval, as the banner says it: "95% CI over subjects", over "subjects x seeds" with several
    seeds (the bootstrap resamples both, crossed)."""
    level = (((summary.get("statistics") or {}).get("settings") or {}).get("level")) or 0.95
    return (f"{int(round(100 * level))}% CI over subjects"
            + (" x seeds" if len(summary.get("seeds") or ()) > 1 else ""))


def _value(m: Mapping[str, Any], scope: str, metric: str) -> Mapping[str, Any]:
    return (m["scores"].get(scope) or {}).get(metric) or {}


def _paper_number(m: Mapping[str, Any]) -> str:
    """The paper's pooled UF1 / UAR on "all" as transcribed, a dagger on a number that is recomputed, a double
    dagger on one that measures something else than our run (footnotes); on a ``--weights`` row, the numbers the
    weights' source states (``Experiment.weights_reported``), said in the cell."""
    values = {r["metric"]: r for r in m["reported"] if r["scope"] == "all" and r["aggregation"] == "pooled"}
    if not values:
        return "–"
    unlike = {r["metric"] for r in not_comparable(m["reported"], "all")}
    return (" / ".join(fmt((values.get(k) or {}).get("value"), 4)  # as printed: four decimals
                       + (DAGGER if (values.get(k) or {}).get("recomputed") is not None else "")
                       + (DOUBLE_DAGGER if k in unlike else "")
                       for k in ("uf1", "uar"))
            + (f" ({STATED_BY_WEIGHTS})" if m.get("weights") else ""))


def not_comparable_footnotes(summary: Mapping[str, Any]) -> list[str]:
    """One line per run row whose paper number on "all" measures something else than our run (``reported``'s
    ``comparable`` False: HTNet's, each subject's best test epoch): its name, which numbers, and what they are
    (the number's ``note``)."""
    lines = []
    for m in _ranked(summary):
        unlike = not_comparable(m["reported"], "all")
        if not unlike:
            continue
        metrics = " / ".join(METRIC_TITLES[k] for k in ("uf1", "uar") if k in {r["metric"] for r in unlike})
        notes = "; ".join(dict.fromkeys(r["note"] for r in unlike if r.get("note"))) or "no note"
        lines.append(f"{DOUBLE_DAGGER} {method_label(m, selection=False)}: the paper's {metrics} is not comparable "
                     f"with our run (shown, never differenced): {notes}")
    return lines


def recomputed_footnotes(summary: Mapping[str, Any]) -> list[str]:
    """One line per published number on "all" that the authors' own artefact does not reproduce (a run's
    ``reported`` or a reference row's ``recomputed``): its published and recomputed values and why;
    the same number shown twice (our run's paper number and its published row) is said once."""
    found: dict[tuple[str, str, float, float], list[str]] = {}
    for m in summary["methods"]:
        for r in m["reported"]:
            if r["scope"] == "all" and r["aggregation"] == "pooled" and r.get("recomputed") is not None:
                key = (r["metric"], r.get("recomputed_note") or "", round(float(r["value"]), 4),
                       round(float(r["recomputed"]), 4))
                found.setdefault(key, []).append(m["name"])
    for reference in summary.get("references", []):
        for metric, value in ((reference.get("recomputed") or {}).get("all") or {}).items():
            published = (reference["scores"].get("all") or {}).get(metric)
            if published is None:
                continue
            key = (metric, reference.get("recomputed_note") or "", round(float(published), 4), round(float(value), 4))
            found.setdefault(key, []).append(reference["name"])
    return [f"{DAGGER} {' and '.join(dict.fromkeys(names))}: published {METRIC_TITLES.get(metric, metric)} "
            f"{published:.4f}, recomputed {value:.4f}: {note}".rstrip(": ")
            for (metric, note, published, value), names in found.items()]


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value >= 1000):
        return f"{int(round(value)):,}"
    return f"{value:.{digits}f}"


def _reference_row(reference: Mapping[str, Any], databases: list[str], linked: bool) -> list[str]:
    scores = reference["scores"]
    recomputed = reference.get("recomputed") or {}

    def cell(scope: str, metric: str, digits: int) -> str:
        marked = (recomputed.get(scope) or {}).get(metric) is not None
        return fmt((scores.get(scope) or {}).get(metric), digits) + (DAGGER if marked else "")

    per_db = " / ".join(cell(db, "uf1", 3) for db in databases)
    return ["", reference["name"], reference.get("ref") or "", "published\n(run above)" if linked else PUBLISHED,
            cell("all", "uf1", 4), cell("all", "uar", 4), "", per_db, *["" for _ in GAUGE_SELECTIONS], "",
            reference.get("selects_on_test") or "unknown"]


def p_cell(matrix: Mapping[str, Any], i: int, j: int) -> str:
    """A pairwise matrix cell's p: "p=0.042", or "p≤0.001" at the least its random permutations give (a bound, as
    the analysis recorded it: ``p_at_floor``, ``statistics.Comparison.at_floor``); an older results.json's, which did
    not record it, as a value."""
    floors = matrix.get("p_at_floor")
    bound = bool(floors and floors[i][j])
    return f"p{'≤' if bound else '='}{matrix['p_value'][i][j]:.3f}"


def gauge_cell(m: Mapping[str, Any], selection: str, metric: str = "uf1") -> str:
    """A run row's epoch-selection cell on "all": ``0.71 [0.65, 0.77] +0.08`` (the score at the selected
    epochs, its interval, the inflation over the run's own score); the means over seeds without an interval
    with several seeds; "n/a" for a method without epochs or a run without the record."""
    value = gauge_value(m, selection, "all", metric)
    if value is None:
        return "n/a" if gauge_note(m) else "–"
    interval = f" [{value['low']:.2f}, {value['high']:.2f}]" if value.get("low") is not None else ""
    return f"{value['estimate']:.3f}{interval} {value['inflation']:+.3f}"


def leaderboard_rows(summary: Mapping[str, Any]) -> tuple[list[str], list[list[str]], list[bool]]:
    """(header, rows, published?) of page 1's table: ranked methods, each followed by the published
    rows of the same method (``Reference.runs_as``), then the other reference rows: first those not
    known to select on test data, then a title row (:data:`TEST_SELECTED_TITLE`) and those that do.
    Each published row shows its ``selects_on_test`` (:data:`SELECTION_HEADER`)."""
    databases = [s for s in summary["track"]["scopes"] if s != "all"]
    header = ["#", "method", "model", "profile", "UF1 pooled\n[95% CI]", "UAR pooled\n[95% CI]", "UF1\nfold-mean",
              PER_DATABASE_HEADER + "\n(" + " / ".join(databases) + ")" if databases else PER_DATABASE_HEADER,
              *[f"UF1, {gauge_short(s, summary)}\n[95% CI] inflation" for s in GAUGE_SELECTIONS], "paper's\nUF1 / UAR",
              SELECTION_HEADER]
    rows, published = [], []
    references = list(summary.get("references", []))
    run = {m["paper"] for m in summary["methods"]}
    n, total = summary.get("n_folds"), summary.get("n_folds_protocol")  # total None: an older results.json
    cut = ""
    if partial(summary):
        cut = f"\npartial: {n} of {total} folds" if total else f"\npartial: the first {n} folds"
    ranked = _ranked(summary)
    for rank, m in zip(ranks(ranked), ranked):  # tied methods share a rank
        per_db = " / ".join(fmt(_value(m, db, "uf1").get("pooled"), 3) for db in databases)
        lost = missing_folds(m, ranked)  # why a scored method has no rank: folds others scored, not in its numbers
        why = f"\nunranked: {len(lost)} fold(s) others\nscored are not in its numbers" if lost else ""
        rows.append(["" if rank is None else str(rank), method_label(m, selection=False), m["model"],
                     m["profile"] + cut + why,
                     score_text(_value(m, "all", "uf1"), sd=False), score_text(_value(m, "all", "uar"), sd=False),
                     fmt(_value(m, "all", "uf1").get("fold_mean"), 3),
                     per_db, *[gauge_cell(m, s) for s in GAUGE_SELECTIONS], _paper_number(m),
                     "yes" if run_selected_on_test(m) else "no"])
        published.append(False)
        for reference in references:  # the same method as published, beside our run of it
            if reference.get("runs_as") == m["paper"]:
                rows.append(_reference_row(reference, databases, linked=True))
                published.append(True)
    others = [r for r in references if r.get("runs_as") not in run]
    for reference in [r for r in others if not test_selected(r)]:
        rows.append(_reference_row(reference, databases, linked=False))
        published.append(True)
    apart = [r for r in others if test_selected(r)]
    if apart:
        rows.append(["", TEST_SELECTED_TITLE] + [""] * (len(header) - 2))
        published.append(True)
    for reference in apart:
        rows.append(_reference_row(reference, databases, linked=False))
        published.append(True)
    if not databases:  # a track scored on all its clips only (a holdout database): no per-database column
        column = header.index(PER_DATABASE_HEADER)
        header = header[:column] + header[column + 1:]
        rows = [row[:column] + row[column + 1:] for row in rows]
    return header, rows, published


# {per_fold}: gauge_short's name of the first column, which names what one fold of the track tests
GAUGE_NOTE = ("The two epoch-selection columns give our run's UF1 had each fold kept the epoch of its best test "
              "accuracy ({per_fold}), or had every fold kept the one epoch of the best pooled UF1 (best "
              "single epoch), with the interval and the inflation over our score (docs/methods.md §9.4). ")


def cite_honest_note(summary: Mapping[str, Any]) -> str:
    """Page 1's sentence saying why the honest number is the one to cite: after the epoch-selection columns'
    meaning where a run measured them (:data:`GAUGE_NOTE`, ``epoch_selection.CITE_HONEST``), and where a
    published row selects on test data (:data:`CITE_HONEST`); "" when neither is on the page."""
    measured = any(g.get("status") == "measured" for m in summary["methods"] for g in m.get("epoch_selection") or [])
    parts = [GAUGE_NOTE.format(per_fold=gauge_short("best_epoch_per_fold", summary)) + CITE_OURS] if measured else []
    parts += [CITE_HONEST] if any(test_selected(r) for r in summary.get("references", [])) else []
    return " ".join(parts)


def column_widths(header, rows, minimum: float = 0.02) -> list[float]:
    """Column widths (summing to 1) proportional to each column's longest line, header included, so
    that no cell is cut: the table's font is then chosen to fit the widest (``_draw_table``)."""
    longest = [max(len(part) for cell in [h] + [r[c] for r in rows] for part in str(cell).split("\n"))
               for c, h in enumerate(header)]
    total = float(sum(longest)) or 1.0
    widths = [max(minimum, n / total) for n in longest]
    return [w / sum(widths) for w in widths]


CELL_CHARS = 15  # page 1's cells wrap at spaces to lines this long, so the table's font stays large
TABLE_FONT = 7.5  # at most; less only where the lines still do not fit the page's width
LINE = 1.3  # line height in font sizes; a cell's top and bottom padding, in points:
PAD_PT = 3.0


def wrapped_table(header, rows) -> tuple[list[str], list[list[str]]]:
    """Page 1's cells wrapped at spaces to :data:`CELL_CHARS` (a word longer stays whole), line breaks kept; an
    interval starts a line of its own, never cut in two."""
    def wrap(cell: Any) -> str:
        return "\n".join(part for line in str(cell).replace(" [", "\n[").split("\n")
                         for part in (textwrap.wrap(line, CELL_CHARS, break_long_words=False) or [""]))
    return [wrap(h) for h in header], [[wrap(c) for c in row] for row in rows]


def table_font(header, rows, width_pt: float) -> float:
    """The font size (points) at which every column's longest line fits ``width_pt`` (DejaVu Sans: about 0.62
    em a character, a cell's padding beside), :data:`TABLE_FONT` at most."""
    chars = sum(max(len(part) for cell in [h] + [r[c] for r in rows] for part in str(cell).split("\n"))
                for c, h in enumerate(header))
    return min(TABLE_FONT, 0.95 * width_pt / (0.62 * chars + 4 * len(header))) if chars else TABLE_FONT


def row_heights_in(header, rows, fontsize: float) -> list[float]:
    """Each row's height in inches, the header's first: its most lines at ``fontsize``, padded."""
    def height(row) -> float:
        lines = max(len(str(cell).split("\n")) for cell in row)
        return (lines * fontsize * LINE + 2 * PAD_PT) / 72
    return [height(header)] + [height(row) for row in rows]


def _draw_table(ax, header, rows, published, apart, fontsize: float) -> None:
    """The table on ``ax`` (as tall as :func:`row_heights_in` says), each row as tall as its cells' lines; the
    published rows grey, those ``apart`` (selected on test data) red."""
    ax.axis("off")
    widths = column_widths(header, rows)
    table = ax.table(cellText=rows or [[""] * len(header)], colLabels=header, loc="upper center", cellLoc="left",
                     colWidths=widths)
    table.auto_set_font_size(False)
    table.set_fontsize(fontsize)
    axes_in = ax.get_position().height * ax.figure.get_figheight()
    for row, inches in enumerate(row_heights_in(header, rows or [[""] * len(header)], fontsize)):
        for col in range(len(header)):
            table[row, col].set_height(inches / axes_in)
            table[row, col].get_text().set_verticalalignment("center")
    for col in range(len(header)):
        table[0, col].set_facecolor(style.HEADER)
    for i, (flag, red) in enumerate(zip(published, apart)):
        for col in range(len(header)):
            if flag:
                table[i + 1, col].set_facecolor(TEST_SELECTED_FACE if red else style.PUBLISHED)
                table[i + 1, col].get_text().set_color("#8a1c1c" if red else "#555555")


def forest(axes, summary: Mapping[str, Any], scope: str = "all") -> None:
    """UF1 and UAR with their intervals, one row per method (ranked), the chance mean and band."""
    ranked = _ranked(summary)
    names = [tick_label(m) for m in ranked]  # marked: the authors' weights, test-selected
    y = np.arange(len(names))[::-1]
    chance = summary["statistics"].get("chance", {}).get(scope, {})
    for ax, metric in zip(axes, ("uf1", "uar")):
        level = chance.get(metric)
        if level:
            ax.axvspan(level["low"], level["high"], color="#dddddd", zorder=0,
                       label="chance 95% band (label permutation)")
            ax.axvline(level["mean"], color="#888888", linestyle="--", linewidth=1, label=f"chance {level['mean']:.3f}")
        for yi, m in zip(y, ranked):
            v = _value(m, scope, metric)
            if v.get("pooled") is None:
                continue
            interval = v.get("interval") or {}
            if interval.get("low") is not None:
                ax.errorbar(v["pooled"], yi, xerr=[[v["pooled"] - interval["low"]], [interval["high"] - v["pooled"]]],
                            fmt="o", color="#1f4e79", capsize=3)
            else:
                ax.plot(v["pooled"], yi, "o", color="#1f4e79")
            ax.annotate(f"{v['pooled']:.3f}", (v["pooled"], yi), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=6)
        ax.set_yticks(y, names, fontsize=7)
        ax.set_xlim(0, 1.03)
        # an empty band above the first method, as tall as the chance legend (about 0.45 in), which sits in it: in
        # the rows' band it covered a method's interval reaching left of about 0.45
        height_in = ax.get_position().height * ax.figure.get_figheight()
        span = len(names) + 0.6
        headroom = 0.45 * span / max(height_in - 0.45, 0.5) if level else 0.0
        ax.set_ylim(-0.8, len(names) - 0.2 + headroom)
        ax.set_xlabel(f"{METRIC_TITLES[metric]} {pooled_words(summary)}, scope {scope} (profile and corpus: above)"
                      + ("; PARTIAL run" if partial(summary) else ""), fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
        if level:  # the chance band's legend; left: the methods sit right of chance
            ax.legend(fontsize=6, loc="upper left", framealpha=0.9)
        ax.set_title(f"{METRIC_TITLES[metric]} with {ci_words(summary)}", fontsize=9)


NO_REFERENCE = ("No published number exists for this track: no paper transcribed here (common/evaluation/"
                "published.json, the papers' BENCHMARK_REFERENCES) reports one on its clips and folds, so no grey row.")


def references_note(summary: Mapping[str, Any]) -> str:
    """Page 1's sentence on the published rows: what the grey rows are, or that the track has none
    (:data:`NO_REFERENCE`)."""
    if not summary.get("references"):
        return NO_REFERENCE
    return ("Grey rows: " + PUBLISHED + " (as transcribed in the source named in leaderboard.csv; other protocols or "
            "data may apply)" + ("; they are whole-protocol numbers, NOT comparable with this partial run"
                                 if partial(summary) else "") + ".")


def leaderboard_figure(bench: Any) -> plt.Figure:
    """Page 1: the leaderboard table over the forest plot (A4 landscape wide; as tall as the table needs,
    A4 landscape at least: every row keeps its height and the forest plot its room)."""
    summary = _summary(bench)
    header, rows, published = leaderboard_rows(summary)
    # rows is kept for the test-selected rows' check (the unwrapped title); the table draws the wrapped cells
    shown_header, shown = wrapped_table(header, rows)
    fontsize = table_font(shown_header, shown, 0.96 * LANDSCAPE[0] * 72)
    # a published number the authors' own predictions do not give: the value they give, and why (footnote)
    # a paper's number that measures something else than our run (selected on its test data): what it is (footnote)
    footnotes = [line for note in not_comparable_footnotes(summary) + recomputed_footnotes(summary)
                 for line in _wrap(note, 230)][:8]
    why = _wrap(note, 230) if (note := cite_honest_note(summary)) else []
    table_in = sum(row_heights_in(shown_header, shown, fontsize)) + 0.05
    notes_in = 0.58 + 0.165 * (len(footnotes) + len(why))  # the forest's axis labels stay above the notes
    height = max(LANDSCAPE[1], 1.16 + table_in + 0.66 + 3.0 + notes_in)
    fig = plt.figure(figsize=(LANDSCAPE[0], height))

    def below_top(inches: float) -> float:
        return 1 - inches / height

    title = f"Benchmark: {summary['track']['title']}"
    if partial(summary):  # the track's title names the whole protocol: say at once that this run is not all of it
        title += f": PARTIAL run, {summary['n_folds']} of {summary.get('n_folds_protocol') or '?'} folds"
    fig.text(0.03, below_top(0.2), title, fontsize=14 if len(title) < 110 else 11, weight="bold", va="top",
             color="#8a1c1c" if partial(summary) else style.INK)
    boxed: dict[str, Any] = (
        {"color": "#8a1c1c", "bbox": {"facecolor": "#fff3cd", "edgecolor": "#8a1c1c", "boxstyle": "round,pad=0.3"}}
        if _synthetic(summary) or partial(summary) else {})
    fig.text(0.03, below_top(0.54), banner(summary), fontsize=8, va="top",
             weight="bold" if boxed else None, **boxed)
    selection = header.index(SELECTION_HEADER)
    apart = [row[selection] == "yes" or row[1] == TEST_SELECTED_TITLE for row in rows]  # the test-selected block
    _draw_table(fig.add_axes((0.02, below_top(1.16 + table_in), 0.96, table_in / height)), shown_header, shown,
                published, apart, fontsize)
    bottom = notes_in / height
    top = below_top(1.16 + table_in + 0.66)
    axes = [fig.add_axes((0.12, bottom, 0.36, top - bottom)), fig.add_axes((0.61, bottom, 0.36, top - bottom))]
    forest(axes, summary)
    fig.text(0.03, 0.08 / height, references_note(summary) + " Cost (parameters, seconds, memory): the Cost pages.",
             fontsize=6, color="#8a1c1c" if partial(summary) and summary.get("references") else style.INK)
    if why:  # the red rows: their selection practice and its source are in leaderboard.csv and on the last page
        fig.text(0.03, 0.21 / height, "\n".join(why), fontsize=6, va="bottom", color="#8a1c1c", weight="bold")
    if footnotes:
        fig.text(0.03, (0.21 + 0.116 * len(why)) / height, "\n".join(footnotes), fontsize=6, va="bottom",
                 color="#8a1c1c")
    return fig


def save_leaderboard_png(bench: Any, path: str | Path, dpi: int = 150) -> Path:
    """Page 1 (leaderboard and forest plot) as a PNG, e.g. for the README (labelled as the report is)."""
    path = Path(path)
    fig = leaderboard_figure(bench)
    style.drawable(fig)
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=dpi)
    plt.close(fig)
    return path


def _heatmap_page(summary: Mapping[str, Any]) -> plt.Figure:
    ranked = _ranked(summary)
    scopes = list(summary["track"]["scopes"])
    fig, axes = plt.subplots(2, 1, figsize=figures.A4)
    fig.suptitle("Per database: pooled score of each method", fontsize=13, weight="bold", x=0.05, ha="left")
    fig.text(0.05, 0.945, banner(summary), fontsize=6.5, va="top")
    for ax, metric in zip(axes, ("uf1", "uar")):
        values = np.array([[_value(m, s, metric).get("pooled", np.nan) if _value(m, s, metric) else np.nan
                            for s in scopes] for m in ranked], dtype=float)
        # the light half of a sequential map (vmax beyond 1), so black text reads on every cell in print
        shown = np.ma.masked_invalid(values)
        ax.imshow(shown, cmap=HEAT, vmin=0, vmax=1.6, aspect="auto")
        ax.set_facecolor("#f2f2f2")  # no test sample
        for i, m in enumerate(ranked):
            for j, s in enumerate(scopes):
                v = _value(m, s, metric)
                text = score_text(v).replace(" [", "\n[") if v else "no test\nsample"
                ax.text(j, i, text, ha="center", va="center", fontsize=7 if len(ranked) <= 8 else 6,
                        color=style.INK if v else style.MUTED)
        ax.set_xticks(range(len(scopes)), scopes, fontsize=8)
        ax.set_yticks(range(len(ranked)), [tick_label(m) for m in ranked], fontsize=8)
        ax.set_title(f"{METRIC_TITLES[metric]} {pooled_words(summary)} [{ci_words(summary)}]", fontsize=9)
    fig.subplots_adjust(left=0.16, right=0.97, top=0.88, bottom=0.06, hspace=0.25)
    return fig


def pair_colour(difference: float, p_adjusted: float) -> str:
    """A paired cell's colour (:data:`PAIR_COLOURS`): the sign of the difference where the adjusted p is below
    0.05, stronger below 0.01; white where it is not (a difference with p = 1.000 gets no colour)."""
    if not (np.isfinite(difference) and np.isfinite(p_adjusted)) or difference == 0:
        return PAIR_NONE
    sign = 1 if difference > 0 else -1
    for level in (0.01, 0.05):
        if p_adjusted < level:
            return PAIR_COLOURS[(sign, level)]
    return PAIR_NONE


def _pairwise_page(summary: Mapping[str, Any]) -> plt.Figure:
    pairwise = summary["statistics"].get("pairwise") or {}
    fig, axes = plt.subplots(2, 1, figsize=figures.A4)
    fig.suptitle("Paired comparisons (row minus column)", fontsize=13, weight="bold", x=0.05, ha="left")
    fig.text(0.05, 0.945, "\n".join(figures.wrap_lines([
        banner(summary), "cell: difference of the pooled score, paired bootstrap 95% CI over subjects, two-sided "
        "paired permutation p over subjects (BH: Benjamini-Hochberg adjusted)", "colour: blue, the row's method "
        "scores higher; orange, lower; pale where the BH-adjusted p < 0.05, stronger where p < 0.01; white where "
        "p >= 0.05 (these subjects show no difference)"], 150)), fontsize=6.5, va="top")
    for ax, metric in zip(axes, ("uf1", "uar")):
        matrix = pairwise.get(metric)
        if not matrix:
            ax.axis("off")
            ax.text(0.5, 0.5, summary["statistics"].get("pairwise_note") or "one method: no comparison",
                    ha="center", fontsize=9)
            continue
        labels = {m["name"]: tick_label(m) for m in summary["methods"]}  # marked: the authors' weights, test-selected
        names = [labels.get(name, name) for name in matrix["methods"]]
        n = len(names)
        difference = np.array(matrix["difference"], dtype=float)
        adjusted = np.array(matrix["p_adjusted"], dtype=float)
        size = 7.5 if n <= 4 else 6 if n <= 7 else 5
        for i in range(n):
            for j in range(n):
                colour = "#eeeeee" if i == j else pair_colour(difference[i, j], adjusted[i, j])
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=colour, edgecolor="#bbbbbb",
                                           linewidth=0.6))
                text = "–" if i == j else (f"{difference[i, j]:+.3f}\n[{matrix['low'][i][j]:+.3f}, "
                                           f"{matrix['high'][i][j]:+.3f}]\n{p_cell(matrix, i, j)}\n"
                                           f"(BH {adjusted[i, j]:.3f})")
                ax.text(j, i, text, ha="center", va="center", fontsize=size, color=style.INK)
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_aspect("equal")
        ax.set_xticks(range(n), names, rotation=30, ha="right", fontsize=7)
        ax.set_yticks(range(n), names, fontsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
        ax.set_title(f"{METRIC_TITLES[metric]}: {matrix['n']} samples, {matrix['n_subjects']} subjects, "
                     f"{matrix['n_runs']} seed(s)"
                     + (f"; {matrix['left_out']} left out" if matrix.get("left_out") else ""), fontsize=8)
    fig.subplots_adjust(left=0.16, right=0.95, top=0.84, bottom=0.08, hspace=0.35)
    return fig


CONFUSION_ROWS = 4  # methods per page of the confusion matrices (a row each, a column per scope)


def _confusion_pages(summary: Mapping[str, Any]) -> list[plt.Figure]:
    """Every method's pooled confusion matrix on every scope of the track: a row per method (ranked), a column
    per scope ("all", then each database), summed over seeds; a scope without test clips says so."""
    ranked = [m for m in _ranked(summary) if m.get("confusion_by_scope") or m.get("confusion")]
    scopes = list(summary["track"]["scopes"])
    names = summary["track"]["class_names"]
    seeds = len(summary["seeds"])
    pages = []
    for start in range(0, len(ranked), CONFUSION_ROWS):
        chunk = ranked[start:start + CONFUSION_ROWS]
        style.apply()
        fig, axes = plt.subplots(CONFUSION_ROWS, len(scopes), figsize=figures.A4, squeeze=False)
        fig.suptitle("Confusion matrices of every method and scope (pooled over folds"
                     + (f", summed over {seeds} seeds)" if seeds > 1 else ")"), fontsize=12, weight="bold", x=0.05,
                     ha="left")
        fig.text(0.05, 0.95, banner(summary) + "\nrows = true class (its sample count), columns = predicted; "
                 "colour and % = share of the true class's samples; numbers = counts", fontsize=6.5, va="top")
        for row, m in zip(axes, chunk):
            by_scope = m.get("confusion_by_scope") or {"all": m.get("confusion")}
            for k, (ax, scope) in enumerate(zip(row, scopes)):
                matrix = by_scope.get(scope)
                if not matrix or not np.asarray(matrix).sum():
                    ax.axis("off")
                    ax.text(0.5, 0.5, f"{m['name']} · {scope}\nno test sample", ha="center", va="center",
                            fontsize=7, color=style.MUTED, transform=ax.transAxes)
                    continue
                figures.confusion_axes(ax, matrix, names, f"{m['name']} · {scope} (n={int(np.asarray(matrix).sum())})",
                                       fontsize=5.5, ylabel=k == 0)
        for row in axes[len(chunk):]:
            for ax in row:
                ax.axis("off")
        fig.subplots_adjust(left=0.12, right=0.97, top=0.88, bottom=0.05, hspace=0.75, wspace=0.65)
        pages.append(fig)
    return pages


def _curves_pages(summary: Mapping[str, Any]) -> list[plt.Figure]:
    """Each method's training curves (``summary.analyse``'s ``curves``: the folds' median and quantile band per
    epoch of the training loss and accuracy and the test accuracy, every seed's folds together); a method that
    trains no epochs is named in one line."""
    trained = [m for m in _ranked(summary) if (m.get("curves") or {}).get("curves")]
    if not trained:
        return []
    flow = figures.Flow("Training curves: each method's folds, median and spread per epoch", banner(summary))
    flow.text([figures.curves_legend(trained[0]["curves"]).replace(f"the {trained[0]['curves']['folds']} ", "the ")
               + (" With several seeds, every seed's folds count." if len(summary["seeds"]) > 1 else "")],
              size=6.5, color=style.MUTED)
    for m in trained:
        flow.heading(f"{m['name']} ({m['model']}): {m['curves']['folds']} scored folds", 8)
        flow.block(0.16, figures.curves_row(m["curves"], style.colour(m["name"])))
    names = {m["name"] for m in trained}
    untrained = [m["name"] for m in summary["methods"] if m["name"] not in names]
    if untrained:
        flow.text([f"No training curves: {', '.join(untrained)} (no epochs recorded: a fitted classifier, or the "
                   "authors' released weights evaluated)"], size=6.5, color=style.MUTED)
    return flow.finish()


def subject_rows(summary: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The per-fold table: a row per fold (one subject under LOSO: ``tracks.folds_are``), in the track's fold
    order; its test clips
    and, per method, the UF1 and accuracy of that fold's own test clips (``summary.per_fold``: the mean over
    the seeds that scored it, their count said where some did not); "not ok" for a fold a method did not score."""
    ranked = _ranked(summary)
    folds: dict[str, int | None] = {}
    for m in ranked:
        for fold, entry in (m.get("per_fold") or {}).items():
            folds.setdefault(fold, entry.get("n"))
    header = [folds_are(summary["track"]["name"])[0], "test clips"] + [f"{tick_label(m)}\nUF1 | acc" for m in ranked]
    rows = []
    for fold, n in folds.items():
        cells = [fold, "" if n is None else str(n)]
        for m in ranked:
            entry = (m.get("per_fold") or {}).get(fold)
            if entry is None:
                cells.append("")
            elif entry.get("uf1") is None:
                cells.append(f"not ok ({entry.get('status')})")
            else:
                scored, seeds = entry.get("seeds"), len(m.get("seeds") or ())
                fewer = f"\n{scored} of {seeds} seeds" if scored is not None and scored < seeds else ""
                cells.append(f"{entry['uf1']:.3f} | {entry['accuracy']:.3f}{fewer}")
        rows.append(cells)
    return header, rows


def _fold_word(summary: Mapping[str, Any]) -> str:
    """What one fold of the track tests, in a word: "subject", "person", "database", "held-out database"
    (``tracks.fold_word``; "fold" for a summary that names no track)."""
    return fold_word(str((summary.get("track") or {}).get("name", "")))


def gauge_short(selection: str, summary: Mapping[str, Any]) -> str:
    """An epoch-selection gauge's name in a column or a note: "best epoch per <what one fold tests>" (a database on
    a leave-one-database-out track, not a subject), "best single epoch"."""
    if selection == "best_epoch_per_fold":
        return f"best epoch per {_fold_word(summary)}"
    return GAUGE_SHORT[selection]


def _subject_pages(summary: Mapping[str, Any]) -> list[plt.Figure]:
    header, rows = subject_rows(summary)
    if not rows:
        return []
    seeds = len(summary["seeds"])
    sentence = folds_are(summary["track"]["name"])[1]
    flow = figures.Flow(f"Per {_fold_word(summary)}: each fold's own test clips", banner(summary))
    flow.text([f"UF1 and accuracy of each fold's test clips alone ({sentence})"
               + (f", the mean over {seeds} seeds (over fewer where a seed did not score the fold: the cell says)"
                  if seeds > 1 else "") + ". A fold of one or two clips gives a "
               "coarse score; the pooled score of the leaderboard counts every clip once."], size=6.5,
              color=style.MUTED)
    flow.table(header, rows)
    return flow.finish()


def _scores_pages(summary: Mapping[str, Any]) -> list[plt.Figure]:
    rows = []
    for m in _ranked(summary):
        vs = m.get("vs_chance") or {}
        for scope, by_metric in m["scores"].items():
            for metric, v in by_metric.items():
                interval = v.get("interval") or {}
                per_seed = ", ".join(f"{x:.3f}" for x in v.get("per_seed") or [])
                p = vs.get(metric) if scope == "all" else None
                rows.append([tick_label(m), scope, METRIC_TITLES[metric], fmt(v.get("pooled"), 4),
                             f"[{fmt(interval.get('low'), 3)}, {fmt(interval.get('high'), 3)}]" if interval else "–",
                             fmt(v.get("fold_mean"), 4), per_seed, fmt(v.get("seed_std"), 4),
                             f"{v.get('n')} / {v.get('n_subjects')}",
                             ", ".join(f"{x:.4f}" for x in p) if p else ""])
    chance = summary["statistics"].get("chance", {})
    for scope, by_metric in chance.items():
        for metric, c in by_metric.items():
            rows.append(["chance (label permutation)", scope, METRIC_TITLES[metric], fmt(c["mean"], 4),
                         f"[{fmt(c['low'], 3)}, {fmt(c['high'], 3)}]", "", "", "", "", ""])
    several = len(summary["seeds"]) > 1
    pooled = ("pooled: one confusion matrix over all folds per seed (MEGC rule), the mean over seeds" if several
              else "pooled: one confusion matrix over all folds (MEGC rule)")
    return figures.table_pages("Every score, labelled", ["method", "scope", "metric",
                               pooled_words(summary).replace(", ", ",\n"), "95% CI", "fold mean", "pooled per seed",
                               "sd over seeds", "n / subjects", "p vs chance per seed"], rows,
                               subtitle=_short(summary) + f"    {pooled}; fold mean: mean of per-fold scores, each "
                               "over the classes its fold shows (no MEGC number);\n95% CI: "
                               + str(interval_text(summary, {"interval": True}, len(summary["seeds"])))
                               + "; p vs chance: label permutation of this method's predictions, one-sided",
                               col_widths=[0.16, 0.07, 0.06, 0.09, 0.12, 0.08, 0.14, 0.08, 0.09, 0.11])


def _cost_page(summary: Mapping[str, Any]) -> list[plt.Figure]:
    ranked = _ranked(summary)
    fig, axes = plt.subplots(2, 1, figsize=figures.A4)
    fig.suptitle("Cost vs UF1 (measured in this benchmark's runs)", fontsize=13, weight="bold", x=0.05, ha="left")
    fig.text(0.05, 0.945, banner(summary) + f"\ndevice: {summary.get('device', '?')}", fontsize=6.5, va="top")
    for ax, (key, label, log) in zip(axes, (("fold_seconds", "wall seconds per fold (inputs, training, prediction)",
                                            False),
                                           ("parameters_total", "trainable parameters", True))):
        for m in ranked:
            v = _value(m, "all", "uf1")
            x = m["cost"].get(key)
            if x is None or v.get("pooled") is None:
                continue
            interval = v.get("interval") or {}
            yerr = ([[v["pooled"] - interval["low"]], [interval["high"] - v["pooled"]]]
                    if interval.get("low") is not None else None)
            ax.errorbar(x, v["pooled"], yerr=yerr, fmt="o", capsize=3)
            ax.annotate(tick_label(m), (x, v["pooled"]), textcoords="offset points", xytext=(5, 5), fontsize=7)
        level = summary["statistics"].get("chance", {}).get("all", {}).get("uf1")
        if level:
            ax.axhline(level["mean"], color="#888888", linestyle="--", linewidth=1, label="chance UF1")
            ax.axhspan(level["low"], level["high"], color="#dddddd", zorder=0)
            ax.legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False)  # above: no point hid
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(label, fontsize=8)
        ax.set_ylabel(f"UF1 {pooled_words(summary)}\n[{ci_words(summary)}]", fontsize=8)
        ax.set_ylim(0, 1)
    fig.subplots_adjust(left=0.16, right=0.95, top=0.87, bottom=0.08, hspace=0.35)
    rows = []
    for m in ranked:
        c = m["cost"]
        rows.append([tick_label(m), _num(c["parameters_total"]), str(c["folds"]), _num(c["fold_seconds"], 2),
                     _num(c["fit_seconds"], 2), _num(c["predict_ms_per_clip"], 3),
                     _num(c["preprocess_seconds_per_clip_first"], 4), _num(c["preprocess_seconds_per_clip_cached"], 5),
                     _num(c["peak_rss_mb"], 0)])
    meaning = next(iter(ranked), {}).get("cost", {}).get("meaning", {})
    tables = figures.table_pages("Cost per method", ["method", "trainable params", "scored fold runs", "s / fold",
                                 "fit s / fold", "infer ms / clip", "prep s / clip (1st)", "prep s / clip (cached)",
                                 "peak MiB"], rows,
                                 subtitle=_short(summary) + f"    device: {summary.get('device', '?')}")
    tables[-1].text(0.05, 0.04, "\n".join(line for k, v in meaning.items() for line in _wrap(f"{k}: {v}", 130)),
                    fontsize=6.5, va="bottom")
    return [fig] + tables


def _method_pages(summary: Mapping[str, Any]) -> list[plt.Figure]:
    pages = []
    for m in summary["methods"]:
        differs = m.get("differs_from_paper") or []
        lines = [f"paper {m['paper']}   model {m['model']} (models: {', '.join(m['models']) or '-'})   "
                 f"experiment {m['experiment']}", *_wrap(m["title"]), f"outputs {m['folder']}", "",
                 f"Settings that differ from the paper profile ({len(differs)})" + (":" if differs else "")]
        lines += [f"  {d['setting']}: paper {d['paper']!r} -> used {d['used']!r}"
                  + (" (no effect on a track: its folds are fixed, --max-folds cuts them)"
                     if d["setting"] == "evaluation.max_folds" else "") for d in differs] or \
                 ["  none: this is the paper profile as published"]
        if m.get("reported"):  # a --weights run holds the numbers the weights' source states, not the paper's table
            lines += ["", f"Numbers {STATED_BY_WEIGHTS}, not the paper's (Experiment.weights_reported)"
                      if m.get("weights") else "The paper's own numbers on this protocol (Experiment.reported)"]
            lines += [f"  {r['metric']} {r['scope']} {r['aggregation']}: {r['value']:.4f} ({r['source']})"
                      + (f" {r['note']}" if r.get("note") else "")
                      + ("; not comparable with our run: shown, never differenced" if r.get("comparable") is False
                         else "")
                      + (f"; recomputed {r['recomputed']:.4f} (why: below)" if r.get("recomputed") is not None
                         else "") for r in m["reported"]]
            why = list(dict.fromkeys(r["recomputed_note"] for r in m["reported"] if r.get("recomputed_note")))
            lines += [line for note in why for line in _wrap(f"  recomputed: {note}")]
        notes = [f"{m['left_out']} sample(s) left out of the statistics (not predicted in every seed)"
                 if m.get("left_out") else "", "" if m["scores"] else m.get("note") or ""]  # why no statistics
        for run in m["runs"]:
            notes += [f"seed {run['seed']}: {w}" for w in run["warnings"]]
        notes = [n for n in notes if n]
        if notes:
            lines += ["", "Warnings"] + [line for n in notes for line in _wrap("  " + n)]
        shown = shown_config(m["config"] or {}, weights=m.get("weights"), max_folds=summary.get("max_folds"))
        lines += ["", "Effective configuration"] + config_lines(shown)
        pages.append(figures.text_page(f"Method {method_label(m)}: configuration", lines[:115],
                                       banner=_short(summary)))
    return pages


def _short(summary: Mapping[str, Any]) -> str:
    return (f"profile: {summary['profile']}    corpus: {summary['corpus']['kind'].upper()}"
            + (f"    {shout(partial(summary))}" if partial(summary) else ""))


def _wrap(text: str, width: int = 100) -> list[str]:
    return textwrap.wrap(" ".join(str(text).split()), width) or [""]


def _run_page(summary: Mapping[str, Any]) -> plt.Figure:
    corpus = summary["corpus"]
    settings = summary["statistics"]["settings"]
    lines = [f"Track      {summary['track']['name']}: {summary['track']['title']}",
             *_wrap("           " + summary["track"]["note"]),
             f"Classes    {', '.join(summary['track']['class_names'])}",
             f"Corpus     {corpus['kind']}  folder: {corpus_place(corpus)} (its full path: results.json, corpus.root)"]
    lines += [f"             {name}: {count} samples" for name, count in corpus["datasets"].items()]
    lines += [f"Profile    {summary['profile']}    {seeds_words(summary['seeds'])}    folds {summary['n_folds']}"
              + (f" (--max-folds {summary['max_folds']})" if summary.get("max_folds") else ""),
              f"Overrides  {summary.get('overrides') or '{}'}", "",
              "Statistics", f"  intervals: {settings['interval']} bootstrap, {settings['n_resamples']} resamples, "
              f"seed {settings['seed']}, level {settings['level']}", *_wrap(f"  unit: {settings['unit']}"),
              *_wrap(f"  chance: {settings['chance']}"), "", "Methods (in the order they ran)"]
    for m in summary["methods"]:
        lines += [f"  {m['name']}: {m['title']}"]
    if summary.get("left_out"):  # packages refused where they were loaded: named, with why
        lines += ["", "Left out of this benchmark (refused where loaded)"]
        lines += ["  " + line for note in summary["left_out"] for line in _wrap(note, 110)]
    if summary.get("references"):
        lines += ["", "References (" + PUBLISHED + "), each with whether its code selects on test data"]
        for r in summary["references"]:
            practice = (f"{TEST_SELECTED}: {r.get('selects_on_test') or 'unknown'}"
                        + (f" ({r['selection_source']})" if r.get("selection_source") else ""))
            ref = f" ({r['ref']})" if r.get("ref") else ""
            lines += ["  " + line for line in _wrap(f"{r['name']}{ref}: {r['source']}; {practice}", 110)]
    lines += ["", f"Device     {summary.get('device')}", "Environment"]
    lines += [f"  {k}: {v}" for k, v in (summary.get("environment") or {}).items()]
    lines += ["", f"Total time {summary.get('seconds', 0):.1f} s", "", "Command", *_wrap(summary.get("command") or "-"),
              "", f"Generated {datetime.datetime.now().isoformat(timespec='seconds')}"]
    return figures.text_page("The run: corpus, settings, environment", lines[:115], banner=_short(summary))


def write_report(bench: Any, path: str | Path, pages: list | None = None) -> Path:
    """Write the benchmark's ``report.pdf`` (atomic) from ``bench.summary`` (or that summary itself).

    Every page is drawn, checked, saved and closed one at a time (``common.reporting.document``), with
    the running header, its page number and a bookmark per section; ``pages``, when given, receives
    one ``layout.PageCheck`` per page."""
    summary = _summary(bench)
    path = Path(path)
    metadata = {"Title": f"mersuite benchmark: {summary['track']['name']}", "Subject": _short(summary),
                "Creator": "mersuite run_all.py --benchmark"}
    header = (f"benchmark {summary['track']['name']} · profile {summary['profile']} · corpus "
              f"{corpus_label(summary['corpus'])}"
              + (f" · PARTIAL run, {summary['n_folds']} of {summary.get('n_folds_protocol') or '?'} folds"
                 if partial(summary) else ""))
    with atomic_write(path, "wb") as handle, ReportDocument(handle, header, metadata, check=pages is not None) as doc:
        doc.section("Leaderboard")
        doc.savefig(leaderboard_figure(summary))
        doc.section("Per database")
        doc.savefig(_heatmap_page(summary))
        for section, drawn in (("Confusion matrices", _confusion_pages(summary)),
                               (f"Per {_fold_word(summary)}", _subject_pages(summary)),
                               ("Training curves", _curves_pages(summary))):
            if drawn:
                doc.section(section)
            for fig in drawn:
                doc.savefig(fig)
        doc.section("Pairwise comparisons")
        doc.savefig(_pairwise_page(summary))
        doc.section("Every score")
        for fig in _scores_pages(summary):
            doc.savefig(fig)
        doc.section("Cost")
        for fig in _cost_page(summary):
            doc.savefig(fig)
        doc.section("Methods")
        for fig in _method_pages(summary):
            doc.savefig(fig)
        doc.section("The run")
        doc.savefig(_run_page(summary))
    if pages is not None:
        pages.extend(doc.pages)
    return path
