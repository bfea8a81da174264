"""Loaders of the five micro-expression databases in their real on-disk layouts.

``load(name, root, **options) -> list[Sample]``; ``root`` is the database folder or any parent
holding several (each loader finds its own by signature, following doubled folders). The layouts,
quirks and sources are in docs/databases.md; corrections to the annotations are in
``data/corrections.csv``. Loaders only list files: no image is decoded while indexing.

| name | database | options |
| --- | --- | --- |
| ``casme2`` | CASME II | ``cropped=True``, ``annotations=None`` (path of the coding file), ``corrections=True`` |
| ``smic`` | SMIC-HS (labels from folders) | ``cropped=True``, ``corrections=True`` |
| ``smic_e`` | SMIC-HS-E (long clips, up to 3 slots per row) | ``annotations=None``, ``corrections=True`` |
| ``samm`` | SAMM | ``annotations=None``, ``corrections=True`` |
| ``casme_sq`` | CAS(ME)^2 | ``types=("micro", "macro")``, ``annotations=None``, ``corrections=True`` |
| ``megc2019`` | MEGC 2019 (SMIC-HS, CASME II, SAMM) | ``gt_csv=None``, ``cropped=True``, ``corrections=True`` |
"""
from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path
from collections.abc import Callable

from common.datasets import casme2, casme_sq, invariants, megc2019, samm, smic
from common.datasets.sample import Dropped, DroppedWarning, Sample, frame_number
from common.datasets.tables import DatasetError

DATASETS = ("casme2", "smic", "smic_e", "samm", "casme_sq", "megc2019")
# The databases' names for tables and reports, one place (a paper whose text words one differently,
# e.g. Kumar's "Combined", overrides that entry where it prints the paper's table).
DATABASE_TITLES = {"casme2": "CASME II", "smic": "SMIC-HS", "smic_e": "SMIC-HS-E", "samm": "SAMM",
                   "casme_sq": "CAS(ME)^2", "megc2019": "MEGC 2019 composite"}

_LOADERS: dict[str, Callable[..., list[Sample]]] = {
    "casme2": casme2.load,
    "smic": smic.load,
    "smic_e": smic.load_e,
    "samm": samm.load,
    "casme_sq": casme_sq.load,
    "megc2019": megc2019.load,
}

__all__ = ["DATABASE_TITLES", "DATASETS", "DatasetError", "Dropped", "Sample", "dropped", "frame_number", "load"]

# What the last load(name, root, **options) in this process skipped or merged.
_DROPPED: dict[tuple[str, str, str], tuple[Dropped, ...]] = {}


def _drop_key(name: str, root: str | Path, options: dict) -> tuple[str, str, str]:
    return name, str(Path(root).expanduser().resolve()), json.dumps(options, sort_keys=True, default=str)


def load(name: str, root: str | Path, **options) -> list[Sample]:
    """The samples of database ``name`` found under ``root`` (see the table in this module's docstring)."""
    loader = _LOADERS.get(name)
    if loader is None:
        raise DatasetError(f"unknown database {name!r}; expected one of {', '.join(DATASETS)}")
    accepted = set(inspect.signature(loader).parameters) - {"root"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise DatasetError(f"{name}: unknown option(s) {', '.join(unknown)}; "
                           f"expected some of {', '.join(sorted(accepted))}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        samples = loader(root, **options)
        if name != "megc2019":  # the composite's loader screens its sources itself
            samples = invariants.screen_annotations(samples)
    _DROPPED[_drop_key(name, root, options)] = tuple(dict.fromkeys(
        Dropped(w.message.key, str(w.message), w.message.stage)
        for w in caught if isinstance(w.message, DroppedWarning)))
    for w in caught:  # shown (or recorded by a caller's catch_warnings) as if never caught here
        if isinstance(w.message, DroppedWarning) and w.message.quiet:
            continue
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    return samples


def dropped(name: str, root: str | Path, **options) -> tuple[Dropped, ...]:
    """The samples that the last ``load(name, root, **options)`` in this process skipped or merged, with why.

    Each loader warns a ``DroppedWarning`` for a listed clip missing on disk, a row without
    onset/offset, a duplicate row of the MEGC csv...; ``load`` records them here so that a run
    can list them in its results. ``()`` when that load was never made (or dropped nothing).
    """
    return _DROPPED.get(_drop_key(name, root, options), ())
