"""OFF-ApexNet's published numbers: its MEGC 2019 composite row (Liong et al., FG 2019; arXiv 1902.03634v1, Table
III, row "OFF-ApexNet [15]"), read from the composite's one table of published rows
(``common.evaluation.published``); Table V; the layer list. Gan et al.'s own abstract (arXiv 1805.08699) gives the
row's accuracy and F-measure, 74.60 % and 71.04 %, for their multi-database leave-one-subject-out protocol; their
text (which clips, which recipe) is not read here.
"""
from __future__ import annotations

from common.evaluation.published import published_reported, published_row

SCOPES = ("all", "smic", "casme2", "samm")
SCOPE_TITLES = {"all": "Full", "smic": "SMIC", "casme2": "CASME II", "samm": "SAMM"}

# Liong et al. 2019, Table III, row 7 "OFF-ApexNet [15]", read from the composite's one table of published rows
# (common/evaluation/published.json): accuracy and F1 on Full, (UF1, UAR) per scope.
ROW = published_row("OFF-ApexNet")
SOURCE = ROW.source
TABLE3_OFF_APEXNET = ROW.cells()
# Liong et al. 2019, Table V: OFF-ApexNet depth 5, 2.77 million parameters, input 28 x 28 x 2, 5.5632 s per fold.
TABLE5 = {"depth": 5, "parameters_millions": 2.77, "input": (28, 28, 2), "seconds_per_fold": 5.5632}

REPORTED = published_reported(
    "OFF-ApexNet", accuracy=True,
    note="MEGC 2019 composite, LOSO (68 subjects); the authors' group's reproduction of OFF-ApexNet")

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
