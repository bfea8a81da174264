"""The report pages of Aouayeb et al. 2019: Table 2 reproduced (baselines, the paper, ours), Table 1 beside
our selection, and the Fig. 5 confusion matrix.

Pages only draw: from ``result.summary`` (results.json in memory), ``result.selection`` (the
samples the folds index) and the ``context``; the transcribed numbers come from ``reported.py``.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

import numpy as np

from common.running.fold import class_counts
from common.experiment import Selection
from common.harness import ExperimentResult, ReportContext
from papers.aouayeb2019.reported import (BASELINES, FIG5_NEGATIVE_RECALL, SCOPE_TITLES, SCOPES, TABLE1_COUNTS,
                                         TABLE1_SCOPES)


def run_line(summary: Mapping[str, Any]) -> str:
    """What the numbers are: profile, corpus (kind and databases) and seed, and the run's marks beside published
    rows (``tables.score_marks``: a partial run, folds left out of the scores)."""
    from common.reporting.tables import score_marks  # the reporting package loads matplotlib

    corpus = summary.get("corpus", {}) or {}
    sizes = ", ".join(f"{k} {v}" for k, v in (corpus.get("datasets") or {}).items())
    return (f"profile: {summary.get('profile', '?')}   corpus: {corpus.get('kind', '?')} ({sizes})   "
            f"seed: {summary.get('seed', '?')}" + "".join(f". {mark}" for mark in score_marks(summary)))


def table2_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    """Table 2 with our pooled UF1/UAR as the last row: [model, ref, approach, UF1/UAR per scope]."""
    def cell(value: Any) -> str:
        return "-" if value is None else f"{float(value):.4f}"

    rows = []
    for name, ref, approach, values in BASELINES:
        row = [name, ref, approach]
        for scope in SCOPES:
            uf1, uar = values[scope]
            row += [cell(uf1), cell(uar)]
        rows.append(row)
    pooled = (summary.get("metrics") or {}).get("pooled", {})
    ours = ["reproduced (ours)", "", "deep learning"]
    for scope in SCOPES:
        scores = pooled.get(scope) or {}
        ours += [cell(scores.get("uf1")), cell(scores.get("uar"))]
    rows.append(ours)
    return rows


def table1_rows(selection: Selection) -> list[list[str]]:
    """Table 1 beside our selection: [database, class, paper, ours, ours - paper] per database x class,
    then the database's total. Ours: the clips the folds index (after the runner's checks)."""
    datasets = selection.datasets
    rows = []
    for scope in TABLE1_SCOPES:
        paper = TABLE1_COUNTS[scope]
        indices = np.arange(len(selection)) if scope == "all" else np.flatnonzero(datasets == scope)
        ours = class_counts(selection, indices)
        title = "3DB (all)" if scope == "all" else SCOPE_TITLES.get(scope, scope)
        for name, count in {**ours, "total": len(indices)}.items():
            reference = paper.get(name)
            rows.append([title if name == selection.class_names[0] else "", name,
                         "-" if reference is None else str(reference), str(count),
                         "-" if reference is None else f"{count - reference:+d}"])
    return rows


def report_pages(pdf: Any, result: ExperimentResult, context: ReportContext) -> None:
    """Extra PDF pages: Table 2 reproduced (baselines, paper, ours), Table 1 beside our selection and
    the Fig. 5 confusion matrix."""
    import matplotlib.pyplot as plt

    from common.reporting.figures import Flow, confusion_page

    summary = result.summary
    # on the synthetic corpus our numbers test the code: beside the paper's as context, never set against them
    synthetic = (summary.get("corpus") or {}).get("kind") == "synthetic"
    header = ["model", "ref", "approach"] + [f"{SCOPE_TITLES[s]} {m}" for s in SCOPES for m in ("UF1", "UAR")]
    rows = table2_rows(summary)
    if synthetic:
        rows[-1][0] = "ours (SYNTHETIC corpus)"
    flow = Flow("Table 2 reproduced; Table 1 beside our selection", emit=pdf.savefig)  # both on one page
    flow.text(["Aouayeb et al. 2019, Table 2 (LOSO, MEGC 2019 composite) with our pooled scores as the last row"
               + (" (the SYNTHETIC corpus: they test the code, not the method, and are not comparable with the rows "
                  "above). " if synthetic else " (red). ") + run_line(summary)])
    flow.table(header, rows, [False] * (len(rows) - 1) + [not synthetic])
    rows = table1_rows(result.selection)
    dropped = len((summary.get("selection") or {}).get("dropped") or ())
    flow.heading("Table 1 beside our selection (MEGC 2019 composite)", 9)
    flow.text([f"Aouayeb et al. 2019, Table 1: samples per class and database. Ours: the {len(result.selection)} "
               f"clips the folds use ({dropped} dropped on the way, listed in the experiment's selection). "
               + ("The SYNTHETIC corpus has counts of its own: none is marked." if synthetic
                  else "Red: a count that differs.")])
    flow.table(["database", "class", "paper (Table 1)", "ours", "ours - paper"], rows,
               [row[4] not in ("+0", "-") and not synthetic for row in rows])
    flow.finish()
    matrix = ((summary.get("metrics") or {}).get("pooled", {}).get("all") or {}).get("confusion")
    if matrix:
        recall = matrix[0][0] / max(sum(matrix[0]), 1)
        fig = confusion_page("Fig. 5 reproduced: confusion matrix on the composite (LOSO, pooled)",
                             {"all": matrix}, list(result.selection.class_names),
                             subtitle=(f"paper (Sec. 4.2): negative recall {FIG5_NEGATIVE_RECALL:.3f}"
                                       + (" (context only)" if synthetic else "")
                                       + f"; ours{' on the SYNTHETIC corpus' if synthetic else ''}: {recall:.3f}. "
                                       f"{run_line(summary)}"))
        pdf.savefig(fig)
        plt.close(fig)
