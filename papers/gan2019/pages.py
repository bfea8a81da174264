"""The report page of OFF-ApexNet (Gan et al. 2019): the published composite row (Liong et al. 2019,
Table III) beside ours. Draws from ``result.summary`` (results.json in memory) only.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from common.harness import ExperimentResult, ReportContext
from papers.gan2019.model import LAYER_TRAINABLE
from papers.gan2019.reported import SCOPE_TITLES, SCOPES, SOURCE, TABLE3_OFF_APEXNET, TABLE5


def _cell(value: Any) -> str:
    return "-" if value is None else f"{float(value):.4f}"


def comparison_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    """[published row, our row, ours - published], UF1 / UAR per scope; no difference for a run that carries a
    mark (``tables.score_marks``: the synthetic corpus, a partial run, folds left out of the scores)."""
    from common.reporting.tables import score_marks  # the reporting package loads matplotlib

    pooled = (summary.get("metrics") or {}).get("pooled", {})
    published = [TABLE3_OFF_APEXNET[scope][k] for scope in SCOPES for k in (0, 1)]
    ours = [(pooled.get(scope) or {}).get(metric) for scope in SCOPES for metric in ("uf1", "uar")]
    whole = not score_marks(summary)
    difference = ["-" if o is None or not whole else f"{o - p:+.4f}" for o, p in zip(ours, published)]
    return [[f"published ({SOURCE})"] + [_cell(v) for v in published],
            ["ours (this run)"] + [_cell(v) for v in ours],
            ["ours - published" if whole else "ours - published (none: the run is marked above)"] + difference]


def report_pages(pdf, result: ExperimentResult, context: ReportContext | None = None) -> None:
    """One page: the published OFF-ApexNet composite row, ours, the difference."""
    import matplotlib.pyplot as plt

    from common.reporting.figures import table_pages
    from common.reporting.tables import score_marks

    summary = result.summary
    corpus = (summary.get("corpus") or {}).get("kind", "?")
    header = ["row"] + [f"{SCOPE_TITLES[s]} {m}" for s in SCOPES for m in ("UF1", "UAR")]
    subtitle = (f"MEGC 2019 composite, LOSO, pooled UF1/UAR. Published: the authors' group's reproduction "
                f"(Table III; Table V: {TABLE5['parameters_millions']} M parameters, ours {LAYER_TRAINABLE:,}). "
                f"Ours: profile {summary.get('profile', '?')}, corpus {corpus}."
                + "".join(f"\n{mark}" for mark in score_marks(summary)))
    for fig in table_pages("OFF-ApexNet: the published composite row beside ours", header,
                           comparison_rows(summary), subtitle=subtitle, highlight=[False, True, False]):
        pdf.savefig(fig)
        plt.close(fig)
