"""Loaders of the five micro-expression databases in their real on-disk layouts (issue 2).

``load(name, root, **options) -> list[Sample]``; ``root`` is the database folder or any parent
holding several (each loader finds its own by signature, following doubled folders). The layouts,
quirks and sources are in ``datasets.md``; corrections to the annotations are in
``data/corrections.csv``. Loaders only list files: no image is decoded while indexing.

| name | database | options |
| --- | --- | --- |
| ``casme2`` | CASME II | ``cropped=True``, ``annotations=None`` (path of the coding file), ``corrections=True`` |
| ``smic`` | SMIC-HS (labels from folders) | ``cropped=True``, ``corrections=True`` |
| ``smic_e`` | SMIC-HS-E (long clips, up to 3 slots per row) | ``annotations=None``, ``corrections=True`` |
| ``samm`` | SAMM | ``annotations=None``, ``corrections=True`` |
| ``casme_sq`` | CAS(ME)^2 | ``types=("micro", "macro")``, ``annotations=None``, ``corrections=True`` |
| ``megc2019`` | MEGC 2019 composite of SMIC-HS, CASME II, SAMM | ``gt_csv=None``, ``cropped=True``, ``corrections=True`` |
"""
from __future__ import annotations

import inspect
from pathlib import Path

from common.datasets import casme2, casme_sq, megc2019, samm, smic
from common.datasets.sample import Sample, frame_number
from common.datasets.tables import DatasetError

DATASETS = ("casme2", "smic", "smic_e", "samm", "casme_sq", "megc2019")

_LOADERS = {
    "casme2": casme2.load,
    "smic": smic.load,
    "smic_e": smic.load_e,
    "samm": samm.load,
    "casme_sq": casme_sq.load,
    "megc2019": megc2019.load,
}

__all__ = ["DATASETS", "DatasetError", "Sample", "frame_number", "load"]


def load(name: str, root: str | Path, **options) -> list[Sample]:
    """The samples of database ``name`` found under ``root`` (see the table in this module's docstring)."""
    loader = _LOADERS.get(name)
    if loader is None:
        raise DatasetError(f"unknown database {name!r}; expected one of {', '.join(DATASETS)}")
    accepted = set(inspect.signature(loader).parameters) - {"root"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise DatasetError(f"{name}: unknown option(s) {', '.join(unknown)}; expected some of {', '.join(sorted(accepted))}")
    return loader(root, **options)
