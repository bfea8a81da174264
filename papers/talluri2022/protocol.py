"""Selection, folds and training of Talluri et al. (Appl. Sci. 2022), Secs. 3, 6, 8; the
preprocessing (Sec. 4) is in ``preprocessing.py``.

K. K. Talluri, M.-A. Fiedler, A. Al-Hamadi, "Deep 3D Convolutional Neural Network for Facial
Micro-Expression Analysis from Video Images", Appl. Sci. 12(21):11078, 2022.

* Classes happy / disgust / surprise (Sec. 3, Table 1). SMIC has positive / negative / surprise:
  positive -> happy, negative -> disgust is an assumption (README ledger).
* Stratified 5-fold (Sec. 8.2), the eight scenarios of Table 4, five random splits (Sec. 8.1).
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from typing import Any
from collections.abc import Mapping
import itertools

import keras
import numpy as np

from common.errors import MersuiteError
from common.running.fold import class_counts, fit_and_predict, n_classes, one_hot, predict_probabilities
from common.evaluation.splits import holdout, mapped_selection, paired_stratified_kfold, stratified_kfold
from common.experiment import Fold, FoldContext, FoldOutcome, Hooks, Selection, TrainingStage
from common.predict_types import FrameRateNeed, PredictContext, PredictViews
from common.training import compile_model, fit, grid_search
from papers.talluri2022.config import TalluriConfig
from papers.talluri2022.model import build_model
from papers.talluri2022.preprocessing import (clip_input, first_pass, fold_inputs, predict_inputs, preprocess_clip,
                                              window_notes, window_positions)
from common.preprocessing.faces import clip_landmarks
from common.preprocessing.io import read_frames
from sklearn.model_selection import train_test_split

logger = logging.getLogger(__name__)

CLASSES = ("happy", "disgust", "surprise")  # Table 1
# Database label -> Table 1 class. SMIC: positive -> happy, negative -> disgust (assumed, README ledger).
LABEL_MAP = {
    "casme2": {"happiness": "happy", "disgust": "disgust", "surprise": "surprise"},
    "smic": {"positive": "happy", "negative": "disgust", "surprise": "surprise"},
    "samm": {"happiness": "happy", "disgust": "disgust", "surprise": "surprise"},
}


class SelectionError(MersuiteError, ValueError):
    """The databases given cannot produce this experiment's selection."""


def databases(config: TalluriConfig) -> tuple[str, ...]:
    """Train and test databases of the scenario, each once, in order."""
    return tuple(dict.fromkeys(config.protocol.train + config.protocol.test))


def select(data: Mapping[str, list], config: TalluriConfig) -> Selection:
    """Sec. 3 / Table 1: every clip of the scenario's databases whose label maps to happy/disgust/surprise."""
    for name in databases(config):
        if name not in data:
            raise SelectionError(f"talluri2022 needs database {name!r}; loaded: {sorted(data)}")
    return mapped_selection(data, {name: LABEL_MAP[name] for name in databases(config)}, CLASSES,
                            owner="talluri2022", what="mapping")


def folds(selection: Selection, config: TalluriConfig, seed: int) -> list[Fold]:  # DEVIATION: ledger 10
    """Sec. 8.2: stratified 5-fold.

    Intra-dataset (train == test databases): ``StratifiedKFold`` over the selection. Cross-dataset:
    ``common.evaluation.splits.paired_stratified_kfold``: stratified 5-fold of the training
    database(s); with ``protocol.cross_test="fold"`` (default) paired with a stratified 5-fold of the
    test database, fold by fold (fold i trains on 4/5 of the training data and tests on 1/5 of the
    test data, so every test clip is predicted once); with ``"whole"`` every fold's model is tested
    on the whole test database (each test clip predicted k times; the fold mean is the mean over the
    k models). The paper does not say how it folded a cross-dataset scenario (README ledger 10).
    """
    k, fold_seed = config.protocol.folds, config.protocol.fold_seed + seed
    if set(config.protocol.train) == set(config.protocol.test):
        return stratified_kfold(selection, k, fold_seed)
    return paired_stratified_kfold(selection, config.protocol.train, config.protocol.test, k, fold_seed,
                                   whole_test=config.protocol.cross_test == "whole")


def split_runs(selection: Selection, config: TalluriConfig, seed: int) -> list[Fold]:
    """Sec. 8.1: ``split_runs`` random train-test splits (``run1``...), not stratified ("randomly shuffled")."""
    runs = []
    for run in range(config.protocol.split_runs):
        (fold,) = holdout(selection, test_size=config.protocol.split_test_size, seed=seed + run, stratify=False)
        runs.append(Fold(name=f"run{run + 1}", train=fold.train, test=fold.test))
    return runs


# ----------------------------------------------------------------------------- training
def fold_extra(ctx: FoldContext) -> dict[str, Any]:
    """What the scenario page shows of a fold: per-class (train, test) counts and the window flags."""
    train, test = class_counts(ctx.selection, ctx.fold.train), class_counts(ctx.selection, ctx.fold.test)
    return {"counts": {name: [train[name], test[name]] for name in ctx.selection.class_names},
            "windows": _window_counts(ctx)}


def run_fold(ctx: FoldContext, record_test_curve: bool = False) -> FoldOutcome:
    """Train on the fold's training samples for ``train.epochs`` and predict its test samples (last epoch).

    Inputs (Sec. 4), the configured model (Sec. 5), SGD with categorical cross-entropy (Sec. 6).
    """
    started = time.perf_counter()
    x_train, x_test = fold_inputs(ctx)
    model = compile_model(build_model(config=ctx.config, num_classes=n_classes(ctx)), ctx.config.train)
    # Sec. 8.1 / Fig. 4 show accuracy curves on the test split of each run: recorded, never used to select.
    # DEVIATION (the paper does not say which epoch): the last epoch predicts (README ledger 20).
    validation = (x_test, one_hot(ctx.selection.labels[ctx.fold.test], n_classes(ctx))) if record_test_curve else None
    return fit_and_predict(ctx, model, x_train, x_test, validation_data=validation, started=started,
                           extra=fold_extra(ctx))


def run_split_fold(ctx: FoldContext) -> FoldOutcome:
    """Sec. 8.1: one random train-test run, recording the test accuracy per epoch (Fig. 4)."""
    return run_fold(ctx, record_test_curve=True)


def _window_counts(ctx: FoldContext) -> dict[str, list[int]]:
    """Clips of the fold (train, test) whose apex is the clip middle / whose window runs past the clip."""
    out = {"apex_from_clip_middle": [0, 0], "window_past_clip": [0, 0]}
    for side, indices in enumerate((ctx.fold.train, ctx.fold.test)):
        for i in indices:
            for key, flag in window_notes(ctx.selection.samples[i], ctx.config).items():
                out[key][side] += int(flag)
    return out


def tuned_config(config: TalluriConfig, values: Mapping[str, Any]) -> TalluriConfig:
    """``config`` with Model-C's tuned ``filters``, ``dense_units``, ``dropout`` and ``learning_rate``."""
    model = dataclasses.replace(config.model, c_filters=int(values["filters"]),
                                c_dense_units=int(values["dense_units"]), c_dropout=float(values["dropout"]))
    train = dataclasses.replace(config.train, learning_rate=float(values["learning_rate"]))
    return dataclasses.replace(config, model=model, train=train)


def tuning_grid(config: TalluriConfig) -> list[dict[str, Any]]:
    """Every combination of ``tune.*`` (the trials of ``run_tuned_fold``'s grid search)."""
    t = config.tune
    return [dict(zip(("filters", "dense_units", "dropout", "learning_rate"), values))
            for values in itertools.product(t.filters, t.dense_units, t.dropout, t.learning_rate)]


def _inner_split(labels: np.ndarray, num_classes: int, config: TalluriConfig, seed: int):
    """Stratified hold-out of the training fold (``tune.validation_fraction``); unstratified when a class
    has too few clips (tiny corpora)."""
    # A stratified hold-out needs every class twice in the training part and room for each in the
    # held-out part; plain ints (math.ceil, not np.ceil, whose result a type checker sees as Any) keep
    # the comparison checkable (docs/house.md, Static checks).
    held_out = math.ceil(config.tune.validation_fraction * len(labels))
    stratifiable = (len(np.unique(labels)) == num_classes and int(np.bincount(labels).min()) >= 2
                    and held_out >= num_classes)
    return train_test_split(np.arange(len(labels)), test_size=config.tune.validation_fraction, random_state=seed,
                            stratify=labels if stratifiable else None)


def run_tuned_fold(ctx: FoldContext) -> FoldOutcome:
    """``model_c_tuning``: Sec. 6.3's "fine-tuned and empirically optimized" Model-C assumptions.

    keras-tuner ``GridSearch`` over ``tune.*`` on the fold's training samples only: an inner
    stratified hold-out (``tune.validation_fraction``) scores each trial by its last-epoch
    accuracy; the chosen values are then trained on the whole training fold and predict the test fold.
    """
    import keras_tuner

    config: TalluriConfig = ctx.config
    started = time.perf_counter()
    x_train, x_test = fold_inputs(ctx)
    labels = ctx.selection.labels[ctx.fold.train]
    y_train = one_hot(labels, n_classes(ctx))
    inner_fit, inner_val = _inner_split(labels, n_classes(ctx), config, ctx.seed)
    trials: list[dict[str, Any]] = []
    inner_train = dataclasses.replace(config.train, epochs=config.tune.epochs)

    def build(hp) -> keras.Model:
        trial = tuned_config(config, hp.values)
        return compile_model(build_model(config=trial, num_classes=n_classes(ctx)), trial.train)

    def evaluate(hp, model: keras.Model) -> float:
        fit(model, x_train[inner_fit], y_train[inner_fit], inner_train)
        predicted = np.argmax(model.predict(x_train[inner_val], verbose=0), axis=1)
        accuracy = float(np.mean(predicted == labels[inner_val]))
        trials.append({**hp.values, "inner_accuracy": accuracy})
        logger.info(f"  model_c tuning {hp.values}: inner accuracy {accuracy:.3f}")
        return accuracy

    hp = keras_tuner.HyperParameters()
    hp.Choice("filters", list(config.tune.filters))
    hp.Choice("dense_units", list(config.tune.dense_units))
    hp.Choice("dropout", list(config.tune.dropout))
    hp.Choice("learning_rate", list(config.tune.learning_rate))
    grid_search(build, evaluate, hp, ctx.work_dir, "model_c_grid", ctx.seed)
    chosen = max(trials, key=lambda t: t["inner_accuracy"])
    final = tuned_config(config, chosen)
    model = compile_model(build_model(config=final, num_classes=n_classes(ctx)), final.train)
    return fit_and_predict(ctx, model, x_train, x_test, y_train=y_train, train=final.train, started=started,
                           extra={"chosen": chosen, "trials": trials, **fold_extra(ctx)})


# ----------------------------------------------------------------------------- --estimate hooks
def training_stages(config: TalluriConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """The model one fold trains (``run_fold``), compiled at the fold's input size."""
    classes = len(selection.class_names)
    return [TrainingStage(model=config.model.name,
                          build=lambda: compile_model(build_model(config=config, num_classes=classes), config.train),
                          samples=len(fold.train), epochs=config.train.epochs, batch_size=config.train.batch_size)]


def split_run_stages(config: TalluriConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """``run_split_fold``: :func:`training_stages`, the test split evaluated after every epoch (Fig. 4's curve)."""
    return [dataclasses.replace(stage, validation_samples=len(fold.test))
            for stage in training_stages(config, selection, fold)]


def tuning_stages(config: TalluriConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """``run_tuned_fold``: one Model-C per grid trial on the inner training part (``tune.epochs``), then
    the chosen one on the whole training fold (counted at the default Model-C values)."""
    classes = len(selection.class_names)
    inner = len(fold.train) - int(np.ceil(config.tune.validation_fraction * len(fold.train)))

    def stage(values: Mapping[str, Any], samples: int, epochs: int, name: str) -> TrainingStage:
        trial = tuned_config(config, values)
        return TrainingStage(model=name,
                             build=lambda: compile_model(build_model(config=trial, num_classes=classes), trial.train),
                             samples=samples, epochs=epochs, batch_size=trial.train.batch_size)

    stages = [stage(values, inner, config.tune.epochs, f"model_c_trial{i + 1}")
              for i, values in enumerate(tuning_grid(config))]
    default = {"filters": config.model.c_filters, "dense_units": config.model.c_dense_units,
               "dropout": config.model.c_dropout, "learning_rate": config.train.learning_rate}
    return stages + [stage(default, len(fold.train), config.train.epochs, "model_c")]


# ----------------------------------------------------------------------------- --export / --predict hooks
def exported_model(ctx: PredictContext) -> keras.Model:
    """The one network an export of this paper keeps (``fit_and_predict`` keeps it under its name)."""
    if len(ctx.models) != 1:
        raise ValueError(f"talluri2022: an export holds one model, this one {sorted(ctx.models)}")
    return next(iter(ctx.models.values()))


def predict_clips(ctx: PredictContext) -> np.ndarray:
    """``Experiment.predict_clips``: the probabilities of ``ctx.samples`` as ``run_fold`` predicts its test
    clips: :func:`predict_inputs` with the export fold's ``motion_scale``, then the model's ``predict`` pass."""
    x = predict_inputs(ctx.samples, ctx.config, ctx.state, ctx.cache_dir)
    return predict_probabilities(exported_model(ctx), x, ctx.config.train.batch_size)


def predict_views(ctx: PredictContext, i: int) -> PredictViews:
    """``Experiment.predict_views``: the window's frames, the first frame's landmark box, and the aligned
    grey face crops the network saw (first, apex and last of the window; the motion input where the profile
    uses one)."""
    config: TalluriConfig = ctx.config
    sample = ctx.samples[i]
    positions = window_positions(sample, config)
    used = tuple(int(p) for p in np.unique(np.rint(positions).astype(int)))
    points = clip_landmarks(read_frames([sample.frames[used[0]]], "gray"), mode="first").points[0]
    (left, top), (right, bottom) = np.floor(points.min(axis=0)).astype(int), np.ceil(points.max(axis=0)).astype(int)
    faces = clip_input(sample, config, ctx.cache_dir)  # (T, size, size) uint8, what clip_inputs scales
    middle = len(faces) // 2
    inputs = [(f"face, window frame {k + 1}/{len(faces)}", faces[k]) for k in (0, middle, len(faces) - 1)]
    notes = [f"{len(positions)}-frame window ({config.data.window}), "
             f"{config.data.size}x{config.data.size} aligned grey"]
    if config.data.motion_input != "none":
        (x,) = predict_inputs([sample], config, ctx.state, ctx.cache_dir)
        frame = x[:, :, middle, 0] if config.model.name == "model_b" else x[middle, :, :, 0]
        inputs.append((f"network input, frame {middle + 1}/{len(faces)}", frame))
        notes.append(f"motion input: clip mean removed, divided by {ctx.state.get('motion_scale'):.4g} (training fold)")
    return PredictViews(frames=used, face_box=(int(left), int(top), int(right), int(bottom)),
                        regions=(("landmarks' box", np.array([[left, top], [right, top], [right, bottom],
                                                              [left, bottom]])),),
                        inputs=tuple(inputs), notes=tuple(notes))


def frame_rate(config: TalluriConfig) -> FrameRateNeed:
    """``Experiment.frame_rate``: Sec. 4.4's sequence is a number of frames (36 CASME II at 200 fps, 26 SMIC
    at 100 fps) whatever the rate; a clip shorter than it repeats its first / last frame, or is stretched by
    temporal interpolation (``data.edge="interpolate"``). Any rate is taken."""
    data = config.data
    where = "centred on the apex" if data.window == "apex" else "from the first frame"
    short = ("repeats its first / last frame" if data.edge == "repeat"
             else "is stretched by linear temporal interpolation (data.edge='interpolate')")
    return FrameRateNeed(in_frames=(f"the sequence is {data.frames} frames {where} (Sec. 4.4) whatever the rate "
                                    f"({data.frames / 200:.2f} s at 200 fps, longer at a lower rate); a shorter "
                                    f"clip {short}"))


HOOKS = Hooks(select=select, folds=folds, run_fold=run_fold, training_stages=training_stages,
              preprocess_clip=preprocess_clip, first_pass=first_pass, predict_clips=predict_clips,
              predict_views=predict_views, frame_rate=frame_rate)
