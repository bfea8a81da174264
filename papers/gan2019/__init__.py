"""Gan, Liong, Yau, Huang, Tan (Signal Processing: Image Communication 74, 2019): OFF-ApexNet, a two-stream
CNN on the horizontal and vertical optical flow between the onset and apex frames.

Assembly only: ``PAPER``, and the pipeline (``common.experiment.Pipeline``) that gives ``EXPERIMENTS``,
``BENCHMARK_MODELS`` and ``benchmark_experiment``. The network: ``model.py``; its flow images, shared with
STSTNet (``common.flow_cnn``): ``preprocessing.py``; the recipe: ``config.py``.
"""
from __future__ import annotations

from common.experiment import Paper
from common.flow_cnn import flow_network_pipeline
from papers.gan2019 import pages, protocol, reported
from papers.gan2019.config import PROFILES, default_config
from papers.gan2019.model import LAYER_TRAINABLE, MODEL_BUILDERS

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

# megc2019_loso and every benchmark entry run protocol.HOOKS (the shared one-network protocol) as every flow network
# does; the megc2019 track shows the published composite numbers (Liong et al. 2019, Table III), other tracks none.
PIPELINE = flow_network_pipeline(hooks=protocol.HOOKS, paper_id="gan2019", model="off_apexnet", config=default_config(),
                                 profiles=PROFILES, entry="OFF-ApexNet (Gan et al. 2019)", stands_for=("OFF-ApexNet",),
                                 reported=reported.REPORTED)
EXPERIMENTS, BENCHMARK_MODELS, benchmark_experiment = PIPELINE.megc2019_exports(
    source="Liong et al. 2019, Table III", report_pages=pages.report_pages)
