"""Reddy et al. (IJCNN 2019): MicroExpSTCNN and MicroExpFuseNet on CAS(ME)^2 and SMIC-HS.

Assembly only: ``PAPER``, and the pipeline (``common.experiment.Pipeline``) that gives ``EXPERIMENTS``,
``BENCHMARK_MODELS`` and ``benchmark_experiment``, built from ``config.py`` (configs, profiles), ``model.py``
(builders), ``protocol.py`` (select, folds, run_fold and the hooks), ``preprocessing.py`` (inputs),
``reported.py`` (the paper's numbers) and ``pages.py`` (pages).
"""
from __future__ import annotations

import functools
from typing import cast

from common.datasets import DATABASE_TITLES
from common.experiment import Experiment, Pipeline, Track
from common.paper import Paper
from papers.reddy2019 import protocol
from papers.reddy2019 import reported as rep
from papers.reddy2019.config import (DATABASES, KERNEL_STUDY_PROFILES, MODEL_TITLES, MODELS, VARIANTS, Database,
                                     ModelName, Variant, benchmark_config, benchmark_profiles, default_config,
                                     kernel_study_config, profiles_for)
from papers.reddy2019.model import (MODEL_BUILDERS, PARAMETERS, build_microexpfusenet_intermediate,
                                    build_microexpfusenet_late, build_microexpstcnn, build_model)
from papers.reddy2019.pages import holdout_pages, kernel_study_pages
from papers.reddy2019.reported import ARCHITECTURE_TABLES

PAPER = Paper(
    id="reddy2019",
    title="Spontaneous Facial Micro-Expression Recognition using 3D Spatiotemporal Convolutional Neural Networks",
    citation="S. P. T. Reddy, S. T. Karri, S. R. Dubey, S. Mukherjee. IJCNN 2019 (arXiv:1904.01390).",
    models=MODEL_BUILDERS,
    architecture_tables=ARCHITECTURE_TABLES,
    # The tables print layers and output shapes, no count: each count is derived from its table's shapes.
    parameter_counts={"microexpstcnn": (44_241_667, "derived from Table I's shapes, CAS(ME)^2 input 64x64x96"),
                      "microexpfusenet_intermediate": (177_088_515, "derived from Table II's shapes, its Concatenate "
                                                                    "read as 172,800 (printed 86400: ledger 3)"),
                      "microexpfusenet_late": (177_221_123, "derived from Table III's shapes")},
    # tests/test_models.py: the networks on 16 x 16 pixels x 20 frames (the paper's: 64 or 32 px x 96 frames)
    model_checks={name: {"small": functools.partial(build, input_shape=(16, 16, 20, 1))} for name, build in (
        ("microexpstcnn", build_microexpstcnn), ("microexpfusenet_intermediate", build_microexpfusenet_intermediate),
        ("microexpfusenet_late", build_microexpfusenet_late))},
)

_VARIANT_LABELS = {
    "paper": ("", "80/20 split, paper protocol, accuracy on the 20% split"),
    "leakage_free": ("_leakage_free", "80/20 split, leakage-free variant, accuracy on the 20% split"),
    "whole_set": ("_whole_set", "80/20 split, validated on the whole data set as the authors' FuseNet scripts "
                                "(as published: Table V's FuseNet accuracies are whole-set accuracies)"),
}


# Every experiment and every benchmark entry: the hooks protocol.py declares (HOOKS; preprocessing.py's
# preprocess_clip and first_pass), with the config and profiles of its database, model and variant. The
# benchmark: MicroExpSTCNN first (Table V's best on both databases), the FuseNets as options.
PIPELINE = Pipeline(
    hooks=protocol.HOOKS, paper_id="reddy2019", models=MODELS,
    # Fewest frames a clip needs: Sec. III: spatio-temporal 3D CNNs over the clip's frames; select() also keeps
    # only clips of at least data.frames (96 CASME II / 18 SMIC, Sec. IV-A).
    min_frames=2,
    # Whether the input is the motion from onset to apex (common.datasets.invariants rule 6): the 3D CNNs read
    # the frames themselves (Sec. III), appearance and motion; a clip without motion is still a valid input,
    # flagged by the run.
    needs_motion=False,
    # Each experiment and entry is one model's under one protocol variant (its name, title and Table V/VIII
    # numbers): another is another experiment, never a --set of this one.
    named_by=("model.name", "protocol.variant"))
BENCHMARK_MODELS: tuple[str, ...] = PIPELINE.models
# CAS(ME)^2: the micro- and the macro-expressions (Sec. IV-A)
CASME_SQ_TYPES = {"casme_sq": {"types": ("micro", "macro")}}


def _experiment(database: Database, model: ModelName, variant: Variant) -> Experiment:
    suffix, label = _VARIANT_LABELS[variant]
    return PIPELINE.experiment(
        name=f"{database}_{model}{suffix}", datasets=(database,),
        title=f"{MODEL_TITLES[model]} on {DATABASE_TITLES[database]}, {label} (Tables V, VIII)",
        config=default_config(database, model, variant), profiles=profiles_for(database, model),
        reported=rep.reported_for(database, model, variant) if variant != "leakage_free" else (),
        metrics=("accuracy", "uf1", "uar"), report_pages=holdout_pages,
        loader_options=CASME_SQ_TYPES if database == "casme_sq" else {})


def _kernel_study() -> Experiment:
    return PIPELINE.experiment(
        name="casme_sq_kernel_sizes", datasets=("casme_sq",),
        title="MicroExpSTCNN kernel sizes on CAS(ME)^2, 80/20 split, paper protocol (Table IX)",
        config=kernel_study_config(), profiles=KERNEL_STUDY_PROFILES, run_fold=protocol.run_kernel_study,
        training_stages=protocol.kernel_study_stages, reported=rep.reported_kernel_study(),
        metrics=("accuracy", "uf1", "uar"), report_pages=kernel_study_pages, loader_options=CASME_SQ_TYPES)


EXPERIMENTS: tuple[Experiment, ...] = tuple(
    _experiment(database, model, variant)
    for database in DATABASES for model in MODELS for variant in VARIANTS
    if variant != "whole_set" or model != "microexpstcnn"  # whole-set validation: the FuseNet scripts only
) + (_kernel_study(),)


def benchmark_experiment(track: Track, model: str | None = None) -> Experiment:
    """Reddy et al.'s entry into a benchmark track (README "In the benchmark"): the SMIC experiment's
    config and profiles (leakage-free, ``config.benchmark_config``), the track's samples and folds
    unchanged, every clip taken to ``data.frames`` frames inside the preprocessing (never dropped)."""
    name = PIPELINE.benchmark_model(model)  # one of MODELS: a ModelName
    return PIPELINE.on_track(track, name, title=f"{MODEL_TITLES[name]} on {track.title}",
                             config=benchmark_config(cast(ModelName, name)), profiles=benchmark_profiles(name))

# The package's public names: its models and their builders are imported from here by users of the reference
# models (README "Models"), besides the registry's names.
__all__ = ["PAPER", "EXPERIMENTS", "BENCHMARK_MODELS", "benchmark_experiment", "MODELS", "PARAMETERS",
           "ARCHITECTURE_TABLES", "MODEL_BUILDERS", "build_model", "build_microexpstcnn",
           "build_microexpfusenet_intermediate", "build_microexpfusenet_late"]
