"""Published composite rows of the field that no package of this suite transcribes: the leaderboard's
references beside those the papers expose (``BENCHMARK_REFERENCES``, ``common.evaluation.references``).

Each number is transcribed once, here, from the primary source its row names (the paper's table, or the
authors' own repository where the table is printed there), with whether the authors' code selects on
test data and where that was read (docs/methods.md §9.4). A row is added only where its numbers were
read in a primary source; none is copied from a later paper's comparison table.
"""
from __future__ import annotations

from common.evaluation.references import Reference

# Wang et al., "HTNet for micro-expression recognition", Neurocomputing 602 (2024), arXiv 2307.14637.
# Table 2 (composite LOSO, UF1 / UAR per scope), read in the authors' repository, where the README
# shows it as an image: wangzhifengharrison/HTNet images/state_of_art.png (commit 91cf4bd).
HTNET = Reference(
    track="megc2019", name="HTNet", approach="deep learning",
    scores={"all": (0.8603, 0.8475), "smic": (0.8049, 0.7905), "casme2": (0.9532, 0.9516),
            "samm": (0.8131, 0.8124)},
    source="Wang et al. 2024 (Neurocomputing 602; arXiv 2307.14637), Table 2, as shown in the authors' repository "
           "wangzhifengharrison/HTNet images/state_of_art.png",
    selects_on_test="yes",
    selection_source="wangzhifengharrison/HTNet main_HTNet.py l. 250-316 (commit 91cf4bd): per left-out subject, "
                     "the predictions of the epoch with the highest test accuracy (l. 295-298) are the ones pooled "
                     "into the reported UF1 / UAR (l. 314-317)",
    note="A rerun of the public code reported UF1 0.6552 / UAR 0.6521 on the composite (wangzhifengharrison/HTNet "
         "issue 21); the thread does not say which of the code's outputs that was.")

# Zhang, Tang, Chen, "Rethinking Key-frame-based Micro-expression Recognition: A Robust and Accurate Framework
# Against Key-frame Errors" (CausalNet), ICCV 2025, arXiv 2508.06640. The numbers as the authors' README
# prints them, in percent (tony19980810/CausalNet README.md l. 59-63, commit 7bdf163); the paper's own
# table was not read here.
CAUSALNET = Reference(
    track="megc2019", name="CausalNet", approach="deep learning",
    scores={"all": (0.8976, 0.9020), "smic": (0.8390, 0.8452), "casme2": (0.9811, 0.9858),
            "samm": (0.8780, 0.8582)},
    source="Zhang et al. 2025 (ICCV; arXiv 2508.06640), the authors' repository tony19980810/CausalNet README.md "
           "l. 59-63 (percent there)",
    selects_on_test="yes",
    selection_source="tony19980810/CausalNet main_train.py l. 347-370 (commit 7bdf163): per left-out subject, the "
                     "confusion entries of the epoch with the highest test accuracy are kept (l. 347-352), training "
                     "stops when test accuracy reaches 1 (l. 356-363), and calculate_all_results.py l. 38-42 pools "
                     "those entries into the reported scores")

REFERENCES: tuple[Reference, ...] = (HTNET, CAUSALNET)
