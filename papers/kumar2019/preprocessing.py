"""Inputs of Kumar, Theagarajan, Peraza, Bhanu, "Classification of facial micro-expressions using
motion magnified emotion avatar images", CVPR Workshops 2019 (Sec. 3.1-3.4, Fig. 1).

Input pipeline of one clip at one magnification factor alpha (Fig. 1), cached per (clip, alpha):

1. every frame of the clip, with dlib's 68 landmarks on every frame (Sec. 3.3; the paper used
   OpenFace); the face cropped with a fixed square box around the first frame's landmarks and
   resized to ``face.crop_size`` (Sec. 3: CASME II / SMIC come cropped, SAMM was cropped with a
   CLM; we crop all three the same way);
2. Eulerian motion magnification of the face clip by alpha (Sec. 3.1; ``magnification.magnify``);
3. removal of the frames with low textural variance (Sec. 3.2; ``texture.texture_probabilities``);
4. every kept frame registered to the first frame with a 6-DoF affine on the landmarks and the
   registered frames averaged: the Emotion Avatar Image (Sec. 3.3-3.4; ``avatar.emotion_avatar_image``).

Also the CNN input of a stack of EAIs (:func:`model_input`), a fold's inputs (:func:`build_inputs`), what
Figs. 3 and 4 need (:func:`figure_extras`) and the report's example inputs (:func:`save_examples`). Which
alphas a training clip gets is the protocol's (``protocol.training_plan``).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, cast
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from common.experiment import FoldContext, Selection
from common.files import atomic_write
from common.preprocessing.avatar import emotion_avatar_image
from common.preprocessing.cache import cached, sample_fingerprint
from common.preprocessing.faces import sample_landmarks
from common.preprocessing.io import read_frames
from common.preprocessing.regions import crop_padded
import cv2

logger = logging.getLogger(__name__)


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


# A function returning (frames, points) of one face clip (:func:`_clip_loader`).
FaceLoader = Callable[[], tuple[np.ndarray, np.ndarray]]


def _clip_loader(sample, face_config, root: Path | None) -> FaceLoader:
    """A function returning (frames, points) of the face clip, read and landmarked at most once."""
    clip: dict[str, Any] = {}

    def face() -> tuple[np.ndarray, np.ndarray]:
        if not clip:
            clip["frames"], clip["points"], clip["note"] = face_clip(sample, face_config, root)
        return clip["frames"], clip["points"]

    return face


def sample_eais(sample, alphas: Sequence[float], config, root: Path | None = None,
                face: FaceLoader | None = None) -> dict[float, dict[str, np.ndarray]]:
    """{alpha: :func:`compute_eai` result} through the stage cache, one entry per (clip, alpha);
    the clip is read and landmarked at most once, and only when some alpha is missing."""
    face = face or _clip_loader(sample, config.face, root)
    out: dict[float, dict[str, np.ndarray]] = {}
    fingerprint = sample_fingerprint(sample)
    for alpha in alphas:
        def compute(alpha=alpha):
            frames, points = face()
            return compute_eai(frames, points, sample.fps, alpha, config)

        arrays = cached("kumar2019_eai", fingerprint, eai_params(sample, alpha, config), compute, root=root)
        out[float(alpha)] = cast(dict[str, np.ndarray], arrays)  # a dict: the stage stores what compute_eai returns
    return out


def registered_first_frame(frames: np.ndarray, points: np.ndarray, config) -> np.ndarray:
    """The clip's first frame registered as in its EAI (Sec. 3.3: the first frame is the reference):
    (s, s, 3) uint8 at ``model.input_size``. Eulerian magnification adds nothing to the first frame
    (both low-passes start from it, ``magnification.magnify``), so this is the first registered frame
    of the magnified clip at every alpha."""
    size = int(config.model.input_size)
    return emotion_avatar_image(frames[:1], points[:1], size=(size, size))


def sample_first_frame(sample, config, root: Path | None = None, face: FaceLoader | None = None) -> np.ndarray:
    """:func:`registered_first_frame` of a clip through the stage cache (stage ``kumar2019_first_frame``,
    one entry per clip; the EAI entries are not touched)."""
    face = face or _clip_loader(sample, config.face, root)
    params = {"face": config.face, "size": int(config.model.input_size)}
    first = cached("kumar2019_first_frame", sample_fingerprint(sample), params,
                   lambda: registered_first_frame(*face(), config), root=root)
    return cast(np.ndarray, first)  # an array: the stage stores what registered_first_frame returns


IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)  # torchvision convention (choice)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def cache_clip(sample, alphas: Sequence[float], config, root: Path | None = None) -> None:
    """Cache what the folds read of one clip: its EAIs at ``alphas`` and, with
    ``data.motion_input="minus_first_frame"``, its first registered frame (the clip read and landmarked at most
    once)."""
    face = _clip_loader(sample, config.face, root)
    sample_eais(sample, alphas, config, root, face=face)
    if config.data.motion_input == "minus_first_frame":
        sample_first_frame(sample, config, root, face=face)


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


def eai_inputs(samples: Sequence[Any], plan: Sequence[tuple[int, float]], config,
               root: Path | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """(x (N, s, s, 3) float32, stats) for a plan of (position in ``samples``, alpha): the one input function
    of a fold's training and test EAIs and of a new recording's (``protocol.predict_clips``)."""
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
        sample = samples[index]
        face = _clip_loader(sample, config.face, root)
        for alpha, arrays in sample_eais(sample, alphas, config, root, face=face).items():
            eais[(index, alpha)] = arrays["eai"]
            arrays_by_image[(index, alpha)] = arrays
            kept_fraction.append(float(np.mean(arrays["kept"])))
        if motion_input == "minus_first_frame":
            firsts[index] = sample_first_frame(sample, config, root, face=face)
        if count % 25 == 0 or count == len(by_sample):
            logger.info(f"  EAIs {count}/{len(by_sample)} clips ({time.perf_counter() - start:.1f} s)")
    x = model_input(np.stack([eais[(i, float(a))] for i, a in plan]),
                    np.stack([firsts[i] for i, _ in plan]) if motion_input == "minus_first_frame" else None)
    return x, {"images": len(plan), "mean_kept_fraction": float(np.mean(kept_fraction)),
               "motion_input": motion_input, "arrays": arrays_by_image}


def build_inputs(selection: Selection, plan: Sequence[tuple[int, float]], config,
                 root: Path | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(x (N, s, s, 3) float32, labels (N,), stats) for a plan of (sample index, alpha) (:func:`eai_inputs`)."""
    x, stats = eai_inputs(selection.samples, plan, config, root)
    return x, np.array([selection.labels[i] for i, _ in plan], dtype=int), stats


def predict_inputs(samples: Sequence[Any], indices: Sequence[int] | np.ndarray, config,
                   root: Path | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """(x, stats) of the clips a model predicts (:func:`eai_inputs`): each clip once, its EAI at the test alpha
    (Sec. 3.1.1, ``magnification.test_alpha``). A fold's test clips and a new recording's go through here alike."""
    return eai_inputs(samples, [(int(i), float(config.magnification.test_alpha)) for i in indices], config, root)


def _finite(value: float | np.ndarray) -> float | None:  # a number or a one-element array
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
                      "kept": [[int(by_alpha[a]["kept"].sum()), int(len(by_alpha[a]["kept"]))]
                               for a in EXAMPLE_ALPHAS]})

    path = Path(ctx.work_dir) / "examples.npz"
    arrays = {"face": np.stack(faces), "eai": np.stack(eais)}
    if firsts:
        arrays["first"] = np.stack(firsts)
    with atomic_write(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub: ** might name allow_pickle
    return {"path": str(path), "alphas": list(EXAMPLE_ALPHAS), "clips": clips}


__all__ = [
    "face_box", "face_clip", "magnify_clip", "texture_window", "texture_scores", "kept_frames", "clip_psnr",
    "compute_eai", "eai_params", "sample_eais", "registered_first_frame", "sample_first_frame", "cache_clip",
    "preprocess", "model_input", "eai_inputs", "build_inputs", "predict_inputs", "figure_extras", "EXAMPLE_ALPHAS",
    "example_indices", "save_examples",
]
