"""Emotion Avatar Image (Kumar et al. 2019, sections 3.3-3.4; Yang & Bhanu 2012; docs/methods.md §3.1).

Kumar et al.: "we chose the first frame of the video to be the reference frame ... OpenFace
computes the 68 facial landmark points on the facial image and computes an affine
transformation to register the face with respect to the reference frame" (3.3); "after
registering the individual facial images, the sequence of video frames is averaged out into a
single image" (3.4), fed at 224 x 224 to ResNet-34 (3.5). The kept frames are those that survive
the low-texture removal of 3.2 (``common.preprocessing.texture``).

Choices (the paper is silent): the reference is the first frame's landmarks moved by a
similarity into the output frame (``regions.reference_shape``: eyes level, face filling 80 %),
so the first frame is only rotated/scaled and every other frame gets a 6-DoF affine onto it;
the fit uses ``regions.STABLE_POINTS`` (jaw, nose, eye corners) unless ``indices`` says
otherwise; the mean is taken in float32 and rounded to uint8.

Speed (``benchmarks/bench_faces.py``, 512 x 512 RGB frames to 224 x 224, shared 2-core machine):
about 4,800 frames/s (0.21 ms per frame: one affine fit and one warp).
"""
from __future__ import annotations

import numpy as np

from common.preprocessing.regions import STABLE_POINTS, size_pair, affine_to_reference, reference_shape
import cv2


def _kept_indices(keep, n: int) -> np.ndarray:
    if keep is None:
        return np.arange(n)
    keep = np.asarray(keep)
    if keep.dtype == bool:
        if keep.shape != (n,):
            raise ValueError(f"keep: expected a boolean mask of shape ({n},), got {keep.shape}")
        indices = np.flatnonzero(keep)
    else:
        indices = keep.astype(int).ravel()
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise ValueError(f"keep: frame indices {indices.min()}..{indices.max()} outside a {n}-frame clip")
    if indices.size == 0:
        raise ValueError("keep selects no frame: an Emotion Avatar Image needs at least one")
    return indices


def emotion_avatar_image(
    frames,
    points,
    keep=None,
    size=(224, 224),
    reference=None,
    indices=STABLE_POINTS,
    similarity: bool = False,
) -> np.ndarray:
    """uint8 EAI of ``frames`` ((T, H, W[, C]) uint8) with landmarks ``points`` (T, 68, 2).

    ``keep``: boolean mask (T,) or frame indices of the frames to average (None: all).
    ``size``: output (width, height) or int. ``reference``: (68, 2) target landmarks in the
    output frame; default ``reference_shape(points[0], size)`` (Kumar: the first frame).
    """
    frames = np.asarray(frames)
    points = np.asarray(points, dtype=np.float64)
    if frames.ndim not in (3, 4) or frames.dtype != np.uint8:
        raise ValueError(f"frames: expected (T, H, W[, C]) uint8, got {frames.dtype} {frames.shape}")
    if points.shape != (len(frames), 68, 2):
        raise ValueError(f"points: expected ({len(frames)}, 68, 2) for {len(frames)} frames, got {points.shape}")
    width, height = size_pair(size)
    if reference is None:
        reference = reference_shape(points[0], (width, height))
    total = np.zeros((height, width) + frames.shape[3:], dtype=np.float32)
    kept = _kept_indices(keep, len(frames))
    for t in kept:
        matrix = affine_to_reference(points[t], reference, indices, similarity)
        warped = cv2.warpAffine(
            frames[t], matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        )
        total += warped.reshape(total.shape)  # warpAffine drops a trailing channel axis of 1
    return np.clip(np.rint(total / len(kept)), 0, 255).astype(np.uint8)
