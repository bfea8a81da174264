"""Annotation corrections from ``common/datasets/data/corrections.csv`` (one row per clip, with a reason).

docs/house.md, Annotation corrections: annotation fixes live in a data file with a reason per row, never in loader code.
"""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any
from collections.abc import Iterable

from common.datasets.sample import Sample
from common.datasets.tables import DatasetError

CORRECTIONS_CSV = Path(__file__).resolve().parent / "data" / "corrections.csv"
ACTIONS = ("exclude", "clear_apex", "set_onset", "set_apex", "set_offset")
COLUMNS = ("dataset", "subject", "clip", "action", "value", "applies_to", "reason", "source")


@dataclasses.dataclass(frozen=True)
class Correction:
    dataset: str
    subject: str
    clip: str
    action: str
    value: int | None
    applies_to: str  # "all" or "megc2019"
    reason: str
    source: str


def read_corrections(path: str | Path | bool | None = None) -> list[Correction]:
    """The corrections table; ``path`` True/None -> the shipped file, False -> none."""
    if path is False:
        return []
    path = CORRECTIONS_CSV if path is None or path is True else Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise DatasetError(f"{path}: expected corrections columns {', '.join(COLUMNS)}; "
                                   f"missing {', '.join(missing)}")
            rows = list(reader)
    except OSError as error:
        raise DatasetError(f"{path}: cannot read the corrections table ({error})") from None
    corrections = []
    for line, row in enumerate(rows, start=2):
        action = row["action"].strip()
        if action not in ACTIONS:
            raise DatasetError(f"{path}, line {line}: action {action!r}; expected one of {', '.join(ACTIONS)}")
        value = row["value"].strip()
        if action.startswith("set_") and not value.lstrip("-").isdigit():
            raise DatasetError(f"{path}, line {line}: {action} needs an integer value, got {value!r}")
        corrections.append(Correction(
            dataset=row["dataset"].strip(), subject=row["subject"].strip(), clip=row["clip"].strip(),
            action=action, value=int(value) if action.startswith("set_") else None,
            applies_to=row["applies_to"].strip() or "all", reason=row["reason"], source=row["source"]))
    return corrections


def apply_corrections(samples: Iterable[Sample], corrections: list[Correction], scope: str = "all") -> list[Sample]:
    """Samples with every matching correction of ``scope`` (``"all"`` or ``"megc2019"``) applied.

    A corrected sample records what changed in ``meta["corrections"]``.
    """
    table: dict[tuple[str, str, str], list[Correction]] = {}
    for c in corrections:
        if c.applies_to == scope:
            table.setdefault((c.dataset, c.subject, c.clip), []).append(c)
    kept = []
    for sample in samples:
        rows = table.get((sample.dataset, sample.subject, sample.clip), [])
        if any(c.action == "exclude" for c in rows):
            continue
        changes: dict[str, Any] = {}  # Sample field -> its corrected value
        for c in rows:
            if c.action == "clear_apex":
                changes["apex"] = None
            elif c.action.startswith("set_"):
                changes[c.action[4:]] = c.value
        if changes:
            meta = dict(sample.meta)
            meta["corrections"] = tuple(meta.get("corrections", ())) + tuple(c.reason for c in rows)
            sample = dataclasses.replace(sample, meta=meta, **changes)
        kept.append(sample)
    return kept
