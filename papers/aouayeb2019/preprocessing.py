"""The inputs of Aouayeb et al. 2019: six facial regions per frame (Sec. 3.1, Sec. 4.1.2), the region
CNNs' input (Sec. 3.2) and the LSTMs' padded feature sequences (Sec. 3.3, Sec. 4.1.2).

Landmarks ``points`` are (68, 2) (x, y), 0-based iBUG indices (docs/methods.md §8.1; "right" is the
subject's right, the image left). Frames are uint8 (H, W) grey or (H, W, 3) RGB.

Two placements of the six boxes (``data.regions``):

* ``"landmarks"`` (paper, Sec. 3.1 / 4.1.2): :func:`landmark_boxes` on the first frame's
  landmarks, each box cropped from the frame and padded to its fixed size (:func:`landmark_regions`).
* ``"canvas"`` (quick/smoke, ledger #19): the face letterboxed to 240 x 280 (:func:`letterbox`, the
  authors' ``resize_contain``) and the authors' fixed boxes of ``crop_6_ROIs.py``
  (:data:`CANVAS_REGIONS`, :func:`canvas_regions`; docs/methods.md §6.1).

:func:`region_crops` computes a clip's six crops; :func:`clip_regions` caches them per clip.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import cast
from collections.abc import Mapping, Sequence

import numpy as np

from common.datasets.sample import Sample
from common.errors import MersuiteError
# The suite's landmark groups and array checks (shared by every paper's crops).
from common.preprocessing.regions import LEFT_BROW, LEFT_EYE, MOUTH, NOSE, RIGHT_BROW, RIGHT_EYE, crop_padded
from common.preprocessing.regions import as_points as _points
from papers.aouayeb2019.config import AouayebConfig
from papers.aouayeb2019.model import NUM_REGIONS
from common.preprocessing.cache import cached, sample_fingerprint
from common.preprocessing.faces import sample_landmarks
from common.preprocessing.io import read_frames
import cv2
import keras


class AouayebInputError(MersuiteError, ValueError):
    """A sample cannot be used by this protocol (unknown class, empty clip)."""


# ----------------------------------------------------------------------------- region geometry
def _rgb(frame: np.ndarray) -> np.ndarray:
    """A uint8 (H, W) grey or (H, W, 3) RGB frame as (H, W, 3) RGB."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise ValueError(f"expected a uint8 frame, got {frame.dtype}")
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return frame
    raise ValueError(f"expected a (H, W) or (H, W, 3) frame, got shape {frame.shape}")


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


CANVAS_SIZE = (240, 280)  # (width, height) of resize_contain (crop_6_ROIs.py)
# Section 3.1 / section 4: "left eye + eyebrow, right eye + eyebrow, nose, left cheek, right
# cheek and mouth, at size [100,80], [100,80], [120,80], [60,60], [60,60], [160,60]" (w x h);
# boxes from crop_6_ROIs.py. The paper's "left" is the viewer's: R0 (x 0-100) is the image-left
# side, i.e. the subject's right in our naming (docs/methods.md §8.1).
CANVAS_REGIONS = (
    Region("right_eye_brow", 0, 100, 20, 100),
    Region("left_eye_brow", 140, 240, 20, 100),
    Region("nose", 60, 180, 80, 160),
    Region("right_cheek", 0, 60, 120, 180),
    Region("left_cheek", 180, 240, 120, 180),
    Region("mouth", 40, 200, 180, 240),
)

# Letterbox / padding colours (RGBA). Sec. 4.1.2: "adding a black background"; the authors'
# ``resize_contain`` pastes on (255, 255, 255, 0), white RGB with alpha 0 (docs/methods.md §6.1).
BACKGROUNDS = {"black": (0, 0, 0, 0), "white": (255, 255, 255, 0)}


def background(name: str) -> tuple[int, int, int, int]:
    """The RGBA colour of ``"black"`` (the text) or ``"white"`` (the authors' ``resize_contain``)."""
    if name not in BACKGROUNDS:
        raise ValueError(f"background={name!r}: expected one of {', '.join(BACKGROUNDS)}")
    return BACKGROUNDS[name]


def face_box(points) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the face, right/bottom exclusive as in PIL ``crop``:
    x from P17.x to P26.x, y from min(P18.y, P25.y) to P8.y (``Face_align_croping``)."""
    p = np.rint(_points(points)).astype(int)
    return int(p[17, 0]), int(min(p[18, 1], p[25, 1])), int(p[26, 0]), int(p[8, 1])


def letterbox(frame: np.ndarray, points, background=(255, 255, 255, 0), enlarge: bool = False) -> np.ndarray:
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

    left, top, right, bottom = face_box(points)
    if right <= left or bottom <= top:
        raise ValueError(
            f"landmarks give an empty Aouayeb face box (left={left}, top={top}, right={right}, bottom={bottom})"
        )
    face = Image.fromarray(crop_padded(_rgb(frame), left, top, right, bottom), "RGB")
    if enlarge:  # not the authors' behaviour: "contain" with upscaling
        scale = min(CANVAS_SIZE[0] / face.size[0], CANVAS_SIZE[1] / face.size[1])
        if scale > 1:
            enlarged = (max(1, round(face.size[0] * scale)), max(1, round(face.size[1] * scale)))
            face = face.resize(enlarged, Image.Resampling.LANCZOS)
    face.thumbnail(CANVAS_SIZE, Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", CANVAS_SIZE, tuple(background))
    position = (math.ceil((CANVAS_SIZE[0] - face.size[0]) / 2), math.ceil((CANVAS_SIZE[1] - face.size[1]) / 2))
    canvas.paste(face, position)
    return np.asarray(canvas.convert("RGBA"))


def canvas_regions(frame: np.ndarray, points, background=(255, 255, 255, 0), enlarge: bool = False) -> list[np.ndarray]:
    """The six RGBA regions (80,100,4), (80,100,4), (80,120,4), (60,60,4), (60,60,4), (60,160,4)
    of :func:`letterbox`; pass the FIRST frame's landmarks for every frame (section 3.1)."""
    face = letterbox(frame, points, background, enlarge)
    return [np.ascontiguousarray(face[r.y1 : r.y2, r.x1 : r.x2]) for r in CANVAS_REGIONS]


def _inter_ocular(p: np.ndarray) -> float:
    """Distance between the eye centres (the mean of each eye's six points)."""
    return float(np.linalg.norm(p[list(LEFT_EYE)].mean(0) - p[list(RIGHT_EYE)].mean(0)))


def landmark_boxes(points, margin: float = 0.1) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom), right/bottom exclusive, of the six regions of Sec. 3.1, placed
    on the 68 landmarks (in ``CANVAS_REGIONS`` order: image-left eye + eyebrow, image-right eye +
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


def contain(image, size: tuple[int, int], background=(0, 0, 0, 0)) -> np.ndarray:
    """(height, width, 4) uint8 RGBA: ``image`` (RGBA) pasted in the middle of a ``size`` =
    (width, height) canvas of ``background``, first shrunk to fit when larger (PIL ``thumbnail``,
    LANCZOS, aspect ratio kept), never enlarged: ``resize_contain``'s rule applied to one region.

    Sec. 4.1.2: "we only resized them to the same size by adding a black background". A crop
    larger than its fixed size cannot be padded; shrinking it to fit, keeping its aspect ratio, is
    our choice (it is what the authors' ``resize_contain`` does to the face, README ledger).
    """
    from PIL import Image

    crop = Image.fromarray(np.ascontiguousarray(image), "RGBA")
    # DEVIATION: the text only pads; a larger crop is shrunk to fit (ledger #19)
    crop.thumbnail(size, Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", size, tuple(background))
    canvas.paste(crop, (math.ceil((size[0] - crop.size[0]) / 2), math.ceil((size[1] - crop.size[1]) / 2)))
    return np.asarray(canvas)


def landmark_regions(frame: np.ndarray, points, background=(0, 0, 0, 0), margin: float = 0.1) -> list[np.ndarray]:
    """The six RGBA regions (80,100,4), (80,100,4), (80,120,4), (60,60,4), (60,60,4), (60,160,4)
    as Sec. 3.1 / 4.1.2 describe them: each box of :func:`landmark_boxes` cropped from the
    frame itself and padded to its fixed size on ``background`` (:func:`contain`; shrunk to
    fit only when larger). Alpha is 255 over the frame's pixels, 0 in the padding and outside
    the frame, so the crops keep the 4 channels of the paper's parameter count. Pass the FIRST
    frame's landmarks for every frame (Sec. 3.1).
    """
    rgba = np.concatenate([_rgb(frame), np.full(np.asarray(frame).shape[:2] + (1,), 255, np.uint8)], axis=2)
    crops = []
    for box, region in zip(landmark_boxes(points, margin), CANVAS_REGIONS):
        crop = crop_padded(rgba, *box, fill=np.asarray(background, np.uint8))
        crops.append(contain(crop, region.size, background))
    return crops


# ----------------------------------------------------------------------------- a clip's regions
def frame_indices(n_frames: int, frames_per_clip: int) -> np.ndarray:
    """Every frame (Sec. 3.1), or ``frames_per_clip`` positions spread uniformly (quick/smoke)."""
    if n_frames <= 0:
        raise AouayebInputError("empty clip")
    if frames_per_clip <= 0 or frames_per_clip >= n_frames:
        return np.arange(n_frames)
    return np.unique(np.round(np.linspace(0, n_frames - 1, frames_per_clip)).astype(int))


def _check_region_options(config: AouayebConfig) -> None:
    data = config.data
    if data.channels not in (3, 4):
        raise ValueError(f"data.channels={data.channels}: expected 4 (RGBA, the paper's count) or 3 (RGB)")
    if data.regions not in ("landmarks", "canvas"):
        raise ValueError(f"data.regions={data.regions!r}: expected 'landmarks' (Sec. 3.1) or 'canvas'")


def _crops(sample: Sample, config: AouayebConfig, indices: np.ndarray) -> dict[str, np.ndarray]:
    """``{"r0".."r5": (T, H, W, 4) uint8}``: the six regions of the frames ``indices`` of the clip."""
    data = config.data
    colour = background(data.background)
    points = sample_landmarks(sample, mode="first").points[0]  # Sec. 3.1: first frame's 68 points
    frames = read_frames([sample.frames[i] for i in indices], "rgb")
    if data.regions == "landmarks":
        per_frame = [landmark_regions(frame, points, colour, data.region_margin) for frame in frames]
    else:  # DEVIATION (quick/smoke only, ledger #19): the authors' later fixed canvas boxes
        if data.fit_face:  # DEVIATION (quick/smoke only): enlarge small faces (ledger #15)
            frames, points = _fit_face(frames, points)
        per_frame = [canvas_regions(frame, points, colour) for frame in frames]
    return {f"r{r}": np.stack([regions[r] for regions in per_frame]) for r in range(NUM_REGIONS)}


def _channels(arrays: Mapping[str, np.ndarray], config: AouayebConfig) -> list[np.ndarray]:
    # RGBA (4) as the authors' letterboxed PNGs; 3 drops the alpha channel (RGB option).
    return [arrays[f"r{r}"][..., : config.data.channels] for r in range(NUM_REGIONS)]


def region_crops(sample: Sample, config: AouayebConfig) -> list[np.ndarray]:
    """Six (T, H, W, C) uint8 arrays: the regions of the clip's (selected) frames (Sec. 3.1), uncached.

    The FIRST frame's 68 dlib landmarks place the six boxes, and the same boxes cut every frame.
    ``data.regions="landmarks"`` (Sec. 3.1 / 4.1.2): each box placed on its part's landmarks,
    cropped from the frame and padded to its fixed size on ``data.background``
    (:func:`landmark_regions`). ``"canvas"`` (quick/smoke): the face letterboxed to 240 x 280 and
    the authors' six fixed boxes (:func:`canvas_regions`), after ``_fit_face`` when ``data.fit_face``.
    """
    _check_region_options(config)
    indices = frame_indices(len(sample.frames), config.data.frames_per_clip)
    return _channels(_crops(sample, config, indices), config)


def clip_regions(sample: Sample, config: AouayebConfig, cache_dir: Path | None = None) -> list[np.ndarray]:
    """:func:`region_crops`, cached per clip under ``cache_dir`` (the stages root; the default
    root when None): this is the expensive preprocessing stage."""
    _check_region_options(config)
    data = config.data
    indices = frame_indices(len(sample.frames), data.frames_per_clip)
    colour = background(data.background)
    if data.regions == "landmarks":
        params = {"indices": indices, "regions": "landmarks_v1", "margin": data.region_margin,
                  "background": list(colour)}
    else:
        params = {"indices": indices, "regions": "canvas", "letterbox": "resize_contain_240x280_rgba",
                  "fit_face": data.fit_face, "background": list(colour)}
    arrays = cached("aouayeb2019_regions", sample_fingerprint(sample), params,
                    lambda: _crops(sample, config, indices), root=cache_dir)
    return _channels(cast(dict[str, np.ndarray], arrays), config)  # a dict: the stage stores what _crops returns


def _fit_face(frames: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale the frames (and points) so that a face box smaller than 240 x 280 fills the canvas.

    DEVIATION from the text and the authors' ``resize_contain`` (``data.fit_face``, quick/smoke
    profiles only, ledger #15): both pad and never enlarge; the authors' fixed canvas boxes land
    near the parts of the synthetic 256-px faces only when the face fills the canvas. Bicubic.
    """
    left, top, right, bottom = face_box(points)
    scale = min(CANVAS_SIZE[0] / max(right - left, 1), CANVAS_SIZE[1] / max(bottom - top, 1))
    if scale <= 1.0:
        return frames, points  # resize_contain shrinks larger faces itself
    frames = np.stack([cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) for f in frames])
    return frames, points * scale


# ----------------------------------------------------------------------------- the networks' inputs
def cnn_input(clip_region: np.ndarray, motion_input: str) -> np.ndarray:
    """(T, H, W, C) float32: what a region CNN sees of one clip's region crops.

    ``data.motion_input="none"`` (Sec. 3.2): the crops as they are. ``"minus_first_frame"``
    (DEVIATION, quick/smoke profiles): each crop minus the clip's first crop (signed, still in pixel
    units), so the CNN sees the motion of the region rather than the face; the synthetic corpus puts
    its classes only in motion of at most 3 px (README ledger #16). The channel count, and so every
    parameter count, is unchanged.
    """
    frames = clip_region.astype("float32")
    if motion_input == "none":
        return frames
    if motion_input != "minus_first_frame":
        raise ValueError(f"data.motion_input={motion_input!r}: expected 'none' (Sec. 3.2) or 'minus_first_frame'")
    return frames - frames[:1]  # DEVIATION: quick/smoke only, Sec. 3.2 feeds the crops (ledger #16)


def pad_features(sequences: Sequence[np.ndarray], config: AouayebConfig) -> np.ndarray:
    """(N, seq_len, 20) float32: each clip's feature sequence zero-padded (Sec. 4.1.2, length 500).

    ``keras.utils.pad_sequences``, the function the authors' Keras provided. ``data.padding="post"``
    (paper): "adding zeros at the end" (Sec. 4.1.2); ``"pre"`` (quick/smoke, ledger #12): zeros in
    front, Keras's default. Clips longer than ``seq_len`` are cut per ``data.truncating``.
    """
    if config.data.padding not in ("pre", "post"):
        raise ValueError(f"data.padding={config.data.padding!r}: expected 'post' (Sec. 4.1.2) or 'pre'")
    return keras.utils.pad_sequences(list(sequences), maxlen=config.data.seq_len, dtype="float32",
                                     padding=config.data.padding, truncating=config.data.truncating, value=0.0)


def feature_scale(features: Mapping[int, list[np.ndarray]], train_idx: np.ndarray,
                  mode: str) -> list[np.ndarray] | None:
    """The per-feature scale of ``"first_frame"`` (DEVIATION, an option in no profile, ledger #18): the standard
    deviation of each region's feature changes from the first frame over the fold's TRAINING clips; None for
    ``"none"``."""
    if mode == "none":
        return None
    if mode != "first_frame":
        raise ValueError(f"feature_normalisation={mode!r}: expected 'none' or 'first_frame'")
    return [np.concatenate([features[i][r] - features[i][r][:1] for i in train_idx]).std(axis=0) + 1e-8
            for r in range(NUM_REGIONS)]


def normalise_clip(sequences: Sequence[np.ndarray], scale: Sequence[np.ndarray] | None, mode: str) -> list[np.ndarray]:
    """One clip's six (T, 20) feature sequences as the LSTMs see them: unchanged for ``"none"``
    (Sec. 3.2-3.3); for ``"first_frame"`` each minus its first frame, divided by :func:`feature_scale`."""
    if mode == "none":
        return list(sequences)
    if mode != "first_frame":
        raise ValueError(f"feature_normalisation={mode!r}: expected 'none' or 'first_frame'")
    if scale is None:  # the TypeError indexing None would raise, with its cause
        raise TypeError("normalise_clip: feature_normalisation='first_frame' needs feature_scale's scale, got None")
    return [((seq - seq[:1]) / scale[r]).astype("float32") for r, seq in enumerate(sequences)]
