"""Selection, split and training of Reddy et al. (IJCNN 2019), Sec. IV, V (inputs: ``preprocessing.py``).

S. P. T. Reddy, S. T. Karri, S. R. Dubey, S. Mukherjee, "Spontaneous Facial Micro-Expression
Recognition using 3D Spatiotemporal Convolutional Neural Networks", IJCNN 2019.

* CAS(ME)^2: happy / angry / disgust. The 206 clips of Table IV cannot be rebuilt from the paper
  or the code (docs/databases.md §6); our selection is one ``frames``-long window of the long video
  (``meta["video_dir"]``) centred on the apex of every coded expression whose self-report is anger /
  happiness / disgust (``data.casme_sq_label``; or its stimulus group) and whose window fits inside
  the long video (``data.casme_sq_length_rule``), README ledger 5-6. Each selected clip lists its
  window's frames in ``meta["input_files"]``, which the runner's fold fingerprint stats.
* SMIC-HS: negative / positive / surprise clips with at least 18 frames; the first 18 (sorted).
* One 80/20 split (Sec. IV-A), SGD, batch 8, 100 epochs (Sec. IV-B).
* ``protocol.variant="paper"`` reproduces the paper and its code: whole-dataset normalisation,
  the validation split is the test split and the reported accuracy is the best validation epoch.
  ``"leakage_free"``: statistics from the training split only, last-epoch predictions, no CAS(ME)^2
  training window sharing a frame with a test window. ``"whole_set"`` (FuseNets): the authors'
  FuseNet scripts, validated on the whole data set (Table V's FuseNet accuracies).
"""
from __future__ import annotations

import dataclasses
import logging
import re
import time
from typing import Any
from collections.abc import Mapping

import keras
import numpy as np

from common.running.fold import (class_counts, epoch_extra, epoch_recorder, fit_and_predict, n_classes, one_hot,
                                 outcome, predict_probabilities)
from common.experiment import Fold, FoldContext, FoldOutcome, Hooks, Selection, TrainingStage
from common.predict_types import FrameRateNeed, PredictContext, PredictViews
from common.files import atomic_write
from common.training import compile_model, fit, grid_search, predict_on_batches, trainable_parameters
from papers.reddy2019.config import ReddyConfig
from papers.reddy2019.model import build_model
from papers.reddy2019.preprocessing import (SelectionError, apex_index, clip_frame_paths, clip_inputs, first_pass,
                                            fold_inputs, long_video_frames, predict_inputs, preprocess_clip)
from common.datasets.sample import Dropped
from common.preprocessing.faces import clip_landmarks
from common.preprocessing.io import read_frames
from papers.reddy2019.reported import TABLE4_COUNTS

logger = logging.getLogger(__name__)

CLASSES = {
    "casme_sq": ("happy", "angry", "disgust"),  # Table IV / Table VI order
    "smic": ("negative", "positive", "surprise"),  # Table IV / Table VII order
}
STIMULUS_CLASS = {"anger": "angry", "happy": "happy", "disgust": "disgust"}  # naming rule 2 (docs/databases.md §4.1)


# ----------------------------------------------------------------------------- selection
def stimulus_class(stimulus: str) -> str | None:
    """``anger1`` -> ``angry``, ``happy3`` -> ``happy``, ``disgust2`` -> ``disgust``; other stimuli -> None."""
    return STIMULUS_CLASS.get(re.sub(r"\d+$", "", str(stimulus).lower()))


# CAS(ME)^2 self-report vocabulary (docs/databases.md §4.2, incl. the misspelling)
SELF_REPORT_CLASS = {"anger": "angry", "happiness": "happy", "happyiness": "happy", "happy": "happy",
                     "disgust": "disgust"}


def casme_sq_class(sample, config: ReddyConfig) -> str | None:
    """Class of a CAS(ME)^2 expression: its self-report (anger / happiness / disgust, others -> None) or
    its stimulus group (``data.casme_sq_label``, README ledger 5)."""
    if config.data.casme_sq_label == "stimulus":
        return stimulus_class(sample.meta.get("stimulus", ""))
    # DEVIATION: the paper does not say how its 206 clips were labelled; the self-report (ledger 5)
    return SELF_REPORT_CLASS.get(str(sample.meta.get("self_report", "")).strip().lower())


def casme_sq_long_enough(sample, frames: int, rule: str) -> bool:
    """Sec. IV-A-1 "videos that have more than 96 frames" (>= as the code's 96-frame slice), README ledger 6.

    ``"window"``: the ``frames``-long window centred on the apex lies inside the long video without
    sliding; ``"span"``: the coded onset..offset interval itself holds ``frames`` frames.
    """
    if rule == "span":
        return len(sample.frames) >= frames
    # DEVIATION: the paper's "video" is a user-made file; ours is the apex-centred window (ledger 6)
    video = long_video_frames(sample.meta["video_dir"])
    apex = apex_index(sample, video)
    start = apex - frames // 2  # temporal.apex_window's centring (edge="shift" only moves windows that do not fit)
    return start >= 0 and start + frames <= len(video)


def select(data: Mapping[str, list], config: ReddyConfig) -> Selection:
    """Sec. IV-A: the labelled clips of one database with at least ``data.frames`` frames.

    CAS(ME)^2: the coded expressions of ``data.casme_sq_types`` (``paper``: micro-expressions, Sec. IV-A)
    whose class (``data.casme_sq_label``) is happy / angry / disgust and that pass
    ``data.casme_sq_length_rule``; SMIC: clips of >= 18 frames.
    """
    database, frames = config.data.database, config.data.frames
    if database not in data:
        raise SelectionError(f"reddy2019 needs database {database!r}; loaded: {sorted(data)}")

    names = CLASSES[database]
    samples, labels, dropped = [], [], []
    for sample in data[database]:
        if database == "casme_sq":
            if sample.meta.get("type") not in config.data.casme_sq_types:  # Sec. IV-A: micro-expressions
                dropped.append(Dropped(sample.key, f"{sample.meta.get('type')}-expression (code file's type column); "
                                       f"data.casme_sq_types keeps {', '.join(config.data.casme_sq_types)}",
                                       "selection"))
                continue
            label = casme_sq_class(sample, config)
            long_enough = bool(label) and casme_sq_long_enough(sample, frames, config.data.casme_sq_length_rule)
        else:
            label, long_enough = sample.emotion, len(sample.frames) >= frames
        if label in names and long_enough:  # Sec. IV-A: "more than 96 / 18 frames" (>= as the code)
            if database == "casme_sq":
                # the window is cut from the long video, past the coded frames: listed for the runner's fold
                # fingerprint (common.running.runner.selection_inputs), so that a window frame replaced recomputes
                sample = dataclasses.replace(sample, meta={**sample.meta,
                                                           "input_files": tuple(clip_frame_paths(sample, config))})
            samples.append(sample)
            labels.append(names.index(label))
        elif label not in names:  # recorded, never silent
            dropped.append(Dropped(sample.key, f"class {label!r} is not one of reddy2019's {database} classes "
                                   f"({', '.join(names)})", "selection"))
        else:
            why = (f"its {frames}-frame window does not pass data.casme_sq_length_rule="
                   f"{config.data.casme_sq_length_rule!r}" if database == "casme_sq"
                   else f"{len(sample.frames)} frames")
            dropped.append(Dropped(sample.key, f"{why}; reddy2019 keeps clips of at least {frames} frames (Sec. IV-A)",
                                   "selection"))
    return Selection(samples=tuple(samples), labels=np.asarray(labels, dtype=int), class_names=names,
                     dropped=tuple(dropped))


def clip_windows(selection: Selection, config: ReddyConfig) -> list[frozenset[str]]:
    """The set of frame files each selected clip's model input is cut from (its window)."""
    return [frozenset(str(p) for p in clip_frame_paths(s, config)) for s in selection.samples]


def window_overlap(windows: list[frozenset[str]], train: np.ndarray, test: np.ndarray) -> dict[str, Any]:
    """How much the test windows share frames with training windows: for each test window the largest
    fraction of its frames found in one training window; summary over the test windows."""
    best_shares = []
    for t in test:
        best = max((len(windows[t] & windows[r]) / max(len(windows[t]), 1) for r in train), default=0.0)
        best_shares.append(best)
    shares = np.asarray(best_shares, dtype=float)
    sharing = shares > 0
    return {"test_windows": int(len(shares)), "sharing": int(sharing.sum()),
            "identical": int(np.sum(shares >= 1.0)),
            "min_share": float(shares[sharing].min()) if sharing.any() else 0.0,
            "max_share": float(shares.max()) if len(shares) else 0.0,
            "mean_share_of_sharing": float(shares[sharing].mean()) if sharing.any() else 0.0}


def drop_overlapping_training(windows: list[frozenset[str]], train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """``train`` without the clips whose window shares any frame with a test window (leakage-free)."""
    test_frames = frozenset().union(*(windows[t] for t in test)) if len(test) else frozenset()
    return np.asarray([r for r in train if not (windows[r] & test_frames)], dtype=int)


def _holdout(selection: Selection, config: ReddyConfig) -> list[Fold]:
    from common.evaluation.splits import holdout

    return holdout(selection, test_size=config.protocol.test_size, seed=config.protocol.split_seed, stratify=False)


def folds(selection: Selection, config: ReddyConfig, seed: int) -> list[Fold]:
    """Sec. IV-A: one 80/20 split, made once (``train_test_split(test_size=0.2, random_state=4)``, not
    stratified, as the authors' code). The run seed does not move the split; it seeds the training.

    ``leakage_free`` on CAS(ME)^2: the windows of expressions of the same long video overlap, so every
    training clip whose window shares a frame with a test window is dropped from training (README ledger 19).
    """
    split = _holdout(selection, config)
    if config.protocol.variant != "leakage_free" or config.data.database != "casme_sq":
        return split
    windows = clip_windows(selection, config)
    return [Fold(name=f.name, train=drop_overlapping_training(windows, f.train, f.test), test=f.test) for f in split]


# ----------------------------------------------------------------------------- training (Sec. IV-B, V)
# What the best-epoch selection picks on (``FoldOutcome.extra["selected_on_test"]``: the run's warnings say so).
SELECTED_ON_TEST = {
    "paper": "the epoch of highest accuracy on the test split, restored after training (the code's validation on "
             "its 20% split; README, Protocol: Variants)",
    "whole_set": "the epoch of highest accuracy on the whole data set, test split included, restored after training "
                 "(the FuseNet scripts, README ledger 11)",
}


def _best_epoch_callback(epochs: int) -> keras.callbacks.Callback:
    """The paper/code's best-epoch selection on the validation (= test) split."""
    return keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=epochs + 1,
                                         restore_best_weights=True)


def table4_counts(selection: Selection, fold: Fold) -> dict[str, list[int]]:
    """Table IV layout: class -> [total, training, validation] of this selection and split."""
    train, test = class_counts(selection, fold.train), class_counts(selection, fold.test)
    counts = {name: [train[name] + test[name], train[name], test[name]] for name in selection.class_names}
    counts["total"] = [len(fold.train) + len(fold.test), len(fold.train), len(fold.test)]
    return counts


def table4_line(selection: Selection, database: str) -> str:
    """The selection's clips per class beside Table IV's totals, for the run log: "happy 94 | ours 3, ..."."""
    paper = TABLE4_COUNTS[database]
    ours = class_counts(selection)
    parts = [f"{name} {paper[name][0]} | ours {ours[name]}" for name in selection.class_names]
    return (f"  Table IV clips per class (paper | ours): {', '.join(parts)}; "
            f"total {paper['total'][0]} | ours {len(selection)}")


def table8_summary(history: Mapping[str, list[float]], epochs: tuple[int, int]) -> dict[str, Any]:
    """Table VIII: mean and std of validation accuracy over epochs 91-100 (the last 10 when fewer)."""
    values = list(history.get("val_accuracy", []))
    first, last = epochs
    window = values[first - 1:last] if len(values) >= last else values[-(last - first + 1):]
    if not window:
        return {"epochs": None, "mean": None, "std": None}
    start = first if len(values) >= last else len(values) - len(window) + 1
    return {"epochs": [start, start + len(window) - 1], "mean": float(np.mean(window)), "std": float(np.std(window))}


def _one(x: list[np.ndarray]):
    """One stream's array, or the list of the FuseNets' two streams (eyes, nose-mouth)."""
    return x if len(x) > 1 else x[0]


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """Train the configured model on the 80% split and predict the 20% split (Sec. IV, V).

    Every variant records the validation accuracy after each epoch (Table VIII); ``"paper"`` and
    ``"whole_set"`` select on it (best epoch, restored at the end of training), ``"leakage_free"``
    never does. ``whole_set`` (the authors' FuseNet scripts): the validation data after each epoch is
    the whole data set, and its accuracy at the restored epoch (Table V's FuseNet numbers) is stored as
    ``extra["aggregations"]["whole_set"]``; the fold's predictions stay those of the 20% split.
    """
    config: ReddyConfig = ctx.config
    variant = config.protocol.variant
    started = time.perf_counter()
    logger.info(table4_line(ctx.selection, config.data.database))
    x_train, x_test = fold_inputs(ctx)  # the fold's grey clips, frames last, scaled as the variant says
    model = compile_model(build_model(config=config, num_classes=n_classes(ctx)), config.train)  # Table I / II / III
    y_train = one_hot(ctx.selection.labels[ctx.fold.train], n_classes(ctx))
    y_test = one_hot(ctx.selection.labels[ctx.fold.test], n_classes(ctx))
    if variant == "whole_set":
        x_val, y_val = [np.concatenate([a, b]) for a, b in zip(x_train, x_test)], np.concatenate([y_train, y_test])
    else:
        x_val, y_val = x_test, y_test
    callbacks = [_best_epoch_callback(config.train.epochs)] if variant in ("paper", "whole_set") else []

    def extra(model: keras.Model, history: Mapping[str, list[float]]) -> dict[str, Any]:
        out: dict[str, Any] = {"variant": variant, "counts": table4_counts(ctx.selection, ctx.fold),
                               "table8": table8_summary(history, config.protocol.table8_epochs),
                               "validation": "whole data set" if variant == "whole_set" else "20% split"}
        if variant in ("paper", "whole_set") and history.get("val_accuracy"):
            out["best_epoch"] = int(np.argmax(history["val_accuracy"]) + 1)
            out["selected_on_test"] = SELECTED_ON_TEST[variant]
        if variant == "whole_set":
            out.update(whole_set_accuracy(model, _one(x_val), y_val, len(y_train), config.train.batch_size))
        if config.data.database == "casme_sq":
            out["window_overlap"] = split_overlap(ctx)
        if config.model.name == "microexpstcnn" and config.protocol.saliency_clips > 0:
            out["saliency"] = write_saliency(model, x_test[0], ctx)
        return out

    return fit_and_predict(ctx, model, _one(x_train), _one(x_test), y_train=y_train, label=config.model.name,
                           validation_data=(_one(x_val), y_val), callbacks=callbacks, extra=extra, started=started)


def whole_set_accuracy(model: keras.Model, x_val: Any, y_val: np.ndarray, n_train: int,
                       batch_size: int) -> dict[str, Any]:
    """The FuseNet scripts' number (README ledger 11): accuracy on the whole data set (training split
    first, then the test split), as ``extra["whole_set"]`` and the ``whole_set`` aggregation."""
    correct = predict_probabilities(model, x_val, batch_size).argmax(axis=1) == np.argmax(y_val, axis=1)
    whole = {"correct": int(correct.sum()), "n": int(len(correct)), "accuracy": float(correct.mean()),
             "train_split_accuracy": float(correct[:n_train].mean()),
             "test_split_accuracy": float(correct[n_train:].mean()) if len(correct) > n_train else None}
    return {"whole_set": whole,
            "aggregations": {"whole_set": {"all": {"accuracy": float(correct.mean()), "n": int(len(correct))}}}}


def split_overlap(ctx: FoldContext) -> dict[str, Any]:
    """CAS(ME)^2: frames shared by test and training windows, in the as-published 80/20 split and in
    this fold (after ``leakage_free`` dropped the overlapping training windows)."""
    config: ReddyConfig = ctx.config
    windows = clip_windows(ctx.selection, config)
    published = _holdout(ctx.selection, config)[0]
    return {"as_published": window_overlap(windows, published.train, published.test),
            "this_split": window_overlap(windows, ctx.fold.train, ctx.fold.test),
            "dropped_training_windows": int(len(published.train) - len(ctx.fold.train))}


def training_stages(config: ReddyConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """``Experiment.training_stages`` (``--estimate``): the one model a fold trains, on its training split,
    evaluated after every epoch on the validation data ``run_fold`` gives ``fit`` (the test split; the whole
    set for ``"whole_set"``)."""
    validation = len(fold.test) + (len(fold.train) if config.protocol.variant == "whole_set" else 0)
    return [TrainingStage(model=config.model.name,
                          build=lambda: compile_model(build_model(config=config,
                                                                  num_classes=len(selection.class_names)),
                                                      config.train),
                          samples=len(fold.train), epochs=config.train.epochs, batch_size=config.train.batch_size,
                          validation_samples=validation)]


# ----------------------------------------------------------------------------- saliency (Fig. 4)
def saliency_maps(model: keras.Model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the predicted class score (pre-softmax ``dense_out``) w.r.t. the input clip, Sec. V-D.

    Returns (saliency (N, H, W, T) in [0, 1]: the positive part of the gradient, each clip divided by
    its maximum; predicted classes (N,)). Gradients need the TensorFlow backend (``tf.GradientTape``).
    """
    import tensorflow as tf

    scores_model = keras.Model(model.inputs, model.get_layer("dense_out").output)
    inputs = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        scores = scores_model(inputs, training=False)
        predicted = tf.argmax(scores, axis=1)
        chosen = tf.gather(scores, predicted, axis=1, batch_dims=1)
    gradient = tape.gradient(chosen, inputs).numpy()[..., 0]  # (N, H, W, T)
    positive = np.maximum(gradient, 0.0)
    peak = positive.reshape(len(positive), -1).max(axis=1).reshape(-1, 1, 1, 1)
    return positive / np.where(peak > 0, peak, 1.0), predicted.numpy()


def write_saliency(model: keras.Model, x_test: np.ndarray, ctx: FoldContext) -> dict[str, Any]:
    """Fig. 4: saliency of ``saliency_frames`` frames of the first ``saliency_clips`` test clips -> npz
    in the fold's work dir (written atomically); its path goes to ``extra["saliency"]["path"]``."""
    if keras.backend.backend() != "tensorflow":
        return {"file": None, "note": f"saliency maps need the TensorFlow backend (running {keras.backend.backend()})"}
    config: ReddyConfig = ctx.config
    count = min(config.protocol.saliency_clips, len(x_test))
    x = x_test[:count]
    saliency, predicted = saliency_maps(model, x)
    t = x.shape[3]
    frames = np.linspace(0, t - 1, min(config.protocol.saliency_frames, t)).round().astype(int)
    clips = x[..., 0][..., frames]  # normalised input frames (N, H, W, F)
    low, high = clips.min(axis=(1, 2), keepdims=True), clips.max(axis=(1, 2), keepdims=True)
    images = np.round(255 * (clips - low) / np.where(high > low, high - low, 1)).astype(np.uint8)
    path = ctx.work_dir / "saliency.npz"
    keys = [ctx.selection.samples[i].key for i in ctx.fold.test[:count]]
    with atomic_write(path, "wb") as handle:
        np.savez_compressed(handle, saliency=saliency[..., frames].astype(np.float16), frames=images,
                            frame_indices=frames, predicted=predicted, true=ctx.selection.labels[ctx.fold.test[:count]],
                            keys=np.array(keys))
    return {"file": path.name, "path": str(path), "clips": count, "frame_indices": frames.tolist()}


# ----------------------------------------------------------------------------- Table IX
def with_kernel(config: ReddyConfig, kernel: tuple[int, int, int]) -> ReddyConfig:
    """``config`` with MicroExpSTCNN's kernel set to ``kernel`` (rows, cols, frames)."""
    return dataclasses.replace(config, model=dataclasses.replace(config.model, kernel_size=(*kernel,)))


def run_kernel_study(ctx: FoldContext) -> FoldOutcome:
    """Table IX: MicroExpSTCNN with each kernel size, one keras-tuner ``GridSearch`` trial per size.

    The trial objective is the accuracy on the 20% split: its best epoch under ``"paper"`` (the
    paper's practice), its last epoch under ``"leakage_free"``. The fold's predictions are those
    of ``kernels.paper_kernel`` (3x3x15); every kernel's accuracies go to ``extra["kernels"]``.
    """
    import keras_tuner

    config: ReddyConfig = ctx.config
    started = time.perf_counter()
    logger.info(table4_line(ctx.selection, config.data.database))
    x_train, x_test = fold_inputs(ctx)
    y_train = one_hot(ctx.selection.labels[ctx.fold.train], n_classes(ctx))
    y_test = one_hot(ctx.selection.labels[ctx.fold.test], n_classes(ctx))
    labels = {f"{a}x{b}x{c}": (a, b, c) for a, b, c in config.kernels.kernel_sizes}
    paper_kernel = "x".join(str(v) for v in config.kernels.paper_kernel)
    results: dict[str, dict[str, Any]] = {}
    gauge: dict[str, Any] = {}

    def build(hp) -> keras.Model:
        return compile_model(build_model(config=with_kernel(config, labels[hp.get("kernel")]),
                                         num_classes=n_classes(ctx)), config.train)

    def evaluate(hp, model: keras.Model) -> float:
        name = hp.get("kernel")
        logger.info(f"  Table IX kernel {name}")
        callbacks = [_best_epoch_callback(config.train.epochs)] if config.protocol.variant == "paper" else []
        # the gauge watches the network whose predictions the fold reports: the paper's kernel
        batch = config.train.batch_size
        recorder = (epoch_recorder(ctx, lambda trained: predict_on_batches(trained, x_test[0], batch))
                    if name == paper_kernel else None)
        history = fit(model, x_train[0], y_train, config.train, work_dir=ctx.work_dir, label=f"kernel_{name}",
                      validation_data=(x_test[0], y_test), callbacks=callbacks, epoch_predictions=recorder)
        if recorder is not None:
            gauge.update(epoch_extra(recorder, config.model.name))
        if ctx.export is not None and name == paper_kernel:  # an export keeps the model the fold predicts with
            ctx.export.keep(config.model.name, model)
        probabilities = predict_probabilities(model, x_test[0], config.train.batch_size)
        accuracy = float(np.mean(np.argmax(probabilities, 1) == np.argmax(y_test, 1)))
        curve = history.get("val_accuracy", [])
        results[name] = {"accuracy": accuracy, "best_epoch_accuracy": float(max(curve)) if curve else None,
                         "last_epoch_accuracy": float(curve[-1]) if curve else None,
                         "parameters": trainable_parameters(model), "probabilities": probabilities}
        return accuracy

    hp = keras_tuner.HyperParameters()
    hp.Choice("kernel", list(labels))
    grid_search(build, evaluate, hp, ctx.work_dir, "kernel_grid", ctx.seed)
    if paper_kernel not in results:
        raise ValueError(f"kernels.paper_kernel {paper_kernel} is not among kernels.kernel_sizes {list(labels)}")
    extra = {"variant": config.protocol.variant, "counts": table4_counts(ctx.selection, ctx.fold),
             "kernels": {k: {f: v for f, v in r.items() if f != "probabilities"} for k, r in results.items()},
             **gauge}
    if config.protocol.variant == "paper":
        extra["selected_on_test"] = SELECTED_ON_TEST["paper"]
    return outcome(ctx, results[paper_kernel]["probabilities"], {},
                   {f"microexpstcnn_{k}": r["parameters"] for k, r in results.items()}, started, extra)


def kernel_study_stages(config: ReddyConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """``Experiment.training_stages`` of Table IX: one MicroExpSTCNN per kernel size of the grid."""
    stages = []
    for kernel in config.kernels.kernel_sizes:
        kernel_config = with_kernel(config, kernel)

        def build(c: ReddyConfig = kernel_config) -> keras.Model:  # c: this kernel's config, bound now
            return compile_model(build_model(config=c, num_classes=len(selection.class_names)), config.train)

        stages.append(TrainingStage(
            model="microexpstcnn_" + "x".join(str(v) for v in kernel), build=build,
            samples=len(fold.train), epochs=config.train.epochs, batch_size=config.train.batch_size))
    return stages


# ----------------------------------------------------------------------------- --export / --predict hooks
def predict_clips(ctx: PredictContext) -> np.ndarray:
    """``Experiment.predict_clips``: the probabilities of ``ctx.samples`` as ``run_fold`` predicts its test
    split: :func:`predict_inputs` with the export fold's fitted scaling, then the model's ``predict`` pass."""
    config: ReddyConfig = ctx.config
    x = predict_inputs(ctx.samples, config, ctx.state, ctx.cache_dir)
    return predict_probabilities(ctx.models[config.model.name], _one(x), config.train.batch_size)


def _box(left, top, right, bottom) -> np.ndarray:
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom]])


def predict_views(ctx: PredictContext, i: int) -> PredictViews:
    """``Experiment.predict_views``: the frames the model saw, the first frame's face box (its landmarks'
    box; the FuseNets' eyes and nose-mouth boxes of Sec. III-B), the grey inputs of each stream at the
    window's middle and first frames, and, for MicroExpSTCNN (Sec. V-D, Fig. 4), the saliency of the
    predicted class at the window's middle frame (the positive input gradient), over the first input."""
    config: ReddyConfig = ctx.config
    sample = ctx.samples[i]
    paths = clip_frame_paths(sample, config)
    where = {str(path): k for k, path in enumerate(sample.frames)}
    used = tuple(where[str(path)] for path in paths)
    streams = clip_inputs(sample, config, ctx.cache_dir)  # (T, H, W) uint8 per stream: the unscaled inputs
    middle = len(paths) // 2
    inputs = tuple((f"{name}, window frame {k + 1}/{len(paths)}", streams[name][k])
                   for name in streams for k in (middle, 0))
    rule = "apex-centred window" if config.data.database == "casme_sq" else "first frames"
    notes = [f"{len(paths)} frames ({rule} rule of {config.data.database}), grey, frames last"]
    points = clip_landmarks(read_frames(paths[:1], "gray"), mode="first").points[0]
    p = np.rint(points).astype(int)
    (left, top), (right, bottom) = p.min(axis=0), p.max(axis=0)
    face_box = (int(left), int(top), int(right), int(bottom))
    regions: tuple[tuple[str, np.ndarray], ...]
    if config.model.name == "microexpstcnn":
        regions = (("face (landmarks' box)", _box(*face_box)),) if config.data.face_crop else ()
    else:  # Sec. III-B: the authors' boxes, on the first frame (before any alignment)
        regions = (("eyes", _box(p[1, 0], p[19, 1], p[15, 0], p[1, 1])),
                   ("nose-mouth", _box(p[2, 0], p[2, 1], p[14, 0], p[6, 1])))
    saliency = None
    if config.model.name == "microexpstcnn" and keras.backend.backend() == "tensorflow":
        (x,) = predict_inputs([sample], config, ctx.state, ctx.cache_dir)
        maps, _ = saliency_maps(ctx.models[config.model.name], x)
        saliency = maps[0][:, :, middle]
        notes.append("saliency: positive gradient of the predicted class score (Sec. V-D) at the middle frame")
    return PredictViews(frames=used, face_box=face_box, regions=regions, inputs=inputs, saliency=saliency,
                        notes=tuple(notes))


def frame_rate(config: ReddyConfig) -> FrameRateNeed:
    """``Experiment.frame_rate``: the 3D networks see ``data.frames`` frames (Sec. IV-A: 96 of CAS(ME)^2's
    30 fps videos, 18 of SMIC's 100 fps clips) whatever the rate. Any rate is taken."""
    data = config.data
    rule = "centred on the apex" if data.database == "casme_sq" else "from the first frame"
    short = ("is resampled to that many frames (data.resample_frames)" if data.resample_frames
             else "is refused (Sec. IV-A keeps clips of at least that many)")
    return FrameRateNeed(in_frames=(f"the model sees {data.frames} frames {rule} (Sec. IV-A) whatever the rate; a "
                                    f"shorter clip {short}"))


HOOKS = Hooks(select=select, folds=folds, run_fold=run_fold, training_stages=training_stages,
              preprocess_clip=preprocess_clip, first_pass=first_pass, predict_clips=predict_clips,
              predict_views=predict_views, frame_rate=frame_rate)
