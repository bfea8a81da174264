"""The report page of the LBP-TOP baseline: the MEGC 2019 results-table row beside ours, and our
confusion matrices per database (``common.reporting.published``)."""
from __future__ import annotations

from typing import Any

from common.harness import ExperimentResult, ReportContext
from common.reporting.published import published_beside_ours_page
from common.svm_baseline import SCOPE_TITLES
from papers.see2019.reported import LBP_TOP, SOURCE


def report_pages(pdf: Any, result: ExperimentResult, context: ReportContext) -> None:
    """The published LBP-TOP row (composite and per database) beside our pooled UF1/UAR, then our confusion matrices."""
    published_beside_ours_page(pdf, result, context, title="LBP-TOP baseline: MEGC 2019 results table beside ours",
                               published=LBP_TOP, scope_titles=SCOPE_TITLES, source=SOURCE)
