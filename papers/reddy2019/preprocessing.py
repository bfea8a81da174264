"""The inputs of Reddy et al. (IJCNN 2019): which frames, which crops, which scaling (Sec. III, IV).

S. P. T. Reddy, S. T. Karri, S. R. Dubey, S. Mukherjee, "Spontaneous Facial Micro-Expression
Recognition using 3D Spatiotemporal Convolutional Neural Networks", IJCNN 2019.

* Frames (Sec. IV-A): CAS(ME)^2, a ``frames``-long window of the long video centred on the apex;
  SMIC, the first ``frames`` frames (the authors' code; sorted). In the benchmark (``data.resample_frames``)
  a clip neither rule can take is resampled uniformly to ``frames`` frames (README "In the benchmark").
* Crops: MicroExpSTCNN, the "full face" (first frame's dlib box, Sec. II / III-A; or the code's whole
  frame); MicroExpFuseNet, the eyes and nose-mouth boxes of the authors' scripts on aligned frames
  (Sec. III-B, :func:`reddy_crops`). Grey, cached per clip (``common.preprocessing.cache``).
* Scaling: the code's ``x -= mean; x /= max`` (:func:`normalise`), or the quick profile's
  ``data.motion_input="minus_clip_mean"`` (:func:`normalise_clip_mean`, README ledger 15).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import cv2
import numpy as np

from common.errors import MersuiteError
from common.running.first_pass import per_clip
from common.experiment import FoldContext, Selection
from papers.reddy2019.config import ReddyConfig
from common.datasets.discovery import list_frames
from common.preprocessing.cache import cached, frames_fingerprint
from common.preprocessing.faces import clip_landmarks
from common.preprocessing.io import read_frames
from common.preprocessing.temporal import apex_window, resample_indices


class SelectionError(MersuiteError, ValueError):
    """The databases given cannot produce this experiment's selection."""


# ----------------------------------------------------------------------------- frames
_VIDEO_FRAMES: dict[str, list[Path]] = {}


def long_video_frames(video_dir: str | Path) -> list[Path]:
    """Frames of a CAS(ME)^2 long video (``rawpic/sNN/NN_0101...``), sorted by frame number (memoised)."""
    key = str(video_dir)
    if key not in _VIDEO_FRAMES:
        frames = list_frames(Path(video_dir))
        if not frames:
            raise SelectionError(f"{video_dir}: CAS(ME)^2 long-video folder holds no frame (expected img001.jpg ...)")
        _VIDEO_FRAMES[key] = frames
    return _VIDEO_FRAMES[key]


def apex_index(sample, video: list[Path]) -> int:
    """Position in the long video ``video`` of the frame numbered as ``sample``'s apex (its onset when none)."""
    numbers = [int(re.findall(r"\d+", p.stem)[-1]) for p in video]
    centre = sample.apex if sample.apex is not None else sample.onset
    return int(np.argmin(np.abs(np.asarray(numbers) - centre)))


def clip_frame_paths(sample, config: ReddyConfig) -> list[Path]:
    """The ``data.frames`` frame files the model sees for ``sample``.

    CAS(ME)^2: a window of the long video centred on the apex (``temporal.apex_window``);
    SMIC: the first frames of the clip (authors' code; sorted by frame number). With
    ``data.resample_frames`` (the benchmark) any other clip (a SMIC clip shorter than ``frames``, a
    CASME II or SAMM clip) gets ``frames`` frames spread uniformly over it (``temporal.resample_indices``).
    A new recording (``sample.dataset == "recording"``) takes the rule of the experiment's database
    (``data.database``): CAS(ME)^2's apex-centred window inside the recording, SMIC's first frames.
    """
    length = config.data.frames
    if sample.dataset == "recording":  # a new recording (--predict): the frame rule of the experiment's database
        if len(sample.frames) >= length and config.data.database == "casme_sq":
            # the recording plays the long video's part: the window centred on its apex, slid to fit inside it
            return [sample.frames[i] for i in apex_window(len(sample.frames), sample.apex_position, length,
                                                          edge="shift")]
        if len(sample.frames) >= length:  # SMIC: the first frames
            return list(sample.frames[:length])
        if not (config.data.resample_frames and len(sample.frames)):
            raise SelectionError(f"{sample.clip}: {len(sample.frames)} frames, the model needs {length} "
                                 f"(Sec. IV-A: clips of at least {length} frames)")
    if sample.dataset == "casme_sq":
        video = long_video_frames(sample.meta["video_dir"])
        apex = apex_index(sample, video)
        # edge='shift': near the start/end of the long video the window slides to stay inside it
        return [video[i] for i in apex_window(len(video), apex, length, edge="shift")]
    if sample.dataset == "smic" and len(sample.frames) >= length:
        return list(sample.frames[:length])
    if config.data.resample_frames and len(sample.frames):
        # DEVIATION (benchmark only, README "In the benchmark"): the paper has no rule for this clip
        return [sample.frames[i] for i in resample_indices(len(sample.frames), length)]
    rule = "the first frames of a SMIC clip" if sample.dataset == "smic" else f"no frame rule for {sample.dataset}"
    raise ValueError(f"{sample.key}: {len(sample.frames)} frames, the model needs {length} ({rule}; "
                     "data.resample_frames=true resamples it)")


# ----------------------------------------------------------------------------- crops
def reddy_crops(frame: np.ndarray, points, size: int = 32, swap_red_blue: bool = False,
                align: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(eyes, nose_mouth) grey uint8 ``size`` x ``size`` crops (Sec. III-B; docs/methods.md §7.3, authors' code):

    * eyes: rows P19.y : P1.y, cols P1.x : P15.x;
    * nose + mouth: rows P2.y : P6.y, cols P2.x : P14.x;

    each resized with ``cv2.INTER_AREA`` and then converted to grey. The authors call
    ``COLOR_BGR2GRAY`` on imageio's RGB frames (swapped channel weights); we convert RGB frames
    with the correct weights by default (the paper is silent), ``swap_red_blue=True`` copies
    the script. Boxes are clipped to the image.

    ``align=True`` (Sec. III-B: dlib "applied to detect and align face in each frame"; the authors'
    script does not align): the frame is first rotated about the midpoint of the eye centres (mean of
    points 36-41 and 42-47) so that they lie level, the landmarks moved by the same rotation
    (``cv2.getRotationMatrix2D`` / ``warpAffine``, black outside the image), then cut as above.
    """
    frame = np.asarray(frame)
    height, width = frame.shape[:2]
    points = np.asarray(points, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"reddy_crops: expected (68, 2) landmarks (x, y), got shape {points.shape}")
    if align:
        right, left = points[36:42].mean(0), points[42:48].mean(0)
        angle = float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))
        centre = tuple(float(v) for v in (right + left) / 2)
        rotation = cv2.getRotationMatrix2D(centre, angle, 1.0)
        frame = cv2.warpAffine(np.ascontiguousarray(frame), rotation, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        points = np.hstack([points, np.ones((len(points), 1))]) @ rotation.T
    p = np.rint(points).astype(int)

    def crop(rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
        r0, r1 = np.clip(rows, 0, height)
        c0, c1 = np.clip(cols, 0, width)
        if r1 <= r0 or c1 <= c0:
            raise ValueError(f"Reddy crop is empty: rows {rows}, cols {cols} in a {frame.shape} frame")
        patch = cv2.resize(np.ascontiguousarray(frame[r0:r1, c0:c1]), (size, size), interpolation=cv2.INTER_AREA)
        if patch.ndim == 3:
            patch = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY if swap_red_blue else cv2.COLOR_RGB2GRAY)
        return patch

    eyes = crop((p[19, 1], p[1, 1]), (p[1, 0], p[15, 0]))
    nose_mouth = crop((p[2, 1], p[6, 1]), (p[2, 0], p[14, 0]))
    return eyes, nose_mouth


def read_clip(paths: list[Path], config: ReddyConfig) -> dict[str, np.ndarray]:
    """Grey uint8 inputs of one clip: ``face`` (T, size, size) and/or ``eyes``/``mouth`` (T, crop, crop)."""
    if config.model.name == "microexpstcnn":
        if not config.data.face_crop:
            # DEVIATION: the authors' code: the whole frame resized to 64x64 (INTER_AREA) and made grey;
            # the paper's "full face" is data.face_crop=true (the default, README ledger 16)
            return {"face": read_frames(paths, "gray", size=(config.data.size, config.data.size))}
        # Sec. II / III-A "full face": the first frame's dlib box (bbox of its 68 landmarks, squared, 5%
        # margin) cut from every frame and resized to data.size (regions.landmark_face_crop)
        from common.preprocessing.regions import landmark_face_crop

        frames = read_frames(paths, "gray")
        points = clip_landmarks(frames, mode="first").points
        return {"face": np.stack([landmark_face_crop(f, p, config.data.size) for f, p in zip(frames, points)])}
    # Sec. III-B: dlib face detection and 68 landmarks on every frame ("track"), each frame aligned
    # (eyes level, data.align), eyes and nose-mouth crops (docs/methods.md §7.3, README ledger 18).
    # data.crop_landmarks="first" (quick profile only, README ledger 17): the first frame's boxes for all frames.
    frames = read_frames(paths, "rgb")
    points = clip_landmarks(frames, mode=config.data.crop_landmarks).points
    crops = [reddy_crops(f, p, size=config.data.crop_size, align=config.data.align) for f, p in zip(frames, points)]
    return {"eyes": np.stack([c[0] for c in crops]), "mouth": np.stack([c[1] for c in crops])}


def preprocess_clip(sample, config: ReddyConfig) -> dict[str, np.ndarray]:
    """The per-clip preprocessing ``run_fold`` caches, for one clip, uncached (``Experiment.preprocess_clip``)."""
    return read_clip(clip_frame_paths(sample, config), config)


def clip_inputs(sample, config: ReddyConfig, cache_root: Path | None = None) -> dict[str, np.ndarray]:
    """Cached grey inputs of ``sample`` (common.preprocessing.cache; keyed by the frame files and params;
    ``cache_root`` is the stages root, ``FoldContext.cache_dir``)."""
    paths = clip_frame_paths(sample, config)
    stcnn = config.model.name == "microexpstcnn"
    params = {"frames": config.data.frames, "model": "stcnn" if stcnn else "fusenet",
              "size": config.data.size if stcnn else config.data.crop_size,
              "face_crop": bool(config.data.face_crop) if stcnn else None}
    if not stcnn:
        params.update(crop_landmarks=config.data.crop_landmarks, align=bool(config.data.align))
    arrays = cached("reddy2019_clip", {"key": sample.key, "frames": frames_fingerprint(paths)}, params,
                    lambda: read_clip(paths, config), root=cache_root)
    return cast(dict[str, np.ndarray], arrays)  # a dict: the stage stores what read_clip returns


# --preprocess-workers: the cached inputs of every clip the folds read (common.running.first_pass)
first_pass = per_clip(clip_inputs)


def stack_samples(samples, config: ReddyConfig, cache_root: Path | None = None) -> list[np.ndarray]:
    """Model inputs of ``samples``, unscaled: frames last, ``(N, H, W, T, 1)`` float32 (Sec. IV-B,
    docs/methods.md §7.1)."""
    keys = ("face",) if config.model.name == "microexpstcnn" else ("eyes", "mouth")
    clips = [clip_inputs(sample, config, cache_root) for sample in samples]
    # (T, H, W) per clip -> (N, H, W, T, 1)
    return [np.stack([c[k] for c in clips]).transpose(0, 2, 3, 1)[..., None].astype(np.float32) for k in keys]


def stack_inputs(selection: Selection, indices: np.ndarray, config: ReddyConfig,
                 cache_root: Path | None = None) -> list[np.ndarray]:
    """:func:`stack_samples` of the selection's ``indices``."""
    return stack_samples([selection.samples[i] for i in indices], config, cache_root)


# ----------------------------------------------------------------------------- scaling
def subtract_clip_mean(x: np.ndarray) -> np.ndarray:
    """``(N, H, W, T, 1)`` inputs minus each clip's per-pixel mean over its T frames."""
    return x - x.mean(axis=3, keepdims=True)


def fit_scaling(fit_on: list[np.ndarray], motion_input: str) -> list[dict[str, float]]:
    """The scalars of the inputs' scaling, one dict per stream, fitted on ``fit_on``.

    ``data.motion_input="none"``: the authors' code, ``x -= mean(x); x /= max(x)`` with global scalars
    (``{"mean", "peak"}``). ``"minus_clip_mean"`` (QUICK-PROFILE DEVIATION, README ledger 15): the scalar
    standard deviation of ``fit_on``'s residuals after each clip's temporal mean (``{"std"}``). On the
    synthetic corpus the static face varies ~40 grey levels between clips, the expression moves ~1: with
    the code's ``x /= max`` SGD fits identity, never the motion, in a quick budget.
    """
    out = []
    for ref in fit_on:
        if motion_input == "minus_clip_mean":
            out.append({"std": float(subtract_clip_mean(ref).std()) or 1.0})
        else:
            mean = float(ref.mean())
            out.append({"mean": mean, "peak": float((ref - mean).max()) or 1.0})
    return out


def apply_scaling(arrays: list[np.ndarray], scaling, motion_input: str) -> list[np.ndarray]:
    """``arrays`` (one per stream) scaled with the fitted scalars of :func:`fit_scaling`."""
    if motion_input == "minus_clip_mean":
        return [subtract_clip_mean(x) / s["std"] for x, s in zip(arrays, scaling)]
    return [(x - s["mean"]) / s["peak"] for x, s in zip(arrays, scaling)]


def normalise(arrays: list[np.ndarray], fit_on: list[np.ndarray]) -> list[np.ndarray]:
    """The authors' code: ``x -= mean(x); x /= max(x)`` with global scalars computed on ``fit_on``."""
    return apply_scaling(arrays, fit_scaling(fit_on, "none"), "none")


def normalise_clip_mean(arrays: list[np.ndarray], fit_on: list[np.ndarray]) -> list[np.ndarray]:
    """The quick profile's ``data.motion_input="minus_clip_mean"`` (README ledger 15): per-clip temporal
    mean removed, then divided by the scalar standard deviation of ``fit_on``'s residuals."""
    return apply_scaling(arrays, fit_scaling(fit_on, "minus_clip_mean"), "minus_clip_mean")


def predict_inputs(samples, config: ReddyConfig, state, cache_root: Path | None = None) -> list[np.ndarray]:
    """The network's inputs of ``samples`` to predict (one array per stream): :func:`stack_samples` scaled
    with the fitted ``state["scaling"]`` (:func:`apply_scaling`). ``run_fold``'s test inputs and
    ``predict_clips`` both."""
    return apply_scaling(stack_samples(samples, config, cache_root), state["scaling"], config.data.motion_input)


def fold_inputs(ctx: FoldContext) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The fold's scaled model inputs ``(x_train, x_test)``, each a list (one array per stream).

    ``"paper"`` / ``"whole_set"``: the authors' code fits the scaling on the whole data set (train +
    test, which leaks the test split); ``"leakage_free"``: on the training split only. An export run
    (``ctx.export``) records the fitted scalars as ``scaling``.
    """
    config: ReddyConfig = ctx.config
    x_train = stack_inputs(ctx.selection, ctx.fold.train, config, ctx.cache_dir)
    if config.protocol.variant in ("paper", "whole_set"):
        x_test = stack_inputs(ctx.selection, ctx.fold.test, config, ctx.cache_dir)
        fit_on = [np.concatenate([a, b]) for a, b in zip(x_train, x_test)]
    else:
        fit_on = x_train
    scaling = fit_scaling(fit_on, config.data.motion_input)
    if ctx.export is not None:
        ctx.export.record("scaling", scaling)
    x_test = predict_inputs([ctx.selection.samples[i] for i in ctx.fold.test], config, {"scaling": scaling},
                           ctx.cache_dir)
    return apply_scaling(x_train, scaling, config.data.motion_input), x_test
