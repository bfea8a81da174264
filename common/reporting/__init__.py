"""Reports: ``write_report`` writes ``<out>/<paper>/report.pdf`` and ``results.json``.

Modules: ``pdf`` (the report), ``tables`` (rows and CSV), ``figures`` (matplotlib pages),
``architecture`` (layer tables of built models, ``run_all.py --architectures``).
"""
from common.reporting.pdf import write_report

__all__ = ["write_report"]
