"""The registry of reproduced papers: one explicit tuple, no import-time magic (docs/house.md, The registry).

Each ``papers/<id>/__init__.py`` exposes ``PAPER`` (a ``common.paper.Paper``) and ``EXPERIMENTS`` (a tuple of
``common.experiment.Experiment``). :func:`get_paper` checks a package's declarations when it loads it
(:func:`declaration_problems`): a bad one refuses that package in one line (``DeclarationError``), never another.
"""
from __future__ import annotations

import importlib
import re
import traceback
from pathlib import Path
from types import ModuleType

from common.errors import DeclarationError, one_line
from common.evaluation import published
from common.experiment import Pipeline

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
# The fields of ``PAPER`` that may not be empty, with what each holds.
REQUIRED = {"title": "the paper's title", "citation": "the paper's authors, venue, year and DOI or arXiv id"}
# The Keras backends: an ImportError naming one is the environment's, not the package's (the CLI says so).
BACKENDS = ("keras", "tensorflow", "jax", "jaxlib", "torch")


class UnknownPaperError(KeyError):
    def __str__(self) -> str:
        return f"unknown paper {self.args[0]!r}; known papers: {', '.join(PAPER_IDS)}"


def get_paper(paper_id: str) -> ModuleType:
    """The paper's package (``papers.<id>``), imported on demand; a ``DeclarationError`` (one line naming the
    package, the file and what was expected) where importing it fails or its declarations are refused. A
    package that is not there (``papers.<id>`` itself missing) or a Keras backend that fails to load stays an
    ``ImportError``: neither is the package's own code."""
    if paper_id not in PAPER_IDS:
        raise UnknownPaperError(paper_id)
    try:
        module = importlib.import_module(f"papers.{paper_id}")
    except ImportError as exc:
        if exc.name == f"papers.{paper_id}" or (exc.name or "").split(".")[0] in BACKENDS:
            raise
        raise DeclarationError(import_problem(paper_id, exc)) from exc
    except Exception as exc:  # boundary: the package's own code runs on import; any error is its refusal, one line
        raise DeclarationError(import_problem(paper_id, exc)) from exc
    problems = declaration_problems(paper_id, module)
    if problems:
        more = f" (and {len(problems) - 1} more: make check-paper ID={paper_id})" if len(problems) > 1 else ""
        raise DeclarationError(problems[0] + more)
    return module


def import_problem(paper_id: str, error: BaseException) -> str:
    """One line for an error raised while ``papers.<paper_id>`` was imported: the package, the file and line of
    the package that raised it (the innermost frame in its folder, else the innermost frame), the error, and
    what was expected."""
    folder = Path(__file__).resolve().parent / paper_id
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, SyntaxError) and error.filename:
        frames.append(traceback.FrameSummary(error.filename, error.lineno or 0, ""))
    inside = [frame for frame in frames if Path(frame.filename).resolve().is_relative_to(folder)]
    frame = inside[-1] if inside else frames[-1] if frames else None
    where = "" if frame is None else f" at {_shown_path(frame.filename)} line {frame.lineno}"
    message = " ".join(str(error.msg).split()) if isinstance(error, SyntaxError) else one_line(error)
    return (f"papers.{paper_id}: importing it failed{where}: {type(error).__name__}: {message}; expected "
            f"the package to import and declare PAPER, PIPELINE and EXPERIMENTS (papers/README.md, steps 1-5)")


def _shown_path(filename: str) -> str:
    """``filename`` relative to the repository where it is inside it."""
    path = Path(filename).resolve()
    root = Path(__file__).resolve().parent.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else filename


def package_problems(paper_id: str) -> list[str]:
    """Every check of ``papers.<paper_id>`` that needs no data and no training, one line each, in a few seconds:
    its import, its declarations (:func:`declaration_problems`), then its network against its declared inputs
    (:func:`input_problems`); what ``make check-paper`` runs first. [] when the package passes."""
    try:
        module = importlib.import_module(f"papers.{paper_id}")
    except Exception as exc:  # boundary: the package's own code, run on import
        return [import_problem(paper_id, exc)]
    return declaration_problems(paper_id, module) or input_problems(paper_id, module)


def input_problems(paper_id: str, module: ModuleType) -> list[str]:
    """The checks that build a network (a second or so each, no training): ``PIPELINE.input_check``, the network
    at the paper's config against the inputs it declares (a flow network's channels and ``data.size``). Not run
    on every import: ``--list``, ``--architectures``, a run, a benchmark and ``make check-paper`` call it."""
    pipeline = getattr(module, "PIPELINE", None)
    problem = pipeline.input_problem() if isinstance(pipeline, Pipeline) else ""
    return [problem] if problem else []


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
    accepted: ``PAPER`` (its id, title and citation, that it builds models, and that its counts and checks name
    those models; the counts themselves are tests/test_models.py's), ``PIPELINE.stands_for`` (names of published rows,
    ``common.evaluation.published.NAMES``), each experiment's ``reported`` numbers, the README's ledger rows."""
    where = f"papers.{paper_id}"
    paper = getattr(module, "PAPER", None)
    if paper is None:
        return []  # not implemented yet: the CLI refuses it by name
    problems = [] if paper.id == paper_id else [f"{where}: PAPER.id is {paper.id!r}; expected {paper_id!r}"]
    for field, expected in REQUIRED.items():
        if not str(getattr(paper, field, "") or "").strip():
            problems.append(f"{where}: PAPER.{field} is empty; expected {expected}")
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
    numbers = sum(len(experiment.reported) for experiment in getattr(module, "EXPERIMENTS", ()))
    if not numbers and not paper.no_published_number.strip():
        problems.append(f"{where}: no experiment has a published number; expected Reported numbers in reported.py "
                        "(reported=), or PAPER.no_published_number saying why the paper publishes none run here")
    elif numbers and paper.no_published_number.strip():
        problems.append(f"{where}: PAPER.no_published_number is set but its experiments show {numbers} published "
                        "number(s); expected one or the other")
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
