"""See et al. 2019 (FG): the MEGC 2019 LBP-TOP baseline on the composite, leave-one-subject-out.

LBP-TOP (Zhao and Pietikainen, TPAMI 2007) of each clip's face sequence, classified by a linear SVM.
Assembly only (``common/experiment.py``): ``PAPER``, ``EXPERIMENTS``, ``benchmark_experiment`` and
``BENCHMARK_MODELS``. Configs and profiles: ``config.py``; the SVM's Keras copy: ``model.py``; the
clip's LBP-TOP vector: ``preprocessing.py``; selection, folds and the fold: ``protocol.py``.
"""
from __future__ import annotations

from common.experiment import Experiment, Paper, Track, benchmark_model, on_track
from papers.see2019 import protocol, report, reported
from papers.see2019.config import PROFILES, default_config
from papers.see2019.model import MODEL_BUILDERS, MODEL_NAME
from papers.see2019.preprocessing import feature_length, min_frames

# Fewest frames a clip needs (Experiment.min_frames): LBP-TOP codes a voxel with R_T frames on either
# side (Zhao and Pietikainen Sec. 3), 2 R_T + 1 = 9 frames at R_T = 4; the runner drops and records
# shorter clips. On a benchmark track the track's own minimum holds (README "In the benchmark").
MIN_FRAMES = min_frames(default_config())
# Whether the input is the motion from onset to apex (Experiment.needs_motion; common.datasets.invariants
# rule 6): LBP-TOP's XY plane codes each frame's texture (Zhao and Pietikainen Sec. 3); a
# clip without motion still has a feature vector, flagged by the run.
NEEDS_MOTION = False
# quick and smoke (the paper profile is the config itself).
EXPERIMENT_PROFILES = {name: overrides for name, overrides in PROFILES.items() if name != "paper"}

PAPER = Paper(
    id="see2019",
    title="MEGC 2019 -- The Second Facial Micro-Expressions Grand Challenge (LBP-TOP baseline)",
    citation="J. See, M. H. Yap, J. Li, X. Hong, S.-J. Wang. 14th IEEE International Conference on Automatic "
             "Face & Gesture Recognition (FG 2019). Features: G. Zhao, M. Pietikainen, \"Dynamic texture "
             "recognition using local binary patterns with an application to facial expressions\", IEEE TPAMI "
             "29(6), 2007.",
    status="implemented",
    models=MODEL_BUILDERS,
    parameter_counts={MODEL_NAME: (3 * feature_length(default_config()) + 3,
                                   "ours: the linear SVM's weights for a 1,125-long LBP-TOP vector "
                                   "(5 x 5 blocks x 3 planes x 15 labels), 3 one-vs-one decision values")},
)

EXPERIMENTS = (
    Experiment(
        name="megc2019_loso",
        title="MEGC 2019 composite (SMIC + CASME II + SAMM, 3 classes), LOSO: LBP-TOP + linear SVM",
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
        predict_clips=protocol.predict_clips, predict_views=protocol.predict_views, frame_rate=protocol.frame_rate,
    ),
)

BENCHMARK_MODELS: tuple[str, ...] = (MODEL_NAME,)


def benchmark_experiment(track: Track, model: str | None = None) -> Experiment:
    """The baseline on a benchmark track: ``megc2019_loso``'s config, profiles and ``run_fold`` on the track's
    samples and folds, unchanged. The published numbers are the ``megc2019`` track's protocol (LOSO on the
    composite), so that track shows them; other tracks show none. README "In the benchmark"."""
    model = benchmark_model("see2019", model, BENCHMARK_MODELS)
    return on_track(track, needs_motion=NEEDS_MOTION, model=model, default_model=BENCHMARK_MODELS[0],
                    title=f"{track.title}: LBP-TOP + linear SVM (MEGC 2019 baseline)", config=default_config(),
                    run_fold=protocol.run_fold, profiles=EXPERIMENT_PROFILES,
                    reported=reported.REPORTED if track.name == "megc2019" else (),
                    training_stages=protocol.training_stages, preprocess_clip=protocol.preprocess_clip,
                    first_pass=protocol.first_pass, predict_clips=protocol.predict_clips,
                    predict_views=protocol.predict_views, frame_rate=protocol.frame_rate)


__all__ = ["PAPER", "EXPERIMENTS", "BENCHMARK_MODELS", "benchmark_experiment", "default_config", "MODEL_BUILDERS"]
