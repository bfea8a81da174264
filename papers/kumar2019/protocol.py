"""Protocol of Kumar, Theagarajan, Peraza, Bhanu, "Classification of facial micro-expressions
using motion magnified emotion avatar images", CVPR Workshops 2019: labels and databases
(Sec. 4.1, Table 2), inputs (Sec. 3.1-3.4, Fig. 1), folds (Sec. 4, Table 7) and training (Sec. 3.5).

Input pipeline of one clip at one magnification factor alpha (Fig. 1), cached per (clip, alpha):

1. every frame of the clip, with dlib's 68 landmarks on every frame (Sec. 3.3; the paper used
   OpenFace); the face cropped with a fixed square box around the first frame's landmarks and
   resized to ``face.crop_size`` (Sec. 3: CASME II / SMIC come cropped, SAMM was cropped with a
   CLM; we crop all three the same way);
2. Eulerian motion magnification of the face clip by alpha (Sec. 3.1; ``magnification.magnify``);
3. removal of the frames with low textural variance (Sec. 3.2; ``texture.texture_probabilities``);
4. every kept frame registered to the first frame with a 6-DoF affine on the landmarks and the
   registered frames averaged: the Emotion Avatar Image (Sec. 3.3-3.4; ``avatar.emotion_avatar_image``).

Training EAIs are made at alpha = 5, 10 and 15 (Sec. 3.1.1), per class as many of them as balance the
training fold's classes (Sec. 2 / 2.1, :func:`class_alphas`; ``magnification.balance="none"``: all three for
every clip); test EAIs at alpha = 10 (Sec. 3.1.1).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from common.experiment import Fold, FoldContext, FoldOutcome, Selection

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


# ----------------------------------------------------------------------------- inputs (Sec. 3.1-3.4)
def face_box(points: np.ndarray, margin: float) -> tuple[int, int, int]:
    """(left, top, side) of a square around the landmarks' bounding box, grown by ``margin`` x side."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = (lo + hi) / 2.0
    side = max(int(round(float((hi - lo).max()) * (1.0 + 2.0 * margin))), 2)
    left, top = (int(round(v)) for v in centre - side / 2.0)
    return left, top, side


def face_clip(sample, face_config, root: Path | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """(frames (T, S, S, 3) uint8, points (T, 68, 2) float32 in crop pixels, note) of a clip.

    Landmarks: ``faces.sample_landmarks`` (cached; default one detection on the first frame and
    the 68 points on every frame). Crop: one fixed square box from the first frame's landmarks
    (``face.crop_margin``), zero-padded outside the image, resized to ``face.crop_size``.
    """
    import cv2

    from common.preprocessing.faces import sample_landmarks
    from common.preprocessing.io import read_frames
    from common.preprocessing.regions import crop_padded

    found = sample_landmarks(sample, mode=face_config.landmarks, root=root)
    frames = read_frames(sample.frames, "rgb")
    if len(frames) != len(found.points):
        raise ValueError(f"{sample.key}: {len(frames)} frames but {len(found.points)} landmark sets")
    size = int(face_config.crop_size)
    left, top, side = face_box(found.points[0].astype(np.float64), float(face_config.crop_margin))
    interpolation = cv2.INTER_AREA if side >= size else cv2.INTER_LINEAR
    crops = np.stack([cv2.resize(crop_padded(f, left, top, left + side, top + side), (size, size),
                                 interpolation=interpolation) for f in frames])
    points = (found.points.astype(np.float64) - np.array([left, top])) * (size / side)
    return crops, points.astype(np.float32), found.fallback or ""


def magnify_clip(frames: np.ndarray, alpha: float, fps: float, mag_config) -> np.ndarray:
    """Sec. 3.1: Eulerian magnification by ``alpha`` in the ``low_hz``-``high_hz`` band at the
    clip's frame rate (IIR filters, Laplacian pyramid); alpha 0 returns the clip unchanged."""
    from common.preprocessing.magnification import magnify

    if alpha == 0 or len(frames) < 2:
        return frames
    return magnify(frames, float(alpha), float(fps), low_hz=float(mag_config.low_hz),
                   high_hz=float(mag_config.high_hz), lambda_c=float(mag_config.lambda_c),
                   chrom_attenuation=float(mag_config.chrom_attenuation))


def texture_window(n_frames: int, texture_config) -> int:
    """Sec. 3.2's sliding window for a clip of ``n_frames``: N = 61 (``window_rule="padded"``, the clip padded
    at its ends, or ``"fixed"``), or with ``window_rule="clip"`` (README ledger 7) ``texture.clip_window``: 61
    from 122 frames, else about T / 2."""
    from common.preprocessing.texture import clip_window

    rule = texture_config.window_rule
    if rule in ("padded", "fixed"):
        return int(texture_config.window)
    if rule == "clip":  # DEVIATION: N < 61 on clips under 122 frames (README ledger 7; the paper is silent there)
        return clip_window(n_frames, int(texture_config.window))
    raise ValueError(f"texture.window_rule={rule!r}: expected 'padded', 'clip' or 'fixed'")


def texture_scores(frames: np.ndarray, texture_config) -> dict[str, Any]:
    """Sec. 3.2 of one clip: {"intensity" (T,) A_t (Eq. 9, Fig. 4), "probabilities" (T,), "kept" (T,) bool,
    "window": N}; frames with probability below the threshold are removed. Disabled: every frame kept
    (probability 1, intensity NaN)."""
    from common.preprocessing.texture import probabilities_from_intensity, texture_intensity

    n_frames = len(frames)
    if not texture_config.enabled:
        return {"intensity": np.full(n_frames, np.nan), "probabilities": np.ones(n_frames),
                "kept": np.ones(n_frames, dtype=bool), "window": 0}
    window = texture_window(n_frames, texture_config)
    # "clip": Eq. 7's temporal bins in units of the paper's 61-frame window, so a shorter window keeps the same
    # temporal frequencies (and D0 = 30 still selects some bins); "fixed": the window's own bins (as before).
    bin_window = int(texture_config.window) if texture_config.window_rule == "clip" else None
    # "padded": N = 61 on every clip; the frames past the clip's ends are the clip mirrored (texture.padding).
    # DEVIATION: the padding itself is ours (the paper is silent on windows at the ends, README ledger 7).
    pad = texture_config.padding if texture_config.window_rule == "padded" else None
    intensity = texture_intensity(frames, window=window, blocks=int(texture_config.blocks), d0=float(texture_config.d0),
                                  bin_window=bin_window, pad=pad)
    probabilities = probabilities_from_intensity(intensity, texture_config.method)
    kept = probabilities >= float(texture_config.threshold)
    if not kept.any():  # cannot happen with the Gaussian rule (some frame is >= the mean); kept for safety
        kept[:] = True
    return {"intensity": intensity, "probabilities": probabilities, "kept": kept, "window": int(window)}


def kept_frames(frames: np.ndarray, texture_config) -> tuple[np.ndarray, np.ndarray]:
    """Sec. 3.2: (probabilities (T,), kept (T,) bool) of :func:`texture_scores`."""
    scores = texture_scores(frames, texture_config)
    return scores["probabilities"], scores["kept"]


def clip_psnr(magnified: np.ndarray, frames: np.ndarray) -> float:
    """Fig. 3: PSNR (dB, peak 255) of a magnified clip against the unmagnified clip, over all its frames and
    pixels (``skimage.metrics.peak_signal_noise_ratio``); inf when they are equal (alpha 0)."""
    from skimage.metrics import peak_signal_noise_ratio

    if np.array_equal(magnified, frames):
        return float("inf")
    return float(peak_signal_noise_ratio(np.asarray(frames), np.asarray(magnified), data_range=255))


def compute_eai(frames: np.ndarray, points: np.ndarray, fps: float, alpha: float, config) -> dict[str, np.ndarray]:
    """Fig. 1 for one face clip at one alpha: magnify (3.1) -> drop low-texture frames (3.2) ->
    register to the first frame and average (3.3-3.4). Returns {"eai": (s, s, 3) uint8 at
    ``model.input_size``, "kept": (T,) bool, "probabilities": (T,), "intensity": (T,) A_t (Fig. 4),
    "window": the texture window N, "psnr": the magnified clip's PSNR against the clip (Fig. 3)}."""
    from common.preprocessing.avatar import emotion_avatar_image

    magnified = magnify_clip(frames, alpha, fps, config.magnification)
    texture = texture_scores(magnified, config.texture)
    size = int(config.model.input_size)
    # Landmarks of the unmagnified frames, used for the magnified ones (same pixel grid).
    eai = emotion_avatar_image(magnified, points, keep=texture["kept"], size=(size, size))
    return {"eai": eai, "kept": texture["kept"], "probabilities": texture["probabilities"].astype(np.float32),
            "intensity": texture["intensity"].astype(np.float64), "window": np.int64(texture["window"]),
            "psnr": np.float64(clip_psnr(magnified, frames))}


def eai_params(sample, alpha: float, config) -> dict[str, Any]:
    """Everything a cached EAI depends on besides the clip's frames (its cache parameters)."""
    return {"version": 2,  # 2: the entries hold the texture intensities, window and PSNR (Figs. 3-4)
            "alpha": float(alpha), "face": config.face, "texture": config.texture,
            "band": [config.magnification.low_hz, config.magnification.high_hz],
            "lambda_c": config.magnification.lambda_c, "chrom_attenuation": config.magnification.chrom_attenuation,
            "size": int(config.model.input_size), "fps": float(sample.fps),
            "onset": sample.onset, "apex": sample.apex, "offset": sample.offset}


def _clip_loader(sample, face_config, root: Path | None):
    """A function returning (frames, points) of the face clip, read and landmarked at most once."""
    clip: dict[str, Any] = {}

    def face() -> tuple[np.ndarray, np.ndarray]:
        if not clip:
            clip["frames"], clip["points"], clip["note"] = face_clip(sample, face_config, root)
        return clip["frames"], clip["points"]

    return face


def sample_eais(sample, alphas: Sequence[float], config, root: Path | None = None,
                face=None) -> dict[float, dict[str, np.ndarray]]:
    """{alpha: :func:`compute_eai` result} through the stage cache, one entry per (clip, alpha);
    the clip is read and landmarked at most once, and only when some alpha is missing."""
    from common.preprocessing.cache import cached, sample_fingerprint

    face = face or _clip_loader(sample, config.face, root)
    out = {}
    fingerprint = sample_fingerprint(sample)
    for alpha in alphas:
        def compute(alpha=alpha):
            frames, points = face()
            return compute_eai(frames, points, sample.fps, alpha, config)

        out[float(alpha)] = cached("kumar2019_eai", fingerprint, eai_params(sample, alpha, config), compute, root=root)
    return out


def registered_first_frame(frames: np.ndarray, points: np.ndarray, config) -> np.ndarray:
    """The clip's first frame registered as in its EAI (Sec. 3.3: the first frame is the reference):
    (s, s, 3) uint8 at ``model.input_size``. Eulerian magnification adds nothing to the first frame
    (both low-passes start from it, ``magnification.magnify``), so this is the first registered frame
    of the magnified clip at every alpha."""
    from common.preprocessing.avatar import emotion_avatar_image

    size = int(config.model.input_size)
    return emotion_avatar_image(frames[:1], points[:1], size=(size, size))


def sample_first_frame(sample, config, root: Path | None = None, face=None) -> np.ndarray:
    """:func:`registered_first_frame` of a clip through the stage cache (stage ``kumar2019_first_frame``,
    one entry per clip; the EAI entries are not touched)."""
    from common.preprocessing.cache import cached, sample_fingerprint

    face = face or _clip_loader(sample, config.face, root)
    params = {"face": config.face, "size": int(config.model.input_size)}
    return cached("kumar2019_first_frame", sample_fingerprint(sample), params,
                  lambda: registered_first_frame(*face(), config), root=root)


def training_alphas(mag_config) -> tuple[float, ...]:
    """Sec. 3.1.1: the training set is made of the EAIs at alpha 5, 10 and 15 (plus the
    unmagnified EAI, alpha 0, with ``train_include_original``)."""
    alphas = tuple(float(a) for a in mag_config.train_alphas)
    if not alphas:
        raise ValueError("magnification.train_alphas is empty: the training set would be empty")
    return ((0.0,) if mag_config.train_include_original else ()) + alphas


def class_alphas(train_labels: Sequence[int], mag_config, n_classes: int) -> dict[int, tuple[float, ...]]:
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


def training_plan(indices: Sequence[int], mag_config, labels: Sequence[int] | None = None,
                  n_classes: int | None = None) -> list[tuple[int, float]]:
    """(sample index, alpha) of every training image (Sec. 3.1.1): each clip once per alpha of its class
    (:func:`class_alphas`, from the training clips' ``labels[indices]``). ``balance="none"``: every clip at every
    training alpha, ``len(indices) x len(training_alphas)`` images."""
    indices = [int(i) for i in indices]
    if mag_config.balance == "none":
        return [(i, alpha) for i in indices for alpha in training_alphas(mag_config)]
    if labels is None:
        raise ValueError("training_plan: magnification.balance='classes' needs the labels of the samples")
    labels = np.asarray(labels, dtype=int)
    n_classes = int(n_classes if n_classes is not None else labels.max() + 1)
    per_class = class_alphas(labels[indices], mag_config, n_classes)
    return [(i, alpha) for i in indices for alpha in per_class[int(labels[i])]]


IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)  # torchvision convention (choice)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 EAIs (N, s, s, 3) -> float32 scaled to [0, 1] and normalised per channel with the
    ImageNet mean and standard deviation (choice: the paper gives no input normalisation)."""
    return (np.asarray(images, dtype=np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD


def model_input(eais: np.ndarray, first_frames: np.ndarray | None = None) -> np.ndarray:
    """The CNN input of a stack of EAIs: :func:`preprocess` of the EAIs (the paper), or with
    ``first_frames`` (``data.motion_input="minus_first_frame"``, quick-only DEVIATION, README ledger 21)
    the preprocessed EAI minus the preprocessed first registered frame of the same clip, i.e.
    ``(eai - first) / 255 / std`` per channel (the ImageNet mean cancels)."""
    x = preprocess(eais)
    if first_frames is not None:  # DEVIATION: quick only, the paper feeds the EAI (README ledger 21)
        x = x - preprocess(first_frames)
    return x


def build_inputs(selection: Selection, plan: Sequence[tuple[int, float]], config, root: Path | None = None,
                 log=print) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(x (N, s, s, 3) float32, labels (N,), stats) for a plan of (sample index, alpha)."""
    by_sample: dict[int, list[float]] = {}
    for index, alpha in plan:
        by_sample.setdefault(index, []).append(alpha)
    motion_input = config.data.motion_input
    if motion_input not in ("none", "minus_first_frame"):
        raise ValueError(f"data.motion_input={motion_input!r}: expected 'none' or 'minus_first_frame'")
    eais: dict[tuple[int, float], np.ndarray] = {}
    arrays_by_image: dict[tuple[int, float], dict[str, np.ndarray]] = {}
    firsts: dict[int, np.ndarray] = {}
    kept_fraction = []
    start = time.perf_counter()
    for count, (index, alphas) in enumerate(by_sample.items(), 1):
        sample = selection.samples[index]
        face = _clip_loader(sample, config.face, root)
        for alpha, arrays in sample_eais(sample, alphas, config, root, face=face).items():
            eais[(index, alpha)] = arrays["eai"]
            arrays_by_image[(index, alpha)] = arrays
            kept_fraction.append(float(np.mean(arrays["kept"])))
        if motion_input == "minus_first_frame":
            firsts[index] = sample_first_frame(sample, config, root, face=face)
        if count % 25 == 0 or count == len(by_sample):
            log(f"  EAIs {count}/{len(by_sample)} clips ({time.perf_counter() - start:.1f} s)")
    x = model_input(np.stack([eais[(i, float(a))] for i, a in plan]),
                    np.stack([firsts[i] for i, _ in plan]) if motion_input == "minus_first_frame" else None)
    y = np.array([selection.labels[i] for i, _ in plan], dtype=int)
    return x, y, {"images": len(plan), "mean_kept_fraction": float(np.mean(kept_fraction)),
                  "motion_input": motion_input, "arrays": arrays_by_image}


def _finite(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def figure_extras(selection: Selection, arrays: Mapping[tuple[int, float], Mapping[str, np.ndarray]],
                  test_alpha: float) -> dict[str, Any]:
    """What Figs. 3 and 4 need, from the fold's own preprocessing (the report only draws it):
    ``psnr``: {clip key: {alpha: PSNR dB}} of every clip and alpha the fold used (Fig. 3);
    ``texture``: {clip key: {"dataset", "class", "window", "intensity", "probabilities", "kept"}} of the fold's
    test clips at the test alpha (Fig. 4: texture intensity per frame, and which frames Sec. 3.2 removed)."""
    psnr: dict[str, dict[str, float | None]] = {}
    texture: dict[str, dict[str, Any]] = {}
    for (index, alpha), values in arrays.items():
        sample = selection.samples[index]
        psnr.setdefault(sample.key, {})[f"{alpha:g}"] = _finite(values["psnr"]) if "psnr" in values else None
        if float(alpha) == float(test_alpha) and "intensity" in values:
            texture[sample.key] = {
                "dataset": sample.dataset, "class": selection.class_names[selection.labels[index]],
                "window": int(values["window"]), "intensity": [_finite(v) for v in values["intensity"]],
                "probabilities": [float(v) for v in values["probabilities"]],
                "kept": [bool(v) for v in values["kept"]]}
    return {"psnr": psnr, "texture": texture}


# ----------------------------------------------------------------------------- example inputs (report)
EXAMPLE_ALPHAS = (0.0, 5.0, 10.0, 15.0)  # plain EAI, then the three magnifications of Sec. 3.1.1


def example_indices(selection: Selection) -> list[int]:
    """The clips whose inputs the report shows: the first clip of each class of each database in the selection
    (at most 3 per class), in selection order."""
    seen: set[tuple[str, int]] = set()
    chosen = []
    for index, (sample, label) in enumerate(zip(selection.samples, selection.labels)):
        if (sample.dataset, int(label)) not in seen:
            seen.add((sample.dataset, int(label)))
            chosen.append(index)
    return chosen


def save_examples(ctx: FoldContext) -> dict[str, Any] | None:
    """The example inputs of the fold's test clips among :func:`example_indices`, for the report's example page
    (it only draws them): ``examples.npz`` in the fold's work dir with ``face`` (n, S, S, 3) the first face
    frame, ``eai`` (n, 4, s, s, 3) the EAIs at :data:`EXAMPLE_ALPHAS` (through the stage cache) and, with
    ``data.motion_input="minus_first_frame"``, ``first`` (n, s, s, 3) the first registered frame. Returns the
    fold's ``extra["examples"]`` ({"path", "alphas", "clips": [{"key", "dataset", "class", "kept"}]}) or None."""
    cfg, selection = ctx.config, ctx.selection
    tested = {int(i) for i in ctx.fold.test}
    chosen = [i for i in example_indices(selection) if i in tested]
    if not chosen:
        return None
    faces, eais, firsts, clips = [], [], [], []
    for index in chosen:
        sample = selection.samples[index]
        face = _clip_loader(sample, cfg.face, ctx.cache_dir)
        by_alpha = sample_eais(sample, EXAMPLE_ALPHAS, cfg, ctx.cache_dir, face=face)
        faces.append(face()[0][0])
        eais.append(np.stack([by_alpha[a]["eai"] for a in EXAMPLE_ALPHAS]))
        if cfg.data.motion_input == "minus_first_frame":
            firsts.append(sample_first_frame(sample, cfg, ctx.cache_dir, face=face))
        clips.append({"key": sample.key, "dataset": sample.dataset,
                      "class": selection.class_names[selection.labels[index]],
                      "kept": [[int(by_alpha[a]["kept"].sum()), int(len(by_alpha[a]["kept"]))] for a in EXAMPLE_ALPHAS]})
    from common.files import atomic_write

    path = Path(ctx.work_dir) / "examples.npz"
    arrays = {"face": np.stack(faces), "eai": np.stack(eais)}
    if firsts:
        arrays["first"] = np.stack(firsts)
    with atomic_write(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    return {"path": str(path), "alphas": list(EXAMPLE_ALPHAS), "clips": clips}


# ----------------------------------------------------------------------------- one fold (Sec. 3.5)
def fold_model(cfg, n_classes: int):
    """The compiled ``resnet34_eai`` of a fold, in exactly the state of a freshly built one.

    ``common.training.compiled_like``: each fold builds the network afresh (after the runner's seeding) and
    its start is copied into the one compiled model kept per configuration, so Keras reuses the traced
    train/predict functions instead of retracing ResNet-34 every fold. Not a deviation: the same training.
    """
    import keras

    from common.training import compiled_like
    from papers.kumar2019.model import MODEL_NAME, build_model

    key = ("kumar2019", MODEL_NAME, cfg.model, cfg.train, bool(cfg.random_flip), int(n_classes))
    # Table 1 weight decay: L2 on every kernel, nested backbone included (compile_model)
    return compiled_like(key, build_model(cfg, n_classes), cfg.train, keras.losses.CategoricalCrossentropy())


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """Train ResNet-34 on the fold's training EAIs (alpha 5/10/15) and classify its test EAIs (alpha 10)."""
    from common.evaluation.fold import class_counts, fit_and_predict, n_classes

    started = time.perf_counter()
    cfg, selection, fold = ctx.config, ctx.selection, ctx.fold
    classes = n_classes(ctx)
    train_plan = training_plan(fold.train, cfg.magnification, selection.labels, classes)  # Sec. 3.1.1
    per_class = class_alphas(selection.labels[np.asarray(fold.train, dtype=int)], cfg.magnification, classes)
    test_plan = [(int(i), float(cfg.magnification.test_alpha)) for i in fold.test]
    x_train, y_train, train_stats = build_inputs(selection, train_plan, cfg, ctx.cache_dir, ctx.log)
    x_test, _, test_stats = build_inputs(selection, test_plan, cfg, ctx.cache_dir, ctx.log)
    examples = save_examples(ctx)

    model = fold_model(cfg, classes)
    extra = {"train_images": train_stats["images"], "test_images": test_stats["images"],
             "train_alphas": list(training_alphas(cfg.magnification)), "test_alpha": cfg.magnification.test_alpha,
             "mean_kept_fraction_train": train_stats["mean_kept_fraction"],
             "mean_kept_fraction_test": test_stats["mean_kept_fraction"],
             "motion_input": train_stats["motion_input"], "balance": cfg.magnification.balance,
             "class_alphas": {selection.class_names[c]: list(a) for c, a in per_class.items()},
             "train_images_per_class": {name: int(np.sum(y_train == c)) for c, name in enumerate(selection.class_names)},
             "train_clips_per_class": class_counts(selection, fold.train),
             **figure_extras(selection, {**train_stats["arrays"], **test_stats["arrays"]},
                             float(cfg.magnification.test_alpha))}
    if examples is not None:
        extra["examples"] = examples
    return fit_and_predict(ctx, model, x_train, x_test, y_train=y_train, verbose_every_epoch=True,
                           started=started, extra=extra)


# ----------------------------------------------------------------------------- --estimate hooks
def training_stages(config, selection: Selection, fold: Fold) -> list:
    """The one model a fold trains (Sec. 3.5): ResNet-34 at ``model.input_size`` on the fold's training EAIs
    after the alpha augmentation (Sec. 3.1.1, :func:`training_plan`), for ``train.epochs`` of ``train.batch_size``."""
    import keras

    from common.experiment import TrainingStage
    from common.training import compile_model
    from papers.kumar2019.model import MODEL_NAME, build_model

    classes = len(selection.class_names)
    samples = len(training_plan(fold.train, config.magnification, selection.labels, classes))
    return [TrainingStage(model=MODEL_NAME, samples=samples, epochs=int(config.train.epochs),
                          batch_size=int(config.train.batch_size),
                          build=lambda: compile_model(build_model(config, classes), config.train,
                                                      loss=keras.losses.CategoricalCrossentropy()))]


def cache_clip(sample, alphas: Sequence[float], config, root: Path | None = None) -> None:
    """Cache what the folds read of one clip: its EAIs at ``alphas`` and, with
    ``data.motion_input="minus_first_frame"``, its first registered frame (the clip read and landmarked at most once)."""
    face = _clip_loader(sample, config.face, root)
    sample_eais(sample, alphas, config, root, face=face)
    if config.data.motion_input == "minus_first_frame":
        sample_first_frame(sample, config, root, face=face)


def first_pass(selection: Selection, folds: Sequence[Any], config) -> list[tuple[str, Any]]:
    """``Experiment.first_pass`` (``--preprocess-workers``, common.evaluation.first_pass): per clip the
    folds read, the alphas they read it at: the training plan of each fold (Sec. 3.1.1, class-balanced), the
    test alpha, and for the report's example clips among the tested ones :data:`EXAMPLE_ALPHAS`."""
    import functools

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


__all__ = [
    "CLASSES", "SOURCE_DATABASES", "select", "folds", "face_box", "face_clip", "magnify_clip", "texture_window",
    "texture_scores", "kept_frames", "clip_psnr", "compute_eai", "eai_params", "sample_eais", "registered_first_frame",
    "sample_first_frame", "training_alphas", "class_alphas", "training_plan", "figure_extras", "preprocess",
    "model_input", "build_inputs", "EXAMPLE_ALPHAS", "example_indices", "save_examples", "fold_model", "run_fold",
    "training_stages", "preprocess_clip", "cache_clip", "first_pass",
]
