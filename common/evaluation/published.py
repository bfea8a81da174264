"""Published composite rows of the field that no package of this suite transcribes: the leaderboard's
references beside those the papers expose (``BENCHMARK_REFERENCES``, ``common.evaluation.references``).

Each number is transcribed once, in ``published.json`` beside this module (a table of data: one object per
row, with where its numbers are printed, ``transcribed``: how they were read, and whether the authors' code
selects on test data and where that was read, docs/methods.md §9.4). A row is added only where its numbers
were read in a primary source; none is copied from a later paper's comparison table. A malformed row is one
``ValueError`` naming it (``Reference`` checks its fields).
"""
from __future__ import annotations

import json
from pathlib import Path

from common.evaluation.references import Reference

TABLE = Path(__file__).with_name("published.json")


def read_published(path: Path = TABLE) -> tuple[Reference, ...]:
    """The rows of ``path`` as references (``transcribed`` is provenance for the reader, not a field)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    references = []
    for row in rows:
        fields = {key: value for key, value in row.items() if key != "transcribed"}
        try:
            scores = {scope: (float(uf1), float(uar)) for scope, (uf1, uar) in fields.pop("scores").items()}
            references.append(Reference(**fields, scores=scores))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path.name}: row {row.get('name', '?')!r}: {error}") from None
    return tuple(references)


REFERENCES: tuple[Reference, ...] = read_published()
