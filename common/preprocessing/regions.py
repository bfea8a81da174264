"""Every paper's face crops, as named recipes on dlib 68-point landmarks (issue 3).

Landmarks ``points`` are (68, 2) (x, y), 0-based iBUG indices (algorithms.md 8.1; "right" is
the subject's right, the image left). Frames are uint8 (H, W) grey or (H, W, 3) RGB.

* Aouayeb et al. 2019, section 3.1 / Fig. 2 and the authors' ``crop_6_ROIs.py``
  (algorithms.md 6.1): ``aouayeb_face_box``, ``aouayeb_letterbox``, ``aouayeb_regions`` (the
  authors' fixed boxes on the letterboxed face); ``aouayeb_landmark_boxes``,
  ``aouayeb_landmark_regions`` (the text's boxes placed on the landmarks, padded per region).
* Reddy et al. 2019, section III-B and the authors' FuseNet scripts (algorithms.md 7.3):
  ``reddy_crops``.
* Talluri et al. 2022, section 4.2 (128 x 128 face crop from landmarks): ``landmark_face_crop``.
* Kumar et al. 2019, section 3.3 (affine registration of every frame to a reference face on the
  68 landmarks): ``affine_to_reference``, ``align_to_reference``, ``reference_shape``.
"""
from __future__ import annotations

import dataclasses
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


def _rgb(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise ValueError(f"expected a uint8 frame, got {frame.dtype}")
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return frame
    raise ValueError(f"expected a (H, W) or (H, W, 3) frame, got shape {frame.shape}")


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


# ----------------------------------------------------------------------------- Aouayeb et al.
@dataclasses.dataclass(frozen=True)
class Region:
    """A fixed box in the letterboxed face: columns x1:x2, rows y1:y2 (authors' [x1, x2, y1, y2])."""

    name: str
    x1: int
    x2: int
    y1: int
    y2: int

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), the paper's notation ("[100, 80]")."""
        return self.x2 - self.x1, self.y2 - self.y1

    @property
    def shape(self) -> tuple[int, int, int]:
        """(height, width, 4): the RGBA crop's array shape, i.e. the Keras input shape."""
        return self.y2 - self.y1, self.x2 - self.x1, 4


AOUAYEB_SIZE = (240, 280)  # (width, height) of resize_contain (crop_6_ROIs.py)
# Section 3.1 / section 4: "left eye + eyebrow, right eye + eyebrow, nose, left cheek, right
# cheek and mouth, at size [100,80], [100,80], [120,80], [60,60], [60,60], [160,60]" (w x h);
# boxes from crop_6_ROIs.py. The paper's "left" is the viewer's: R0 (x 0-100) is the image-left
# side, i.e. the subject's right in our naming (algorithms.md 8.1).
AOUAYEB_REGIONS = (
    Region("right_eye_brow", 0, 100, 20, 100),
    Region("left_eye_brow", 140, 240, 20, 100),
    Region("nose", 60, 180, 80, 160),
    Region("right_cheek", 0, 60, 120, 180),
    Region("left_cheek", 180, 240, 120, 180),
    Region("mouth", 40, 200, 180, 240),
)


def aouayeb_face_box(points) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the face, right/bottom exclusive as in PIL ``crop``:
    x from P17.x to P26.x, y from min(P18.y, P25.y) to P8.y (``Face_align_croping``)."""
    p = np.rint(_points(points)).astype(int)
    return int(p[17, 0]), int(min(p[18, 1], p[25, 1])), int(p[26, 0]), int(p[8, 1])


def aouayeb_letterbox(frame: np.ndarray, points, background=(255, 255, 255, 0), enlarge: bool = False) -> np.ndarray:
    """(280, 240, 4) uint8 RGBA: the face box fitted into 240 x 280 as
    ``resizeimage.resize_contain(face, [240, 280])`` does (python-resize-image >= 1.1.18):

    PIL ``thumbnail`` (LANCZOS, shrinks only, never enlarges, keeps the aspect ratio) pasted at
    ``ceil((240 - w) / 2), ceil((280 - h) / 2)`` on an RGBA canvas of ``(255, 255, 255, 0)``:
    alpha is 255 over the face and 0 in the margins; the margins' RGB is white. The paper's
    text says "adding a black background"; pass ``background=(0, 0, 0, 0)`` for that.
    A face box smaller than 240 x 280 is therefore NOT enlarged: it sits at its own size in the
    middle and the fixed regions partly cover the transparent margin, as in the authors' crops.
    ``enlarge=True`` (an option, off by default) scales small faces up to fit as well.
    Uses Pillow itself for the exact resampling (no maintained NumPy/OpenCV equivalent of
    ``thumbnail``'s size rule and filter).
    """
    from PIL import Image

    left, top, right, bottom = aouayeb_face_box(points)
    if right <= left or bottom <= top:
        raise ValueError(
            f"landmarks give an empty Aouayeb face box (left={left}, top={top}, right={right}, bottom={bottom})"
        )
    face = Image.fromarray(crop_padded(_rgb(frame), left, top, right, bottom), "RGB")
    if enlarge:  # not the authors' behaviour: "contain" with upscaling
        scale = min(AOUAYEB_SIZE[0] / face.size[0], AOUAYEB_SIZE[1] / face.size[1])
        if scale > 1:
            enlarged = (max(1, round(face.size[0] * scale)), max(1, round(face.size[1] * scale)))
            face = face.resize(enlarged, Image.LANCZOS)
    face.thumbnail(AOUAYEB_SIZE, Image.LANCZOS)
    canvas = Image.new("RGBA", AOUAYEB_SIZE, tuple(background))
    position = (math.ceil((AOUAYEB_SIZE[0] - face.size[0]) / 2), math.ceil((AOUAYEB_SIZE[1] - face.size[1]) / 2))
    canvas.paste(face, position)
    return np.asarray(canvas.convert("RGBA"))


def aouayeb_regions(
    frame: np.ndarray, points, background=(255, 255, 255, 0), enlarge: bool = False
) -> list[np.ndarray]:
    """The six RGBA regions (80,100,4), (80,100,4), (80,120,4), (60,60,4), (60,60,4), (60,160,4)
    of ``aouayeb_letterbox``; pass the FIRST frame's landmarks for every frame (section 3.1)."""
    face = aouayeb_letterbox(frame, points, background, enlarge)
    return [np.ascontiguousarray(face[r.y1 : r.y2, r.x1 : r.x2]) for r in AOUAYEB_REGIONS]


def aouayeb_clip_regions(frames, points, background=(255, 255, 255, 0), enlarge: bool = False) -> list[np.ndarray]:
    """Six (T, H, W, 4) uint8 arrays for a clip, every frame cut with the same ``points``."""
    per_frame = [aouayeb_regions(frame, points, background, enlarge) for frame in frames]
    return [np.stack([regions[i] for regions in per_frame]) for i in range(len(AOUAYEB_REGIONS))]


# Letterbox / padding colours (RGBA). Sec. 4.1.2: "adding a black background"; the authors'
# ``resize_contain`` pastes on (255, 255, 255, 0), white RGB with alpha 0 (algorithms.md 6.1).
AOUAYEB_BACKGROUNDS = {"black": (0, 0, 0, 0), "white": (255, 255, 255, 0)}


def aouayeb_background(name: str) -> tuple[int, int, int, int]:
    """The RGBA colour of ``"black"`` (the text) or ``"white"`` (the authors' ``resize_contain``)."""
    if name not in AOUAYEB_BACKGROUNDS:
        raise ValueError(f"background={name!r}: expected one of {', '.join(AOUAYEB_BACKGROUNDS)}")
    return AOUAYEB_BACKGROUNDS[name]


def aouayeb_landmark_boxes(points, margin: float = 0.1) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom), right/bottom exclusive, of the six regions of Sec. 3.1, placed
    on the 68 landmarks (in ``AOUAYEB_REGIONS`` order: image-left eye + eyebrow, image-right eye +
    eyebrow, nose, image-left cheek, image-right cheek, mouth).

    Sec. 3.1 / 4.1.2 say the six boxes are "indicated from the first frame of every sequence
    based on the 68 facial landmarks" and give no coordinates, so (our choice; m = ``margin`` x
    the inter-ocular distance between the eye centres):

    * eye + eyebrow: the bounding box of the brow (17-21 / 22-26) and eye (36-41 / 42-47) points,
      grown by m on every side;
    * nose: the bounding box of the nose points 27-35 (root to nostrils), grown by m;
    * mouth: the bounding box of the lips 48-67, grown by m;
    * cheek (no landmark lies on a cheek): between the lower eyelid (+ m) and the upper lip's
      side (P48-P50 / P52-P54, its highest point) vertically, and between the innermost
      face-outline point at that height (P1-P3 / P13-P15) and the nose wing (P31.x / P35.x)
      horizontally: the skin lateral to the nose and below the eye that AU6 (cheek raiser) moves.
    """
    p = _points(points)
    m = margin * _inter_ocular(p)

    def grown(idx) -> tuple[float, float, float, float]:
        q = p[list(idx)]
        return q[:, 0].min() - m, q[:, 1].min() - m, q[:, 0].max() + m, q[:, 1].max() + m

    # Cheeks, inclusive extents: the nose wing and the upper lip stay outside (hence the 1 px).
    right_cheek = (p[[1, 2, 3], 0].max(), p[[40, 41], 1].max() + m, p[31, 0] - 1, p[[48, 49, 50], 1].min() - 1)
    left_cheek = (p[35, 0] + 1, p[[46, 47], 1].max() + m, p[[13, 14, 15], 0].min(), p[[52, 53, 54], 1].min() - 1)
    boxes = [grown(RIGHT_BROW + RIGHT_EYE), grown(LEFT_BROW + LEFT_EYE), grown(NOSE), right_cheek, left_cheek,
             grown(MOUTH)]
    out = []
    for left, top, right, bottom in boxes:
        box = (math.floor(left), math.floor(top), math.floor(right) + 1, math.floor(bottom) + 1)
        if box[2] <= box[0] or box[3] <= box[1]:
            raise ValueError(f"landmarks give an empty Aouayeb region box {box}: expected a frontal face")
        out.append(box)
    return out


def aouayeb_contain(image, size: tuple[int, int], background=(0, 0, 0, 0)) -> np.ndarray:
    """(height, width, 4) uint8 RGBA: ``image`` (RGBA) pasted in the middle of a ``size`` =
    (width, height) canvas of ``background``, first shrunk to fit when larger (PIL ``thumbnail``,
    LANCZOS, aspect ratio kept), never enlarged: ``resize_contain``'s rule applied to one region.

    Sec. 4.1.2: "we only resized them to the same size by adding a black background". A crop
    larger than its fixed size cannot be padded; shrinking it to fit, keeping its aspect ratio, is
    our choice (it is what the authors' ``resize_contain`` does to the face, README ledger).
    """
    from PIL import Image

    crop = Image.fromarray(np.ascontiguousarray(image), "RGBA")
    crop.thumbnail(size, Image.LANCZOS)  # DEVIATION: the text only pads; a larger crop is shrunk to fit (aouayeb2019 ledger #19)
    canvas = Image.new("RGBA", size, tuple(background))
    canvas.paste(crop, (math.ceil((size[0] - crop.size[0]) / 2), math.ceil((size[1] - crop.size[1]) / 2)))
    return np.asarray(canvas)


def aouayeb_landmark_regions(frame: np.ndarray, points, background=(0, 0, 0, 0), margin: float = 0.1) -> list[np.ndarray]:
    """The six RGBA regions (80,100,4), (80,100,4), (80,120,4), (60,60,4), (60,60,4), (60,160,4)
    as Sec. 3.1 / 4.1.2 describe them: each box of ``aouayeb_landmark_boxes`` cropped from the
    frame itself and padded to its fixed size on ``background`` (``aouayeb_contain``; shrunk to
    fit only when larger). Alpha is 255 over the frame's pixels, 0 in the padding and outside
    the frame, so the crops keep the 4 channels of the paper's parameter count. Pass the FIRST
    frame's landmarks for every frame (Sec. 3.1).
    """
    rgba = np.concatenate([_rgb(frame), np.full(np.asarray(frame).shape[:2] + (1,), 255, np.uint8)], axis=2)
    crops = []
    for box, region in zip(aouayeb_landmark_boxes(points, margin), AOUAYEB_REGIONS):
        crop = crop_padded(rgba, *box, fill=np.asarray(background, np.uint8))
        crops.append(aouayeb_contain(crop, region.size, background))
    return crops


# ----------------------------------------------------------------------------- shared
def _inter_ocular(p: np.ndarray) -> float:
    return float(np.linalg.norm(p[list(LEFT_EYE)].mean(0) - p[list(RIGHT_EYE)].mean(0)))


# ----------------------------------------------------------------------------- Reddy et al.
def reddy_crops(
    frame: np.ndarray, points, size: int = 32, swap_red_blue: bool = False, align: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(eyes, nose_mouth) grey uint8 ``size`` x ``size`` crops (algorithms.md 7.3, authors' code):

    * eyes: rows P19.y : P1.y, cols P1.x : P15.x;
    * nose + mouth: rows P2.y : P6.y, cols P2.x : P14.x;

    each resized with ``cv2.INTER_AREA`` and then converted to grey. The authors call
    ``COLOR_BGR2GRAY`` on imageio's RGB frames (swapped channel weights); we convert RGB frames
    with the correct weights by default (the paper is silent), ``swap_red_blue=True`` copies
    the script. Boxes are clipped to the image.

    ``align=True`` (Reddy et al. Sec. III-B: dlib "applied to detect and align face in each frame";
    the authors' script does not align): the frame is first rotated about the midpoint of the eye
    centres (mean of points 36-41 and 42-47) so that they lie level, the landmarks moved by the same
    rotation (``cv2.getRotationMatrix2D`` / ``warpAffine``, black outside the image), then cut as above.
    """
    frame = np.asarray(frame)
    height, width = frame.shape[:2]
    points = _points(points)
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
