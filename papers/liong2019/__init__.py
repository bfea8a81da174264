"""Liong, Gan, See, Khor, Huang (FG 2019): STSTNet, a shallow triple-stream CNN on onset-apex optical flow.

Assembly only: ``PAPER`` (Table I's layers with the STSTNet.mat layers it omits), and the pipeline
(``common.experiment.Pipeline``) that gives ``EXPERIMENTS``, ``BENCHMARK_MODELS`` and ``benchmark_experiment``.
"""
from __future__ import annotations

from common.experiment import Experiment, Paper, Pipeline
from papers.liong2019 import protocol, report, reported
from papers.liong2019.config import PROFILES, default_config
from papers.liong2019.preprocessing import INPUTS
from papers.liong2019.model import AUTHORS_TRAINABLE, MODEL_BUILDERS

PAPER = Paper(
    id="liong2019",
    title="Shallow Triple Stream Three-dimensional CNN (STSTNet) for Micro-expression Recognition",
    citation="S.-T. Liong, Y. S. Gan, J. See, H.-Q. Khor, Y.-C. Huang. 14th IEEE International Conference on "
             "Automatic Face & Gesture Recognition (FG 2019), pp. 1-5. arXiv:1902.03634",
    status="implemented",
    models=MODEL_BUILDERS,
    # The network the authors trained (README ledger 1, 10): Table I's 1,651 + 2 x 16 batch-normalisation
    # scales and offsets; Sec. IV / Table V print 1,670; the text reading (config.TEXT_READING) gives 1,651.
    parameter_counts={"ststnet": (AUTHORS_TRAINABLE,
                                  "STSTNet.mat / main.m: Table I's convolutions 448 + FC 1,203 + batchnorm_1, "
                                  "batchnorm_2_1, batchnorm_2_2 scale and offset 32 (the text prints 1,670; "
                                  "Table I alone gives 1,651)")},
    # Table I's rows, and STSTNet.mat's layers Table I omits (labelled with their STSTNet.mat names)
    architecture_tables={"ststnet": [
        {"name": "zerocenter", "output_shape": [28, 28, 3], "params": None,
         "paper_label": "imageinput 'zerocenter' (STSTNet.mat; not in Table I)"},
        {"name": "c1_1", "output_shape": [28, 28, 3], "params": None, "paper_label": "C1-1 3x3, 3 kernels"},
        {"name": "c1_2", "output_shape": [28, 28, 5], "params": None, "paper_label": "C1-2 3x3, 5 kernels"},
        {"name": "c1_3", "output_shape": [28, 28, 8], "params": None, "paper_label": "C1-3 3x3, 8 kernels"},
        {"name": "bn1_1", "output_shape": [28, 28, 3], "params": None,
         "paper_label": "batchnorm_1 (STSTNet.mat; not in Table I)"},
        {"name": "bn1_2", "output_shape": [28, 28, 5], "params": None,
         "paper_label": "batchnorm_2_1 (STSTNet.mat; not in Table I)"},
        {"name": "bn1_3", "output_shape": [28, 28, 8], "params": None,
         "paper_label": "batchnorm_2_2 (STSTNet.mat; not in Table I)"},
        {"name": "p1_1", "output_shape": [10, 10, 3], "params": None, "paper_label": "P1-1 max 3x3 /3"},
        {"name": "p1_2", "output_shape": [10, 10, 5], "params": None, "paper_label": "P1-2 max 3x3 /3"},
        {"name": "p1_3", "output_shape": [10, 10, 8], "params": None, "paper_label": "P1-3 max 3x3 /3"},
        {"name": "dropout1_1", "output_shape": [10, 10, 3], "params": None,
         "paper_label": "dropout_1 0.5 (STSTNet.mat; not in Table I)"},
        {"name": "dropout1_2", "output_shape": [10, 10, 5], "params": None,
         "paper_label": "dropout_2_1 0.5 (STSTNet.mat; not in Table I)"},
        {"name": "dropout1_3", "output_shape": [10, 10, 8], "params": None,
         "paper_label": "dropout_2_2 0.5 (STSTNet.mat; not in Table I)"},
        {"name": "p2", "output_shape": [5, 5, 16], "params": None, "paper_label": "P2 average 2x2 /2"},
        {"name": "fc_input", "output_shape": [400], "params": None, "paper_label": "FC 400"},
        {"name": "output", "output_shape": [3], "params": None, "paper_label": "Output 3"},
    ]},
)

# megc2019_loso and every benchmark entry: protocol.py's select, folds, run_fold and training stages, and the
# hooks of the flow images (preprocessing.INPUTS, common.flow_cnn). Table III is the megc2019 track's protocol,
# so that track shows its numbers as the paper's; other tracks show none.
PIPELINE = Pipeline.of(
    protocol, INPUTS, paper_id="liong2019", models=("ststnet",), config=default_config(), profiles=PROFILES,
    min_frames=2,  # Fewest frames a clip needs: an onset and an apex frame (Sec. II).
    # Whether the input is the motion from onset to apex (common.datasets.invariants rule 6): the optical flow
    # and strain from the onset to the apex frame (Sec. II); a clip whose onset and apex frames are identical
    # gives zero images, and the run refuses it.
    needs_motion=True,
    entry="STSTNet (Liong et al. 2019)", reported_on={"megc2019": reported.REPORTED})
EXPERIMENTS: tuple[Experiment, ...] = (PIPELINE.experiment(
    name="megc2019_loso", datasets=("megc2019",), reported=reported.REPORTED, scopes=reported.SCOPES,
    title="MEGC 2019 composite (SMIC + CASME II + SAMM, 3 classes), LOSO (Table III)",
    report_pages=report.report_pages),)
BENCHMARK_MODELS: tuple[str, ...] = PIPELINE.models
benchmark_experiment = PIPELINE.on_track  # (track, model=None) -> Experiment: README "In the benchmark"

__all__ = ["PAPER", "EXPERIMENTS", "BENCHMARK_MODELS", "benchmark_experiment", "default_config", "MODEL_BUILDERS"]
