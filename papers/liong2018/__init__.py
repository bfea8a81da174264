"""Liong, See, Wong, Phan (2018): Bi-WOOF on the onset and apex frames, on the MEGC 2019 composite, LOSO.

"Less is more: Micro-expression recognition from video using apex frame", Signal Processing: Image
Communication 62, 2018: the TV-L1 optical flow between the onset and apex frames, its bi-weighted
oriented optical flow histograms, a linear SVM. Assembly only (``common/experiment.py``): ``PAPER``,
``EXPERIMENTS``, ``benchmark_experiment`` and ``BENCHMARK_MODELS``.
"""
from __future__ import annotations

from common.evaluation.motion_views import flow_predict_apex
from common.experiment import Experiment, Paper, Track, benchmark_model, on_track
from papers.liong2018 import protocol, report, reported
from papers.liong2018.config import PROFILES, default_config
from papers.liong2018.model import MODEL_BUILDERS, MODEL_NAME
from papers.liong2018.preprocessing import feature_length

# Fewest frames a clip needs (Experiment.min_frames): the flow runs from the onset frame to the apex
# frame (Sec. 3), two frames.
MIN_FRAMES = 2
# Whether the input is the motion from onset to apex (Experiment.needs_motion; common.datasets.invariants
# rule 6): Bi-WOOF is built from the optical flow and strain from the onset to the apex
# frame (Sec. 3); a clip whose onset and apex frames are identical gives a flow of zero, no feature, and the run
# refuses it.
NEEDS_MOTION = True
# quick and smoke (the paper profile is the config itself).
EXPERIMENT_PROFILES = {name: overrides for name, overrides in PROFILES.items() if name != "paper"}

PAPER = Paper(
    id="liong2018",
    title="Less is more: Micro-expression recognition from video using apex frame (Bi-WOOF)",
    citation="S.-T. Liong, J. See, K. Wong, R. C.-W. Phan. Signal Processing: Image Communication 62:82-92, "
             "2018. doi:10.1016/j.image.2017.11.006 (arXiv:1606.01721)",
    status="implemented",
    models=MODEL_BUILDERS,
    parameter_counts={MODEL_NAME: (3 * feature_length(default_config()) + 3,
                                   "ours: the linear SVM's weights for a 200-long Bi-WOOF vector "
                                   "(5 x 5 blocks x 8 orientation bins), 3 one-vs-one decision values")},
)

EXPERIMENTS = (
    Experiment(
        name="megc2019_loso",
        title="MEGC 2019 composite (SMIC + CASME II + SAMM, 3 classes), LOSO: Bi-WOOF + linear SVM",
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
        preprocess_clip=protocol.preprocess_clip, first_pass=protocol.first_pass,
        predict_clips=protocol.predict_clips, predict_views=protocol.predict_views, predict_apex=flow_predict_apex,
    ),
)

BENCHMARK_MODELS: tuple[str, ...] = (MODEL_NAME,)


def benchmark_experiment(track: Track, model: str | None = None) -> Experiment:
    """Bi-WOOF on a benchmark track: ``megc2019_loso``'s config, profiles and ``run_fold`` on the track's
    samples and folds, unchanged. The published numbers are the ``megc2019`` track's protocol (LOSO on the
    composite), so that track shows them; other tracks show none. README "In the benchmark"."""
    model = benchmark_model("liong2018", model, BENCHMARK_MODELS)
    return on_track(track, needs_motion=NEEDS_MOTION, model=model, default_model=BENCHMARK_MODELS[0],
                    title=f"{track.title}: Bi-WOOF + linear SVM (Liong et al. 2018)", config=default_config(),
                    run_fold=protocol.run_fold, profiles=EXPERIMENT_PROFILES,
                    reported=reported.REPORTED if track.name == "megc2019" else (),
                    training_stages=protocol.training_stages, preprocess_clip=protocol.preprocess_clip,
                    first_pass=protocol.first_pass, predict_clips=protocol.predict_clips,
                    predict_views=protocol.predict_views, predict_apex=flow_predict_apex)


__all__ = ["PAPER", "EXPERIMENTS", "BENCHMARK_MODELS", "benchmark_experiment", "default_config", "MODEL_BUILDERS"]
