"""The harness's side of the contract (``common.experiment`` is the paper's): what a run gives back
(:class:`ExperimentResult`, which a report draws from, with its :class:`ReportContext`) and the one way to
build one model of a paper (:func:`build_paper_model`).
"""
from __future__ import annotations

import dataclasses
from typing import Any
from collections.abc import Mapping

from common.experiment import Experiment, Paper, Selection


def build_paper_model(paper: Paper, name: str) -> Any:
    """One model of ``paper`` by name (``Paper.models``), the others unbuilt: the one way to build one model
    (``--architectures``, reports, tests, benchmarks). An unknown name: a ``ValueError`` naming the models."""
    if name not in paper.models:
        raise ValueError(f"{paper.id}: no model {name!r}; models: {', '.join(paper.models)}")
    return paper.models[name]()


@dataclasses.dataclass(frozen=True)
class ExperimentResult:
    """What the runner returns for one experiment, in memory: the report draws from it alone.

    ``summary`` is exactly what ``results.json`` holds (schema in ``common.running.runner``);
    ``records`` are the complete fold records (``folds/<fold>.json``, ``extra`` included) in fold order;
    ``config`` is the effective typed config (profile and ``--set`` applied); ``selection`` the samples
    the folds index, after the runner's checks.
    """

    paper: str
    experiment: Experiment
    config: Any
    selection: Selection
    records: tuple[Mapping[str, Any], ...]
    summary: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def ok_records(self) -> tuple[Mapping[str, Any], ...]:
        """The records of the folds that trained and predicted (status ``ok``)."""
        return tuple(r for r in self.records if r.get("status") == "ok")


@dataclasses.dataclass(frozen=True)
class ReportContext:
    """What a report knows besides each experiment's result: who, how, where and the run as a whole."""

    paper_id: str
    paper: Paper | None = None
    profile: str = "?"
    seed: int | None = None
    corpus: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # {"kind", "root", "datasets"}
    allow_faces: bool = False  # faces may be embedded (the synthetic corpus, or --allow-faces)
    seconds: float | None = None  # wall time of the run
    environment: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    command: str = ""
    # Every experiment of this paper in this report, by name (a page may compare siblings in memory).
    results: Mapping[str, ExperimentResult] = dataclasses.field(default_factory=dict)

