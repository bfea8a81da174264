"""Reddy et al. (IJCNN 2019): MicroExpSTCNN and MicroExpFuseNet on CAS(ME)^2 and SMIC-HS.

Assembly only: ``PAPER``, ``EXPERIMENTS``, ``BENCHMARK_MODELS`` and ``benchmark_experiment``,
built from ``config.py`` (configs, profiles), ``model.py`` (builders), ``protocol.py`` (select, folds,
run_fold), ``preprocessing.py`` (inputs), ``reported.py`` (the paper's numbers) and ``report.py`` (pages).
"""
from __future__ import annotations

from typing import cast

from common.datasets import DATABASE_TITLES
from common.experiment import Experiment, Paper, Track, benchmark_model, on_track
from papers.reddy2019 import reported as rep
from papers.reddy2019.config import (DATABASES, KERNEL_STUDY_PROFILES, MODEL_TITLES, MODELS, VARIANTS, Database,
                                     ModelName, Variant, benchmark_config, benchmark_profiles, default_config,
                                     kernel_study_config, profiles_for)
from papers.reddy2019.model import (MODEL_BUILDERS, PARAMETERS, build_microexpfusenet_intermediate,
                                    build_microexpfusenet_late, build_microexpstcnn, build_model)
from papers.reddy2019.preprocessing import first_pass, preprocess_clip
from papers.reddy2019.protocol import (folds, frame_rate, kernel_study_stages, predict_clips, predict_views, run_fold,
                                       run_kernel_study, select, training_stages)
from papers.reddy2019.report import holdout_pages, kernel_study_pages
from papers.reddy2019.reported import ARCHITECTURE_TABLES

# Fewest frames a clip needs (Experiment.min_frames): Sec. III: spatio-temporal 3D CNNs
# over the clip's frames; select() also keeps only clips of at least data.frames (96 CASME II / 18
# SMIC, Sec. IV-A).
MIN_FRAMES = 2
# Whether the input is the motion from onset to apex (Experiment.needs_motion; common.datasets.invariants
# rule 6): the 3D CNNs read the frames themselves (Sec. III), appearance and motion; a
# clip without motion is still a valid input, flagged by the run.
NEEDS_MOTION = False

PAPER = Paper(
    id="reddy2019",
    title="Spontaneous Facial Micro-Expression Recognition using 3D Spatiotemporal Convolutional Neural Networks",
    citation="S. P. T. Reddy, S. T. Karri, S. R. Dubey, S. Mukherjee. IJCNN 2019 (arXiv:1904.01390).",
    status="implemented",
    models=MODEL_BUILDERS,
    architecture_tables=ARCHITECTURE_TABLES,
    parameter_counts={"microexpstcnn": (44_241_667, "Table I, CAS(ME)^2 input 64x64x96"),
                      "microexpfusenet_intermediate": (177_088_515, "Table II"),
                      "microexpfusenet_late": (177_221_123, "Table III")},
)

_VARIANT_LABELS = {
    "paper": ("", "80/20 split, paper protocol, accuracy on the 20% split"),
    "leakage_free": ("_leakage_free", "80/20 split, leakage-free variant, accuracy on the 20% split"),
    "whole_set": ("_whole_set", "80/20 split, validated on the whole data set as the authors' FuseNet scripts "
                                "(as published: Table V's FuseNet accuracies are whole-set accuracies)"),
}


def _experiment(database: Database, model: ModelName, variant: Variant) -> Experiment:
    suffix, label = _VARIANT_LABELS[variant]
    return Experiment(
        name=f"{database}_{model}{suffix}",
        title=f"{MODEL_TITLES[model]} on {DATABASE_TITLES[database]}, {label} (Tables V, VIII)",
        datasets=(database,),
        config=default_config(database, model, variant),
        select=select,
        folds=folds,
        run_fold=run_fold,
        profiles=profiles_for(database, model),
        reported=rep.reported_for(database, model, variant) if variant != "leakage_free" else (),
        metrics=("accuracy", "uf1", "uar"),
        report_pages=holdout_pages,
        min_frames=MIN_FRAMES, needs_motion=NEEDS_MOTION,
        loader_options={"casme_sq": {"types": ("micro", "macro")}} if database == "casme_sq" else {},
        training_stages=training_stages,
        preprocess_clip=preprocess_clip, first_pass=first_pass,
        predict_clips=predict_clips, predict_views=predict_views, frame_rate=frame_rate,
    )


def _kernel_study() -> Experiment:
    return Experiment(
        name="casme_sq_kernel_sizes",
        title="MicroExpSTCNN kernel sizes on CAS(ME)^2, 80/20 split, paper protocol (Table IX)",
        datasets=("casme_sq",),
        config=kernel_study_config(),
        select=select,
        folds=folds,
        run_fold=run_kernel_study,
        profiles=KERNEL_STUDY_PROFILES,
        reported=rep.reported_kernel_study(),
        metrics=("accuracy", "uf1", "uar"),
        report_pages=kernel_study_pages,
        min_frames=MIN_FRAMES, needs_motion=NEEDS_MOTION,
        loader_options={"casme_sq": {"types": ("micro", "macro")}},
        training_stages=kernel_study_stages,
        preprocess_clip=preprocess_clip, first_pass=first_pass,
        predict_clips=predict_clips, predict_views=predict_views, frame_rate=frame_rate,
    )


EXPERIMENTS: tuple[Experiment, ...] = tuple(
    _experiment(database, model, variant)
    for database in DATABASES for model in MODELS for variant in VARIANTS
    if variant != "whole_set" or model != "microexpstcnn"  # whole-set validation: the FuseNet scripts only
) + (_kernel_study(),)

# The benchmark: MicroExpSTCNN first (Table V's best on both databases), the FuseNets as options.
BENCHMARK_MODELS: tuple[str, ...] = MODELS


def benchmark_experiment(track: Track, model: str | None = None) -> Experiment:
    """Reddy et al.'s entry into a benchmark track (README "In the benchmark"): the SMIC experiment's
    config and profiles (leakage-free, ``config.benchmark_config``), the track's samples and folds
    unchanged, every clip taken to ``data.frames`` frames inside the preprocessing (never dropped)."""
    model = benchmark_model("reddy2019", model, BENCHMARK_MODELS)  # one of MODELS: a ModelName
    return on_track(track, needs_motion=NEEDS_MOTION, model=model, default_model=BENCHMARK_MODELS[0],
                    title=f"{MODEL_TITLES[model]} on {track.title}",
                    config=benchmark_config(cast(ModelName, model)), run_fold=run_fold,
                    profiles=benchmark_profiles(model),
                    reported=(),  # the paper reports no number on a benchmark track
                    training_stages=training_stages, preprocess_clip=preprocess_clip, first_pass=first_pass,
                    predict_clips=predict_clips, predict_views=predict_views, frame_rate=frame_rate)


__all__ = ["PAPER", "EXPERIMENTS", "BENCHMARK_MODELS", "benchmark_experiment", "MODELS", "PARAMETERS",
           "ARCHITECTURE_TABLES", "MODEL_BUILDERS", "build_model", "build_microexpstcnn",
           "build_microexpfusenet_intermediate", "build_microexpfusenet_late"]
