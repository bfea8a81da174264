"""Liong, Gan, See, Khor, Huang (FG 2019): STSTNet, a shallow triple-stream CNN on onset-apex optical flow.

Assembly only: ``PAPER`` (Table I's layers with the STSTNet.mat layers it omits), and the pipeline
(``common.experiment.Pipeline``) that gives ``EXPERIMENTS``, ``BENCHMARK_MODELS`` and ``benchmark_experiment``.
"""
from __future__ import annotations

from common.experiment import Paper, Pipeline
from papers.liong2019 import pages, protocol, reported
from papers.liong2019.config import PROFILES, default_config
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
# the flow images' hooks: common.network_protocol, preprocessing.INPUTS). Table III is the megc2019 track's protocol,
# so that track shows its numbers as the paper's; other tracks show none. min_frames: an onset and an apex frame
# (Sec. II). needs_motion (common.datasets.invariants rule 6): the optical flow and strain from the onset to the
# apex frame (Sec. II); a clip whose onset and apex frames are identical gives zero images, and the run refuses it.
# reads_released: on the authors' released inputs (common.datasets.released) their own 28x28 flow images
# (IPOL TV-L1 flow and strain, README ledger) replace the shared flow stage; the rest of the method is unchanged.
PIPELINE = Pipeline(hooks=protocol.HOOKS, paper_id="liong2019", models=("ststnet",), config=default_config(),
                    profiles=PROFILES, min_frames=2, needs_motion=True, entry="STSTNet (Liong et al. 2019)",
                    reads_released=True, stands_for=("Liong et al.",),
                    reported_on={"megc2019": reported.REPORTED})
EXPERIMENTS = PIPELINE.megc2019_loso(source="Table III", report_pages=pages.report_pages)
BENCHMARK_MODELS: tuple[str, ...] = PIPELINE.models
benchmark_experiment = PIPELINE.on_track  # (track, model=None) -> Experiment: README "In the benchmark"
