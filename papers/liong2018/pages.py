"""The report page of Bi-WOOF: the MEGC 2019 results-table row beside ours, and our confusion matrices
per database (``common.reporting.published``)."""
from __future__ import annotations

from typing import Any

from common.harness import ExperimentResult, ReportContext
from common.reporting.published import published_beside_ours_page
from common.svm_baseline import SCOPE_TITLES
from papers.liong2018.reported import BIWOOF, KUMAR_TABLE3, PAPER_F1, SOURCE


def report_pages(pdf: Any, result: ExperimentResult, context: ReportContext) -> None:
    """The published Bi-WOOF row (composite and per database) beside our pooled UF1/UAR, then our confusion matrices."""
    kumar = ", ".join(f"{SCOPE_TITLES[s]} {v:.4f}" for s, v in KUMAR_TABLE3.items())
    notes = [f"Other published Bi-WOOF numbers, not compared: Kumar et al. 2019 Table 3 prints UF1 {kumar}; the paper "
             f"itself reports F1 {PAPER_F1['casme2']:.2f} (CASME II) and {PAPER_F1['smic']:.2f} (SMIC-HS) on "
             "its own per-database protocols."]
    published_beside_ours_page(pdf, result, context, title="Bi-WOOF: MEGC 2019 results table beside ours",
                               published=BIWOOF, scope_titles=SCOPE_TITLES, source=SOURCE, notes=notes)
