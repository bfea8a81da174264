"""The published MEGC 2019 composite numbers of OFF-ApexNet, transcribed once, with their table.

Gan et al. 2019 evaluate on CASME II, SMIC and SAMM with their own protocols; the composite (Full =
SMIC + CASME II + SAMM, 442 clips, 3 classes, LOSO over 68 subjects, UF1 / UAR over every fold's
predictions) was run by the same group in Liong et al. (FG 2019; arXiv 1902.03634v1), Table III, row
"OFF-ApexNet [15]"; Aouayeb et al. 2019, Table 2, and See et al.'s MEGC 2019 summary print the same
values.
"""
from __future__ import annotations

from typing import Any

from common.experiment import Reported

SOURCE = "Liong et al. 2019, Table III"
SCOPES = ("all", "smic", "casme2", "samm")
SCOPE_TITLES = {"all": "Full", "smic": "SMIC", "casme2": "CASME II", "samm": "SAMM"}

# Liong et al. 2019, Table III, row 7 "OFF-ApexNet [15]": accuracy and F1 on Full, (UF1, UAR) per scope
# (floats beside tuples: Any, so that a row indexes by a scope name read at run time).
TABLE3_OFF_APEXNET: dict[str, Any] = {"acc": 0.7460, "f1": 0.7104, "all": (0.7196, 0.7096), "smic": (0.6817, 0.6695),
                      "casme2": (0.8764, 0.8681), "samm": (0.5409, 0.5392)}
# Liong et al. 2019, Table V: OFF-ApexNet depth 5, 2.77 million parameters, input 28 x 28 x 2, 5.5632 s per fold.
TABLE5 = {"depth": 5, "parameters_millions": 2.77, "input": (28, 28, 2), "seconds_per_fold": 5.5632}

REPORTED = tuple(
    Reported(metric=metric, value=TABLE3_OFF_APEXNET[scope][k], scope=scope, aggregation="pooled", source=SOURCE,
             note="MEGC 2019 composite, LOSO (68 subjects); the authors' group's reproduction of OFF-ApexNet")
    for scope in SCOPES for k, metric in enumerate(("uf1", "uar"))
) + (Reported(metric="accuracy", value=TABLE3_OFF_APEXNET["acc"], scope="all", aggregation="pooled", source=SOURCE,
              note="Full, accuracy"),)
