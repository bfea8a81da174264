"""Protocol of Le, Tran, Rege, "Dynamic image for micro-expression recognition on region-based
framework", IEEE IRI 2020: labels (Sec. IV-A.1), folds and training (Sec. IV-A.2). The inputs
(Sec. III-A..C) are in ``preprocessing.py``, the CNNs (Sec. III-D) in ``model.py``.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

import numpy as np

from common.running.first_pass import per_clip
from common.evaluation.splits import cross_dataset, mapped_selection, stratified_kfold
from common.experiment import Fold, FoldContext, FoldOutcome, Hooks, Selection, Track, TrainingStage
from common.predict_types import FrameRateNeed, PredictViews
from papers.le2020.config import Le2020Config
from common.backbones import WeightsError
from common.errors import RunError
from common.files import atomic_write
from common.preprocessing.faces import detect_face
from common.preprocessing.io import read_frame
from common.preprocessing.regions import LEFT_EYE, RIGHT_EYE
from common.running.fold import fit_and_predict, predict_probabilities
from common.training import compile_model, compiled_like, forget_compiled
from papers.le2020.model import (build_model, input_channels, MODEL_NAMES, recompute_batch_norm,
                                 resolved_preprocessing, weights_note)
from papers.le2020.preprocessing import (clip_inputs, compute_inputs, example_inputs, face_frames,
                                         face_square, prepare_inputs, region_image, REGION_NAMES, roi_boxes,
                                         sample_inputs)
import keras

logger = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- labels (Sec. IV-A.1)
CLASSES = ("positive", "negative", "surprise", "others")  # Sec. IV-A.1, CASME II, SAMM, cross-database
SMIC_CLASSES = ("positive", "negative", "surprise")  # Sec. IV-A.1: SMIC used "without further relabelling"

LABEL_MAPS: dict[str, dict[str, str]] = {
    # CASME II: "We unify disgust and repression into a single negative class"; fear and sadness,
    # outside the five classes of Table I (247 samples), are not used.
    "casme2": {"happiness": "positive", "disgust": "negative", "repression": "negative",
               "surprise": "surprise", "others": "others"},
    "smic": {"positive": "positive", "negative": "negative", "surprise": "surprise"},
    # SAMM: "disgust, anger, sadness, and fear are merged into negative class. Contempt are grouped
    # into other, while surprise and happiness remain unchanged."
    "samm": {"happiness": "positive", "anger": "negative", "disgust": "negative", "sadness": "negative",
             "fear": "negative", "surprise": "surprise", "contempt": "others", "other": "others",
             "others": "others"},
}


def class_names_for(datasets: Sequence[str]) -> tuple[str, ...]:
    return SMIC_CLASSES if tuple(datasets) == ("smic",) else CLASSES


def experiment_datasets(config: Le2020Config) -> tuple[str, ...]:
    """The databases of an experiment: ``protocol.dataset`` (k-fold) or the cross-database pair (train, test)."""
    protocol = config.protocol
    return (protocol.train_dataset, protocol.test_dataset) if protocol.kind == "cross" else (protocol.dataset,)


def select(data: Mapping[str, list], config: Le2020Config) -> Selection:
    """The samples of the experiment's databases whose emotion the paper's regrouping keeps (Sec. IV-A.1),
    with class indices; the others are recorded as dropped."""
    datasets = experiment_datasets(config)
    missing = [name for name in datasets if name not in data]
    if missing or not all(datasets):
        raise ValueError(f"le2020 select: protocol {config.protocol.kind} needs databases {datasets}; "
                         f"loaded: {sorted(data)}")
    return mapped_selection(data, {name: LABEL_MAPS[name] for name in datasets}, class_names_for(datasets),
                            owner="le2020", what="regrouping", lower=True)


# ----------------------------------------------------------------------------- folds (Sec. IV-A.2)
def folds(selection: Selection, config: Le2020Config, seed: int) -> list[Fold]:
    """10-fold stratified CV (90 % training) or one cross-database fold (Table III), after
    :func:`check_weights` (initial weights that cannot be had stop the run here, in one line)."""
    check_weights(config, len(selection.class_names))  # one line and no fold run if the weights cannot be had
    protocol = config.protocol
    if protocol.kind == "cross":
        return cross_dataset(selection, train=protocol.train_dataset, test=protocol.test_dataset)
    # choice: stratified by class, sample-level (not subject-independent) unless asked otherwise.
    return stratified_kfold(selection, k=protocol.k, seed=seed, groups=protocol.subject_independent)


def track_folds(track: Track):
    """``folds(selection, config, seed)`` of a benchmark track: the track's folds unchanged, after the same
    :func:`check_weights` as the paper's experiments."""
    def track_folds_(selection: Selection, config: Le2020Config, seed: int) -> list[Fold]:
        check_weights(config, len(selection.class_names))
        return track.folds(selection, seed)

    return track_folds_


def check_weights(config: Le2020Config, n_classes: int) -> None:
    """Before any fold: build the configured model once when it starts from weights (``model.weights``),
    so that a download that cannot happen (offline) or a file that does not fit stops the run with one
    line (``RunError``) instead of failing every fold alike. From scratch there is nothing to check."""
    if not config.model.weights:
        return

    try:
        build_model(config=config, num_classes=n_classes)
    except WeightsError as exc:
        raise RunError(str(exc)) from None


# ----------------------------------------------------------------------------- one fold (Sec. IV-A.2)
def compiled_model(config: Le2020Config, n_classes: int):
    """The fold's ``<backbone>_roi``, built afresh (under the runner's seed) and compiled with the paper's
    recipe. With ``model.reuse_across_folds`` (the quick profile) the compiled model is kept across folds
    (``common.training.compiled_like``): the fresh start is copied into it, so Keras does not retrace it.
    One le2020 model is kept at a time (a VGG19 with Adam's slots holds about 0.5 GB at 32 px)."""
    fresh = build_model(config=config, num_classes=n_classes)
    key = ("le2020", config.model, config.train, int(n_classes), input_channels(config.regions))
    # one le2020 model kept at a time (memory), as before the one-shape refactor
    forget_compiled(lambda kept: isinstance(kept, tuple) and kept[:1] == ("le2020",) and kept != key)
    return compiled_like(key, fresh, config.train, loss=keras.losses.CategoricalCrossentropy(),
                         reuse=config.model.reuse_across_folds)


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """Sec. IV-A.2: train the configured backbone on the region images of the fold's training clips
    (Sec. III) and predict its test clips. The report's example inputs (a few test clips) are saved
    with the fold (``examples.npz``, ``extra["examples"]``)."""
    started = time.perf_counter()
    config, selection, fold = ctx.config, ctx.selection, ctx.fold
    x_train, notes_train = prepare_inputs(selection, fold.train, config, ctx.cache_dir)
    x_test, notes_test = prepare_inputs(selection, fold.test, config, ctx.cache_dir)  # = predict_clips' inputs
    model = compiled_model(config, len(selection.class_names))
    logger.info(f"  initial weights: {weights_note(config.model)}; "
                f"input preprocessing {resolved_preprocessing(config.model)}")

    def after_fit(trained) -> None:
        if config.model.precise_bn:
            # option, off in the paper profile; the statistics live in the BN layers, so an exported
            # model carries them (fit_and_predict keeps the model after this)
            recompute_batch_norm(trained, x_train)

    def extra(trained, history) -> dict[str, Any]:
        # written beside the fold's record, replacing whatever is there (a link planted there is replaced, never
        # written through: common.files.atomic_write)
        path = Path(ctx.work_dir) / "examples.npz"
        examples = example_inputs(selection, fold.test, config, ctx.cache_dir)
        with atomic_write(path, "wb") as handle:
            np.savez_compressed(handle, **examples)  # type: ignore[arg-type]  # numpy's stub: ** might name allow_pickle
        return {"input_notes": notes_train + notes_test, "initial_weights": weights_note(config.model),
                "preprocessing": resolved_preprocessing(config.model), "examples": str(path.absolute())}

    return fit_and_predict(ctx, model, x_train, x_test, verbose_every_epoch=True, after_fit=after_fit,
                           extra=extra, started=started)


# ----------------------------------------------------------------------------- --export / --predict hooks
def predict_clips(ctx) -> np.ndarray:
    """``Experiment.predict_clips``: (N, n_classes) probabilities of ``ctx.samples`` exactly as
    :func:`run_fold` computes its test clips': the same inputs (``preprocessing.clip_inputs``: face frames,
    magnification, dynamic image, ROIs with the eyes masked, normalisation) and the same model call
    (``common.running.fold.predict_probabilities`` at ``train.batch_size``). No fold-level state: every
    input step is per clip (the optional precise-BN statistics are in the exported model's BN layers)."""
    config = ctx.config
    x, _ = clip_inputs(ctx.samples, config, ctx.cache_dir)
    return predict_probabilities(ctx.models[MODEL_NAMES[config.model.backbone]], x, config.train.batch_size)


def predict_views(ctx, index: int):
    """``Experiment.predict_views``: every frame of the clip (the dynamic image pools them all, Sec. III-B),
    the face square (where the frame is cut to one) or dlib's face box, the three ROIs and the masked eyes
    (Sec. III-C) in the first frame's pixels, and the network's inputs: the dynamic image, the magnified
    apex frame (Sec. III-A) and the region image."""
    from common.preprocessing.magnification import magnify

    config, sample = ctx.config, ctx.samples[index]
    arrays = sample_inputs(sample, config, ctx.cache_dir)
    dynamic_image, points = arrays["dynamic_image"], np.asarray(arrays["points"], dtype=np.float64)
    first = read_frame(sample.frames[0], "rgb")
    size = int(config.data.frame_size)
    crop, _ = face_square(first, config.data)
    face: tuple[int, int, int, int] | None
    if crop is not None:  # the face square every frame was cut to, then resized to frame_size
        scale = np.array([(crop[2] - crop[0]) / size, (crop[3] - crop[1]) / size])
        origin = np.array([crop[0], crop[1]], dtype=np.float64)
        face = crop
    else:  # the whole frame resized to frame_size
        scale = np.array([first.shape[1] / size, first.shape[0] / size])
        origin = np.zeros(2)
        box = detect_face(first) if config.data.face_crop != "never" else None
        face = None if box is None else (int(box.left), int(box.top), int(box.right), int(box.bottom))

    def to_frame(corners) -> np.ndarray:
        return np.asarray(corners, dtype=np.float64) * scale + origin

    regions = []
    if config.regions.combine != "none":  # "none" (the ablation without ROIs) feeds the whole dynamic image
        boxes = roi_boxes(points, config.regions.margin, config.regions.forehead)
        for name in REGION_NAMES:
            left, top, right, bottom = boxes[name]
            regions.append((name, to_frame([(left, top), (right, top), (right, bottom), (left, bottom)])))
        for side, eye in (("right", RIGHT_EYE), ("left", LEFT_EYE)):
            regions.append((f"{side} eye (masked)", to_frame(points[list(eye)])))

    mag = config.magnification
    frames, _ = face_frames(sample, config.data)
    apex = min(sample.apex_position, len(frames) - 1)
    inputs = [("dynamic image (rank pooled)", dynamic_image)]
    if mag.enabled and mag.alpha > 0 and len(frames) > 1:
        magnified = magnify(frames, mag.alpha, sample.fps, r1=mag.r1, r2=mag.r2, lambda_c=mag.lambda_c,
                            chrom_attenuation=mag.chrom_attenuation)
        inputs.append((f"apex frame magnified (alpha {mag.alpha:g})", magnified[apex]))
    image = region_image(dynamic_image, arrays["points"], config.regions, int(config.model.input_size))
    if image.shape[-1] == 9:  # regions.combine=channels: the three crops, one per input group
        inputs += [(f"network input: {name}", image[..., 3 * k:3 * k + 3]) for k, name in enumerate(REGION_NAMES)]
    else:
        inputs.append((f"network input ({config.regions.combine})", image))
    notes = [f"{len(frames)} frames onset..offset, Eulerian magnification "
             + (f"alpha {mag.alpha:g}" if mag.enabled and mag.alpha > 0 else "off") + ", one dynamic image",
             "landmarks on the " + ("dynamic image" if config.regions.landmarks_on == "dynamic_image"
                                    else f"{config.regions.landmarks_on} frame") + "; eyes masked"]
    if str(arrays["note"]):
        notes.append(str(arrays["note"]))
    return PredictViews(frames=tuple(range(len(sample.frames))), face_box=face, regions=tuple(regions),
                        inputs=tuple(inputs), notes=tuple(notes))


def frame_rate(config: Le2020Config) -> FrameRateNeed:
    """``Experiment.frame_rate``: Sec. III-A's magnification uses the reference IIR coefficients
    (``magnification.r1``, ``r2``), which are per frame: any rate is taken, and the pass band in Hz moves with
    it (``magnification.iir_cutoff_hz``). The dynamic image pools every frame whatever the rate."""
    from common.preprocessing.magnification import iir_cutoff_hz

    mag = config.magnification
    if not (mag.enabled and mag.alpha > 0):
        return FrameRateNeed()
    low, high = iir_cutoff_hz(float(mag.r2), 200.0), iir_cutoff_hz(float(mag.r1), 200.0)
    return FrameRateNeed(in_frames=(f"the magnification's IIR coefficients r1 {mag.r1:g}, r2 {mag.r2:g} (Sec. III-A; "
                                    f"magnification.r1, r2) are per frame: its pass band, {low:.1f}-{high:.1f} Hz "
                                    f"at 200 fps, scales with the rate"))


# ----------------------------------------------------------------------------- --estimate hooks
def training_stages(config: Le2020Config, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """The one model a fold trains: ``<backbone>_roi`` at the configured input size, compiled with the
    paper's recipe, on the fold's training clips (no augmentation, Sec. IV-A.2)."""
    n_classes = len(selection.class_names)
    return [TrainingStage(model=MODEL_NAMES[config.model.backbone],
                          build=lambda: compile_model(build_model(config=config, num_classes=n_classes), config.train),
                          samples=len(fold.train), epochs=int(config.train.epochs),
                          batch_size=int(config.train.batch_size))]


def _cache_clip(sample, config: Le2020Config, root) -> None:
    """The cached dynamic image and landmarks of one clip (what ``prepare_inputs`` reads)."""
    sample_inputs(sample, config, root)


# --preprocess-workers: the cached inputs of every clip the folds read (common.running.first_pass)
first_pass = per_clip(_cache_clip)


def preprocess_clip(sample, config: Le2020Config) -> dict[str, np.ndarray]:
    """What ``run_fold`` caches per clip, uncached: the dynamic image and its landmarks (Sec. III-A..C)."""
    return compute_inputs(sample, config)


HOOKS = Hooks(select=select, folds=folds, run_fold=run_fold, training_stages=training_stages,
              preprocess_clip=preprocess_clip, first_pass=first_pass, predict_clips=predict_clips,
              predict_views=predict_views, frame_rate=frame_rate)
