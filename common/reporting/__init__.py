"""Reports: ``write_report`` writes ``<out>/<paper>/report.pdf`` and ``results.json``.

Modules: ``pdf`` (the report), ``tables`` (rows, CSV, stored intervals read back), ``figures``
(matplotlib pages), ``document`` and ``layout`` (the PDF and its page checks). Reporting draws records
and numbers only: the model summaries, intervals and flagged frames it shows are computed before it
(``common.orchestration.paper_reports``).
"""
from common.reporting.pdf import write_report

__all__ = ["write_report"]
