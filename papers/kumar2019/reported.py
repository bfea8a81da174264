"""The numbers Kumar et al. 2019 report, transcribed once from ``kumar2019_magnified_eai.txt``.

* Table 2: samples per class and database of the MEGC 2019 composite.
* Table 3 ("Our Approach" row): UAR and UF1 on the composite and per database (LOSO-CV); the
  baseline rows (LBP-TOP, Bi-WOOF, OFF-ApexNet) as published (``TABLE_3_BASELINES``).
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

from common.paper import Reported

CLASSES = ("negative", "positive", "surprise")  # Tables 2, 4-6 order (MEGC classes 0, 1, 2)
DATABASES = ("smic", "casme2", "samm")  # Table 3 column order
# The paper's own column headings (Tables 3 and 7), used in the pages' paper tables only; elsewhere the suite's
# names (common.datasets.DATABASE_TITLES: "SMIC-HS" ...).
TABLE_COLUMNS = {"smic": "SMIC", "casme2": "CASME II", "samm": "SAMM", "all": "Combined"}

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

# Table 3, the other rows (published baselines, shown beside ours as published; not run by the suite):
# {method: {scope: {"uar", "uf1"}}}, None where Table 3 prints "-". These are the MEGC 2019 challenge's
# LBP-TOP baseline and the Bi-WOOF / OFF-ApexNet results as Table 3 prints them (source: Table 3).
TABLE_3_BASELINES: dict[str, dict[str, dict[str, float | None]]] = {
    "LBP-TOP": {"all": {"uar": 0.5785, "uf1": 0.5882}, "smic": {"uar": 0.5280, "uf1": 0.2000},
                "casme2": {"uar": 0.7429, "uf1": 0.7026}, "samm": {"uar": 0.4102, "uf1": 0.3954}},
    "Bi-WOOF": {"all": {"uar": None, "uf1": None}, "smic": {"uar": None, "uf1": 0.6110},
                "casme2": {"uar": None, "uf1": 0.7902}, "samm": {"uar": None, "uf1": 0.3970}},
    "OFF-ApexNet": {"all": {"uar": 0.7033, "uf1": 0.7104}, "smic": {"uar": None, "uf1": 0.6817},
                    "casme2": {"uar": None, "uf1": 0.8697}, "samm": {"uar": None, "uf1": 0.5409}},
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
    matrices["all"] = np.sum(list(CONFUSION.values()), axis=0)
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
    """Table 3 ("Our Approach"), combined column, for the composite LOSO experiment. The per-database columns
    belong to the per-database LOSO experiments (:func:`database_reported`): Sec. 4 evaluates each database by
    its own LOSO, and the sum of Tables 4-6 is not Table 3's combined value (a separate run)."""
    return tuple(Reported(metric=metric, value=TABLE_3["all"][metric], scope="all", aggregation="pooled",
                          source="Table 3", note=_NOTES["all"]) for metric in ("uf1", "uar"))


def database_reported(database: str) -> tuple[Reported, ...]:
    """Table 3 ("Our Approach"), the column of ``database``, for that database's own LOSO experiment."""
    source = f"Table 3 ({CONFUSION_TABLES[database]})"
    return tuple(Reported(metric=metric, value=TABLE_3[database][metric], scope="all", aggregation="pooled",
                          source=source, note=_NOTES.get(database, "")) for metric in ("uf1", "uar"))


def cross_reported(train: str, test: str) -> tuple[Reported, ...]:
    """Table 7's cell (row ``train``, column ``test``)."""
    cell = TABLE_7[(train, test)]
    return tuple(Reported(metric=m, value=cell[m], scope="all", aggregation="pooled", source="Table 7")
                 for m in ("uf1", "uar"))


__all__ = ["CLASSES", "DATABASES", "TABLE_COLUMNS", "TABLE_2", "SUBJECTS", "TABLE_3", "TABLE_3_BASELINES", "CONFUSION",
           "CONFUSION_TABLES", "TABLE_7", "CROSS_PAIRS", "confusion_consistency", "loso_reported",
           "database_reported", "cross_reported"]
