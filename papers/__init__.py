"""The registry of reproduced papers: one explicit tuple, no import-time magic (docs/house.md, The registry).

Each ``papers/<id>/__init__.py`` exposes ``PAPER`` (a ``common.experiment.Paper``) and
``EXPERIMENTS`` (a tuple of ``common.experiment.Experiment``).
"""
from __future__ import annotations

import importlib
from types import ModuleType

PAPER_IDS = ("aouayeb2019", "talluri2022", "reddy2019", "le2020", "kumar2019",
             # the field's baselines (the MEGC 2019 composite's reference methods)
             "see2019", "liong2018", "gan2019", "liong2019",
             # the field's reference method of 2024 on the same composite
             "wang2024")


class UnknownPaperError(KeyError):
    def __str__(self) -> str:
        return f"unknown paper {self.args[0]!r}; known papers: {', '.join(PAPER_IDS)}"


def get_paper(paper_id: str) -> ModuleType:
    """The paper's package (``papers.<id>``), imported on demand."""
    if paper_id not in PAPER_IDS:
        raise UnknownPaperError(paper_id)
    return importlib.import_module(f"papers.{paper_id}")
