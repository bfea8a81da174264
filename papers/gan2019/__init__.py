"""Gan, Liong, Yau, Huang, Tan (Signal Processing: Image Communication 74, 2019): OFF-ApexNet, a two-stream
CNN on the horizontal and vertical optical flow between the onset and apex frames.

Assembly only: ``PAPER``, and the pipeline (``common.experiment.Pipeline``) that gives ``EXPERIMENTS``,
``BENCHMARK_MODELS`` and ``benchmark_experiment``. The network: ``model.py``; its flow images, shared with
STSTNet (``common.flow_cnn``): ``preprocessing.py``; the recipe: ``config.py``.
"""
from __future__ import annotations

from common.experiment import Experiment, Paper, Pipeline
from papers.gan2019 import protocol, report, reported
from papers.gan2019.config import PROFILES, default_config
from papers.gan2019.preprocessing import INPUTS
from papers.gan2019.model import LAYER_TRAINABLE, MODEL_BUILDERS

PAPER = Paper(
    id="gan2019",
    title="OFF-ApexNet on micro-expression recognition system",
    citation="Y. S. Gan, S.-T. Liong, W.-C. Yau, Y.-C. Huang, L.-K. Tan. Signal Processing: Image Communication "
             "74:129-139, 2019. arXiv:1805.08699",
    status="implemented",
    models=MODEL_BUILDERS,
    # The layer list's count; Liong et al. 2019, Table V prints 2.77 million (README ledger 1).
    parameter_counts={"off_apexnet": (LAYER_TRAINABLE,
                                      "layer list (derived; Liong et al. 2019 Table V prints 2.77 M)")},
    architecture_tables={"off_apexnet": [
        {"name": "u_conv1", "output_shape": [28, 28, 6], "params": None, "paper_label": "conv 5x5, 6 (per stream)"},
        {"name": "u_pool1", "output_shape": [14, 14, 6], "params": None, "paper_label": "max pool 2x2"},
        {"name": "u_conv2", "output_shape": [14, 14, 16], "params": None, "paper_label": "conv 5x5, 16"},
        {"name": "u_pool2", "output_shape": [7, 7, 16], "params": None, "paper_label": "max pool 2x2"},
        {"name": "fusion", "output_shape": [1568], "params": None, "paper_label": "u and v features"},
        {"name": "fc1", "output_shape": [1024], "params": None, "paper_label": "FC1"},
        {"name": "fc2", "output_shape": [1024], "params": None, "paper_label": "FC2"},
        {"name": "output", "output_shape": [3], "params": None, "paper_label": "softmax"},
    ]},
)

# megc2019_loso and every benchmark entry: protocol.py's select, folds, run_fold and training stages, and the
# hooks of the flow images (preprocessing.INPUTS, common.flow_cnn). The megc2019 track shows the published
# composite numbers (Liong et al. 2019, Table III), other tracks none.
PIPELINE = Pipeline.of(
    protocol, INPUTS, paper_id="gan2019", models=("off_apexnet",), config=default_config(), profiles=PROFILES,
    min_frames=2,  # Fewest frames a clip needs: an onset and an apex frame.
    # Whether the input is the motion from onset to apex (common.datasets.invariants rule 6): the input is the
    # optical flow from the onset to the apex face (preprocessing.py); a clip whose onset and apex frames are
    # identical gives a flow of zero, no input, and the run refuses it.
    needs_motion=True,
    entry="OFF-ApexNet (Gan et al. 2019)", reported_on={"megc2019": reported.REPORTED})
EXPERIMENTS: tuple[Experiment, ...] = (PIPELINE.experiment(
    name="megc2019_loso", reported=reported.REPORTED, scopes=reported.SCOPES, report_pages=report.report_pages,
    title="MEGC 2019 composite (SMIC + CASME II + SAMM, 3 classes), LOSO (Liong et al. 2019, Table III)",
    datasets=("megc2019",)),)
BENCHMARK_MODELS: tuple[str, ...] = PIPELINE.models
benchmark_experiment = PIPELINE.on_track  # (track, model=None) -> Experiment: README "In the benchmark"

__all__ = ["PAPER", "EXPERIMENTS", "BENCHMARK_MODELS", "benchmark_experiment", "default_config", "MODEL_BUILDERS"]
