"""The base of the project's own errors: every one carries a message meant for the user (one line).

``run_all.py`` and the other entry points catch :class:`MersuiteError` and print that line with exit
status 2, so an error class added later is caught as long as it derives from it (data errors derive
from ``common.datasets.tables.DatasetError`` or ``common.preprocessing.io.FrameReadError``, which do).
Each class keeps its builtin base (``ValueError``, ``OSError``...) so existing ``except`` clauses hold.
"""
from __future__ import annotations

from collections.abc import Sequence


class MersuiteError(Exception):
    """A problem this project detects and describes: bad settings, unusable data or output folders."""


def first_few(items: Sequence[str], most: int, unit: str = "") -> str:
    """``items`` as a message lists them: the first ``most``, comma-separated, then how many more (``"a, b and 4
    more"``; ``unit`` follows the count: ``" clip(s)"``)."""
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more{unit}" if len(items) > most else "")


def one_line(error: BaseException) -> str:
    """The error's message on one line (the class name when it has none)."""
    return " ".join(str(error).split()) or type(error).__name__


class RunError(MersuiteError, RuntimeError):
    """A run cannot start (bad profile, missing database, empty selection): one clear line."""


class WorkSavedError(RunError):
    """A write failed after work was done (a disk that filled up, a folder made read-only mid-run): one line
    naming the path and what is saved. ``run_all.py`` exits with status 3, not 2, because the run did not
    stop before anything started: the finished folds are on disk, and the same command reuses them."""


class DeclarationError(MersuiteError, ValueError):
    """A paper package declares what the registry refuses (a ``stands_for`` naming no published row, a number
    outside [0, 1], a ledger row resting on code without its artefact): one line naming the package, the field
    and what is accepted. ``papers.get_paper`` raises it; the package is refused and the others run."""
