"""The report page of STSTNet (Liong et al., FG 2019): Table III reproduced, our pooled scores as the last row.

The page draws from ``result.summary`` (results.json in memory) only; the numbers from ``reported.py``.

Table III's STSTNet "UAR" is macro-precision, not recall (``reported.UAR_AUDIT``): the page marks those
cells with an asterisk, adds the row the authors' own predictions give (``reported.LOG_CONFUSION`` scored
with ``common.evaluation.metrics``: the same UF1, the recall as UAR) and says so under the table. The
report's generic comparison (page 1, comparison.csv) compares our UAR with that recomputed recall, not
with the published precision (``Reported.recomputed``; its ``compared_with`` column says "recomputed"):
a difference between a recall and a precision would measure nothing.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

import numpy as np

from common.evaluation.metrics import scores_from_confusion
from common.harness import ExperimentResult, ReportContext
from papers.liong2019.reported import (LOG_CONFUSION, LOG_SOURCE, PORT_REPORTED, PORT_SOURCE, RECOMPUTED_UAR,
                                       SCOPE_TITLES, SCOPES, TABLE3)

AUDITED = "STSTNet"  # the Table III row whose UAR cells are precision (marked *)
RECOMPUTED_ROW = "STSTNet, the authors' predictions (recomputed)"


def _cell(value: Any) -> str:
    return "-" if value is None else f"{float(value):.4f}"


def recomputed_scores() -> dict[str, dict[str, float]]:
    """UF1 and UAR (recall) per scope of the authors' logged predictions (``reported.LOG_CONFUSION``)."""
    return {scope: scores_from_confusion(np.asarray(LOG_CONFUSION[scope])) for scope in SCOPES}


def table3_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    """Table III's rows (UF1 / UAR per scope), STSTNet's published UAR marked * (precision), the row the
    authors' predictions give, and ours (pooled over the folds) last."""
    rows = []
    for name, values in TABLE3:
        rows.append([name] + [_cell(v) + ("*" if name == AUDITED and k == 1 and scope in RECOMPUTED_UAR else "")
                              for scope in SCOPES for k, v in enumerate(values[scope])])
        if name == AUDITED:
            again = recomputed_scores()
            rows.append([RECOMPUTED_ROW] + [_cell(again[scope][metric]) for scope in SCOPES
                                            for metric in ("uf1", "uar")])
    pooled = (summary.get("metrics") or {}).get("pooled", {})
    rows.append([our_label(summary)] + [_cell((pooled.get(scope) or {}).get(metric))
                                        for scope in SCOPES for metric in ("uf1", "uar")])
    return rows


def our_label(summary: Mapping[str, Any]) -> str:
    """The last row's name: whose network it is (the authors' released weights of their PyTorch port, evaluated
    here, or ours trained by this run) and, for a partial run, how many folds."""
    from common.reporting.tables import run_partial  # the reporting package loads matplotlib

    label = ("the authors' released weights (PyTorch port), evaluated here" if summary.get("released_weights")
             else "ours (STSTNet, this run)")
    partial = run_partial(summary)
    return f"{label}; {partial}" if partial else label


def audit_lines(weights: bool = False) -> list[str]:
    """What the asterisk means, in words under the table; with ``weights`` (a --weights run: the last row is not
    ours), without the sentence comparing our UAR."""
    again = recomputed_scores()
    recall = ", ".join(f"{SCOPE_TITLES[s]} {again[s]['uar']:.4f}" for s in SCOPES)
    return [f"* Table III's STSTNet UAR is macro-precision, not recall: the authors' 442 logged predictions "
            f"({LOG_SOURCE}) give every published UF1 and the accuracy exactly, and the published UAR only with "
            f"truth and prediction swapped. Their recall (the UAR of Eq. 14) is {recall}; the paper's own Table "
            "IV (a) agrees (diagonal mean 71.85 % on Full)."] + ([] if weights else [
            "Compare our UAR with the recomputed row: the report's comparison (page 1, comparison.csv) takes our "
            "UAR minus the recomputed recall, never minus the published precision."])


def port_line(weights: Mapping[str, Any]) -> str:
    """Under the table of a --weights run: what the last row is compared with, and the per-clip agreement."""
    from common.reporting.tables import weights_line  # the reporting package loads matplotlib

    stated = " / ".join(f"{r.value:.4f}" for r in PORT_REPORTED)
    return (f"The last row is the authors' released weights ({weights_line(weights)}). They are the PyTorch port's, "
            f"not the MATLAB network of Table III: compare them with the port's own stated UF1 / UAR on Full, "
            f"{stated} ({PORT_SOURCE}), as page 1 does, not with Table III's rows.")


def report_pages(pdf, result: ExperimentResult, context: ReportContext | None = None) -> None:
    """Table III (published, every method the paper reproduced), the row the authors' predictions give, and
    our run as the last, highlighted row; the audit of the published UAR under the table."""
    import matplotlib.pyplot as plt

    from common.reporting.figures import Flow

    summary = result.summary
    corpus = (summary.get("corpus") or {}).get("kind", "?")
    header = ["method"] + [f"{SCOPE_TITLES[s]} {m}" for s in SCOPES for m in ("UF1", "UAR")]
    rows = table3_rows(summary)
    weights = summary.get("released_weights")
    subtitle = ("Liong et al. (FG 2019), Table III: MEGC 2019 composite, LOSO, pooled UF1/UAR. Last row: "
                + ("the authors' released weights of their PyTorch port (not the paper's MATLAB network), evaluated "
                   "here" if weights else "ours")
                + f", profile {summary.get('profile', '?')}, corpus {corpus}"
                + (" (SYNTHETIC: not comparable with the paper)" if corpus == "synthetic" else "") + ".")
    # the authors' weights evaluated here reproduce nothing of Table III (another network: the PyTorch port's)
    title = "STSTNet: Table III and the authors' released weights" if weights else "STSTNet: Table III reproduced"
    flow = Flow(title, subtitle, corpus == "synthetic")
    flow.table(header, rows, [False] * (len(rows) - 1) + [True])
    flow.text(audit_lines(bool(weights)) + ([port_line(weights)] if weights else []), size=7)
    for fig in flow.finish():
        pdf.savefig(fig)
        plt.close(fig)
