"""Liong, Gan, See, Khor, Huang (FG 2019): STSTNet, a shallow triple-stream CNN on onset-apex optical flow.

Assembly only: ``PAPER`` (Table I's layers with the STSTNet.mat layers it omits), and the pipeline
(``common.experiment.Pipeline``) that gives ``EXPERIMENTS``, ``BENCHMARK_MODELS`` and ``benchmark_experiment``.
"""
from __future__ import annotations

import dataclasses

from common.paper import Paper
from common.flow_cnn import flow_network_pipeline
from papers.liong2019 import pages, protocol, reported
from papers.liong2019.config import MATLAB_ABLATIONS, PROFILES, default_config
from papers.liong2019.model import AUTHORS_TRAINABLE, MODEL_BUILDERS

PAPER = Paper(
    id="liong2019",
    title="Shallow Triple Stream Three-dimensional CNN (STSTNet) for Micro-expression Recognition",
    citation="S.-T. Liong, Y. S. Gan, J. See, H.-Q. Khor, Y.-C. Huang. 14th IEEE International Conference on "
             "Automatic Face & Gesture Recognition (FG 2019), pp. 1-5. arXiv:1902.03634",
    models=MODEL_BUILDERS,
    # The network the authors trained (README ledger 1, 10): Table I's 1,651 + 2 x 16 batch-normalisation
    # scales and offsets; Sec. IV / Table V print 1,670; the text reading (config.TEXT_READING) gives 1,651.
    parameter_counts={"ststnet": (AUTHORS_TRAINABLE,
                                  "STSTNet.mat / main.m: Table I's convolutions 448 + FC 1,203 + batchnorm_1, "
                                  "batchnorm_2_1, batchnorm_2_2 scale and offset 32 (the text prints 1,670; "
                                  "Table I alone gives 1,651)")},
    architecture_tables=reported.ARCHITECTURE_TABLES,
)

# megc2019_loso and every benchmark entry: the hooks protocol.py declares (the shared one-network protocol and
# the flow images' hooks: common.network_protocol, preprocessing.INPUTS), as every flow network does
# (common.flow_cnn.flow_network_pipeline: the optical flow and strain from the onset to the apex frame, Sec. II).
# Table III is the megc2019 track's protocol, so that track shows its numbers as the paper's; other tracks none.
# Its named options: what the suite had to infer, each measured by runs shipped under its name (README ledger 13).
PIPELINE = dataclasses.replace(
    flow_network_pipeline(hooks=protocol.HOOKS, paper_id="liong2019", model="ststnet", config=default_config(),
                          profiles=PROFILES, entry="STSTNet (Liong et al. 2019)", stands_for=("STSTNet",),
                          reported=reported.REPORTED, weights_reported=reported.PORT_REPORTED,
                          input_check=protocol.PROTOCOL.input_problem),
    options=MATLAB_ABLATIONS)
EXPERIMENTS, BENCHMARK_MODELS, benchmark_experiment = PIPELINE.megc2019_exports(
    source="Table III", report_pages=pages.report_pages)
