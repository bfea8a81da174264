"""Wang, Zhang, Luo, Sankaranarayana (Neurocomputing 2024): HTNet, a hierarchical transformer over four facial
areas of the onset-apex optical flow.

Assembly only: ``PAPER`` and the pipeline (``common.experiment.Pipeline``) that gives ``EXPERIMENTS``,
``BENCHMARK_MODELS`` and ``benchmark_experiment``.
"""
from __future__ import annotations

from common.paper import Paper
from common.flow_cnn import flow_network_pipeline
from papers.wang2024 import pages, protocol, reported
from papers.wang2024.config import PROFILES, default_config
from papers.wang2024.model import MODEL_BUILDERS, MODEL_CHECKS, OFFICIAL_TRAINABLE

PAPER = Paper(
    id="wang2024",
    title="HTNet for micro-expression recognition",
    citation="Z. Wang, K. Zhang, W. Luo, R. Sankaranarayana. Neurocomputing 602 (2024) 128196. arXiv:2307.14637",
    models=MODEL_BUILDERS,
    # The paper prints no parameter count: the official network at main_HTNet.py's sizes, counted in PyTorch
    # (benchmarks/make_wang2024_fixture.py; tests/test_wang2024.py checks ours against that fixture).
    parameter_counts={"htnet": (OFFICIAL_TRAINABLE,
                                "wangzhifengharrison/HTNet Model.py HTNet as main_HTNet.py l. 222-231 builds it, "
                                "counted in PyTorch (tests/fixtures/wang2024_official.npz)")},
    model_checks=MODEL_CHECKS,
)

# megc2019_loso and every benchmark entry: the hooks protocol.py declares (the shared one-network protocol and
# the flow images' hooks: common.network_protocol, preprocessing.INPUTS), as every flow network does
# (common.flow_cnn.flow_network_pipeline). Table 2 is the megc2019 track's protocol, so that track shows its
# numbers (selected on test data, not compared). On the authors' released inputs the five points come from their
# apex crops as main_HTNet.py finds them (points.py, data.points; README ledger 13). A fold's best test epoch, which
# Table 2's numbers keep, is the latest of the epochs tied on its best accuracy: main_HTNet.py l. 295-298 takes an
# epoch's predictions whenever the best accuracy so far is ``<=`` its own (docs/methods.md §9.4).
PIPELINE = flow_network_pipeline(hooks=protocol.HOOKS, paper_id="wang2024", model="htnet", config=default_config(),
                                 profiles=PROFILES, entry="HTNet (Wang et al. 2024)", stands_for=("HTNet",),
                                 reported=reported.REPORTED, best_epoch_ties="latest")
EXPERIMENTS, BENCHMARK_MODELS, benchmark_experiment = PIPELINE.megc2019_exports(
    source="Table 2", report_pages=pages.report_pages)
