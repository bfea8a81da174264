"""The numbers of Bi-WOOF (Liong et al. 2018), transcribed once.

The composite numbers: the MEGC 2019 results table (See et al., FG 2019, row "Bi-WOOF"), composite
"FULL" and per database, leave-one-subject-out, UF1 and UAR from the predictions of all folds together.
We could not read that table itself; the values are transcribed from its reprint in Aouayeb et al. 2019
(MLSP) Table 2 (row "Bi-WOOF [5]", marked as a MEGC 2019 baseline like LBP-TOP). Kumar et al. 2019
(CVPRW) Table 3 prints other Bi-WOOF UF1s (SMIC 0.6110, CASME II 0.7902, SAMM 0.3970, no composite, no
UAR); kept below (``KUMAR_TABLE3``) and in the README, not compared.

The paper's own numbers (Sec. 5) are on other protocols (each database alone, its own classes):
F1 0.61 on CASME II and 0.62 on SMIC-HS (abstract); not comparable with the composite.
"""
from __future__ import annotations

from common.evaluation.published import published_row
from common.svm_baseline import reported_rows

ROW = published_row("Bi-WOOF")  # transcribed once, in the composite's table of published rows
SOURCE = ROW.source

# {scope: (UF1, UAR)}: the composite ("FULL"), then each database
BIWOOF = dict(ROW.scores)
SCOPES = tuple(BIWOOF)
# Kumar et al. 2019, Table 3, row "Bi-WOOF": UF1 only, per database (another source of Bi-WOOF numbers).
KUMAR_TABLE3 = {"smic": 0.6110, "casme2": 0.7902, "samm": 0.3970}
# The paper's abstract: F1 on CASME II and SMIC-HS under its own per-database protocols.
PAPER_F1 = {"casme2": 0.61, "smic": 0.62}

REPORTED = reported_rows(BIWOOF, source=SOURCE)
