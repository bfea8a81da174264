"""The numbers of the MEGC 2019 LBP-TOP baseline, transcribed once.

See, Yap, Li, Hong, Wang, "MEGC 2019 -- The Second Facial Micro-Expressions Grand Challenge", FG 2019:
the challenge's results table (composite "FULL" and per database, leave-one-subject-out, UF1 and UAR
from the predictions of all folds together). We could not read that table itself; the values are
transcribed from its two reprints, Aouayeb et al. 2019 (MLSP) Table 2 (row "LBP-TOP [22]", [22] = See et
al. 2019) and Kumar et al. 2019 (CVPRW) Table 3 (row "LBP-TOP"), which agree to the fourth digit.
"""
from __future__ import annotations

from common.evaluation.published import published_row
from common.svm_baseline import reported_rows

ROW = published_row("LBP-TOP")  # transcribed once, in the composite's table of published rows
SOURCE = ROW.source

# {scope: (UF1, UAR)}: the composite ("FULL"), then each database
LBP_TOP = dict(ROW.scores)
SCOPES = tuple(LBP_TOP)

REPORTED = reported_rows(LBP_TOP, source=SOURCE)
