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

from common.experiment import Fold, FoldContext, FoldOutcome, Selection
from common.training import compile_model, fit, grid_search, trainable_parameters
from papers.talluri2022.config import TalluriConfig
from papers.talluri2022.model import build_model_a, build_model_b, build_model_c, build_split_model

CLASS_NAMES = ("happy", "disgust", "surprise")  # Table 1
# Database label -> Table 1 class. SMIC: positive -> happy, negative -> disgust (assumed, README ledger).
LABEL_MAP = {
    "casme2": {"happiness": "happy", "disgust": "disgust", "surprise": "surprise"},
    "smic": {"positive": "happy", "negative": "disgust", "surprise": "surprise"},
    "samm": {"happiness": "happy", "disgust": "disgust", "surprise": "surprise"},
}


class SelectionError(ValueError):
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
            else:  # recorded, never silent (issue 16)
                dropped.append(Dropped(sample.key, f"emotion {sample.emotion!r} is not in talluri2022's {name} mapping "
                                       f"({', '.join(sorted(mapping))})", "selection"))
    return Selection(samples=tuple(samples), labels=np.asarray(labels, dtype=int), class_names=CLASS_NAMES,
                     dropped=tuple(dropped))


def _subset(selection: Selection, indices: np.ndarray) -> Selection:
    return Selection(samples=tuple(selection.samples[i] for i in indices), labels=selection.labels[indices],
                     class_names=selection.class_names)


def folds(selection: Selection, config: TalluriConfig, seed: int) -> list[Fold]:  # DEVIATION: ledger 10
    """Sec. 8.2: stratified 5-fold.

    Intra-dataset (train == test databases): ``StratifiedKFold`` over the selection. Cross-dataset:
    stratified 5-fold of the training database(s); with ``protocol.cross_test="fold"`` (default)
    paired with a stratified 5-fold of the test database, fold by fold (fold i trains on 4/5 of the
    training data and tests on 1/5 of the test data, so every test clip is predicted once); with
    ``"whole"`` every fold's model is tested on the whole test database (each test clip predicted
    k times; the fold mean is the mean over the k models). The paper does not say how it folded a
    cross-dataset scenario (README ledger 10).
    """
    from common.evaluation.splits import check_folds, stratified_kfold

    k, fold_seed = config.protocol.folds, config.protocol.fold_seed + seed
    if set(config.protocol.train) == set(config.protocol.test):
        return stratified_kfold(selection, k, fold_seed)
    datasets = selection.datasets
    train_idx = np.flatnonzero(np.isin(datasets, config.protocol.train))
    test_idx = np.flatnonzero(np.isin(datasets, config.protocol.test))
    train_folds = stratified_kfold(_subset(selection, train_idx), k, fold_seed)
    if config.protocol.cross_test == "whole":
        result = [Fold(name=a.name, train=np.sort(train_idx[a.train]), test=test_idx) for a in train_folds]
        return check_folds(result, len(selection), partition=False)
    test_folds = stratified_kfold(_subset(selection, test_idx), k, fold_seed)
    result = [Fold(name=a.name, train=np.sort(train_idx[a.train]), test=np.sort(test_idx[b.test]))
              for a, b in zip(train_folds, test_folds)]
    return check_folds(result, len(selection), partition=False)


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


def clip_input(sample, config: TalluriConfig, cache_root: Path | None = None) -> np.ndarray:
    """Cached (T, size, size) uint8 face sequence of ``sample`` (common.preprocessing.cache)."""
    from common.preprocessing.cache import cached, sample_fingerprint

    positions = window_positions(sample, config)
    params = {"positions": [round(float(p), 4) for p in positions], "size": config.data.size,
              "landmarks": config.data.landmarks, "align": config.data.align, "apex": sample.apex,
              "onset": sample.onset}
    root = Path(cache_root) / "stages" if cache_root is not None else None
    return cached("talluri2022_faces", sample_fingerprint(sample), params,
                  lambda: _face_sequence(sample, positions, config), root=root)


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
    """Inputs minus each clip's per-pixel mean over its frames (``data.clip_mean``)."""
    return x - x.mean(axis=time_axis, keepdims=True)


def clip_mean_inputs(x_train: np.ndarray, x_test: np.ndarray, config: TalluriConfig) -> tuple[np.ndarray, np.ndarray]:
    """QUICK-PROFILE DEVIATION (``data.clip_mean``, README ledger 14): per-clip temporal mean removed,
    divided by the scalar standard deviation of the training fold's residuals (no test statistic).

    On the synthetic corpus the static face varies ~35 grey levels between clips, the expression
    moves ~1: on grey levels / 255, SGD fits identity, never the motion, in a quick budget.
    """
    axis = 3 if config.model.name == "model_b" else 1  # frames last (Model-B) or first
    train, test = subtract_clip_mean(x_train, axis), subtract_clip_mean(x_test, axis)
    scale = float(train.std()) or 1.0
    return (train / scale).astype(np.float32), (test / scale).astype(np.float32)


# ----------------------------------------------------------------------------- models and training
def build_model(config: TalluriConfig, overrides: Mapping[str, Any] | None = None) -> keras.Model:
    """The configured model at the configured sequence length (``overrides``: tuned Model-C values)."""
    m, d = config.model, config.data
    o = dict(overrides or {})
    if m.name == "model_a":
        return build_model_a((d.frames, d.size, d.size, 1), 3, 2, m.filters, m.kernel_size, m.pool_size, m.dropout,
                             m.dense_units, m.dense_dropout, dense_initializer=m.dense_initializer)
    if m.name == "split_model":
        return build_split_model((d.frames, d.size, d.size, 1), 3, filters=m.filters, kernel_size=m.kernel_size,
                                 pool_size=m.pool_size, dropout=m.dropout, dense_units=m.dense_units,
                                 dense_dropout=m.dense_dropout, dense_initializer=m.dense_initializer)
    if m.name == "model_b":
        return build_model_b((d.model_b_size, d.model_b_size, d.frames, 1), 3, m.model_b_dropout)
    return build_model_c((d.frames, d.size, d.size, 1), 3, blocks=m.c_blocks, filters=o.get("filters", m.c_filters),
                         kernel_size=m.c_kernel_size, pool_size=m.c_pool_size, batch_norm=m.c_batch_norm,
                         padding=m.c_padding, dropout=o.get("dropout", m.c_dropout),
                         dense_units=o.get("dense_units", m.c_dense_units), dense_initializer=m.dense_initializer)


def compile_for(model: keras.Model, config: TalluriConfig, learning_rate: float | None = None) -> keras.Model:
    """Sec. 6: SGD with categorical cross-entropy; Model-C's Keras 2 ``decay=1e-6`` is an InverseTimeDecay."""
    train = config.train if learning_rate is None else _replace_lr(config, learning_rate)
    if config.lr_decay <= 0:
        return compile_model(model, train)
    # Keras 2 SGD(decay=d): lr_t = lr / (1 + d * iterations)
    schedule = keras.optimizers.schedules.InverseTimeDecay(train.learning_rate, decay_steps=1,
                                                           decay_rate=config.lr_decay)
    optimizer = keras.optimizers.SGD(learning_rate=schedule, momentum=train.momentum, nesterov=train.nesterov)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _replace_lr(config: TalluriConfig, learning_rate: float):
    return dataclasses.replace(config.train, learning_rate=float(learning_rate))


def _data(ctx: FoldContext):
    config: TalluriConfig = ctx.config
    sel, fold = ctx.selection, ctx.fold
    x_train = model_inputs(sel, fold.train, config, ctx.cache_dir)
    x_test = model_inputs(sel, fold.test, config, ctx.cache_dir)
    if config.data.clip_mean:  # quick profile only
        x_train, x_test = clip_mean_inputs(x_train, x_test, config)
    y_train = keras.utils.to_categorical(sel.labels[fold.train], len(sel.class_names))
    y_test = keras.utils.to_categorical(sel.labels[fold.test], len(sel.class_names))
    return x_train, y_train, x_test, y_test


def run_fold(ctx: FoldContext, record_test_curve: bool = False) -> FoldOutcome:
    """Train on the fold's training samples for ``train.epochs`` and predict its test samples (last epoch)."""
    config: TalluriConfig = ctx.config
    started = time.perf_counter()
    x_train, y_train, x_test, y_test = _data(ctx)
    model = compile_for(build_model(config), config)
    # Sec. 8.1 / Fig. 4 show accuracy curves on the test split of each run: recorded, never used to select.
    # DEVIATION (the paper does not say which epoch): the last epoch predicts (README ledger 20).
    history = fit(model, x_train, y_train, config.train, work_dir=ctx.work_dir, label=config.model.name,
                  validation_data=(x_test, y_test) if record_test_curve else None, log=ctx.log)
    probabilities = model.predict(x_test, batch_size=config.train.batch_size, verbose=0)
    return FoldOutcome(test_indices=ctx.fold.test, y_pred=np.argmax(probabilities, axis=1),
                       probabilities=probabilities, history=history,
                       parameters={config.model.name: trainable_parameters(model)},
                       seconds=time.perf_counter() - started,
                       extra={"counts": _counts(ctx), "windows": _window_counts(ctx)})


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


def _counts(ctx: FoldContext) -> dict[str, list[int]]:
    labels = ctx.selection.labels
    return {name: [int(np.sum(labels[ctx.fold.train] == k)), int(np.sum(labels[ctx.fold.test] == k))]
            for k, name in enumerate(ctx.selection.class_names)}


def run_tuned_fold(ctx: FoldContext) -> FoldOutcome:
    """``model_c_tuning``: Sec. 6.3's "fine-tuned and empirically optimized" Model-C assumptions.

    keras-tuner ``GridSearch`` over ``tune.*`` on the fold's training samples only: an inner
    stratified hold-out (``tune.validation_fraction``) scores each trial by its last-epoch
    accuracy; the chosen values are then trained on the whole training fold and predict the test fold.
    """
    import keras_tuner
    from sklearn.model_selection import train_test_split

    config: TalluriConfig = ctx.config
    started = time.perf_counter()
    x_train, y_train, x_test, y_test = _data(ctx)
    classes = np.argmax(y_train, 1)
    n_classes = y_train.shape[1]
    stratifiable = (len(np.unique(classes)) == n_classes and np.bincount(classes).min() >= 2
                    and np.ceil(config.tune.validation_fraction * len(classes)) >= n_classes)
    stratify = classes if stratifiable else None
    # too few clips of a class (tiny corpora) -> an unstratified hold-out
    inner_fit, inner_val = train_test_split(np.arange(len(x_train)), test_size=config.tune.validation_fraction,
                                            random_state=ctx.seed, stratify=stratify)
    trials: list[dict[str, Any]] = []
    inner_train = dataclasses.replace(config.train, epochs=config.tune.epochs)

    def build(hp) -> keras.Model:
        values = {"filters": hp.get("filters"), "dense_units": hp.get("dense_units"), "dropout": hp.get("dropout")}
        return compile_for(build_model(config, values), config, hp.get("learning_rate"))

    def evaluate(hp, model: keras.Model) -> float:
        fit(model, x_train[inner_fit], y_train[inner_fit], inner_train, log=ctx.log)
        predicted = np.argmax(model.predict(x_train[inner_val], verbose=0), axis=1)
        accuracy = float(np.mean(predicted == np.argmax(y_train[inner_val], axis=1)))
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
    model = compile_for(build_model(config, chosen), config, chosen["learning_rate"])
    history = fit(model, x_train, y_train, config.train, work_dir=ctx.work_dir, label="model_c_tuned", log=ctx.log)
    probabilities = model.predict(x_test, batch_size=config.train.batch_size, verbose=0)
    return FoldOutcome(test_indices=ctx.fold.test, y_pred=np.argmax(probabilities, axis=1),
                       probabilities=probabilities, history=history,
                       parameters={"model_c": trainable_parameters(model)}, seconds=time.perf_counter() - started,
                       extra={"chosen": chosen, "trials": trials, "counts": _counts(ctx),
                              "windows": _window_counts(ctx)})
