"""Protocol of Kumar, Theagarajan, Peraza, Bhanu, "Classification of facial micro-expressions
using motion magnified emotion avatar images", CVPR Workshops 2019: labels and databases
(Sec. 4.1, Table 2), folds (Sec. 4, Table 7), the training set's magnifications (Sec. 3.1.1) and
training (Sec. 3.5). The inputs (Sec. 3.1-3.4, Fig. 1) are in ``preprocessing.py``.

Training EAIs are made at alpha = 5, 10 and 15 (Sec. 3.1.1), per class as many of them as balance the
training fold's classes (Sec. 2 / 2.1, :func:`class_alphas`; ``magnification.balance="none"``: all three for
every clip); test EAIs at alpha = 10 (Sec. 3.1.1).
"""
from __future__ import annotations

import time
from typing import Any
from collections.abc import Mapping, Sequence
import functools

import numpy as np

from common.experiment import Fold, FoldContext, FoldOutcome, Hooks, Selection, TrainingStage
from common.predict_types import FrameRateNeed, PredictViews
from papers.kumar2019.preprocessing import (EXAMPLE_ALPHAS, build_inputs, cache_clip, compute_eai, example_indices,
                                            face_clip, figure_extras, registered_first_frame, save_examples,
                                            predict_inputs)
from common.preprocessing.faces import sample_landmarks
from common.running.fold import class_counts, fit_and_predict, n_classes, predict_probabilities
from common.training import compile_model, compiled_like
from papers.kumar2019.model import build_model, MODEL_NAME
from papers.kumar2019.preprocessing import face_box, magnify_clip, sample_eais, sample_first_frame
import keras

CLASSES = ("negative", "positive", "surprise")  # Sec. 4.1, Table 2 (MEGC 2019 classes 0, 1, 2)
SOURCE_DATABASES = ("smic", "casme2", "samm")  # Sec. 4.1.1-4.1.3


# ----------------------------------------------------------------------------- labels (Sec. 4.1)
def select(data: Mapping[str, list], config: Any) -> Selection:
    """The MEGC 2019 composite samples (``load("megc2019")``: ``emotion`` is the composite class,
    ``dataset`` the source database); for a per-database experiment only that database's samples (Sec. 4.1.1-4.1.3
    use the same three classes, by the MEGC 2019 rules), for a cross-dataset experiment only its two databases."""
    samples = list(data["megc2019"])
    protocol = config.protocol
    if protocol.kind == "cross":
        keep = (protocol.train_dataset, protocol.test_dataset)
        samples = [s for s in samples if s.dataset in keep]
    elif protocol.kind == "database":  # Sec. 4: each database by its own LOSO, with the composite's 3 classes
        if protocol.dataset not in SOURCE_DATABASES:
            raise ValueError(f"protocol.dataset={protocol.dataset!r}: expected one of {SOURCE_DATABASES}")
        samples = [s for s in samples if s.dataset == protocol.dataset]
    elif protocol.kind != "loso":
        raise ValueError(f"protocol.kind={protocol.kind!r}: expected 'loso', 'database' or 'cross'")
    unknown = sorted({s.emotion for s in samples} - set(CLASSES))
    if unknown:
        raise ValueError(f"megc2019 samples with classes {unknown}; expected only {CLASSES}")
    labels = np.array([CLASSES.index(s.emotion) for s in samples], dtype=int)
    return Selection(tuple(samples), labels, CLASSES)


# ----------------------------------------------------------------------------- folds (Sec. 4, Table 7)
def folds(selection: Selection, config: Any, seed: int) -> list[Fold]:
    """LOSO over the selection's subjects (the composite, or one database: Table 3), or one cross-dataset
    fold (Table 7)."""
    from common.evaluation.splits import cross_dataset, megc_loso

    protocol = config.protocol
    if protocol.kind == "cross":
        return cross_dataset(selection, train=protocol.train_dataset, test=protocol.test_dataset)
    return megc_loso(selection)


# ----------------------------------------------------------------------------- training set (Sec. 3.1.1)
def training_alphas(mag_config) -> tuple[float, ...]:
    """Sec. 3.1.1: the training set is made of the EAIs at alpha 5, 10 and 15 (plus the
    unmagnified EAI, alpha 0, with ``train_include_original``)."""
    alphas = tuple(float(a) for a in mag_config.train_alphas)
    if not alphas:
        raise ValueError("magnification.train_alphas is empty: the training set would be empty")
    return ((0.0,) if mag_config.train_include_original else ()) + alphas


def class_alphas(train_labels: Sequence[int] | np.ndarray, mag_config, n_classes: int) -> dict[int, tuple[float, ...]]:
    """{class: training alphas} (Sec. 2 / 2.1: the augmentation by magnification "helps to reduce the problem of
    unbalance dataset"). ``balance="none"``: every class gets every training alpha (a uniform x3, the balance
    unchanged). ``balance="classes"`` (the paper profile, README ledger 3): the alphas ordered test alpha first
    (alpha 10: every clip at the test magnification), then the others as configured (5, 15); class c gets the first
    m_c of them, m_c in 1..len(alphas) minimising |m_c n_c - n_max| over the training fold's clip counts n_c (ties:
    the smaller m_c). With ``train_include_original`` the unmagnified EAI (alpha 0) is added for every class."""
    alphas = tuple(float(a) for a in mag_config.train_alphas)
    if not alphas:
        raise ValueError("magnification.train_alphas is empty: the training set would be empty")
    original = (0.0,) if mag_config.train_include_original else ()
    if mag_config.balance == "none":
        return {c: original + alphas for c in range(n_classes)}
    if mag_config.balance != "classes":
        raise ValueError(f"magnification.balance={mag_config.balance!r}: expected 'classes' or 'none'")
    test_alpha = float(mag_config.test_alpha)
    ordered = ((test_alpha,) if test_alpha in alphas else ()) + tuple(a for a in alphas if a != test_alpha)
    counts = np.bincount(np.asarray(train_labels, dtype=int), minlength=n_classes)
    largest = int(counts.max()) if counts.size else 0
    out = {}
    for c in range(n_classes):
        m = min(range(1, len(ordered) + 1), key=lambda k: (abs(k * int(counts[c]) - largest), k))
        out[c] = original + ordered[:m]
    return out


def training_plan(indices: Sequence[int] | np.ndarray, mag_config, labels: Sequence[int] | np.ndarray | None = None,
                  n_classes: int | None = None) -> list[tuple[int, float]]:
    """(sample index, alpha) of every training image (Sec. 3.1.1): each clip once per alpha of its class
    (:func:`class_alphas`, from the training clips' ``labels[indices]``). ``balance="none"``: every clip at every
    training alpha, ``len(indices) x len(training_alphas)`` images."""
    indices = [int(i) for i in indices]
    if mag_config.balance == "none":
        return [(i, alpha) for i in indices for alpha in training_alphas(mag_config)]
    if labels is None:
        raise ValueError("training_plan: magnification.balance='classes' needs the labels of the samples")
    label_array = np.asarray(labels, dtype=int)
    n_classes = int(n_classes if n_classes is not None else label_array.max() + 1)
    per_class = class_alphas(label_array[indices], mag_config, n_classes)
    return [(i, alpha) for i in indices for alpha in per_class[int(label_array[i])]]


# ----------------------------------------------------------------------------- one fold (Sec. 3.5)
def fold_model(cfg, n_classes: int):
    """The compiled ``resnet34_eai`` of a fold, in exactly the state of a freshly built one.

    ``common.training.compiled_like``: each fold builds the network afresh (after the runner's seeding) and
    its start is copied into the one compiled model kept per configuration, so Keras reuses the traced
    train/predict functions instead of retracing ResNet-34 every fold. Not a deviation: the same training.
    """
    key = ("kumar2019", MODEL_NAME, cfg.model, cfg.train, bool(cfg.random_flip), int(n_classes))
    # Table 1 weight decay: L2 on every kernel, nested backbone included (compile_model)
    return compiled_like(key, build_model(config=cfg, num_classes=n_classes), cfg.train,
                         keras.losses.CategoricalCrossentropy())


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """Train ResNet-34 on the fold's training EAIs (alpha 5/10/15) and classify its test EAIs (alpha 10)."""
    started = time.perf_counter()
    cfg, selection, fold = ctx.config, ctx.selection, ctx.fold
    classes = n_classes(ctx)
    train_plan = training_plan(fold.train, cfg.magnification, selection.labels, classes)  # Sec. 3.1.1
    per_class = class_alphas(selection.labels[np.asarray(fold.train, dtype=int)], cfg.magnification, classes)
    x_train, y_train, train_stats = build_inputs(selection, train_plan, cfg, ctx.cache_dir)
    x_test, test_stats = predict_inputs(selection.samples, fold.test, cfg, ctx.cache_dir)  # the test alpha
    examples = save_examples(ctx)

    model = fold_model(cfg, classes)
    extra = {"train_images": train_stats["images"], "test_images": test_stats["images"],
             "train_alphas": list(training_alphas(cfg.magnification)), "test_alpha": cfg.magnification.test_alpha,
             "mean_kept_fraction_train": train_stats["mean_kept_fraction"],
             "mean_kept_fraction_test": test_stats["mean_kept_fraction"],
             "motion_input": train_stats["motion_input"], "balance": cfg.magnification.balance,
             "class_alphas": {selection.class_names[c]: list(a) for c, a in per_class.items()},
             "train_images_per_class": {name: int(np.sum(y_train == c))
                                        for c, name in enumerate(selection.class_names)},
             "train_clips_per_class": class_counts(selection, fold.train),
             **figure_extras(selection, {**train_stats["arrays"], **test_stats["arrays"]},
                             float(cfg.magnification.test_alpha))}
    if examples is not None:
        extra["examples"] = examples
    return fit_and_predict(ctx, model, x_train, x_test, y_train=y_train, verbose_every_epoch=True,
                           started=started, extra=extra)


# ----------------------------------------------------------------------------- --export / --predict hooks
def predict_clips(ctx) -> np.ndarray:
    """``Experiment.predict_clips``: (N, 3) probabilities of ``ctx.samples`` exactly as :func:`run_fold`
    computes its test clips': the same inputs (``preprocessing.predict_inputs``: the EAI at the test alpha,
    Sec. 3.1-3.4 and 3.1.1) and the same model call (``common.running.fold.predict_probabilities`` at
    ``train.batch_size``; the random flip is inactive there). No fold-level state: the training alphas'
    class balancing shapes only the training set, and the normalisation is fixed (ImageNet mean and std)."""
    config = ctx.config
    x, _ = predict_inputs(ctx.samples, range(len(ctx.samples)), config, ctx.cache_dir)
    return predict_probabilities(ctx.models[MODEL_NAME], x, config.train.batch_size)


def predict_views(ctx, index: int):
    """``Experiment.predict_views``: the frames the texture rule kept at the test alpha (Sec. 3.2), the face
    square cut around the first frame's landmarks (Sec. 3.3), and the network's input, the EAI at the test
    alpha (Sec. 3.4), beside the apex face frame before and after magnification (Sec. 3.1)."""
    config, sample = ctx.config, ctx.samples[index]
    alpha = float(config.magnification.test_alpha)
    arrays = sample_eais(sample, (alpha,), config, ctx.cache_dir)[alpha]
    found = sample_landmarks(sample, mode=config.face.landmarks, root=ctx.cache_dir)
    left, top, side = face_box(found.points[0].astype(np.float64), float(config.face.crop_margin))
    frames, _, note = face_clip(sample, config.face, ctx.cache_dir)
    apex = min(sample.apex_position, len(frames) - 1)
    kept = np.flatnonzero(np.asarray(arrays["kept"], dtype=bool))
    inputs = [(f"network input: EAI (alpha {alpha:g})", arrays["eai"]), ("apex face frame", frames[apex]),
              (f"apex frame magnified (alpha {alpha:g})",
               magnify_clip(frames, alpha, sample.fps, config.magnification)[apex])]
    if config.data.motion_input == "minus_first_frame":  # quick-only option: the input is EAI minus this frame
        inputs.append(("first registered frame (subtracted)", sample_first_frame(sample, config, ctx.cache_dir)))
    notes = [f"texture rule kept {len(kept)} of {len(frames)} frames at alpha {alpha:g} (Sec. 3.2)",
             "kept frames registered to the first and averaged into the EAI (Sec. 3.3-3.4)"]
    if note:
        notes.append(f"landmarks: {note}")
    return PredictViews(frames=tuple(int(i) for i in kept), face_box=(left, top, left + side, top + side),
                        inputs=tuple(inputs), notes=tuple(notes))


def frame_rate(config) -> FrameRateNeed:
    """``Experiment.frame_rate``: Sec. 3.1's Eulerian magnification filters every pixel in time through two
    first-order IIR low-passes at the band's cut-offs (``magnification.low_hz``, ``high_hz``, set at the clip's
    own rate by ``magnification.iir_coefficient``), and a cut-off exists only below half the frame rate: a
    rate of at most twice the upper cut-off is refused (none where every alpha is 0). Sec. 3.2's texture
    window counts frames whatever the rate."""
    mag, texture = config.magnification, config.texture
    in_frames = (f"the texture rule's window (Sec. 3.2) is {texture.window} frames whatever the rate "
                 f"({texture.window / 200:.2f} s at 200 fps, longer at a lower rate); nothing is resampled"
                 if texture.enabled else "")
    if not (mag.test_alpha > 0 or any(alpha > 0 for alpha in mag.train_alphas)):
        return FrameRateNeed(in_frames=in_frames)
    return FrameRateNeed(
        above=2 * max(float(mag.low_hz), float(mag.high_hz)),
        why=(f"Sec. 3.1's Eulerian magnification passes {mag.low_hz:g}-{mag.high_hz:g} Hz (magnification.low_hz, "
             f"high_hz) through IIR low-passes, whose cut-offs must lie below half the frame rate"),
        remedy="a model exported with --set magnification.high_hz below half the clip's rate takes it",
        in_frames=in_frames)


# ----------------------------------------------------------------------------- --estimate hooks
def training_stages(config, selection: Selection, fold: Fold) -> list:
    """The one model a fold trains (Sec. 3.5): ResNet-34 at ``model.input_size`` on the fold's training EAIs
    after the alpha augmentation (Sec. 3.1.1, :func:`training_plan`), for ``train.epochs`` of ``train.batch_size``."""
    classes = len(selection.class_names)
    samples = len(training_plan(fold.train, config.magnification, selection.labels, classes))
    return [TrainingStage(model=MODEL_NAME, samples=samples, epochs=int(config.train.epochs),
                          batch_size=int(config.train.batch_size),
                          build=lambda: compile_model(build_model(config=config, num_classes=classes), config.train,
                                                      loss=keras.losses.CategoricalCrossentropy()))]


def first_pass(selection: Selection, folds: Sequence[Any], config) -> list[tuple[str, Any]]:
    """``Experiment.first_pass`` (``--preprocess-workers``, common.running.first_pass): per clip the
    folds read, the alphas they read it at: the training plan of each fold (Sec. 3.1.1, class-balanced), the
    test alpha, and for the report's example clips among the tested ones :data:`EXAMPLE_ALPHAS`."""
    classes = len(selection.class_names)
    test_alpha = float(config.magnification.test_alpha)
    alphas: dict[int, set[float]] = {}
    for fold in folds:
        for index, alpha in training_plan(fold.train, config.magnification, selection.labels, classes):
            alphas.setdefault(int(index), set()).add(float(alpha))
        for index in fold.test:
            alphas.setdefault(int(index), set()).add(test_alpha)
    tested = {int(i) for fold in folds for i in fold.test}
    for index in example_indices(selection):
        if index in tested:
            alphas[index].update(EXAMPLE_ALPHAS)
    return [(selection.samples[i].key, functools.partial(cache_clip, selection.samples[i], tuple(sorted(a)), config))
            for i, a in sorted(alphas.items())]


def preprocess_clip(sample, config) -> dict[Any, np.ndarray]:
    """What run_fold caches for one clip, computed here without the stage cache (Sec. 3.1-3.4): {alpha: EAI
    (s, s, 3) uint8} at the test alpha and every training alpha, and with ``data.motion_input="minus_first_frame"``
    {"first_frame": the first registered frame}."""
    frames, points, _ = face_clip(sample, config.face)
    alphas = sorted({float(config.magnification.test_alpha), *training_alphas(config.magnification)})
    out: dict[Any, np.ndarray] = {a: compute_eai(frames, points, sample.fps, a, config)["eai"] for a in alphas}
    if config.data.motion_input == "minus_first_frame":
        out["first_frame"] = registered_first_frame(frames, points, config)
    return out


HOOKS = Hooks(select=select, folds=folds, run_fold=run_fold, training_stages=training_stages,
              preprocess_clip=preprocess_clip, first_pass=first_pass, predict_clips=predict_clips,
              predict_views=predict_views, frame_rate=frame_rate)
