"""Every paper's face crops, as named recipes on dlib 68-point landmarks.

Landmarks ``points`` are (68, 2) (x, y), 0-based iBUG indices (docs/methods.md §8.1; "right" is
the subject's right, the image left). Frames are uint8 (H, W) grey or (H, W, 3) RGB.

* Talluri et al. 2022, section 4.2 (128 x 128 face crop from landmarks): ``landmark_face_crop``.
* Kumar et al. 2019, section 3.3 (affine registration of every frame to a reference face on the
  68 landmarks): ``affine_to_reference``, ``align_to_reference``, ``reference_shape``.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

# ----------------------------------------------------------------------------- landmark groups
JAW = tuple(range(0, 17))
RIGHT_BROW, LEFT_BROW = tuple(range(17, 22)), tuple(range(22, 27))
NOSE = tuple(range(27, 36))
RIGHT_EYE, LEFT_EYE = tuple(range(36, 42)), tuple(range(42, 48))
MOUTH = tuple(range(48, 68))
OUTER_LIPS = tuple(range(48, 60))
# Points that move little with expressions: jaw outline, nose, the four eye corners
# (docs/methods.md §3.1 step 1). Default for Kumar's registration (see align_to_reference).
STABLE_POINTS = JAW + NOSE + (36, 39, 42, 45)


def as_points(points) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"expected (68, 2) landmarks (x, y), got shape {points.shape}")
    return points


def crop_padded(image: np.ndarray, left: int, top: int, right: int, bottom: int, fill=0) -> np.ndarray:
    """``image[top:bottom, left:right]`` where parts outside the image are ``fill`` (PIL ``crop``
    semantics: right/bottom exclusive, zero padding)."""
    height, width = image.shape[:2]
    if right <= left or bottom <= top:
        raise ValueError(f"empty crop box (left={left}, top={top}, right={right}, bottom={bottom})")
    out = np.full((bottom - top, right - left) + image.shape[2:], fill, dtype=image.dtype)
    x0, y0, x1, y1 = max(left, 0), max(top, 0), min(right, width), min(bottom, height)
    if x1 > x0 and y1 > y0:
        out[y0 - top : y1 - top, x0 - left : x1 - left] = image[y0:y1, x0:x1]
    return out


# ----------------------------------------------------------------------------- Talluri et al.
def landmark_face_crop(frame: np.ndarray, points, size: int = 128, margin: float = 0.05) -> np.ndarray:
    """Square face crop from the landmarks' bounding box, resized to ``size`` x ``size``
    (Talluri et al. 2022 section 4.2 and Fig. 1: "based on these landmarks the face can be
    cropped properly ignoring the background"; Model-A input 128 x 128).

    The paper gives no box rule; ours: the bbox of all 68 points, widened to a square about its
    centre, grown by ``margin`` x side on every side, zero-padded outside the image, resized with
    INTER_AREA (INTER_LINEAR when enlarging).
    """
    p = as_points(points)
    lo, hi = p.min(0), p.max(0)
    centre, side = (lo + hi) / 2, float((hi - lo).max()) * (1 + 2 * margin)
    left, top = np.rint(centre - side / 2).astype(int)
    side_px = max(int(round(side)), 1)
    face = crop_padded(np.asarray(frame), int(left), int(top), int(left) + side_px, int(top) + side_px)
    interpolation = cv2.INTER_AREA if side_px >= size else cv2.INTER_LINEAR
    return cv2.resize(face, (size, size), interpolation=interpolation)


# ----------------------------------------------------------------------------- Kumar et al.
def size_pair(size) -> tuple[int, int]:
    """(width, height) from an int or a pair."""
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    width, height = size
    return int(width), int(height)


def reference_shape(points, size=224, margin: float = 0.1) -> np.ndarray:
    """(68, 2) float32: ``points`` moved by a similarity (rotation, uniform scale, shift) into a
    ``size`` frame ((width, height) or an int): the eye centres' line horizontal, the shape
    centred and scaled so its bounding box fills ``1 - 2 x margin`` of the frame.

    Kumar et al. 3.3 register every frame to the first frame; this puts that reference face in
    the CNN's 224 x 224 frame (docs/methods.md §3.1 step 2).
    """
    p = as_points(points)
    width, height = size_pair(size)
    right_eye, left_eye = p[list(RIGHT_EYE)].mean(0), p[list(LEFT_EYE)].mean(0)
    dx, dy = left_eye - right_eye
    angle = math.atan2(dy, dx)
    c, s = math.cos(-angle), math.sin(-angle)
    rotated = p @ np.array([[c, s], [-s, c]])  # rotate by -angle: eyes horizontal
    lo, hi = rotated.min(0), rotated.max(0)
    scale = min(width * (1 - 2 * margin) / (hi - lo)[0], height * (1 - 2 * margin) / (hi - lo)[1])
    placed = (rotated - (lo + hi) / 2) * scale + np.array([width / 2, height / 2])
    return placed.astype(np.float32)


def affine_to_reference(points, reference_points, indices=STABLE_POINTS, similarity: bool = False) -> np.ndarray:
    """(2, 3) float64 affine matrix mapping ``points`` onto ``reference_points``
    (``cv2.estimateAffine2D``, 6 DoF, RANSAC with 3 px threshold then Levenberg-Marquardt
    refinement on the inliers; ``similarity=True``: ``estimateAffinePartial2D``, 4 DoF).
    Falls back to the least-squares affine on all given points if OpenCV finds no model."""
    idx = list(indices)
    src = as_points(points)[idx].astype(np.float32)
    dst = as_points(reference_points)[idx].astype(np.float32)
    estimate = cv2.estimateAffinePartial2D if similarity else cv2.estimateAffine2D
    matrix, _ = estimate(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0, refineIters=10)
    if matrix is None:
        design = np.hstack([src, np.ones((len(src), 1), np.float32)]).astype(np.float64)
        matrix = np.linalg.lstsq(design, dst.astype(np.float64), rcond=None)[0].T
    return np.asarray(matrix, dtype=np.float64)


def align_to_reference(
    frame: np.ndarray,
    points,
    reference_points,
    size=None,
    indices=STABLE_POINTS,
    similarity: bool = False,
    return_matrix: bool = False,
):
    """``frame`` warped (``cv2.warpAffine``, INTER_LINEAR, black border) so that its landmarks
    land on ``reference_points``, in an output of ``size`` ((width, height) or int; default the
    frame's size). Kumar et al. 2019 section 3.3 ("computes an affine transformation to register
    the face with respect to the reference frame").

    ``indices``: the landmarks used for the fit, by default ``STABLE_POINTS`` (jaw, nose, eye
    corners) so that the fit does not absorb the brow and mouth motion that carries the
    micro-expression; the paper does not say which points OpenFace used; ``range(68)`` for all.
    """
    frame = np.asarray(frame)
    width, height = size_pair(size) if size is not None else (frame.shape[1], frame.shape[0])
    matrix = affine_to_reference(points, reference_points, indices, similarity)
    warped = cv2.warpAffine(frame, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return (warped, matrix) if return_matrix else warped

