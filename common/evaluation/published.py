"""The published rows of the MEGC 2019 composite (LOSO, pooled UF1 / UAR per scope), each transcribed once, in
``published.json`` beside this module, and read by every package and page that shows one.

One object per row: the method's ``name`` (what a package's ``stands_for`` names), ``ref`` (its authors),
``approach``, ``scores`` (scope -> [UF1, UAR]), Table III's ``accuracy`` and ``f1`` where printed, ``source``
(the credit: where these numbers were read, the primary source where it was read, else the table that reprints
them, named as such), ``printed`` (table -> [the label it prints, its reference mark]: the papers' comparison
tables that reprint the row, in the file's order), whether the authors' code selects on test data and where that
was read (docs/methods.md §9.4), ``note``, and ``leaderboard`` (the benchmark shows it beside the runs). A
malformed row is one ``ValueError`` naming it.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from common.evaluation.references import Reference
from common.paper import Reported

TABLE = Path(__file__).with_name("published.json")
SCOPES = ("all", "smic", "casme2", "samm")


@dataclasses.dataclass(frozen=True)
class PublishedRow:
    """One row of ``published.json``: ``reference`` (its name, scores, credit, selection practice), its ``scores``
    (scope -> (UF1, UAR)) and what only some tables print (``accuracy``, ``f1`` on Full; None where not printed)."""

    reference: Reference
    scores: dict[str, tuple[float, float]]
    accuracy: float | None = None
    f1: float | None = None
    printed: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    leaderboard: bool = True

    @property
    def name(self) -> str:
        return self.reference.name

    @property
    def source(self) -> str:
        return self.reference.source

    def cells(self) -> dict[str, Any]:
        """``{"acc", "f1", scope: (UF1, UAR)}``, the shape of a results-table row (None where not printed)."""
        return {"acc": self.accuracy, "f1": self.f1, **self.scores}


def read_published(path: Path = TABLE) -> tuple[PublishedRow, ...]:
    """The rows of ``path`` (``transcribed`` is provenance for the reader, not a field)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for row in document["rows"]:
        fields = {key: value for key, value in row.items() if key != "transcribed"}
        try:
            extra = {key: fields.pop(key) for key in ("accuracy", "f1") if key in fields}
            printed = {table: (label, mark) for table, (label, mark) in fields.pop("printed", {}).items()}
            leaderboard = fields.pop("leaderboard")
            if not isinstance(leaderboard, bool):
                raise TypeError(f"leaderboard {leaderboard!r}: expected true or false")
            scores = {scope: (float(uf1), float(uar)) for scope, (uf1, uar) in fields.pop("scores").items()}
            reference = Reference(**fields, track=document["track"], scores=scores)
            rows.append(PublishedRow(reference, scores, printed=printed, leaderboard=leaderboard,
                                     **{key: float(value) for key, value in extra.items()}))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path.name}: row {row.get('name', '?')!r}: {error}") from None
    names = [row.name for row in rows]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"{path.name}: a name is given to two rows: {', '.join(twice)}")
    return tuple(rows)


ROWS: tuple[PublishedRow, ...] = read_published()
# The rows the benchmark's leaderboard shows, and the names a package's ``stands_for`` may give.
REFERENCES: tuple[Reference, ...] = tuple(row.reference for row in ROWS if row.leaderboard)
NAMES: tuple[str, ...] = tuple(reference.name for reference in REFERENCES)


def published_row(name: str) -> PublishedRow:
    """The row named ``name``; a ``KeyError`` whose one line lists the names."""
    for row in ROWS:
        if row.name == name:
            return row
    raise KeyError(f"no published row {name!r} in {TABLE.name}; rows: {', '.join(r.name for r in ROWS)}")


def printed_table(table: str) -> tuple[tuple[str, str, PublishedRow], ...]:
    """``(label, reference mark, row)`` of every row ``table`` reprints (``"Aouayeb et al. 2019, Table 2"``), in its
    order."""
    return tuple((*row.printed[table], row) for row in ROWS if table in row.printed)


def published_reported(name: str, *, note: str, comparable: bool = True,
                       accuracy: bool = False) -> tuple[Reported, ...]:
    """The row's UF1 and UAR per scope as a package's ``Reported`` numbers (pooled, credited to the row's
    source), and its accuracy on Full where ``accuracy`` (the row must print one)."""
    row = published_row(name)
    numbers = tuple(Reported(metric=metric, value=values[k], scope=scope, aggregation="pooled", source=row.source,
                             note=note, comparable=comparable)
                    for scope, values in row.scores.items() for k, metric in enumerate(("uf1", "uar")))
    if not accuracy:
        return numbers
    if row.accuracy is None:
        raise ValueError(f"published row {name!r} prints no accuracy")
    return numbers + (Reported(metric="accuracy", value=row.accuracy, scope="all", aggregation="pooled",
                               source=row.source, note="Full, accuracy", comparable=comparable),)
