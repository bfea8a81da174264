"""The registry of reproduced papers: one explicit tuple, no import-time magic (docs/house.md, The registry).

Each ``papers/<id>/__init__.py`` exposes ``PAPER`` (a ``common.paper.Paper``) and ``EXPERIMENTS`` (a tuple of
``common.experiment.Experiment``). :func:`get_paper` checks a package's declarations when it loads it
(:func:`declaration_problems`): a bad one refuses that package in one line (``DeclarationError``), never another.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType

from common.errors import DeclarationError
from common.evaluation import published

PAPER_IDS = ("aouayeb2019", "talluri2022", "reddy2019", "le2020", "kumar2019",
             # the field's baselines (the MEGC 2019 composite's reference methods)
             "see2019", "liong2018", "gan2019", "liong2019",
             # the field's reference method of 2024 on the same composite
             "wang2024")

# The ledger rule (docs/house.md, Faithfulness and deviations): a row of a package README's ledger table that
# says "assumed", or speaks of code, a port, scripts or the authors' artefacts, carries
# ``Artefact: <repository> <file.ext> <line or layer>`` (or ``Artefact: ... no public code ...``, with where we
# looked) and ``Reading: ...`` naming what the `paper` profile takes or the option.
NEEDS_ARTEFACT = re.compile(r"\bassumed\b|\bcode\b|\bport\b|\bauthors'|\bscripts?\b", re.IGNORECASE)
FILE = r"[\w./*-]+\.(?:py|m|mat|txt|pdf|ipynb|md|csv|xlsx|h5|pth)\b"
ARTEFACT = re.compile(rf"Artefact:[^|]*?(?:no public code|\b[\w.-]+/[\w.-]+\b[^|]*?{FILE})")
READING = re.compile(r"Reading:[^|]*?(?:`paper`|\boption)")
METRICS = ("uf1", "uar", "accuracy")


class UnknownPaperError(KeyError):
    def __str__(self) -> str:
        return f"unknown paper {self.args[0]!r}; known papers: {', '.join(PAPER_IDS)}"


def get_paper(paper_id: str) -> ModuleType:
    """The paper's package (``papers.<id>``), imported on demand; a ``DeclarationError`` (one line) where its
    declarations are refused."""
    if paper_id not in PAPER_IDS:
        raise UnknownPaperError(paper_id)
    module = importlib.import_module(f"papers.{paper_id}")
    problems = declaration_problems(paper_id, module)
    if problems:
        more = f" (and {len(problems) - 1} more: make check-paper ID={paper_id})" if len(problems) > 1 else ""
        raise DeclarationError(problems[0] + more)
    return module


def ledger_rows(text: str) -> list[str]:
    """The body rows of the first table under the heading that names the ledger (header and rule skipped)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("## ") and "ledger" in line.lower()), None)
    rows: list[str] = []
    for line in lines[start + 1:] if start is not None else []:
        if line.startswith("#") or (rows and not line.startswith("|")):
            break
        if line.startswith("|"):
            rows.append(line)
    return rows[2:]


def rows_without_artefact(text: str) -> list[str]:
    """The numbers of the ledger rows that need an artefact and a reading and lack either."""
    return [row.split("|")[1].strip() for row in ledger_rows(text)
            if NEEDS_ARTEFACT.search(row) and not (ARTEFACT.search(row) and READING.search(row))]


def declaration_problems(paper_id: str, module: ModuleType) -> list[str]:
    """One line per declaration of ``papers.<paper_id>`` the registry refuses, naming the field and what is
    accepted: ``PAPER`` (its id, its models and their counts), ``PIPELINE.stands_for`` (names of published rows,
    ``common.evaluation.published.NAMES``), each experiment's ``reported`` numbers, the README's ledger rows."""
    where = f"papers.{paper_id}"
    paper = getattr(module, "PAPER", None)
    if paper is None:
        return []  # not implemented yet: the CLI refuses it by name
    problems = [] if paper.id == paper_id else [f"{where}: PAPER.id is {paper.id!r}; expected {paper_id!r}"]
    if not paper.models:
        problems.append(f"{where}: PAPER.models is empty; expected model.MODEL_BUILDERS, a name -> builder mapping")
    for field in ("parameter_counts", "model_checks"):
        for name in set(getattr(paper, field)) - set(paper.models):
            problems.append(f"{where}: PAPER.{field} names {name!r}, which PAPER.models does not build; models: "
                            f"{', '.join(paper.models)}")
    pipeline = getattr(module, "PIPELINE", None)
    for name in getattr(pipeline, "stands_for", ()):
        if name not in published.NAMES:
            problems.append(f"{where}: PIPELINE.stands_for names {name!r}, which is no published row; accepted: "
                            f"{', '.join(published.NAMES)} (common/evaluation/published.json), or none")
    for experiment in getattr(module, "EXPERIMENTS", ()):
        for number in experiment.reported:
            values = [number.value] + ([number.recomputed] if number.recomputed is not None else [])
            if number.metric not in METRICS or number.scope not in experiment.scopes or not all(
                    0 <= value <= 1 for value in values):
                problems.append(f"{where}: {experiment.name} reported {number.metric} {number.scope} = {number.value}; "
                                f"expected a metric of {', '.join(METRICS)}, a scope of "
                                f"{', '.join(experiment.scopes)}, values as fractions in [0, 1]")
    readme = Path(module.__file__ or "").with_name("README.md")
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if not ledger_rows(text):
        problems.append(f"{where}: README.md has no ledger table (a '## ... ledger' heading over a table, a row a "
                        "deviation or a choice the text leaves open)")
    for row in rows_without_artefact(text):
        problems.append(f"{where}: README.md ledger row {row} says assumed, code, port, script or authors' but lacks "
                        "'Artefact: <repository> <file.ext> <line>' (or 'Artefact: no public code ...') and "
                        "'Reading: ...' naming the `paper` profile or the option")
    return problems
