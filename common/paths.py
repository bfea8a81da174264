"""Where mersuite writes: the preprocessing cache, the synthetic corpora and the reports."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def cache_root() -> Path:
    """``$MERSUITE_CACHE`` or ``<repo>/.cache/mersuite``: preprocessing stages and synthetic corpora. A variable set
    to nothing is unset (``Path("")`` would be the working folder: a run wrote its cache into the repository)."""
    return Path(os.environ.get("MERSUITE_CACHE") or REPO_ROOT / ".cache" / "mersuite")


def reports_root() -> Path:
    """Default output folder of ``run_all.py`` (``--out`` overrides it); ``$MERSUITE_REPORTS`` set to nothing is
    unset, as :func:`cache_root`'s variable."""
    return Path(os.environ.get("MERSUITE_REPORTS") or REPO_ROOT / "reports")
