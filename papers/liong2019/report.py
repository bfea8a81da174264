"""The report page of STSTNet (Liong et al., FG 2019): Table III reproduced, our pooled scores as the last row.

The page draws from ``result.summary`` (results.json in memory) only; the numbers from ``reported.py``.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from common.experiment import ExperimentResult, ReportContext
from papers.liong2019.reported import SCOPE_TITLES, SCOPES, TABLE3


def _cell(value: Any) -> str:
    return "-" if value is None else f"{float(value):.4f}"


def table3_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    """Table III's rows (UF1 / UAR per scope) and ours (pooled over the folds) last."""
    rows = [[name] + [_cell(v) for scope in SCOPES for v in values[scope]] for name, values in TABLE3]
    pooled = (summary.get("metrics") or {}).get("pooled", {})
    rows.append(["ours (STSTNet, this run)"] + [_cell((pooled.get(scope) or {}).get(metric))
                                                for scope in SCOPES for metric in ("uf1", "uar")])
    return rows


def report_pages(pdf, result: ExperimentResult, context: ReportContext | None = None) -> None:
    """Table III (published, every method the paper reproduced) with our run as the last, highlighted row."""
    import matplotlib.pyplot as plt

    from common.reporting.figures import table_pages

    summary = result.summary
    corpus = (summary.get("corpus") or {}).get("kind", "?")
    header = ["method"] + [f"{SCOPE_TITLES[s]} {m}" for s in SCOPES for m in ("UF1", "UAR")]
    rows = table3_rows(summary)
    subtitle = (f"Liong et al. (FG 2019), Table III: MEGC 2019 composite, LOSO, pooled UF1/UAR. Last row: ours, "
                f"profile {summary.get('profile', '?')}, corpus {corpus}"
                + (" (SYNTHETIC: not comparable with the paper)" if corpus == "synthetic" else "") + ".")
    for fig in table_pages("STSTNet: Table III reproduced", header, rows, subtitle=subtitle,
                           highlight=[False] * (len(rows) - 1) + [True]):
        pdf.savefig(fig)
        plt.close(fig)
