"""Liong, Gan, See, Khor, Huang (FG 2019): STSTNet, a shallow triple-stream CNN on onset-apex optical flow.

Assembly only (``common/experiment.py``): ``PAPER``, ``EXPERIMENTS``, ``benchmark_experiment`` and
``BENCHMARK_MODELS``. Config and profiles: ``config.py``; the network: ``model.py``; the flow images:
``preprocessing.py``; selection, folds and training: ``protocol.py``; report page: ``report.py``.
"""
from __future__ import annotations

from common.evaluation.first_pass import per_clip
from common.evaluation.motion_views import flow_predict_apex
from common.experiment import Experiment, Paper, Track, benchmark_model, on_track
from papers.liong2019 import protocol, report, reported
from papers.liong2019.config import PROFILES, default_config
from papers.liong2019.model import AUTHORS_TRAINABLE, MODEL_BUILDERS
from papers.liong2019.preprocessing import cache_clip, predict_clips, predict_views, preprocess_clip

# Fewest frames a clip needs (Experiment.min_frames): an onset and an apex frame (Sec. II).
MIN_FRAMES = 2
# Whether the input is the motion from onset to apex (Experiment.needs_motion; common.datasets.invariants
# rule 6): the input is the optical flow and strain from the onset to the apex frame
# (Sec. II); a clip whose onset and apex frames are identical gives zero images, and the run refuses it.
NEEDS_MOTION = True
EXPERIMENT_PROFILES = {name: overrides for name, overrides in PROFILES.items() if name != "paper"}

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

# --preprocess-workers: the cached flow of every clip the folds read (common.evaluation.first_pass)
FIRST_PASS = per_clip(cache_clip)

EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        name="megc2019_loso",
        title="MEGC 2019 composite (SMIC + CASME II + SAMM, 3 classes), LOSO (Table III)",
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

BENCHMARK_MODELS: tuple[str, ...] = ("ststnet",)


def benchmark_experiment(track: Track, model: str | None = None) -> Experiment:
    """STSTNet on a benchmark track: ``megc2019_loso``'s config, profiles and ``run_fold`` on the track's
    samples and folds, unchanged. Table III is the ``megc2019`` track's protocol, so that track shows its
    numbers as the paper's; other tracks show none (README "In the benchmark")."""
    model = benchmark_model("liong2019", model, BENCHMARK_MODELS)
    return on_track(track, needs_motion=NEEDS_MOTION, model=model, default_model=BENCHMARK_MODELS[0],
                    title=f"{track.title}: STSTNet (Liong et al. 2019)", config=default_config(),
                    run_fold=protocol.run_fold, profiles=EXPERIMENT_PROFILES,
                    reported=reported.REPORTED if track.name == "megc2019" else (),
                    training_stages=protocol.training_stages, preprocess_clip=preprocess_clip,
                    predict_clips=predict_clips, predict_views=predict_views, predict_apex=flow_predict_apex,
                    first_pass=FIRST_PASS)


__all__ = ["PAPER", "EXPERIMENTS", "BENCHMARK_MODELS", "benchmark_experiment", "default_config", "MODEL_BUILDERS"]
