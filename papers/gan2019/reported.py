"""The published MEGC 2019 composite numbers of OFF-ApexNet, transcribed once, with their table: the same
group's run (Liong et al., FG 2019; arXiv 1902.03634v1, Table III, row "OFF-ApexNet [15]"; Aouayeb et al. 2019,
Table 2, and the MEGC 2019 summary print the same values); Gan et al. 2019 predate the composite.
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

# The network as model.py's docstring describes it (two streams of conv 5x5 and max pooling 2x2, FC 1024 twice), layer
# by layer: the architecture page shows these labels beside our layers (common.orchestration.architectures).
ARCHITECTURE_TABLES = {"off_apexnet": [
    {"name": "u_conv1", "output_shape": [28, 28, 6], "params": None, "paper_label": "conv 5x5, 6 (per stream)"},
    {"name": "u_pool1", "output_shape": [14, 14, 6], "params": None, "paper_label": "max pool 2x2"},
    {"name": "u_conv2", "output_shape": [14, 14, 16], "params": None, "paper_label": "conv 5x5, 16"},
    {"name": "u_pool2", "output_shape": [7, 7, 16], "params": None, "paper_label": "max pool 2x2"},
    {"name": "fusion", "output_shape": [1568], "params": None, "paper_label": "u and v features"},
    {"name": "fc1", "output_shape": [1024], "params": None, "paper_label": "FC1"},
    {"name": "fc2", "output_shape": [1024], "params": None, "paper_label": "FC2"},
    {"name": "output", "output_shape": [3], "params": None, "paper_label": "softmax"},
]}
