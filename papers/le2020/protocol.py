"""Protocol of Le, Tran, Rege, "Dynamic image for micro-expression recognition on region-based
framework", IEEE IRI 2020: labels (Sec. IV-A.1), inputs (Sec. III-A..C), folds and training
(Sec. IV-A.2).

Input pipeline of one clip (cached once per clip and setting, shared by every backbone and fold):
face-aligned frames onset..offset (Sec. III) -> Eulerian magnification (III-A) -> approximate
rank pooling into one RGB dynamic image (III-B) -> the three ROIs from dlib's 68 landmarks,
eyes masked (III-C, Fig. 2) -> one 224 x 224 image for the CNN (III-D).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import cv2
import numpy as np

from common.experiment import Fold, FoldContext, FoldOutcome, Selection

# ----------------------------------------------------------------------------- labels (Sec. IV-A.1)
FOUR_CLASSES = ("positive", "negative", "surprise", "others")  # Sec. IV-A.1, CASME II, SAMM, cross-database
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
    return SMIC_CLASSES if tuple(datasets) == ("smic",) else FOUR_CLASSES


def make_selection(data: Mapping[str, list], datasets: Sequence[str]) -> Selection:
    """The samples of ``datasets`` whose emotion the paper's regrouping keeps, with class indices."""
    class_names = class_names_for(datasets)
    from common.datasets.sample import Dropped

    samples, labels, dropped = [], [], []
    for name in datasets:
        mapping = LABEL_MAPS[name]
        for sample in data[name]:
            target = mapping.get(sample.emotion.lower())
            if target is not None:
                samples.append(sample)
                labels.append(class_names.index(target))
            else:  # recorded, never silent (issue 16)
                dropped.append(Dropped(sample.key, f"emotion {sample.emotion!r} is not in le2020's {name} regrouping "
                                       f"({', '.join(sorted(mapping))})", "selection"))
    return Selection(tuple(samples), np.asarray(labels, dtype=int), class_names, dropped=tuple(dropped))


def class_counts(selection: Selection) -> dict[str, dict[str, int]]:
    """{database: {class: n}} of a selection (for Table I beside ours)."""
    counts: dict[str, dict[str, int]] = {}
    for sample, label in zip(selection.samples, selection.labels):
        per = counts.setdefault(sample.dataset, dict.fromkeys(selection.class_names, 0))
        per[selection.class_names[label]] += 1
    return counts


# ----------------------------------------------------------------------------- folds (Sec. IV-A.2)
def make_folds(selection: Selection, config: Any, seed: int) -> list[Fold]:
    """10-fold stratified CV (90 % training) or one cross-database fold (Table III), after
    :func:`check_weights` (initial weights that cannot be had stop the run here, in one line)."""
    from common.evaluation.splits import cross_dataset, stratified_kfold

    check_weights(config, len(selection.class_names))  # one line and no fold run if the weights cannot be had
    protocol = config.protocol
    if protocol.kind == "cross":
        return cross_dataset(selection, train=protocol.train_dataset, test=protocol.test_dataset)
    # choice: stratified by class, sample-level (not subject-independent) unless asked otherwise.
    return stratified_kfold(selection, k=protocol.k, seed=seed, groups=protocol.subject_independent)


def check_weights(config: Any, n_classes: int) -> None:
    """Before any fold: build the configured model once when it starts from weights (``model.weights``),
    so that a download that cannot happen (offline) or a file that does not fit stops the run with one
    line (``RunError``) instead of failing every fold alike. From scratch there is nothing to check."""
    if not config.model.weights:
        return
    from common.backbones import WeightsError
    from common.evaluation.runner import RunError
    from papers.le2020.model import build_model

    try:
        build_model(config.model, n_classes, channels=input_channels(config.regions))
    except WeightsError as exc:
        raise RunError(str(exc)) from None


# ----------------------------------------------------------------------------- inputs (Sec. III)
def _square_box(box, shape: tuple[int, ...], margin: float) -> tuple[int, int, int, int]:
    """A square (left, top, right, bottom) around a face box, grown by ``margin`` of its side."""
    cx, cy = (box.left + box.right) / 2.0, (box.top + box.bottom) / 2.0
    side = max(box.right - box.left, box.bottom - box.top) * (1.0 + 2.0 * margin)
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    return left, top, left + int(round(side)), top + int(round(side))


SMALL_FACE = 0.2  # choice: a face box under 20 % of the frame means the frame is not face-aligned (raw SAMM: ~7 %)


def face_frames(sample, data_config) -> tuple[np.ndarray, str]:
    """(T, S, S, 3) uint8 frames onset..offset at ``frame_size`` and a note on the face crop.

    The databases' face-aligned crops are used as they are (Sec. III: "we utilize the face
    aligned data from original datasets"); a frame where the face is small (raw SAMM) is cut to
    a square around dlib's face box on the first frame, the same box for every frame.
    """
    from common.preprocessing.faces import detect_face
    from common.preprocessing.io import read_frame
    from common.preprocessing.regions import crop_padded

    size = int(data_config.frame_size)
    first = read_frame(sample.frames[0], "rgb")
    crop, note = None, ""
    if data_config.face_crop != "never":
        box = detect_face(first)
        if box is None:
            note = "no face found on the first frame: whole frame used"
        elif data_config.face_crop == "always" or box.area < SMALL_FACE * first.shape[0] * first.shape[1]:
            crop = _square_box(box, first.shape, data_config.face_margin)
    frames = []
    for index, path in enumerate(sample.frames):
        frame = first if index == 0 else read_frame(path, "rgb")
        if crop is not None:
            frame = crop_padded(frame, *crop)
        frames.append(cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA))
    return np.stack(frames), note


def compute_inputs(sample, config) -> dict[str, np.ndarray]:
    """{"dynamic_image": (S, S, 3) uint8, "points": (68, 2) float32, "note": str} of one clip."""
    from common.preprocessing.dynamic_image import dynamic_image
    from common.preprocessing.faces import clip_landmarks, detect_face, landmarks
    from common.preprocessing.magnification import magnify

    frames, note = face_frames(sample, config.data)
    notes = [note] if note else []
    mag = config.magnification
    magnified = frames
    if mag.enabled and mag.alpha > 0 and len(frames) > 1:
        magnified = magnify(frames, mag.alpha, sample.fps, r1=mag.r1, r2=mag.r2, lambda_c=mag.lambda_c,
                            chrom_attenuation=mag.chrom_attenuation)  # Sec. III-A
    di = dynamic_image(magnified)  # Sec. III-B: (S, S, 3) uint8, global min-max to 0-255

    where = config.regions.landmarks_on
    reference = frames[0] if where != "apex" else frames[min(sample.apex_position, len(frames) - 1)]
    found = clip_landmarks(reference[None], mode="first")  # DEVIATION: landmarks of a face frame
    points = found.points[0]
    if found.fallback:
        notes.append(f"landmarks: {found.fallback}")
    if where == "dynamic_image":  # the paper's literal reading: dlib on the dynamic image itself
        box = detect_face(di)
        if box is None:
            notes.append("no face found on the dynamic image: onset-frame landmarks used")
        else:
            points = landmarks(di, box)
    return {"dynamic_image": di, "points": np.asarray(points, np.float32), "note": np.array("; ".join(notes))}


def sample_inputs(sample, config, root: Path | None = None) -> dict[str, np.ndarray]:
    """:func:`compute_inputs` through the stage cache (key: the clip's frames and every setting used)."""
    from common.preprocessing.cache import cached, sample_fingerprint

    params = {"data": config.data, "magnification": config.magnification,
              "landmarks_on": config.regions.landmarks_on, "fps": sample.fps,
              "onset": sample.onset, "apex": sample.apex, "offset": sample.offset}
    return cached("le2020_dynamic_image", sample_fingerprint(sample), params,
                  lambda: compute_inputs(sample, config), root=root)


def input_channels(region_config) -> int:
    return 9 if region_config.combine == "channels" else 3


def region_image(dynamic_image: np.ndarray, points: np.ndarray, region_config, size: int) -> np.ndarray:
    """The CNN input of one clip, (size, size, 3) uint8, or (size, size, 9) for ``channels``.

    How the three ROIs form one input is not stated (Sec. III-C/D). ``canvas`` (default): the
    dynamic image with only the eyebrow, nose and mouth boxes kept, at their places, eyes masked,
    cropped to the boxes' union (``regions.le_roi_canvas``). ``stack``: the three crops resized
    into horizontal bands (eyebrows on top, nose, mouth). ``channels``: the three crops resized
    to the full size and concatenated on channels. ``none``: the whole dynamic image (the
    ablation without ROIs of Sec. IV-B).
    """
    from common.preprocessing.regions import le_regions, le_roi_canvas

    kind = region_config.combine
    if kind == "none":
        return cv2.resize(dynamic_image, (size, size), interpolation=cv2.INTER_AREA)
    if kind == "canvas":
        return le_roi_canvas(dynamic_image, points, size=size, margin=region_config.margin,
                             forehead=region_config.forehead)
    crops = le_regions(dynamic_image, points, margin=region_config.margin, forehead=region_config.forehead)
    if kind == "channels":
        return np.concatenate([cv2.resize(crops[n], (size, size), interpolation=cv2.INTER_AREA)
                               for n in ("eyebrows", "nose", "mouth")], axis=-1)
    if kind == "stack":
        band = size // 3
        heights = {"eyebrows": band, "nose": band, "mouth": size - 2 * band}
        return np.concatenate([cv2.resize(crops[n], (size, heights[n]), interpolation=cv2.INTER_AREA)
                               for n in ("eyebrows", "nose", "mouth")], axis=0)
    raise ValueError(f"regions.combine={kind!r}: expected canvas, stack, channels or none")


TORCH_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)  # torchvision ImageNet Normalize
TORCH_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def preprocess(images: np.ndarray, mode: str = "torch") -> np.ndarray:
    """CNN input from uint8 RGB images, per group of 3 channels (9-channel option included).

    ``torch``: x/255, minus the ImageNet mean, over its std (torchvision ``Normalize``, the
    paper's PyTorch pipeline). ``caffe``: ``keras.applications.vgg19.preprocess_input`` (the same
    function as ``resnet50.preprocess_input``: RGB -> BGR minus the ImageNet mean), what the Keras
    VGG19/ResNet50 ImageNet weight files expect. ``model.preprocessing=auto`` is resolved by
    :func:`papers.le2020.model.resolved_preprocessing` before this is called.
    """
    images = np.asarray(images, dtype=np.float32)
    groups = images.reshape(images.shape[:-1] + (images.shape[-1] // 3, 3))  # (..., G, 3)
    if mode == "torch":
        return ((groups / 255.0 - TORCH_MEAN) / TORCH_STD).reshape(images.shape)
    if mode == "caffe":
        from keras.applications import vgg19

        return np.asarray(vgg19.preprocess_input(groups.copy(), data_format="channels_last")).reshape(images.shape)
    raise ValueError(f"model.preprocessing={mode!r}: expected 'torch' or 'caffe' (or 'auto', resolved by the model)")


def prepare_inputs(selection: Selection, indices: np.ndarray, config, root: Path | None = None,
                   log=print) -> tuple[np.ndarray, list[str]]:
    """Preprocessed CNN inputs (N, s, s, C) float32 for ``indices`` and each clip's notes."""
    images, notes = [], []
    start = time.perf_counter()
    for count, index in enumerate(indices, 1):
        sample = selection.samples[index]
        arrays = sample_inputs(sample, config, root)
        images.append(region_image(arrays["dynamic_image"], arrays["points"], config.regions,
                                   int(config.model.input_size)))
        note = str(arrays["note"])
        if note:
            notes.append(f"{sample.key}: {note}")
        if count % 25 == 0 or count == len(indices):
            log(f"  inputs {count}/{len(indices)} ({time.perf_counter() - start:.1f} s)")
    from papers.le2020.model import resolved_preprocessing

    return preprocess(np.stack(images), resolved_preprocessing(config.model)), notes


# ----------------------------------------------------------------------------- one fold (Sec. IV-A.2)
def fold_model(cfg, n_classes: int, channels: int):
    """A compiled ``<backbone>_roi`` at its initial weights for one fold.

    Default: a new graph per fold. With ``model.reuse_across_folds`` (the quick profile) the model
    is built and compiled once per configuration and every later fold restores its initial weights
    and optimiser state (``common.training.fold_model``), so Keras does not rebuild or retrace it.
    """
    from common.training import compile_model
    from common.training import fold_model as reusable_fold_model
    from papers.le2020.model import build_model

    def build_and_compile():
        return compile_model(build_model(cfg.model, n_classes, channels=channels), cfg.train)

    return reusable_fold_model((cfg.model, cfg.train, int(n_classes), int(channels)), build_and_compile,
                               reuse=cfg.model.reuse_across_folds)


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """Train the configured backbone on the fold's training clips and predict its test clips."""
    import keras

    from common.training import fit, trainable_parameters
    from papers.le2020.model import recompute_batch_norm, resolved_preprocessing, weights_note

    start = time.perf_counter()
    cfg = ctx.config
    selection, fold = ctx.selection, ctx.fold
    n_classes = len(selection.class_names)
    root = ctx.cache_dir
    x_train, notes_train = prepare_inputs(selection, fold.train, cfg, root, ctx.log)
    x_test, notes_test = prepare_inputs(selection, fold.test, cfg, root, ctx.log)
    y_train = keras.utils.to_categorical(selection.labels[fold.train], n_classes)

    model = fold_model(cfg, n_classes, input_channels(cfg.regions))
    ctx.log(f"  initial weights: {weights_note(cfg.model)}; input preprocessing {resolved_preprocessing(cfg.model)}")
    history = fit(model, x_train, y_train, cfg.train, work_dir=ctx.work_dir, label=model.name, log=ctx.log,
                  verbose_every_epoch=True)
    if cfg.model.precise_bn:
        recompute_batch_norm(model, x_train)  # option, off in the paper profile
    probabilities = model.predict(x_test, batch_size=cfg.train.batch_size, verbose=0)
    return FoldOutcome(
        test_indices=np.asarray(fold.test), y_pred=probabilities.argmax(axis=1), probabilities=probabilities,
        history=history, parameters={model.name: trainable_parameters(model)},
        seconds=time.perf_counter() - start, extra={"input_notes": notes_train + notes_test, "initial_weights": weights_note(cfg.model),
               "preprocessing": resolved_preprocessing(cfg.model)},
    )


# ----------------------------------------------------------------------------- report pages
REGION_COLOURS = {"eyebrows": (0, 0, 255), "nose": (0, 160, 0), "mouth": (255, 0, 0)}  # Fig. 2: blue, green, red


def draw_regions(image: np.ndarray, points: np.ndarray, region_config) -> np.ndarray:
    """An RGB copy of ``image`` with the three ROIs drawn as in Fig. 2 and the eyes masked."""
    from common.preprocessing.regions import le_boxes, mask_eyes

    out = mask_eyes(np.ascontiguousarray(image), points)
    thickness = max(1, image.shape[0] // 112)
    for name, (left, top, right, bottom) in le_boxes(points, region_config.margin, region_config.forehead).items():
        cv2.rectangle(out, (left, top), (right - 1, bottom - 1), REGION_COLOURS[name], thickness)
    return out


def table_i_lines(dataset: str, selection: Selection) -> list[str]:
    """Table I's row for ``dataset`` beside our selection's counts per class."""
    from papers.le2020.reported import TABLE_I

    paper = TABLE_I[dataset]
    counts = class_counts(selection).get(dataset, {})
    subjects = len({s.subject for s in selection.samples if s.dataset == dataset})
    lines = [f"{'':22s}{'paper (Table I)':>18s}{'ours':>10s}",
             f"{'samples':22s}{paper['samples']:>18d}{sum(counts.values()):>10d}",
             f"{'subjects':22s}{paper['subjects']:>18d}{subjects:>10d}",
             f"{'emotions (original)':22s}{paper['emotions']:>18d}{'':>10s}",
             f"{'fps':22s}{paper['fps']:>18d}{'':>10s}", "", "Our selection per class (Sec. IV-A.1 regrouping):"]
    lines += [f"  {name:20s}{n:>6d}" for name, n in counts.items()]
    if dataset == "smic":  # README ledger 22
        lines += ["", "Table I names SMIC-E-HS (157 long clips; 3 of SMIC-HS's 164 micro-expressions lost);",
                  "its counts (164, 16 subjects) are SMIC-HS's, whose micro clips (onset..offset) we read."]
    return lines


PUBLISHED = "published, not run by us"  # the other methods' rows of Tables II and III


def published_table_lines() -> list[str]:
    """Tables II and III as printed (accuracy), every row: the paper's own "+ ROI" rows and the other
    methods it compares with, which are marked as published numbers that this suite does not run."""
    from papers.le2020 import reported

    def cell(value) -> str:
        return "-" if value is None else f"{100 * value:.2f} %"

    width = 30
    lines = ["Accuracy as printed by Le et al. 2020. Rows marked '(*)' are other methods the paper compares",
             f"with: {PUBLISHED} (numbers from the paper only). The '+ ROI' rows are the paper's",
             "method; our runs of them are on the page 'Reported by the paper vs ours'.", "",
             "Table II: 10-fold cross-validation (Sec. IV-A.2)",
             f"  {'method':{width}s}{'CASME II':>12s}{'SMIC':>12s}{'SAMM':>12s}"]
    for method, values in reported.TABLE_II_OTHERS.items():
        lines.append(f"  {method + ' (*)':{width}s}" + "".join(f"{cell(values.get(d)):>12s}"
                                                             for d in ("casme2", "smic", "samm")))
    for backbone, title in (("resnet50", "ResNet50 + ROI"), ("senet50", "SENet50 + ROI"), ("vgg19", "VGG19 + ROI")):
        lines.append(f"  {title:{width}s}" + "".join(f"{cell(reported.TABLE_II.get((d, backbone))):>12s}"
                                                     for d in ("casme2", "smic", "samm")))
    pairs = (("samm", "casme2"), ("casme2", "samm"))
    lines += ["", "Table III: cross-database, the first database trains, the second tests (Sec. IV-B)",
              f"  {'method':{width}s}{'SAMM -> CASME II':>18s}{'CASME II -> SAMM':>18s}"]
    for method, values in reported.TABLE_III_OTHERS.items():
        lines.append(f"  {method + ' (*)':{width}s}" + "".join(f"{cell(values.get(p)):>18s}" for p in pairs))
    for backbone, title in (("resnet50", "ResNet50 + ROI"), ("vgg19", "VGG19 + ROI")):
        lines.append(f"  {title:{width}s}" + "".join(f"{cell(reported.TABLE_III.get((*p, backbone))):>18s}"
                                                     for p in pairs))
    lines += ["", f"(*) {PUBLISHED}."]
    return lines


def published_tables_page(pdf) -> None:
    """One report page: :func:`published_table_lines`."""
    import matplotlib.pyplot as plt

    from common.reporting import figures

    fig = figures.text_page("le2020: Tables II and III as published (other methods: not run by us)",
                            published_table_lines())
    pdf.savefig(fig)
    plt.close(fig)


def example_pages(pdf, dataset: str, results: Mapping[str, Any], context: Mapping[str, Any], config,
                  per_class: int = 1) -> None:
    """Table I beside our counts, then example dynamic images with their ROIs (Fig. 2) per class.

    Face images (the onset frame, the dynamic image) are drawn only for a synthetic corpus or when
    the user allowed faces (``context.allow_faces``); otherwise the page says why they are absent.
    """
    import matplotlib.pyplot as plt

    from common.datasets import load
    from common.reporting import figures

    root = Path(results["corpus"]["root"])
    selection = make_selection({dataset: load(dataset, root)}, (dataset,))
    title = f"le2020: {dataset} inputs"
    lines = table_i_lines(dataset, selection)
    allow = bool(context.allow_faces) or results.get("corpus", {}).get("kind") == "synthetic"
    if not allow:
        lines += ["", "Example dynamic images are omitted: licensed data (run with --allow-faces for private use)."]
    fig = figures.text_page(title, lines)
    pdf.savefig(fig)
    plt.close(fig)
    if not allow:
        return
    chosen = [i for c in range(len(selection.class_names)) for i in np.flatnonzero(selection.labels == c)[:per_class]]
    fig, axes = plt.subplots(len(chosen), 3, figsize=figures.A4, squeeze=False)
    fig.suptitle(f"{dataset}: onset frame, dynamic image with ROIs (Fig. 2), CNN input "
                 f"(alpha={config.magnification.alpha}, regions={config.regions.combine}, "
                 f"landmarks on {config.regions.landmarks_on})", fontsize=9)
    for row, index in zip(axes, chosen):
        sample = selection.samples[index]
        arrays = sample_inputs(sample, config)
        frames, _ = face_frames(sample, config.data)
        cnn_input = region_image(arrays["dynamic_image"], arrays["points"], config.regions,
                                 int(config.model.input_size))
        panels = (frames[0], draw_regions(arrays["dynamic_image"], arrays["points"], config.regions),
                  cnn_input[..., :3])
        labels = (f"{sample.key}", f"{selection.class_names[selection.labels[index]]}", "input (first 3 channels)")
        for ax, image, label in zip(row, panels, labels):
            ax.imshow(image)
            ax.set_title(label, fontsize=7)
            ax.axis("off")
    pdf.savefig(fig)
    plt.close(fig)


__all__ = [
    "FOUR_CLASSES", "SMIC_CLASSES", "LABEL_MAPS", "make_selection", "class_counts", "check_weights", "make_folds",
    "face_frames",
    "compute_inputs", "sample_inputs", "region_image", "preprocess", "prepare_inputs", "fold_model",
    "run_fold", "draw_regions",
    "table_i_lines", "published_table_lines", "published_tables_page", "example_pages",
]
