"""Reddy et al. (IJCNN 2019): MicroExpSTCNN and MicroExpFuseNet on CAS(ME)^2 and SMIC-HS.

Exposes ``PAPER`` and ``EXPERIMENTS`` (common/experiment.py), ``build_models()`` and the builders.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from common.experiment import Experiment, Paper
from papers.reddy2019 import reported as rep
from papers.reddy2019.config import ReddyConfig, default_config
from papers.reddy2019.model import (build_microexpfusenet_intermediate, build_microexpfusenet_late,
                                    build_microexpstcnn, fusenet_parameter_count, stcnn_parameter_count)
from papers.reddy2019.protocol import folds, run_fold, run_kernel_study, select
from papers.reddy2019.report import holdout_pages, kernel_study_pages

# Fewest frames a clip needs (issue 16; Experiment.min_frames): Sec. III: spatio-temporal 3D CNNs
# over the clip's frames; select() also keeps only clips of at least data.frames (96 CASME II / 18
# SMIC, Sec. IV-A).
MIN_FRAMES = 2

MODELS = ("microexpstcnn", "microexpfusenet_intermediate", "microexpfusenet_late")
DATABASES = ("casme_sq", "smic")
MODEL_TITLES = {"microexpstcnn": "MicroExpSTCNN", "microexpfusenet_intermediate": "MicroExpFuseNet (intermediate)",
                "microexpfusenet_late": "MicroExpFuseNet (late)"}
DATABASE_TITLES = {"casme_sq": "CAS(ME)^2", "smic": "SMIC-HS"}


def build_models() -> dict[str, Any]:
    """Every model at the paper's CAS(ME)^2 input size (Tables I-III). The FuseNets hold 177 M
    parameters each (about 0.7 GB of float32 weights)."""
    return {
        "microexpstcnn": build_microexpstcnn((64, 64, 96, 1)),
        "microexpfusenet_intermediate": build_microexpfusenet_intermediate((32, 32, 96, 1)),
        "microexpfusenet_late": build_microexpfusenet_late((32, 32, 96, 1)),
    }


def _row(name: str, shape, paper_label: str, note: str = "", params: int | None = None) -> dict:
    """One architecture-table row; shapes as printed, reordered to our (H, W, T, C) axis order."""
    return {"name": name, "output_shape": list(shape) if shape is not None else None, "params": params,
            "paper_label": paper_label, "note": note}


# Tables I-III as printed (the paper writes C x H x W x T; rows list our H x W x T x C). Typos are kept
# and noted: the comparison shows them as mismatches on purpose (README "Deviations and table typos").
ARCHITECTURE_TABLES: Mapping[str, list[dict]] = {
    "microexpstcnn": [
        _row("input", (64, 64, 96, 1), "Input", "64 x 64 x 96"),
        _row("conv3d", (62, 62, 82, 32), "3D-Convolution 32 @ 3x3x15", "32 x 62 x 62 x 82"),
        _row("maxpool3d", (20, 20, 27, 32), "3D-Maxpooling 3x3x3", "32 x 20 x 20 x 27"),
        _row("dropout", (20, 20, 27, 32), "Dropout"),
        _row("flatten", (345600,), "Flatten", "345600"),
        _row("dense", (128,), "Dense", "128"),
        _row("dropout_dense", (128,), "Dropout"),
        _row("dense_out", (3,), "Dense", "3"),
        _row("softmax", (3,), "Dropout (typo)",
             "TYPO: Table I lists a final 'Dropout -> 3'; the authors' code has Activation('softmax')"),
    ],
    "microexpfusenet_intermediate": [
        _row("input_eyes", (32, 32, 96, 1), "Input - 1"),
        _row("input_nose_mouth", (32, 32, 96, 1), "Input - 2"),
        _row("eyes_conv3d", (30, 30, 82, 32), "3D-Convolution - 1", "3 x 3 x 15"),
        _row("mouth_conv3d", (30, 30, 82, 32), "3D-Convolution - 2", "3 x 3 x 15"),
        _row("eyes_maxpool3d", (10, 10, 27, 32), "3D - Maxpooling - 1"),
        _row("mouth_maxpool3d", (10, 10, 27, 32), "3D - Maxpooling - 2"),
        _row("eyes_dropout", (20, 20, 27, 32), "Dropout - 1",
             "TYPO: printed 32 x 20 x 20 x 27; a dropout keeps its input shape 32 x 10 x 10 x 27"),
        _row("mouth_dropout", (20, 20, 27, 32), "Dropout - 2",
             "TYPO: printed 32 x 20 x 20 x 27; a dropout keeps its input shape 32 x 10 x 10 x 27"),
        _row("eyes_flatten", (86400,), "Flatten - 1"),
        _row("mouth_flatten", (86400,), "Flatten - 2"),
        _row("concatenate", (86400,), "Concatenate",
             "TYPO: printed 86400; concatenating two 86,400-feature streams gives 172,800"),
        _row("dense_1", (1024,), "Dense"),
        _row("dropout_1", (1024,), "Dropout"),
        _row("dense_2", (128,), "Dense"),
        _row("dropout_2", (128,), "Dropout"),
        _row("dense_out", (3,), "Dense"),
    ],
    "microexpfusenet_late": [
        _row("input_eyes", (32, 32, 96, 1), "Input - 1"),
        _row("input_nose_mouth", (32, 32, 96, 1), "Input - 2"),
        _row("eyes_conv3d", (30, 30, 82, 32), "3D-Convolution - 1"),
        _row("mouth_conv3d", (30, 30, 82, 32), "3D-Convolution - 2"),
        _row("eyes_maxpool3d", (10, 10, 27, 32), "3D - Maxpooling - 1"),
        _row("mouth_maxpool3d", (10, 10, 27, 32), "3D - Maxpooling - 2"),
        _row("eyes_dropout", (10, 10, 27, 32), "Dropout - 1"),
        _row("mouth_dropout", (10, 10, 27, 32), "Dropout - 2"),
        _row("eyes_flatten", (86400,), "Flatten - 1"),
        _row("mouth_flatten", (86400,), "Flatten - 2"),
        _row("eyes_dense_1", (1024,), "Dense - 1"),
        _row("eyes_dropout_1", (1024,), "Dropout - 1"),
        _row("mouth_dense_1", (1024,), "Dense - 2"),
        _row("mouth_dropout_1", (1024,), "Dropout - 2"),
        _row("eyes_dense_2", (128,), "Dense - 3"),
        _row("eyes_dropout_2", (128,), "Dropout - 3"),
        _row("mouth_dense_2", (128,), "Dense - 4"),
        _row("mouth_dropout_2", (128,), "Dropout - 3 (typo)", "TYPO: the label 'Dropout - 3' is repeated; read Dropout - 4"),
        _row("concatenate", (256,), "Concatenate"),
        _row("dense_out", (3,), "Dense"),
    ],
}

# Trainable parameters (not printed in the paper; algorithms.md 7.3, verified by building the models).
PARAMETERS = {
    "microexpstcnn": stcnn_parameter_count((64, 64, 96, 1)),  # 44,241,667
    "microexpstcnn_smic": stcnn_parameter_count((64, 64, 18, 1)),  # 1,643,267
    "microexpfusenet_intermediate": fusenet_parameter_count((32, 32, 96, 1), "intermediate"),  # 177,088,515
    "microexpfusenet_late": fusenet_parameter_count((32, 32, 96, 1), "late"),  # 177,221,123
}

PAPER = Paper(
    id="reddy2019",
    title="Spontaneous Facial Micro-Expression Recognition using 3D Spatiotemporal Convolutional Neural Networks",
    citation="S. P. T. Reddy, S. T. Karri, S. R. Dubey, S. Mukherjee. IJCNN 2019 (arXiv:1904.01390).",
    status="implemented",
    models=build_models,
    architecture_tables=ARCHITECTURE_TABLES,
)

# ----------------------------------------------------------------------------- profiles
# quick: the synthetic default corpus on a 2-core CPU in a few minutes; smoke: seconds. Reduced: inputs
# (frames, frame size, crop size) and epochs; the layer recipe stays the paper's. QUICK-ONLY DEVIATIONS
# (README ledger 15-17): ``data.clip_mean`` (per-clip temporal mean removed) for every model; STCNN on
# CAS(ME)^2: a dlib face crop (``data.face_crop``) instead of the whole 320x240 frame; FuseNets: crop
# boxes from the first frame's landmarks (``data.crop_landmarks="first"``, per-frame dlib jitter moves
# the crops ~17x more than the expression) and SGD lr 0.001 (their linear 1024-unit Dense layers
# diverge to NaN at 0.01 on clip-mean inputs).
# The quick profile keeps the inputs its Status scores were measured with: the SMIC STCNN on the whole
# frame (``data.face_crop=false``, ledger 16) and unaligned FuseNet crops (``data.align=false``, ledger 18).
_QUICK_INPUT = {"data.clip_mean": "true"}
_QUICK_FUSENET = {**_QUICK_INPUT, "data.crop_landmarks": "first", "data.align": "false",
                  "train.learning_rate": "0.001"}
_QUICK = {
    ("casme_sq", "microexpstcnn"): {"data.frames": "32", "data.size": "32", "data.face_crop": "true",
                                    "train.epochs": "60"},
    ("smic", "microexpstcnn"): {"data.size": "32", "data.face_crop": "false", "train.epochs": "60"},
    ("casme_sq", "fusenet"): {"data.frames": "26", "data.crop_size": "20", "train.epochs": "40"},
    ("smic", "fusenet"): {"data.crop_size": "20", "train.epochs": "40"},
}
_SMOKE = {
    ("casme_sq", "microexpstcnn"): {"data.frames": "20", "data.size": "16", "train.epochs": "1",
                                    "protocol.saliency_clips": "2"},
    ("smic", "microexpstcnn"): {"data.frames": "18", "data.size": "16", "train.epochs": "1",
                                "protocol.saliency_clips": "2"},
    ("casme_sq", "fusenet"): {"data.frames": "20", "data.crop_size": "16", "train.epochs": "1"},
    ("smic", "fusenet"): {"data.frames": "18", "data.crop_size": "16", "train.epochs": "1"},
}


def _profiles(database: str, model: str) -> dict[str, dict[str, str]]:
    """SMIC keeps the paper's 18 frames and 3x3x15 kernel in every profile (smoke clips have 18-22 frames)."""
    family = "microexpstcnn" if model == "microexpstcnn" else "fusenet"
    quick = {**(_QUICK_INPUT if family == "microexpstcnn" else _QUICK_FUSENET), **_QUICK[(database, family)]}
    return {"quick": quick, "smoke": dict(_SMOKE[(database, family)])}


_VARIANT_LABELS = {
    "paper": ("", "80/20 split, paper protocol, accuracy on the 20% split"),
    "leakage_free": ("_leakage_free", "80/20 split, leakage-free variant, accuracy on the 20% split"),
    "whole_set": ("_whole_set", "80/20 split, validated on the whole data set as the authors' FuseNet scripts "
                                "(as published: Table V's FuseNet accuracies are whole-set accuracies)"),
}


def _experiment(database: str, model: str, variant: str) -> Experiment:
    config = default_config(database, model, variant)
    suffix, label = _VARIANT_LABELS[variant]
    reported = rep.reported_for(database, model, variant) if variant != "leakage_free" else ()
    return Experiment(
        name=f"{database}_{model}{suffix}",
        title=f"{MODEL_TITLES[model]} on {DATABASE_TITLES[database]}, {label} (Tables V, VIII)",
        datasets=(database,),
        config=config,
        select=select,
        folds=folds,
        run_fold=run_fold,
        profiles=_profiles(database, model),
        reported=reported,
        metrics=("accuracy", "uf1", "uar"),
        report_pages=holdout_pages,
        min_frames=MIN_FRAMES,
        loader_options={"casme_sq": {"types": ("micro", "macro")}} if database == "casme_sq" else {},
    )


def _kernel_study() -> Experiment:
    config: ReddyConfig = default_config("casme_sq", "microexpstcnn", "paper")
    config = dataclasses.replace(config, protocol=dataclasses.replace(config.protocol, saliency_clips=0))
    return Experiment(
        name="casme_sq_kernel_sizes",
        title="MicroExpSTCNN kernel sizes on CAS(ME)^2, 80/20 split, paper protocol (Table IX)",
        datasets=("casme_sq",),
        config=config,
        select=select,
        folds=folds,
        run_fold=run_kernel_study,
        profiles={
            "quick": {**_QUICK_INPUT, "data.frames": "32", "data.size": "32", "data.face_crop": "true",
                      "train.epochs": "25",
                      "kernels.kernel_sizes": "[[3, 3, 3], [3, 3, 15], [5, 5, 7]]"},
            "smoke": {"data.frames": "20", "data.size": "16", "train.epochs": "1",
                      "kernels.kernel_sizes": "[[3, 3, 15], [5, 5, 3]]"},
        },
        reported=rep.reported_kernel_study(),
        metrics=("accuracy", "uf1", "uar"),
        report_pages=kernel_study_pages,
        min_frames=MIN_FRAMES,
        loader_options={"casme_sq": {"types": ("micro", "macro")}},
    )


EXPERIMENTS: tuple[Experiment, ...] = tuple(
    _experiment(database, model, variant)
    for database in DATABASES for model in MODELS for variant in ("paper", "leakage_free", "whole_set")
    if variant != "whole_set" or model != "microexpstcnn"  # whole-set validation: the FuseNet scripts only
) + (_kernel_study(),)

__all__ = ["PAPER", "EXPERIMENTS", "MODELS", "PARAMETERS", "ARCHITECTURE_TABLES", "build_models",
           "build_microexpstcnn", "build_microexpfusenet_intermediate", "build_microexpfusenet_late"]
