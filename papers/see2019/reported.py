"""The numbers of the MEGC 2019 LBP-TOP baseline, transcribed once.

See, Yap, Li, Hong, Wang, "MEGC 2019 -- The Second Facial Micro-Expressions Grand Challenge", FG 2019:
the challenge's results table (composite "FULL" and per database, leave-one-subject-out, UF1 and UAR
from the predictions of all folds together). We could not read that table itself; the values are
transcribed from its two reprints, Aouayeb et al. 2019 (MLSP) Table 2 (row "LBP-TOP [22]", [22] = See et
al. 2019) and Kumar et al. 2019 (CVPRW) Table 3 (row "LBP-TOP"), which agree to the fourth digit.
"""
from __future__ import annotations

from common.svm_baseline import reported_rows

SOURCE = "See et al. 2019, MEGC 2019 results table (via Aouayeb et al. 2019 Table 2 and Kumar et al. 2019 Table 3)"

# {scope: (UF1, UAR)}: the composite ("FULL"), then each database
LBP_TOP = {"all": (0.5882, 0.5785), "smic": (0.2000, 0.5280), "casme2": (0.7026, 0.7429), "samm": (0.3954, 0.4102)}
SCOPES = tuple(LBP_TOP)

REPORTED = reported_rows(LBP_TOP, source=SOURCE)
