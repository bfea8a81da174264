"""Gan, Liong, Yau, Huang, Tan (Signal Processing: Image Communication 74, 2019): OFF-ApexNet, a two-stream
CNN on the horizontal and vertical optical flow between the onset and apex frames.

Assembly only: ``PAPER``, and the pipeline that gives ``EXPERIMENTS``, ``BENCHMARK_MODELS`` and
``benchmark_experiment``, declared as a network on the onset-apex flow (``common.flow_cnn.flow_network``): the
network is ``model.py``, its inputs the shared flow stage's u and v channels, its recipe ``config.py``.
"""
from __future__ import annotations

from common.flow_cnn import U, V, flow_network
from common.paper import Paper
from papers.gan2019 import pages, reported
from papers.gan2019.config import PROFILES, default_config
from papers.gan2019.model import LAYER_TRAINABLE, MODEL_BUILDERS, build_model

PAPER = Paper(
    id="gan2019",
    title="OFF-ApexNet on micro-expression recognition system",
    citation="Y. S. Gan, S.-T. Liong, W.-C. Yau, Y.-C. Huang, L.-K. Tan. Signal Processing: Image Communication "
             "74:129-139, 2019. arXiv:1805.08699",
    models=MODEL_BUILDERS,
    # The layer list's count; Liong et al. 2019, Table V prints 2.77 million (README ledger 1).
    parameter_counts={"off_apexnet": (LAYER_TRAINABLE,
                                      "layer list (derived; Liong et al. 2019 Table V prints 2.77 M)")},
    architecture_tables=reported.ARCHITECTURE_TABLES,
)

# The network on the flow's u and v (Gan et al. Sec. 3), on the MEGC 2019 composite with LOSO, one recipe, the last
# epoch predicting (README ledger 8), as Liong et al. 2019 ran it (Table III): the megc2019 track shows that row.
PIPELINE = flow_network(paper_id="gan2019", model="off_apexnet", build_model=build_model, channels=(U, V),
                        config=default_config(), profiles=PROFILES, entry="OFF-ApexNet (Gan et al. 2019)",
                        stands_for=("OFF-ApexNet",), reported=reported.REPORTED)
EXPERIMENTS, BENCHMARK_MODELS, benchmark_experiment = PIPELINE.megc2019_exports(
    source="Liong et al. 2019, Table III", report_pages=pages.report_pages)
