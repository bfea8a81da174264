"""The report page of HTNet (Wang et al., Neurocomputing 2024): Table 2's HTNet row beside our pooled UF1 / UAR
per scope, and our confusion matrices (``common.reporting.published``). The page draws from
``result.summary`` only; the numbers from ``reported.py``."""
from __future__ import annotations

from typing import Any

from common.harness import ExperimentResult, ReportContext
from common.reporting.published import published_beside_ours_page
from papers.wang2024.reported import HTNET, SCOPE_TITLES, SELECTED_ON_TEST, SOURCE

NOTES = (f"HTNet's published numbers are {SELECTED_ON_TEST}. They are shown, not compared: no difference is "
         "taken. The test-selected score of our own folds comes from the suite's epoch-selection gauge.",)


def report_pages(pdf: Any, result: ExperimentResult, context: ReportContext) -> None:
    """Table 2's HTNet row (composite and per database) beside our pooled UF1/UAR, then our confusion matrices."""
    published_beside_ours_page(pdf, result, context, title="HTNet: Table 2 (selected on test data) beside ours",
                               published=HTNET, scope_titles=SCOPE_TITLES, source=SOURCE, notes=NOTES)
