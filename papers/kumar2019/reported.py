"""The numbers Kumar et al. 2019 report, transcribed once from ``kumar2019_magnified_eai.txt``.

* Table 2: samples per class and database of the MEGC 2019 composite.
* Table 3 ("Our Approach" row): UAR and UF1 on the composite and per database (LOSO-CV).
* Tables 4-6: confusion matrices of SMIC, CASME II and SAMM (rows true, columns predicted,
  order negative, positive, surprise).
* Table 7: cross-dataset UAR / UF1 (row = training database, column = test database).

All are "pooled" numbers: Sec. 4.2 defines UF1 from TP/FP/FN summed over the folds (Eqs. 10-14),
and the confusion matrices hold every test sample once.

Consistency of the tables (computed by ``common.evaluation.metrics.scores_from_confusion`` in
:func:`confusion_consistency`, asserted by tests/test_kumar2019.py): Tables 5 and 6 reproduce
Table 3's CASME II and SAMM UF1 and UAR to 4 decimals; Table 4 gives SMIC UF1 0.7621 and UAR
0.7452, i.e. Table 3's SMIC values (UAR 0.7621, UF1 0.7451) with the two metrics swapped; the sum
of Tables 4-6 gives UF1 0.7785 and UAR 0.7512, not Table 3's combined 0.7603 / 0.7355.
"""
from __future__ import annotations

import numpy as np

from common.experiment import Reported

CLASSES = ("negative", "positive", "surprise")  # Tables 2, 4-6 order (MEGC classes 0, 1, 2)
DATABASES = ("smic", "casme2", "samm")  # Table 3 column order
DATABASE_TITLES = {"smic": "SMIC", "casme2": "CASME II", "samm": "SAMM", "all": "Combined"}

# Table 2: Summary of the data distribution samples.
TABLE_2 = {
    "smic": {"negative": 70, "positive": 51, "surprise": 43},
    "casme2": {"negative": 88, "positive": 32, "surprise": 25},
    "samm": {"negative": 92, "positive": 26, "surprise": 15},
    "all": {"negative": 250, "positive": 109, "surprise": 83},
}
SUBJECTS = {"smic": 16, "casme2": 24, "samm": 28, "all": 68}  # Sec. 4.1.1-4.1.4

# Table 3, row "Our Approach": {scope: {"uar", "uf1"}}.
TABLE_3 = {
    "all": {"uar": 0.7355, "uf1": 0.7603},
    "smic": {"uar": 0.7621, "uf1": 0.7451},
    "casme2": {"uar": 0.8065, "uf1": 0.8280},
    "samm": {"uar": 0.6815, "uf1": 0.7056},
}

# Tables 4-6: confusion matrices (rows true, columns predicted: negative, positive, surprise).
CONFUSION = {
    "smic": np.array([[65, 2, 3], [11, 37, 3], [17, 1, 25]]),  # Table 4
    "casme2": np.array([[84, 2, 2], [10, 20, 2], [4, 0, 21]]),  # Table 5
    "samm": np.array([[85, 3, 4], [8, 17, 1], [6, 2, 7]]),  # Table 6
}
CONFUSION_TABLES = {"smic": "Table 4", "casme2": "Table 5", "samm": "Table 6"}

# Table 7: cross-dataset evaluation, {(train, test): {"uar", "uf1"}}.
TABLE_7 = {
    ("casme2", "smic"): {"uar": 0.6684, "uf1": 0.6770},
    ("casme2", "samm"): {"uar": 0.6506, "uf1": 0.6595},
    ("smic", "casme2"): {"uar": 0.6213, "uf1": 0.6442},
    ("smic", "samm"): {"uar": 0.6076, "uf1": 0.6223},
    ("samm", "casme2"): {"uar": 0.6044, "uf1": 0.6210},
    ("samm", "smic"): {"uar": 0.5846, "uf1": 0.5924},
}
CROSS_PAIRS = tuple(TABLE_7)


def confusion_consistency() -> dict[str, dict[str, float]]:
    """UF1/UAR recomputed from Tables 4-6 (and their sum, scope "all") with our metric code,
    beside Table 3: ``{scope: {"uf1", "uar", "table3_uf1", "table3_uar"}}``."""
    from common.evaluation.metrics import scores_from_confusion

    matrices = dict(CONFUSION)
    matrices["all"] = sum(CONFUSION.values())
    out = {}
    for scope, matrix in matrices.items():
        s = scores_from_confusion(matrix)
        out[scope] = {"uf1": s["uf1"], "uar": s["uar"], "table3_uf1": TABLE_3[scope]["uf1"],
                      "table3_uar": TABLE_3[scope]["uar"]}
    return out


_NOTES = {
    "smic": "Table 4's matrix gives UF1 0.7621 / UAR 0.7452: Table 3's SMIC UF1 and UAR appear swapped",
    "all": "the sum of Tables 4-6 gives UF1 0.7785 / UAR 0.7512, not Table 3's combined values",
}


def loso_reported() -> tuple[Reported, ...]:
    """Table 3 ("Our Approach") for the composite LOSO experiment, every scope."""
    rows = []
    for scope in ("all",) + DATABASES:
        for metric in ("uf1", "uar"):
            rows.append(Reported(metric=metric, value=TABLE_3[scope][metric], scope=scope, aggregation="pooled",
                                 source="Table 3", note=_NOTES.get(scope, "")))
    return tuple(rows)


def cross_reported(train: str, test: str) -> tuple[Reported, ...]:
    """Table 7's cell (row ``train``, column ``test``)."""
    cell = TABLE_7[(train, test)]
    return tuple(Reported(metric=m, value=cell[m], scope="all", aggregation="pooled", source="Table 7")
                 for m in ("uf1", "uar"))


__all__ = ["CLASSES", "DATABASES", "DATABASE_TITLES", "TABLE_2", "SUBJECTS", "TABLE_3", "CONFUSION",
           "CONFUSION_TABLES", "TABLE_7", "CROSS_PAIRS", "confusion_consistency", "loso_reported",
           "cross_reported"]
