"""Gan, Liong, Yau, Huang, Tan (Signal Processing: Image Communication 74, 2019): OFF-ApexNet, a two-stream
CNN on the horizontal and vertical optical flow between the onset and apex frames.

Assembly only (``common/experiment.py``): ``PAPER``, ``EXPERIMENTS``, ``benchmark_experiment`` and
``BENCHMARK_MODELS``. Config and profiles: ``config.py``; the network: ``model.py``; the flow images:
``preprocessing.py``; selection, folds and training: ``protocol.py``; report page: ``report.py``.
"""
from __future__ import annotations

from common.evaluation.first_pass import per_clip
from common.evaluation.motion_views import flow_predict_apex
from common.experiment import Experiment, Paper, Track, benchmark_model, on_track
from papers.gan2019 import protocol, report, reported
from papers.gan2019.config import PROFILES, default_config
from papers.gan2019.model import LAYER_TRAINABLE, MODEL_BUILDERS
from papers.gan2019.preprocessing import cache_clip, predict_clips, predict_views, preprocess_clip

# Fewest frames a clip needs (Experiment.min_frames): an onset and an apex frame.
MIN_FRAMES = 2
# Whether the input is the motion from onset to apex (Experiment.needs_motion; common.datasets.invariants
# rule 6): the input is the optical flow from the onset to the apex face (preprocessing.py);
# a clip whose onset and apex frames are identical gives a flow of zero, no input, and the run refuses it.
NEEDS_MOTION = True
EXPERIMENT_PROFILES = {name: overrides for name, overrides in PROFILES.items() if name != "paper"}

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

# --preprocess-workers: the cached flow of every clip the folds read (common.evaluation.first_pass)
FIRST_PASS = per_clip(cache_clip)

EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        name="megc2019_loso",
        title="MEGC 2019 composite (SMIC + CASME II + SAMM, 3 classes), LOSO (Liong et al. 2019, Table III)",
        datasets=("megc2019",),
        config=default_config(),
        select=protocol.select,
        folds=protocol.folds,
        run_fold=protocol.run_fold,
        profiles=EXPERIMENT_PROFILES,
        reported=reported.REPORTED,
        metrics=("uf1", "uar", "accuracy"),
        scopes=reported.SCOPES,
        report_pages=report.report_pages,
        min_frames=MIN_FRAMES, needs_motion=NEEDS_MOTION,
        training_stages=protocol.training_stages,
        preprocess_clip=preprocess_clip,
        predict_clips=predict_clips, predict_views=predict_views, predict_apex=flow_predict_apex, first_pass=FIRST_PASS,
    ),
)

BENCHMARK_MODELS: tuple[str, ...] = ("off_apexnet",)


def benchmark_experiment(track: Track, model: str | None = None) -> Experiment:
    """OFF-ApexNet on a benchmark track: ``megc2019_loso``'s config, profiles and ``run_fold`` on the track's
    samples and folds, unchanged; the ``megc2019`` track shows the published composite numbers (Liong et
    al. 2019, Table III), other tracks none (README "In the benchmark")."""
    model = benchmark_model("gan2019", model, BENCHMARK_MODELS)
    return on_track(track, needs_motion=NEEDS_MOTION, model=model, default_model=BENCHMARK_MODELS[0],
                    title=f"{track.title}: OFF-ApexNet (Gan et al. 2019)", config=default_config(),
                    run_fold=protocol.run_fold, profiles=EXPERIMENT_PROFILES,
                    reported=reported.REPORTED if track.name == "megc2019" else (),
                    training_stages=protocol.training_stages, preprocess_clip=preprocess_clip,
                    predict_clips=predict_clips, predict_views=predict_views, predict_apex=flow_predict_apex,
                    first_pass=FIRST_PASS)


__all__ = ["PAPER", "EXPERIMENTS", "BENCHMARK_MODELS", "benchmark_experiment", "default_config", "MODEL_BUILDERS"]
