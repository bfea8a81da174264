"""Preprocessing of Talluri et al. (Appl. Sci. 2022), Sec. 4: one clip's fixed-length face sequence.

K. K. Talluri, M.-A. Fiedler, A. Al-Hamadi, "Deep 3D Convolutional Neural Network for Facial
Micro-Expression Analysis from Video Images", Appl. Sci. 12(21):11078, 2022.

dlib face detection and 68 landmarks, similarity alignment to an upright reference face, 128x128
grey; a fixed-length sequence centred on the apex (36 CASME II, 26 SMIC, 30 combined), repeating the
first / last frame for short clips (``data.edge="interpolate"``: temporal interpolation);
``data.window="initial"`` takes the first frames (Table 3). Cached per clip (:func:`clip_input`), then
scaled to the models' inputs (:func:`model_inputs`, :func:`fold_inputs`).
"""
from __future__ import annotations

from pathlib import Path
from typing import cast

import cv2
import numpy as np

from common.running.first_pass import per_clip
from common.experiment import FoldContext, Selection
from papers.talluri2022.config import TalluriConfig
from common.preprocessing.cache import cached, sample_fingerprint
from common.preprocessing.faces import clip_landmarks
from common.preprocessing.io import read_frames
from common.preprocessing.regions import align_to_reference, landmark_face_crop, reference_shape
from common.preprocessing.temporal import apex_window, initial_window


def window_indices(sample, config: TalluriConfig) -> np.ndarray:
    """Sec. 4.4: positions in ``sample.frames`` of the apex-centred (or initial, Table 3) sequence.

    The apex of a clip without an apex annotation (SMIC-HS) is its middle frame
    (``Sample.apex_position``; README ledger 18).
    """
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
    positions = window_positions(sample, config)
    params = {"positions": [round(float(p), 4) for p in positions], "size": config.data.size,
              "landmarks": config.data.landmarks, "align": config.data.align, "apex": sample.apex,
              "onset": sample.onset}
    # an ndarray: the stage stores what _face_sequence returns
    return cast(np.ndarray, cached("talluri2022_faces", sample_fingerprint(sample), params,
                                   lambda: _face_sequence(sample, positions, config), root=cache_root))


# --preprocess-workers: the cached faces of every clip the folds read (common.running.first_pass)
first_pass = per_clip(clip_input)


def clip_inputs(samples, config: TalluriConfig, cache_root: Path | None = None) -> np.ndarray:
    """Float inputs in [0, 1] of ``samples``: (N, T, 128, 128, 1) for Model-A/Split/C, (N, 64, 64, T, 1) for Model-B."""
    clips = np.stack([clip_input(sample, config, cache_root) for sample in samples])  # (N, T, S, S)
    if config.model.name == "model_b":
        size = config.data.model_b_size  # Sec. 5.3: 64x64
        small = np.stack([[cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in clip] for clip in clips])
        clips = small.transpose(0, 2, 3, 1)  # (N, T, H, W) -> (N, H, W, T): frames last (Reddy et al.)
    # DEVIATION: the paper gives no intensity normalisation; we scale grey levels to [0, 1] per pixel
    # (a fixed constant, so no statistic of any split is used).
    return (clips[..., None] / 255.0).astype(np.float32)


def model_inputs(selection: Selection, indices: np.ndarray, config: TalluriConfig,
                 cache_root: Path | None = None) -> np.ndarray:
    """:func:`clip_inputs` of the selection's ``indices``."""
    return clip_inputs([selection.samples[i] for i in indices], config, cache_root)


def subtract_clip_mean(x: np.ndarray, time_axis: int) -> np.ndarray:
    """Inputs minus each clip's per-pixel mean over its frames (``data.motion_input="minus_clip_mean"``)."""
    return x - x.mean(axis=time_axis, keepdims=True)


def _time_axis(config: TalluriConfig) -> int:
    return 3 if config.model.name == "model_b" else 1  # frames last (Model-B) or first


def motion_scale(x_train: np.ndarray, config: TalluriConfig) -> float | None:
    """The scalar standard deviation of the training inputs' residuals after the per-clip temporal mean
    (``data.motion_input="minus_clip_mean"``; fitted on the training fold only); None for ``"none"``."""
    if config.data.motion_input == "none":
        return None
    return float(subtract_clip_mean(x_train, _time_axis(config)).std()) or 1.0


def motion_input(x: np.ndarray, scale: float | None, config: TalluriConfig) -> np.ndarray:
    """``x`` as the network sees it: unchanged for ``"none"`` (the paper), else the per-clip temporal mean
    removed and divided by the training fold's ``scale`` (:func:`motion_scale`; no test statistic).

    QUICK-PROFILE DEVIATION (``data.motion_input="minus_clip_mean"``, README ledger 14): on the synthetic
    corpus the static face varies ~35 grey levels between clips, the expression moves ~1: on grey levels /
    255, SGD fits identity, never the motion, in a quick budget.
    """
    if config.data.motion_input == "none":
        return x
    return (subtract_clip_mean(x, _time_axis(config)) / scale).astype(np.float32)


def predict_inputs(samples, config: TalluriConfig, state, cache_root: Path | None = None) -> np.ndarray:
    """The network's inputs of ``samples`` to predict: :func:`clip_inputs`, then :func:`motion_input` with the
    training fold's ``state["motion_scale"]``. ``run_fold``'s test inputs and ``predict_clips`` both."""
    return motion_input(clip_inputs(samples, config, cache_root), state.get("motion_scale"), config)


def fold_inputs(ctx: FoldContext) -> tuple[np.ndarray, np.ndarray]:
    """The fold's training and test inputs (Sec. 4; the quick profile's motion input, ledger 14). An export
    run (``ctx.export``) records the fitted ``motion_scale`` (None without a motion input)."""
    x_train = model_inputs(ctx.selection, ctx.fold.train, ctx.config, ctx.cache_dir)
    scale = motion_scale(x_train, ctx.config)
    if ctx.export is not None:
        ctx.export.record("motion_scale", scale)
    x_test = predict_inputs([ctx.selection.samples[i] for i in ctx.fold.test], ctx.config, {"motion_scale": scale},
                         ctx.cache_dir)
    return motion_input(x_train, scale, ctx.config), x_test
