"""Talluri, Fiedler, Al-Hamadi (Appl. Sci. 2022): Model-A, Split Model, Model-B, Model-C.

Exposes ``PAPER`` and ``EXPERIMENTS`` (common/experiment.py), ``build_models()`` and the builders.
Model-B is Reddy et al.'s MicroExpSTCNN, imported from ``papers.reddy2019.model``.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from common.experiment import Experiment, Paper
from papers.talluri2022 import reported as rep
from papers.talluri2022.config import TuneConfig, default_config
from papers.talluri2022.model import build_model_a, build_model_b, build_model_c, build_split_model
from papers.talluri2022.protocol import folds, run_fold, run_split_fold, run_tuned_fold, select, split_runs
from papers.talluri2022.report import scenario_pages, split_run_pages, tuning_pages

# Fewest frames a clip needs (issue 16; Experiment.min_frames): Sec. 4: 3D CNNs over the clip's
# frames brought to a fixed depth by interpolation; interpolating one frame repeats it, with no
# motion.
MIN_FRAMES = 2

MODELS = ("model_a", "split_model", "model_b", "model_c")
MODEL_TITLES = {"model_a": "Model-A", "split_model": "Split Model", "model_b": "Model-B (MicroExpSTCNN)",
                "model_c": "Model-C (Jiao et al.)"}
DATABASE_TITLES = {"casme2": "CASME II", "smic": "SMIC", "samm": "SAMM"}


def build_models() -> dict[str, Any]:
    """Every model with CASME II's 36-frame input (Table 2): Model-A 1,613,587 trainable parameters."""
    return {
        "model_a": build_model_a((36, 128, 128, 1)),
        "split_model": build_split_model((36, 128, 128, 1)),
        "model_b": build_model_b((64, 64, 36, 1)),
        "model_c": build_model_c((36, 128, 128, 1)),
    }


# Table 2 as printed (T x H x W x C, our axis order too).
ARCHITECTURE_TABLES = {
    "model_a": [
        {"name": "conv3d_1", "output_shape": [36, 128, 128, 16], "params": None, "paper_label": "Conv3D-1 3x3x3"},
        {"name": "batchnorm_1", "output_shape": [36, 128, 128, 16], "params": None, "paper_label": "BatchNorm-1"},
        {"name": "maxpool3d_1", "output_shape": [12, 42, 42, 16], "params": None, "paper_label": "3D-MaxPooling-1 3x3x3"},
        {"name": "dropout_1", "output_shape": [12, 42, 42, 16], "params": None, "paper_label": "Dropout-1"},
        {"name": "conv3d_2", "output_shape": [12, 42, 42, 16], "params": None, "paper_label": "Conv3D-2 3x3x3"},
        {"name": "batchnorm_2", "output_shape": [12, 42, 42, 16], "params": None, "paper_label": "BatchNorm-2"},
        {"name": "maxpool3d_2", "output_shape": [4, 14, 14, 16], "params": None, "paper_label": "3D-MaxPooling-2 3x3x3"},
        {"name": "dropout_2", "output_shape": [4, 14, 14, 16], "params": None, "paper_label": "Dropout-2"},
        {"name": "flatten", "output_shape": [12544], "params": None, "paper_label": "Flatten"},
        {"name": "dense_1", "output_shape": [128], "params": None, "paper_label": "Dense-1"},
        {"name": "dropout_3", "output_shape": [128], "params": None, "paper_label": "Dropout-3"},
        {"name": "dense_2", "output_shape": [3], "params": None, "paper_label": "Dense-2"},
    ],
}
MODEL_A_TRAINABLE = 1_613_587  # algorithms.md 7.2 (not printed in the paper)

PAPER = Paper(
    id="talluri2022",
    title="Deep 3D Convolutional Neural Network for Facial Micro-Expression Analysis from Video Images",
    citation="K. K. Talluri, M.-A. Fiedler, A. Al-Hamadi. Applied Sciences 12(21):11078, 2022. "
             "doi:10.3390/app122111078",
    status="implemented",
    models=build_models,
    architecture_tables=ARCHITECTURE_TABLES,
)

# ----------------------------------------------------------------------------- profiles
# quick: synthetic default corpus, minutes on 2 CPU cores; smoke: seconds. Inputs (frames, frame size)
# and epochs are reduced; each model's layer recipe stays the paper's. QUICK-ONLY DEVIATION (README
# ledger 14): ``data.clip_mean`` (per-clip temporal mean removed) so the nets see the motion, not the face.
QUICK = {"data.frames": "18", "data.size": "48", "data.model_b_size": "32", "train.epochs": "30",
         "data.clip_mean": "true"}
SMOKE = {"data.frames": "18", "data.size": "24", "data.model_b_size": "16", "train.epochs": "1", "protocol.folds": "2"}


def _name(databases: tuple[str, ...]) -> str:
    return "combined" if set(databases) == {"casme2", "smic"} else databases[0]


def _title(databases: tuple[str, ...]) -> str:
    return "Combined (CASME II + SMIC)" if set(databases) == {"casme2", "smic"} else DATABASE_TITLES[databases[0]]


def _scenario(number: int, train: tuple[str, ...], test: tuple[str, ...], model: str) -> Experiment:
    config = default_config(model, train, test)
    return Experiment(
        name=f"s{number}_{_name(train)}_to_{_name(test)}_{model}",
        title=f"Scenario-{number:02d}: train {_title(train)}, test {_title(test)}, {MODEL_TITLES[model]} "
              f"(Table 4, stratified 5-fold)",
        datasets=tuple(dict.fromkeys(train + test)),
        config=config,
        select=select,
        folds=folds,
        run_fold=run_fold,
        profiles={"quick": dict(QUICK), "smoke": dict(SMOKE)},
        reported=rep.reported_scenario(number, model),
        metrics=("accuracy", "uf1", "uar"),
        scopes=("all",),
        report_pages=scenario_pages,
        min_frames=MIN_FRAMES,
    )


def _initial(database: str) -> Experiment:
    config = default_config("model_a", (database,), (database,), window="initial")
    return Experiment(
        name=f"{database}_initial_frames_model_a",
        title=f"Model-A on {DATABASE_TITLES[database]} with the initial frame sequence (Table 3, stratified 5-fold)",
        datasets=(database,),
        config=config,
        select=select,
        folds=folds,
        run_fold=run_fold,
        profiles={"quick": dict(QUICK), "smoke": dict(SMOKE)},
        reported=rep.reported_initial(database),
        metrics=("accuracy", "uf1", "uar"),
        report_pages=scenario_pages,
        min_frames=MIN_FRAMES,
    )


SPLIT_PROFILES = {
    # the Split Model's three poolings need >= 27 frames and pixels
    "split_model": {"quick": {"data.frames": "27", "data.size": "32", "train.epochs": "30", "data.clip_mean": "true"},
                    "smoke": {"data.frames": "27", "data.size": "27", "train.epochs": "1", "protocol.split_runs": "2"}},
    # Model-C (two blocks): quick on the Split Model's quick inputs, so the two share the runs' inputs
    "model_c": {"quick": {"data.frames": "27", "data.size": "32", "train.epochs": "30", "data.clip_mean": "true"},
                "smoke": {"data.frames": "18", "data.size": "24", "train.epochs": "1", "protocol.split_runs": "2"}},
}


def _split_runs(model: str = "split_model") -> Experiment:
    """Sec. 8.1: five random 80/20 splits of CASME II (the same splits for both models at one seed)."""
    config = default_config(model, ("casme2",), ("casme2",))
    return Experiment(
        name=f"casme2_split_runs_{model}",
        title=f"{MODEL_TITLES[model]} on CASME II, five random train-test splits (Sec. 8.1"
              + (", Fig. 4)" if model == "split_model" else "; the paper's 80.3%)"),
        datasets=("casme2",),
        config=config,
        select=select,
        folds=split_runs,
        run_fold=run_split_fold,
        profiles=SPLIT_PROFILES[model],
        reported=rep.reported_split_runs(model),
        metrics=("accuracy", "uf1", "uar"),
        report_pages=split_run_pages,
        min_frames=MIN_FRAMES,
    )


def _tuning() -> Experiment:
    config = default_config("model_c", ("casme2",), ("casme2",))
    return Experiment(
        name="model_c_tuning",
        title="Model-C with its assumed parameters tuned on training folds (Sec. 5.4/6.3; CASME II, stratified 5-fold)",
        datasets=("casme2",),
        config=dataclasses.replace(config, tune=TuneConfig()),
        select=select,
        folds=folds,
        run_fold=run_tuned_fold,
        profiles={"quick": {**QUICK, "train.epochs": "20", "tune.epochs": "10", "tune.filters": "[16]",
                            "tune.dropout": "[0.5]", "tune.dense_units": "[64, 128]",
                            "tune.learning_rate": "[0.001, 0.01]"},
                  "smoke": {**SMOKE, "tune.epochs": "1", "tune.filters": "[8]", "tune.dropout": "[0.5]",
                            "tune.dense_units": "[16]", "tune.learning_rate": "[0.001, 0.01]"}},
        reported=rep.reported_scenario(2, "model_c"),
        metrics=("accuracy", "uf1", "uar"),
        report_pages=tuning_pages,
        min_frames=MIN_FRAMES,
    )


EXPERIMENTS: tuple[Experiment, ...] = tuple(
    _scenario(number, train, test, model)
    for number, train, test in rep.SCENARIOS for model in ("model_a", "model_b", "model_c")
) + (_initial("casme2"), _initial("smic"), _split_runs("split_model"), _split_runs("model_c"), _tuning())

__all__ = ["PAPER", "EXPERIMENTS", "MODELS", "ARCHITECTURE_TABLES", "build_models", "build_model_a",
           "build_split_model", "build_model_b", "build_model_c"]
