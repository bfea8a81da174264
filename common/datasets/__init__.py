"""Loaders of the micro-expression databases in their real on-disk layouts.

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
| ``casme`` | CASME (the first) | ``cropped=True``, ``annotations=None``, ``corrections=True`` |
| ``casme3`` | CAS(ME)^3 part A | ``annotations=None``, ``corrections=True`` |
| ``casme3_c`` | CAS(ME)^3 part C | ``annotations=None``, ``corrections=True`` |
| ``mmew`` | MMEW (micro-expressions) | ``annotations=None``, ``corrections=True`` |
| ``4dme`` | 4DME (2D grey frames) | ``cropped=True``, ``annotations=None``, ``corrections=True`` |

``MEGC3`` maps each database's own labels to the MEGC three classes (negative, positive, surprise; a label it
does not name is left out): docs/databases.md gives each mapping and its reason.
"""
from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path
from collections.abc import Callable

from common.datasets import casme, casme2, casme3, casme_sq, fourdme, invariants, megc2019, mmew, samm, smic
from common.datasets.sample import Dropped, DroppedWarning, Sample, frame_number
from common.datasets.tables import DatasetError

DATASETS = ("casme2", "smic", "smic_e", "samm", "casme_sq", "megc2019", "casme", "casme3", "casme3_c", "mmew",
            "4dme")
# The databases' names for tables and reports, one place (a paper whose text words one differently,
# e.g. Kumar's "Combined", overrides that entry where it prints the paper's table).
DATABASE_TITLES = {"casme2": "CASME II", "smic": "SMIC-HS", "smic_e": "SMIC-HS-E", "samm": "SAMM",
                   "casme_sq": "CAS(ME)^2", "megc2019": "MEGC 2019 composite", "casme": "CASME",
                   "casme3": "CAS(ME)^3 part A", "casme3_c": "CAS(ME)^3 part C", "mmew": "MMEW", "4dme": "4DME"}
# Each database's labels -> the MEGC three classes (docs/databases.md §5.2, 9.3-12.3); CAS(ME)^2's and SMIC's
# categories are already those words.
MEGC3: dict[str, dict[str, str]] = {
    **megc2019.RULES, "smic_e": megc2019.RULES["smic"], "casme_sq": megc2019.RULES["smic"],
    "casme": casme.MEGC3, "casme3": casme3.MEGC3, "casme3_c": casme3.MEGC3_C, "mmew": mmew.MEGC3,
    "4dme": fourdme.MEGC3}

_LOADERS: dict[str, Callable[..., list[Sample]]] = {
    "casme2": casme2.load,
    "smic": smic.load,
    "smic_e": smic.load_e,
    "samm": samm.load,
    "casme_sq": casme_sq.load,
    "megc2019": megc2019.load,
    "casme": casme.load,
    "casme3": casme3.load,
    "casme3_c": casme3.load_c,
    "mmew": mmew.load,
    "4dme": fourdme.load,
}

__all__ = ["DATABASE_TITLES", "DATASETS", "DatasetError", "Dropped", "MEGC3", "Sample", "dropped", "frame_number",
           "load"]

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
