"""Selection, folds and training of OFF-ApexNet (Gan et al. 2019) on the MEGC 2019 composite; the inputs are in
``preprocessing.py``.

The MEGC 2019 composite (SMIC + CASME II + SAMM, 442 clips, negative / positive / surprise) with
leave-one-subject-out over its 68 subjects, as Liong et al. 2019 ran OFF-ApexNet (Table III): one network
trained by one recipe (Adam, cross-entropy, ``config.train``), the last epoch's weights predicting the
left-out subject (README ledger 8), the protocol every such network shares (``common.network_protocol``).
"""
from __future__ import annotations

from common.datasets.megc2019 import CLASSES as MEGC_CLASSES
from common.network_protocol import OneNetwork
from papers.gan2019.model import build_model
from papers.gan2019.preprocessing import INPUTS

CLASSES = MEGC_CLASSES  # the composite's classes (Liong et al. 2019, Table II)

PROTOCOL = OneNetwork(model="off_apexnet", inputs=INPUTS, build_model=build_model)
HOOKS = PROTOCOL.hooks()
