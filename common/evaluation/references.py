"""Published reference rows of the leaderboard: numbers a reader needs to place ours,
*published, not run by us* (e.g. the MEGC 2019 LBP-TOP baseline and the challenge entries).

``common`` imports no paper: a paper that transcribed such numbers exposes them as a module
attribute ``BENCHMARK_REFERENCES`` (a tuple of :class:`Reference`), built from its own
``reported.py`` with :func:`references_from_table` (a table of another track than the composite's, whose rows
are ``common.evaluation.published``); ``run_all.py`` collects them from the registry and hands them to
:func:`common.orchestration.leaderboard_runs.run_benchmark`.

A published number the authors' own artefact does not reproduce (``Reported.recomputed`` in the package
that runs the method) reaches the published rows of that method through :func:`with_recomputed`:
the row keeps the published score and carries the recomputed one beside it (:attr:`Reference.recomputed`).

Every row also says whether the authors' code selects on test data (:attr:`Reference.selects_on_test`:
"yes", "no" or "unknown", docs/methods.md §9.4) and where that was read (:attr:`Reference.selection_source`:
a repository file and line, an issue thread or the paper's text); a "yes" or "no" without a source is refused.
The leaderboard draws the test-selected rows apart. The MEGC 2019 composite's published rows, each transcribed
once, are ``common.evaluation.published``.
"""
from __future__ import annotations

import dataclasses
from typing import Any
from collections.abc import Iterable, Mapping, Sequence

PUBLISHED = "published, not run by us"
METRICS = ("uf1", "uar")
# Does the authors' code choose the reported epoch (or model) by its score on the test fold? docs/methods.md §9.4.
SELECTS_ON_TEST = ("yes", "no", "unknown")
# Half a unit of the fourth decimal: two transcriptions of one printed number agree within it.
SAME_NUMBER = 5e-5


@dataclasses.dataclass(frozen=True)
class Reference:
    """One published row: ``scores[scope] = (uf1, uar)`` on ``track`` ("all" and per database),
    with where it was transcribed from (``source``, ``ref``: the citation inside that source).

    ``recomputed[scope][metric]``: the value the authors' own artefact gives for a published score it
    does not reproduce (e.g. the metric recomputed from their per-sample predictions), with
    ``recomputed_note`` saying from what and why; ``scores`` stay as published. Empty for most rows.

    ``selects_on_test``: "yes" when the authors' code keeps, per test fold, the epoch (or model) with the
    best score on that fold (docs/methods.md §9.4, selection (b) or (c)), "no" when it fixes it without
    looking (selection (a)), "unknown" when no primary source says; ``selection_source`` names the file
    and line, issue thread or text read (required for "yes" and "no")."""

    track: str
    name: str
    scores: Mapping[str, tuple[float | None, float | None]]
    source: str
    ref: str = ""
    approach: str = ""
    note: str = ""
    # The registry id of the package that runs this method here ("" = none): in a benchmark that runs
    # it, the published row is drawn beside that method's run row (common.leaderboard.report).
    runs_as: str = ""
    recomputed: Mapping[str, Mapping[str, float]] = dataclasses.field(default_factory=dict)
    recomputed_note: str = ""
    selects_on_test: str = "unknown"
    selection_source: str = ""

    def __post_init__(self) -> None:
        if self.selects_on_test not in SELECTS_ON_TEST:
            raise ValueError(f"Reference.selects_on_test: {self.name}: {self.selects_on_test!r}; expected "
                             f"{', '.join(SELECTS_ON_TEST[:-1])} or {SELECTS_ON_TEST[-1]}")
        if self.selects_on_test != "unknown" and not self.selection_source.strip():
            raise ValueError(f"Reference.selection_source: {self.name} says selects_on_test={self.selects_on_test!r} "
                             "but names no source (a repository file and line, an issue thread or the paper's text)")
        for scope, values in self.recomputed.items():
            if scope not in self.scores:
                raise ValueError(f"Reference.recomputed: {self.name}: scope {scope!r} has no published score "
                                 f"(published scopes: {', '.join(self.scores)})")
            unknown = sorted(set(values) - set(METRICS))
            if unknown:
                raise ValueError(f"Reference.recomputed: {self.name} {scope}: metrics {unknown}; expected "
                                 f"{' or '.join(METRICS)}")
        if self.recomputed and not self.recomputed_note.strip():
            raise ValueError(f"Reference.recomputed_note: {self.name} has recomputed scores but no note saying "
                             "from what they were recomputed and why they differ")

    def score(self, metric: str, scope: str = "all") -> float | None:
        values = self.scores.get(scope)
        if values is None:
            return None
        return values[METRICS.index(metric)]

    def to_dict(self) -> dict[str, Any]:
        return {"track": self.track, "name": self.name, "kind": PUBLISHED, "source": self.source, "ref": self.ref,
                "approach": self.approach, "note": self.note, "runs_as": self.runs_as,
                "scores": {scope: {"uf1": v[0], "uar": v[1]} for scope, v in self.scores.items()},
                "recomputed": {scope: dict(values) for scope, values in self.recomputed.items()},
                "recomputed_note": self.recomputed_note, "selects_on_test": self.selects_on_test,
                "selection_source": self.selection_source}


def references_from_table(rows: Iterable[tuple[str, str, str, Mapping[str, tuple[float, float]]]], *, track: str,
                          source: str, skip: Iterable[str] = (), note: str = "",
                          runs_as: Mapping[str, str] | None = None,
                          selection: Mapping[str, tuple[str, str]] | None = None) -> tuple[Reference, ...]:
    """:class:`Reference` rows from a transcription shaped ``(name, ref, approach, {scope: (uf1, uar)})``
    (``papers/aouayeb2019/reported.py`` ``BASELINES``), leaving out the names in ``skip`` (e.g. the
    paper's own row, which the leaderboard shows beside the method as "paper's number"); ``runs_as``
    maps a row's name to the registry id that runs that method here (:attr:`Reference.runs_as`);
    ``selection`` maps a row's name to ``(selects_on_test, selection_source)`` (the others: "unknown")."""
    rows, skipped, runs_as, selection = tuple(rows), set(skip), dict(runs_as or {}), dict(selection or {})
    unknown = sorted(set(selection) - {row[0] for row in rows})
    if unknown:
        raise ValueError(f"references_from_table: selection names rows the table does not hold: {unknown}")
    return tuple(Reference(track=track, name=name, scores={k: (float(v[0]), float(v[1])) for k, v in values.items()},
                           source=source, ref=ref, approach=approach, note=note, runs_as=runs_as.get(name, ""),
                           selects_on_test=selection.get(name, ("unknown", ""))[0],
                           selection_source=selection.get(name, ("unknown", ""))[1])
                 for name, ref, approach, values in rows if name not in skipped)


def with_runs_as(references: Iterable[Reference], stands_for: Mapping[str, Sequence[str]]) -> list[Reference]:
    """``references``, each row that a package says it stands for
    (``Pipeline.stands_for``: name -> the packages) with its ``runs_as``; a ``ValueError`` for a name that no
    row has (a misspelt row would silently lose its place under the run) or that two packages claim."""
    references = list(references)
    names = {reference.name for reference in references}
    for name, papers in stands_for.items():
        if name not in names:
            raise ValueError(f"{', '.join(papers)}: stands_for names {name!r}, which no published row of the "
                             f"benchmark has (rows: {', '.join(sorted(names))})")
        if len(papers) > 1:
            raise ValueError(f"{', '.join(papers)}: each stands for the published row {name!r}; one may")
    return [dataclasses.replace(reference, runs_as=stands_for[reference.name][0]) if reference.name in stands_for
            else reference for reference in references]


def with_recomputed(references: Iterable[Reference],
                    reported_by_package: Mapping[str, Iterable[Any]]) -> tuple[Reference, ...]:
    """The references, each published row of a method run here (``runs_as``) carrying the recomputed
    values its package audited: every pooled ``Reported`` (``common.experiment.Reported``) of
    ``reported_by_package[runs_as]`` with a ``recomputed`` value whose published ``value`` is the row's
    score of the same metric and scope (within :data:`SAME_NUMBER`: the same printed number, transcribed
    in two papers). A row whose number differs from the package's keeps no audit: it is another number.
    A row's own ``recomputed`` values stay."""
    out = []
    for reference in references:
        recomputed = {scope: dict(values) for scope, values in reference.recomputed.items()}
        notes = [reference.recomputed_note] if reference.recomputed_note else []
        for reported in reported_by_package.get(reference.runs_as, ()) if reference.runs_as else ():
            if reported.recomputed is None or reported.aggregation != "pooled" or reported.metric not in METRICS:
                continue
            published = reference.score(reported.metric, reported.scope)
            if published is None or abs(published - reported.value) > SAME_NUMBER:
                continue
            recomputed.setdefault(reported.scope, {})[reported.metric] = float(reported.recomputed)
            if reported.recomputed_note not in notes:
                notes.append(reported.recomputed_note)
        out.append(dataclasses.replace(reference, recomputed=recomputed, recomputed_note=" ".join(notes))
                   if recomputed != reference.recomputed else reference)
    return tuple(out)


def for_track(references: Iterable[Reference], track: str) -> tuple[Reference, ...]:
    """The references of one track, in the order given, without duplicates (same name and source)."""
    seen, out = set(), []
    for reference in references:
        if reference.track == track and (reference.name, reference.source) not in seen:
            seen.add((reference.name, reference.source))
            out.append(reference)
    return tuple(out)
