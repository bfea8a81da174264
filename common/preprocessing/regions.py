"""Every paper's face crops, as named recipes on dlib 68-point landmarks (issue 3).

Landmarks ``points`` are (68, 2) (x, y), 0-based iBUG indices (algorithms.md 8.1; "right" is
the subject's right, the image left). Frames are uint8 (H, W) grey or (H, W, 3) RGB.

* Le et al. 2020, section III-C / Fig. 2: ``le_boxes``, ``le_regions``, ``le_roi_canvas``
  (eyebrow, nose and mouth rectangles, eyes masked).
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
# (algorithms.md 3.1 step 1). Default for Kumar's registration (see align_to_reference).
STABLE_POINTS = JAW + NOSE + (36, 39, 42, 45)


def _points(points) -> np.ndarray:
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


# ----------------------------------------------------------------------------- Le et al.
LE_REGION_NAMES = ("eyebrows", "nose", "mouth")


def _inter_ocular(p: np.ndarray) -> float:
    return float(np.linalg.norm(p[list(LEFT_EYE)].mean(0) - p[list(RIGHT_EYE)].mean(0)))


def le_boxes(points, margin: float = 0.1, forehead: float = 0.3) -> dict[str, tuple[int, int, int, int]]:
    """(left, top, right, bottom), exclusive, of Le et al.'s three ROIs (section III-C, Fig. 2).

    The paper draws three rectangles "following landmark points" for the eyebrows (with the
    forehead), the nose and the mouth (with the mouth corners) and gives no coordinates, so
    (our choice, after algorithms.md 8.4; m = ``margin`` x inter-ocular distance d):

    * eyebrows: x from P17.x - m to P26.x + m, y from the highest brow point minus
      ``forehead`` x d (the forehead strip) to the lowest eye point + m (the eyes, inside this
      box, are masked);
    * nose: x from P31.x - m to P35.x + m, y from P27.y to P33.y + m;
    * mouth: bbox of the outer lips 48-59 grown by m on every side.
    """
    p = _points(points)
    d = _inter_ocular(p)
    m = margin * d
    brows, eyes = p[list(RIGHT_BROW + LEFT_BROW)], p[list(RIGHT_EYE + LEFT_EYE)]
    lips = p[list(OUTER_LIPS)]
    boxes = {
        "eyebrows": (p[17, 0] - m, brows[:, 1].min() - forehead * d, p[26, 0] + m, eyes[:, 1].max() + m),
        "nose": (p[31, 0] - m, p[27, 1], p[35, 0] + m, p[33, 1] + m),
        "mouth": (lips[:, 0].min() - m, lips[:, 1].min() - m, lips[:, 0].max() + m, lips[:, 1].max() + m),
    }
    return {name: tuple(int(v) for v in np.rint(box)) for name, box in boxes.items()}


def mask_eyes(image: np.ndarray, points) -> np.ndarray:
    """A copy of ``image`` with the eye polygons (36-41, 42-47) filled with 0 (Le et al. III-C:
    "eyes are masked ... since eye cascades and blinking are not ME")."""
    p = np.rint(_points(points)).astype(np.int32)
    out = np.array(image, copy=True)
    color = (0,) * (out.shape[2] if out.ndim == 3 else 1)
    cv2.fillPoly(out, [p[list(RIGHT_EYE)], p[list(LEFT_EYE)]], color)
    return out


def le_regions(image: np.ndarray, points, margin: float = 0.1, forehead: float = 0.3) -> dict[str, np.ndarray]:
    """{"eyebrows", "nose", "mouth"}: crops (``le_boxes``, zero-padded outside the image) of
    ``image`` with the eyes masked. ``image`` is a frame or the clip's dynamic image (Le et al.
    crop the ROIs on the dynamic image, with landmarks predicted on the face, section IV-A)."""
    masked = mask_eyes(np.asarray(image), points)
    return {name: crop_padded(masked, *box) for name, box in le_boxes(points, margin, forehead).items()}


def le_roi_canvas(
    image: np.ndarray, points, size: int | None = 224, margin: float = 0.1, forehead: float = 0.3
) -> np.ndarray:
    """The image with everything outside the three ROIs and inside the eyes set to 0, cropped to
    the union of the ROIs and resized to ``size`` x ``size`` (INTER_LINEAR; ``None`` keeps it).

    Our reading of Le et al. III-C/IV-A: one CNN (VGG19/ResNet50/SENet50, 224 x 224) sees "the
    elicited dynamic image after being patched for region of interests"; the three ROIs are kept
    in place on a black canvas rather than fed as three inputs.
    """
    image = np.asarray(image)
    boxes = le_boxes(points, margin, forehead)
    keep = np.zeros(image.shape[:2], dtype=bool)
    height, width = image.shape[:2]
    for left, top, right, bottom in boxes.values():
        keep[max(top, 0) : max(min(bottom, height), 0), max(left, 0) : max(min(right, width), 0)] = True
    masked = mask_eyes(np.where(keep[..., None] if image.ndim == 3 else keep, image, 0).astype(image.dtype), points)
    union = np.array(list(boxes.values()))
    canvas = crop_padded(masked, union[:, 0].min(), union[:, 1].min(), union[:, 2].max(), union[:, 3].max())
    if size is not None:
        canvas = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_LINEAR)
    return canvas


# ----------------------------------------------------------------------------- Talluri et al.
def landmark_face_crop(frame: np.ndarray, points, size: int = 128, margin: float = 0.05) -> np.ndarray:
    """Square face crop from the landmarks' bounding box, resized to ``size`` x ``size``
    (Talluri et al. 2022 section 4.2 and Fig. 1: "based on these landmarks the face can be
    cropped properly ignoring the background"; Model-A input 128 x 128).

    The paper gives no box rule; ours: the bbox of all 68 points, widened to a square about its
    centre, grown by ``margin`` x side on every side, zero-padded outside the image, resized with
    INTER_AREA (INTER_LINEAR when enlarging).
    """
    p = _points(points)
    lo, hi = p.min(0), p.max(0)
    centre, side = (lo + hi) / 2, float((hi - lo).max()) * (1 + 2 * margin)
    left, top = np.rint(centre - side / 2).astype(int)
    side_px = max(int(round(side)), 1)
    face = crop_padded(np.asarray(frame), int(left), int(top), int(left) + side_px, int(top) + side_px)
    interpolation = cv2.INTER_AREA if side_px >= size else cv2.INTER_LINEAR
    return cv2.resize(face, (size, size), interpolation=interpolation)


# ----------------------------------------------------------------------------- Kumar et al.
def _size(size) -> tuple[int, int]:
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
    the CNN's 224 x 224 frame (algorithms.md 3.1 step 2).
    """
    p = _points(points)
    width, height = _size(size)
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
    src = _points(points)[idx].astype(np.float32)
    dst = _points(reference_points)[idx].astype(np.float32)
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
    width, height = _size(size) if size is not None else (frame.shape[1], frame.shape[0])
    matrix = affine_to_reference(points, reference_points, indices, similarity)
    warped = cv2.warpAffine(frame, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return (warped, matrix) if return_matrix else warped


def transform_points(points, matrix) -> np.ndarray:
    """Apply a (2, 3) affine to (N, 2) points."""
    points = np.asarray(points, dtype=np.float64)
    return points @ np.asarray(matrix)[:, :2].T + np.asarray(matrix)[:, 2]
