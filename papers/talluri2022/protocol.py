"""Selection, preprocessing, folds and training of Talluri et al. (Appl. Sci. 2022), Secs. 3, 4, 6, 8.

K. K. Talluri, M.-A. Fiedler, A. Al-Hamadi, "Deep 3D Convolutional Neural Network for Facial
Micro-Expression Analysis from Video Images", Appl. Sci. 12(21):11078, 2022.

* Classes happy / disgust / surprise (Sec. 3, Table 1). SMIC has positive / negative / surprise:
  positive -> happy, negative -> disgust is an assumption (README ledger).
* Preprocessing (Sec. 4): dlib face detection and 68 landmarks, similarity alignment to an upright
  reference face, 128x128 grey; a fixed-length sequence centred on the apex (36 CASME II, 26 SMIC,
  30 combined), repeating the first / last frame for short clips (``data.edge="interpolate"``:
  temporal interpolation); ``data.window="initial"`` takes the first frames (Table 3).
* Stratified 5-fold (Sec. 8.2), the eight scenarios of Table 4, five random splits (Sec. 8.1).
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Mapping

import cv2
import keras
import numpy as np

from common.errors import MersuiteError
from common.evaluation.first_pass import per_clip
from common.evaluation.fold import class_counts, fit_and_predict, n_classes, one_hot
from common.experiment import Fold, FoldContext, FoldOutcome, Selection, TrainingStage
from common.training import compile_model, fit, grid_search
from papers.talluri2022.config import TalluriConfig
from papers.talluri2022.model import build_model

CLASS_NAMES = ("happy", "disgust", "surprise")  # Table 1
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
    from common.datasets.sample import Dropped

    samples, labels, dropped = [], [], []
    for name in databases(config):
        if name not in data:
            raise SelectionError(f"talluri2022 needs database {name!r}; loaded: {sorted(data)}")
        mapping = LABEL_MAP[name]
        for sample in data[name]:
            label = mapping.get(sample.emotion)
            if label is not None:
                samples.append(sample)
                labels.append(CLASS_NAMES.index(label))
            else:  # recorded, never silent
                dropped.append(Dropped(sample.key, f"emotion {sample.emotion!r} is not in talluri2022's {name} mapping "
                                       f"({', '.join(sorted(mapping))})", "selection"))
    return Selection(samples=tuple(samples), labels=np.asarray(labels, dtype=int), class_names=CLASS_NAMES,
                     dropped=tuple(dropped))


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
    from common.evaluation.splits import paired_stratified_kfold, stratified_kfold

    k, fold_seed = config.protocol.folds, config.protocol.fold_seed + seed
    if set(config.protocol.train) == set(config.protocol.test):
        return stratified_kfold(selection, k, fold_seed)
    return paired_stratified_kfold(selection, config.protocol.train, config.protocol.test, k, fold_seed,
                                   whole_test=config.protocol.cross_test == "whole")


def split_runs(selection: Selection, config: TalluriConfig, seed: int) -> list[Fold]:
    """Sec. 8.1: ``split_runs`` random train-test splits (``run1``...), not stratified ("randomly shuffled")."""
    from common.evaluation.splits import holdout

    runs = []
    for run in range(config.protocol.split_runs):
        (fold,) = holdout(selection, test_size=config.protocol.split_test_size, seed=seed + run, stratify=False)
        runs.append(Fold(name=f"run{run + 1}", train=fold.train, test=fold.test))
    return runs


# ----------------------------------------------------------------------------- preprocessing
def window_indices(sample, config: TalluriConfig) -> np.ndarray:
    """Sec. 4.4: positions in ``sample.frames`` of the apex-centred (or initial, Table 3) sequence.

    The apex of a clip without an apex annotation (SMIC-HS) is its middle frame
    (``Sample.apex_position``; README ledger 18).
    """
    from common.preprocessing.temporal import apex_window, initial_window

    n = len(sample.frames)
    if config.data.window == "initial":
        return initial_window(n, config.data.frames)
    # DEVIATION: Sec. 4.4 says SMIC provides the apex; SMIC-HS has none, so apex_position is the clip
    # middle there (README ledger 18).
    # "18 frames before and 18 frames after the Apex frame (including it)"; short clips repeat the
    # first / last frame (Sec. 10: "the first and last frame will be interpolated"; README ledger 16)
    return apex_window(n, sample.apex_position, config.data.frames, edge="repeat")


def window_positions(sample, config: TalluriConfig) -> np.ndarray:
    """(T,) float positions in ``sample.frames`` of the sequence; integers unless ``data.edge="interpolate"``.

    ``"repeat"``: :func:`window_indices`. ``"interpolate"`` (option, README ledger 16): a side of the
    window the clip cannot fill (fewer than 18 frames before the apex, or 17 after) is spread by
    linear temporal interpolation over the frames the clip has on that side, apex kept at position
    18; for the initial window a short clip is stretched over the whole window.
    """
    if config.data.edge == "repeat":
        return window_indices(sample, config).astype(np.float64)
    if config.data.edge != "interpolate":
        raise ValueError(f"data.edge={config.data.edge!r}: expected 'repeat' or 'interpolate'")
    n, length = len(sample.frames), config.data.frames
    if config.data.window == "initial":
        return np.arange(length, dtype=np.float64) if n >= length else np.linspace(0, n - 1, length)
    apex, before = sample.apex_position, length // 2
    after = length - before - 1
    left = np.arange(apex - before, apex, dtype=np.float64) if apex >= before else np.linspace(0, apex, before + 1)[:-1]
    right = (np.arange(apex + 1, apex + after + 1, dtype=np.float64) if n - 1 - apex >= after
             else np.linspace(apex, n - 1, after + 1)[1:])
    return np.concatenate([left, [float(apex)], right])


def window_notes(sample, config: TalluriConfig) -> dict[str, bool]:
    """Flags of one clip's sequence: apex taken as the clip middle (no annotation); window filled past the clip."""
    n, length = len(sample.frames), config.data.frames
    if config.data.window == "initial":
        short = n < length
    else:
        apex, before = sample.apex_position, length // 2
        short = apex < before or n - 1 - apex < length - before - 1
    return {"apex_from_clip_middle": config.data.window == "apex" and sample.apex is None, "window_past_clip": short}


def _face_crop(frame: np.ndarray, points: np.ndarray, reference: np.ndarray | None, size: int) -> np.ndarray:
    from common.preprocessing.regions import align_to_reference, landmark_face_crop

    if reference is None:  # data.align="none": the landmark box, unrotated
        return landmark_face_crop(frame, points, size)
    return align_to_reference(frame, points, reference, size, similarity=True)


def _face_sequence(sample, positions: np.ndarray, config: TalluriConfig) -> np.ndarray:
    """(T, size, size) uint8 grey face crops at the chosen positions (Sec. 4.1-4.2).

    ``data.align="similarity"`` (Sec. 4 / 4.1 "face alignment ... to a common reference"): every frame
    is warped by the similarity taking its landmarks onto one reference shape, the first read frame's
    landmarks made upright (eye line horizontal), centred and scaled to fill 90% of the size x size
    frame (``reference_shape`` margin 0.05, as ``landmark_face_crop``'s margin). Fractional positions
    (``data.edge="interpolate"``) blend the two neighbouring crops linearly.
    """
    from common.preprocessing.faces import clip_landmarks
    from common.preprocessing.io import read_frames
    from common.preprocessing.regions import reference_shape

    positions = np.asarray(positions, dtype=np.float64)
    lower = np.floor(positions).astype(np.int64)
    upper = np.ceil(positions).astype(np.int64)
    unique = np.unique(np.concatenate([lower, upper]))  # read each frame once
    # DEVIATION (assumed where the paper is silent): grey, one channel -- SAMM is grey only (README ledger 19)
    frames = read_frames([sample.frames[i] for i in unique], "gray")
    points = clip_landmarks(frames, mode=config.data.landmarks).points
    size = config.data.size
    reference = reference_shape(points[0], size, margin=0.05) if config.data.align == "similarity" else None
    crops = np.stack([_face_crop(f, p, reference, size) for f, p in zip(frames, points)]).astype(np.float64)
    where = {int(index): k for k, index in enumerate(unique)}
    weight = (positions - lower)[:, None, None]
    out = (1 - weight) * crops[[where[i] for i in lower]] + weight * crops[[where[i] for i in upper]]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def preprocess_clip(sample, config: TalluriConfig) -> np.ndarray:
    """The per-clip preprocessing ``run_fold`` caches (Sec. 4), uncached: (T, size, size) uint8 faces
    (``Experiment.preprocess_clip``, for ``--estimate``)."""
    return _face_sequence(sample, window_positions(sample, config), config)


def clip_input(sample, config: TalluriConfig, cache_root: Path | None = None) -> np.ndarray:
    """Cached (T, size, size) uint8 face sequence of ``sample`` (common.preprocessing.cache; ``cache_root``:
    the stages root, ``FoldContext.cache_dir``)."""
    from common.preprocessing.cache import cached, sample_fingerprint

    positions = window_positions(sample, config)
    params = {"positions": [round(float(p), 4) for p in positions], "size": config.data.size,
              "landmarks": config.data.landmarks, "align": config.data.align, "apex": sample.apex,
              "onset": sample.onset}
    return cached("talluri2022_faces", sample_fingerprint(sample), params,
                  lambda: _face_sequence(sample, positions, config), root=cache_root)


# --preprocess-workers: the cached faces of every clip the folds read (common.evaluation.first_pass)
first_pass = per_clip(clip_input)


def model_inputs(selection: Selection, indices: np.ndarray, config: TalluriConfig,
                 cache_root: Path | None = None) -> np.ndarray:
    """Float inputs in [0, 1]: (N, T, 128, 128, 1) for Model-A/Split/C, (N, 64, 64, T, 1) for Model-B."""
    clips = np.stack([clip_input(selection.samples[i], config, cache_root) for i in indices])  # (N, T, S, S)
    if config.model.name == "model_b":
        size = config.data.model_b_size  # Sec. 5.3: 64x64
        small = np.stack([[cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in clip] for clip in clips])
        clips = small.transpose(0, 2, 3, 1)  # (N, T, H, W) -> (N, H, W, T): frames last (Reddy et al.)
    # DEVIATION: the paper gives no intensity normalisation; we scale grey levels to [0, 1] per pixel
    # (a fixed constant, so no statistic of any split is used).
    return (clips[..., None] / 255.0).astype(np.float32)


def subtract_clip_mean(x: np.ndarray, time_axis: int) -> np.ndarray:
    """Inputs minus each clip's per-pixel mean over its frames (``data.motion_input="minus_clip_mean"``)."""
    return x - x.mean(axis=time_axis, keepdims=True)


def motion_inputs(x_train: np.ndarray, x_test: np.ndarray, config: TalluriConfig) -> tuple[np.ndarray, np.ndarray]:
    """QUICK-PROFILE DEVIATION (``data.motion_input="minus_clip_mean"``, README ledger 14): per-clip
    temporal mean removed, divided by the scalar standard deviation of the training fold's residuals
    (no test statistic). ``"none"`` (the paper): the inputs unchanged.

    On the synthetic corpus the static face varies ~35 grey levels between clips, the expression
    moves ~1: on grey levels / 255, SGD fits identity, never the motion, in a quick budget.
    """
    if config.data.motion_input == "none":
        return x_train, x_test
    axis = 3 if config.model.name == "model_b" else 1  # frames last (Model-B) or first
    train, test = subtract_clip_mean(x_train, axis), subtract_clip_mean(x_test, axis)
    scale = float(train.std()) or 1.0
    return (train / scale).astype(np.float32), (test / scale).astype(np.float32)


def fold_inputs(ctx: FoldContext) -> tuple[np.ndarray, np.ndarray]:
    """The fold's training and test inputs (Sec. 4; the quick profile's motion input, ledger 14)."""
    x_train = model_inputs(ctx.selection, ctx.fold.train, ctx.config, ctx.cache_dir)
    x_test = model_inputs(ctx.selection, ctx.fold.test, ctx.config, ctx.cache_dir)
    return motion_inputs(x_train, x_test, ctx.config)


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
    model = compile_model(build_model(ctx.config, n_classes(ctx)), ctx.config.train)
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
    import itertools

    t = config.tune
    return [dict(zip(("filters", "dense_units", "dropout", "learning_rate"), values))
            for values in itertools.product(t.filters, t.dense_units, t.dropout, t.learning_rate)]


def _inner_split(labels: np.ndarray, num_classes: int, config: TalluriConfig, seed: int):
    """Stratified hold-out of the training fold (``tune.validation_fraction``); unstratified when a class
    has too few clips (tiny corpora)."""
    from sklearn.model_selection import train_test_split

    stratifiable = (len(np.unique(labels)) == num_classes and np.bincount(labels).min() >= 2
                    and np.ceil(config.tune.validation_fraction * len(labels)) >= n_classes)
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
        return compile_model(build_model(trial, n_classes(ctx)), trial.train)

    def evaluate(hp, model: keras.Model) -> float:
        fit(model, x_train[inner_fit], y_train[inner_fit], inner_train, log=ctx.log)
        predicted = np.argmax(model.predict(x_train[inner_val], verbose=0), axis=1)
        accuracy = float(np.mean(predicted == labels[inner_val]))
        trials.append({**hp.values, "inner_accuracy": accuracy})
        ctx.log(f"  model_c tuning {hp.values}: inner accuracy {accuracy:.3f}")
        return accuracy

    hp = keras_tuner.HyperParameters()
    hp.Choice("filters", list(config.tune.filters))
    hp.Choice("dense_units", list(config.tune.dense_units))
    hp.Choice("dropout", list(config.tune.dropout))
    hp.Choice("learning_rate", list(config.tune.learning_rate))
    grid_search(build, evaluate, hp, ctx.work_dir, "model_c_grid", ctx.seed)
    chosen = max(trials, key=lambda t: t["inner_accuracy"])
    final = tuned_config(config, chosen)
    model = compile_model(build_model(final, n_classes(ctx)), final.train)
    return fit_and_predict(ctx, model, x_train, x_test, y_train=y_train, train=final.train, started=started,
                           extra={"chosen": chosen, "trials": trials, **fold_extra(ctx)})


# ----------------------------------------------------------------------------- --estimate hooks
def training_stages(config: TalluriConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """The model one fold trains (``run_fold``), compiled at the fold's input size."""
    classes = len(selection.class_names)
    return [TrainingStage(model=config.model.name, build=lambda: compile_model(build_model(config, classes), config.train),
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
        return TrainingStage(model=name, build=lambda: compile_model(build_model(trial, classes), trial.train),
                             samples=samples, epochs=epochs, batch_size=trial.train.batch_size)

    stages = [stage(values, inner, config.tune.epochs, f"model_c_trial{i + 1}")
              for i, values in enumerate(tuning_grid(config))]
    default = {"filters": config.model.c_filters, "dense_units": config.model.c_dense_units,
               "dropout": config.model.c_dropout, "learning_rate": config.train.learning_rate}
    return stages + [stage(default, len(fold.train), config.train.epochs, "model_c")]
