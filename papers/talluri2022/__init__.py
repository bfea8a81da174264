"""Talluri, Fiedler, Al-Hamadi (Appl. Sci. 2022): Model-A, Split Model, Model-B, Model-C.

Assembly only: ``PAPER``, and the pipeline (``common.experiment.Pipeline``) that gives ``EXPERIMENTS``,
``BENCHMARK_MODELS`` and ``benchmark_experiment``. Configs and profiles: ``config.py``; builders: ``model.py``;
the clip's preprocessing: ``preprocessing.py``; selection, folds, training and the hooks: ``protocol.py``; report
pages: ``pages.py``.
"""
from __future__ import annotations

import dataclasses

from common.datasets import DATABASE_TITLES
from common.experiment import Experiment, Pipeline, Track
from common.paper import Paper
from papers.talluri2022 import protocol
from papers.talluri2022 import reported as rep
from papers.talluri2022.config import (PROFILES, SPLIT_PROFILES, TUNING_PROFILES, TuneConfig,
                                       default_config)
from papers.talluri2022.model import MODEL_BUILDERS
from papers.talluri2022.pages import scenario_pages, split_run_pages, tuning_pages

MODEL_TITLES = {"model_a": "Model-A", "split_model": "Split Model", "model_b": "Model-B (MicroExpSTCNN)",
                "model_c": "Model-C (Jiao et al.)"}
# The benchmark's models, the default first: Model-A, the paper's proposed network and its
# best-reported model (Table 4: the best accuracy in 7 of the 8 scenarios, 88.2% on the combined database).
BENCHMARK_MODELS: tuple[str, ...] = ("model_a", "model_b", "model_c", "split_model")

# Table 2 as printed (T x H x W x C, our axis order too).
ARCHITECTURE_TABLES = {
    "model_a": [
        {"name": "conv3d_1", "output_shape": [36, 128, 128, 16], "params": None, "paper_label": "Conv3D-1 3x3x3"},
        {"name": "batchnorm_1", "output_shape": [36, 128, 128, 16], "params": None, "paper_label": "BatchNorm-1"},
        {"name": "maxpool3d_1", "output_shape": [12, 42, 42, 16], "params": None,
         "paper_label": "3D-MaxPooling-1 3x3x3"},
        {"name": "dropout_1", "output_shape": [12, 42, 42, 16], "params": None, "paper_label": "Dropout-1"},
        {"name": "conv3d_2", "output_shape": [12, 42, 42, 16], "params": None, "paper_label": "Conv3D-2 3x3x3"},
        {"name": "batchnorm_2", "output_shape": [12, 42, 42, 16], "params": None, "paper_label": "BatchNorm-2"},
        {"name": "maxpool3d_2", "output_shape": [4, 14, 14, 16], "params": None,
         "paper_label": "3D-MaxPooling-2 3x3x3"},
        {"name": "dropout_2", "output_shape": [4, 14, 14, 16], "params": None, "paper_label": "Dropout-2"},
        {"name": "flatten", "output_shape": [12544], "params": None, "paper_label": "Flatten"},
        {"name": "dense_1", "output_shape": [128], "params": None, "paper_label": "Dense-1"},
        {"name": "dropout_3", "output_shape": [128], "params": None, "paper_label": "Dropout-3"},
        {"name": "dense_2", "output_shape": [3], "params": None, "paper_label": "Dense-2"},
    ],
}
MODEL_A_TRAINABLE = 1_613_587  # docs/methods.md §7.2 (not printed in the paper)

PAPER = Paper(
    id="talluri2022",
    title="Deep 3D Convolutional Neural Network for Facial Micro-Expression Analysis from Video Images",
    citation="K. K. Talluri, M.-A. Fiedler, A. Al-Hamadi. Applied Sciences 12(21):11078, 2022. "
             "doi:10.3390/app122111078",
    models=MODEL_BUILDERS,
    architecture_tables=ARCHITECTURE_TABLES,
    # Table 2 gives Model-A's layers and output shapes, no count: Model-A's is derived from them (a grey 1-channel
    # input, trainable weights); the other models' counts are ours (tests/test_talluri2022.py).
    parameter_counts={"model_a": (1_613_587, "derived from Table 2's output shapes (grey input; the paper prints "
                                             "no count)")},
)


def _profiles(profiles) -> dict[str, dict]:
    return {name: dict(values) for name, values in profiles.items()}


# Every experiment and every benchmark entry: the hooks protocol.py declares (HOOKS; preprocessing.py's
# preprocess_clip and first_pass), with the config and profiles of its scenario and model (the split runs and
# the tuning: their own folds, fold and stages).
PIPELINE = Pipeline(
    hooks=protocol.HOOKS, paper_id="talluri2022", models=BENCHMARK_MODELS, profiles=_profiles(PROFILES),
    # Fewest frames a clip needs: Sec. 4: 3D CNNs over the clip's frames brought to a fixed depth by
    # interpolation; interpolating one frame repeats it, with no motion.
    min_frames=2,
    # Whether the input is the motion from onset to apex (common.datasets.invariants rule 6): the 3D CNNs read
    # the aligned face sequence itself (Sec. 4); a clip without motion is still a valid input, flagged by the run.
    needs_motion=False,
    # Each experiment and entry is one model's (its name, title and Table 3/4 numbers): another is another
    # experiment, never a --set of this one.
    named_by=("model.name",))


def _name(databases: tuple[str, ...]) -> str:
    return "combined" if set(databases) == {"casme2", "smic"} else databases[0]


def _title(databases: tuple[str, ...]) -> str:
    return "Combined (CASME II + SMIC)" if set(databases) == {"casme2", "smic"} else DATABASE_TITLES[databases[0]]


def _scenario(number: int, train: tuple[str, ...], test: tuple[str, ...], model: str) -> Experiment:
    return PIPELINE.experiment(
        name=f"s{number}_{_name(train)}_to_{_name(test)}_{model}", datasets=tuple(dict.fromkeys(train + test)),
        title=f"Scenario-{number:02d}: train {_title(train)}, test {_title(test)}, {MODEL_TITLES[model]} "
              f"(Table 4, stratified 5-fold)",
        config=default_config(model, train, test), reported=rep.reported_scenario(number, model),
        metrics=("accuracy", "uf1", "uar"), report_pages=scenario_pages)


def _initial(database: str) -> Experiment:
    return PIPELINE.experiment(
        name=f"{database}_initial_frames_model_a", datasets=(database,),
        title=f"Model-A on {DATABASE_TITLES[database]} with the initial frame sequence (Table 3, stratified 5-fold)",
        config=default_config("model_a", (database,), (database,), window="initial"),
        reported=rep.reported_initial(database), metrics=("accuracy", "uf1", "uar"), report_pages=scenario_pages)


def _split_runs(model: str = "split_model") -> Experiment:
    """Sec. 8.1: five random 80/20 splits of CASME II (the same splits for both models at one seed)."""
    return PIPELINE.experiment(
        name=f"casme2_split_runs_{model}", datasets=("casme2",),
        title=f"{MODEL_TITLES[model]} on CASME II, five random train-test splits (Sec. 8.1"
              + (", Fig. 4)" if model == "split_model" else "; the paper's 80.3%)"),
        config=default_config(model, ("casme2",), ("casme2",)), profiles=_profiles(SPLIT_PROFILES[model]),
        folds=protocol.split_runs, run_fold=protocol.run_split_fold, training_stages=protocol.split_run_stages,
        reported=rep.reported_split_runs(model), metrics=("accuracy", "uf1", "uar"), report_pages=split_run_pages)


def _tuning() -> Experiment:
    config = default_config("model_c", ("casme2",), ("casme2",))
    return PIPELINE.experiment(
        name="model_c_tuning", datasets=("casme2",),
        title="Model-C with its assumed parameters tuned on training folds (Sec. 5.4/6.3; CASME II, stratified 5-fold)",
        config=dataclasses.replace(config, tune=TuneConfig()), profiles=_profiles(TUNING_PROFILES),
        run_fold=protocol.run_tuned_fold, training_stages=protocol.tuning_stages,
        reported=rep.reported_scenario(2, "model_c"), metrics=("accuracy", "uf1", "uar"), report_pages=tuning_pages)


def benchmark_experiment(track: Track, model: str | None = None) -> Experiment:
    """The paper's entry into a benchmark track (README "In the benchmark").

    Scenario-03's configuration (train and test on CASME II + SMIC, the paper's 30-frame combined
    sequence, its best result) with ``model`` (default Model-A), on the track's clips, labels and
    folds; apex-centred windows (clip middle where no apex is annotated), first / last frame
    repeated past a short clip's ends, as in every experiment of the paper. The paper reports no number on a
    benchmark track.
    """
    model = PIPELINE.benchmark_model(model)
    profiles = SPLIT_PROFILES["split_model"] if model == "split_model" else PROFILES
    return PIPELINE.on_track(track, model,
                             title=f"{track.title}: {MODEL_TITLES[model]} (Talluri et al., Scenario-03 recipe)",
                             config=default_config(model, ("casme2", "smic"), ("casme2", "smic")),
                             profiles=_profiles(profiles))


EXPERIMENTS: tuple[Experiment, ...] = tuple(
    _scenario(number, train, test, model)
    for number, train, test in rep.SCENARIOS for model in ("model_a", "model_b", "model_c")
) + (_initial("casme2"), _initial("smic"), _split_runs("split_model"), _split_runs("model_c"), _tuning())
