"""Published reference rows of the leaderboard: numbers a reader needs to place ours,
*published, not run by us* (e.g. the MEGC 2019 LBP-TOP baseline and the challenge entries).

``common`` imports no paper: a paper that transcribed such numbers exposes them as a module
attribute ``BENCHMARK_REFERENCES`` (a tuple of :class:`Reference`), built from its own
``reported.py`` with :func:`references_from_table`; ``run_all.py`` collects them from the registry
and hands them to :func:`common.orchestration.leaderboard_runs.run_benchmark`. For Aouayeb et al.'s Table 2::

    BENCHMARK_REFERENCES = references_from_table(reported.BASELINES, track="megc2019",
                                                 source="Aouayeb et al. 2019, Table 2",
                                                 skip=("Aouayeb et al. (paper)",))
"""
from __future__ import annotations

import dataclasses
from typing import Any
from collections.abc import Iterable, Mapping

PUBLISHED = "published, not run by us"


@dataclasses.dataclass(frozen=True)
class Reference:
    """One published row: ``scores[scope] = (uf1, uar)`` on ``track`` ("all" and per database),
    with where it was transcribed from (``source``, ``ref``: the citation inside that source)."""

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

    def score(self, metric: str, scope: str = "all") -> float | None:
        values = self.scores.get(scope)
        if values is None:
            return None
        return values[("uf1", "uar").index(metric)]

    def to_dict(self) -> dict[str, Any]:
        return {"track": self.track, "name": self.name, "kind": PUBLISHED, "source": self.source, "ref": self.ref,
                "approach": self.approach, "note": self.note, "runs_as": self.runs_as,
                "scores": {scope: {"uf1": v[0], "uar": v[1]} for scope, v in self.scores.items()}}


def references_from_table(rows: Iterable[tuple[str, str, str, Mapping[str, tuple[float, float]]]], *, track: str,
                          source: str, skip: Iterable[str] = (), note: str = "",
                          runs_as: Mapping[str, str] | None = None) -> tuple[Reference, ...]:
    """:class:`Reference` rows from a transcription shaped ``(name, ref, approach, {scope: (uf1, uar)})``
    (``papers/aouayeb2019/reported.py`` ``BASELINES``), leaving out the names in ``skip`` (e.g. the
    paper's own row, which the leaderboard shows beside the method as "paper's number"); ``runs_as``
    maps a row's name to the registry id that runs that method here (:attr:`Reference.runs_as`)."""
    skipped, runs_as = set(skip), dict(runs_as or {})
    return tuple(Reference(track=track, name=name, scores={k: (float(v[0]), float(v[1])) for k, v in values.items()},
                           source=source, ref=ref, approach=approach, note=note, runs_as=runs_as.get(name, ""))
                 for name, ref, approach, values in rows if name not in skipped)


def for_track(references: Iterable[Reference], track: str) -> tuple[Reference, ...]:
    """The references of one track, in the order given, without duplicates (same name and source)."""
    seen, out = set(), []
    for reference in references:
        if reference.track == track and (reference.name, reference.source) not in seen:
            seen.add((reference.name, reference.source))
            out.append(reference)
    return tuple(out)
