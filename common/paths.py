"""Where mersuite writes: the preprocessing cache, the synthetic corpora and the reports."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def cache_root() -> Path:
    """``$MERSUITE_CACHE`` or ``<repo>/.cache/mersuite``: preprocessing stages and synthetic corpora."""
    return Path(os.environ.get("MERSUITE_CACHE", REPO_ROOT / ".cache" / "mersuite"))


def reports_root() -> Path:
    """Default output folder of ``run_all.py`` (``--out`` overrides it)."""
    return Path(os.environ.get("MERSUITE_REPORTS", REPO_ROOT / "reports"))
