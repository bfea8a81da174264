"""Face detection and 68-point landmarks with dlib (docs/methods.md §8).

dlib's HOG frontal face detector and the iBUG 300-W 68-point shape predictor shipped by the
``face-recognition-models`` distribution. Every paper here uses them:

* Aouayeb et al. 2019, section 3.1: landmarks "from the first frame of every sequence", reused
  for all its frames (``clip_landmarks(mode="first")``; authors' ``crop_6_ROIs.py``).
* Reddy et al. 2019, section III-B: dlib on each frame to crop the eyes and mouth
  (``mode="per_frame"``: one detection, landmarks on every frame; ``mode="track"``: a detection
  on every frame, as the authors' script literally does).
* Talluri et al. 2022, sections 4.1-4.2; Le et al. 2020, section IV-A; Kumar et al. 2019,
  section 3.3 (they used OpenFace; we use the same 68-point scheme from dlib).

Landmarks are (x, y) pixel coordinates, 0-based indices (docs/methods.md §8.1: "right" is the
subject's right, i.e. the image left). A clip in which no face is found never crashes: the
clip helper uses the previous frame's box, else a centred box of 80 % of the frame, and says so
in ``ClipLandmarks.fallback`` so the report can list such clips.

Speed on the shared 2-core dev machine (``benchmarks/bench_faces.py``, 512 x 512 RGB astronaut
frames, face about 90 px; load average about 3.5 from other jobs, so figures vary by +-30 %):
detection (upsample 0) 70 frames/s (14 ms/frame); landmarks with a known box 1,650 frames/s
(0.61 ms/frame against 0.54 ms for dlib's bare ``shape_predictor`` call; the rest is the
conversion of 68 points to NumPy); ``clip_landmarks`` of a 100-frame clip: ``first`` 17 ms,
``per_frame`` 79 ms, ``track`` about 1.5 s (15 ms per frame, one detection each).
"""
from __future__ import annotations

import dataclasses
import functools
import importlib.util
from pathlib import Path
from collections.abc import Mapping

import numpy as np

from common.errors import MersuiteError
from common.preprocessing.cache import cached, sample_fingerprint

N_LANDMARKS = 68
MODEL_FILE = "shape_predictor_68_face_landmarks.dat"
CLIP_MODES = ("first", "per_frame", "track")
FALLBACK_BOX_FRACTION = 0.8  # centred box used when no face is ever found


class NoFaceError(MersuiteError, ValueError):
    """No face was found where one was required."""


def landmark_model_path() -> Path:
    """The 68-point predictor file of ``face-recognition-models`` (docs/methods.md §8.2).

    Located without importing ``face_recognition_models`` (its ``__init__`` imports
    ``pkg_resources``, gone from setuptools >= 81).
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "face_recognition_models is not installed: expected the package that ships "
            f"models/{MODEL_FILE} (pip install face-recognition-models)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: expected dlib's 68-point landmark model here (face-recognition-models)")
    return path


@functools.lru_cache(maxsize=1)
def face_detector():
    import dlib

    return dlib.get_frontal_face_detector()


@functools.lru_cache(maxsize=1)
def landmark_predictor():
    import dlib

    return dlib.shape_predictor(str(landmark_model_path()))


@dataclasses.dataclass(frozen=True)
class Box:
    """A face box in pixels; ``right``/``bottom`` are dlib's inclusive corner coordinates."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return self.width * self.height

    def as_array(self) -> np.ndarray:
        return np.array([self.left, self.top, self.right, self.bottom], dtype=np.int32)

    def to_dlib(self):
        import dlib

        return dlib.rectangle(int(self.left), int(self.top), int(self.right), int(self.bottom))

    @classmethod
    def centred(cls, shape: tuple[int, ...], fraction: float = FALLBACK_BOX_FRACTION) -> Box:
        """A box of ``fraction`` of the frame's width and height, centred in it."""
        height, width = shape[:2]
        w, h = round(width * fraction), round(height * fraction)
        left, top = (width - w) // 2, (height - h) // 2
        return cls(left, top, left + w - 1, top + h - 1)


def _as_dlib_image(image: np.ndarray) -> np.ndarray:
    """uint8 grey (H, W) or RGB (H, W, 3), C-contiguous, as dlib wants; RGBA drops alpha."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"expected a uint8 (H, W) or (H, W, 3) image, got {image.dtype} {image.shape}")
    return np.ascontiguousarray(image)


def detect_face(image: np.ndarray, upsample: int = 0, retry: bool = True) -> Box | None:
    """The largest frontal face (dlib HOG detector), or ``None``.

    ``upsample=0`` costs about 12 ms on 512 x 512 and finds faces of 80 px and more; with
    ``retry`` a miss is retried once with ``upsample + 1`` (about 4x slower, smaller faces).
    The authors of Aouayeb and Reddy call ``detector(img, 1)`` and take the last / first face;
    we take the largest (the subject) instead of relying on dlib's ordering.
    """
    image = _as_dlib_image(image)
    rects = face_detector()(image, upsample)
    if len(rects) == 0 and retry:
        rects = face_detector()(image, upsample + 1)
    if len(rects) == 0:
        return None
    best = max(rects, key=lambda r: r.width() * r.height())
    return Box(best.left(), best.top(), best.right(), best.bottom())


def _predict(image: np.ndarray, box: Box) -> np.ndarray:
    shape = landmark_predictor()(image, box.to_dlib())
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def landmarks(image: np.ndarray, box: Box | None = None) -> np.ndarray:
    """(68, 2) float32 (x, y) landmarks of the face in ``box`` (detected when ``None``).

    Raises ``NoFaceError`` when ``box`` is None and no face is found; the clip helper below
    never raises for that reason.
    """
    image = _as_dlib_image(image)
    if box is None:
        box = detect_face(image)
        if box is None:
            raise NoFaceError(f"no face found in a {image.shape} image")
    return _predict(image, box)


@dataclasses.dataclass(frozen=True, eq=False)
class ClipLandmarks:
    """Landmarks of a clip. ``fallback`` is None when a face was detected where needed, else it
    says what was used instead (and for which frames); ``boxes`` is the box used per frame."""

    points: np.ndarray  # (T, 68, 2) float32, (x, y)
    box: Box  # the box of the first frame
    fallback: str | None = None
    boxes: np.ndarray | None = None  # (T, 4) int32 left, top, right, bottom

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for ``common.preprocessing.cache.cached``."""
        boxes = self.boxes if self.boxes is not None else np.repeat(self.box.as_array()[None], len(self.points), 0)
        fallback = "" if self.fallback is None else self.fallback
        return {"points": self.points, "box": self.box.as_array(), "fallback": np.array(fallback), "boxes": boxes}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> ClipLandmarks:
        fallback = str(arrays["fallback"])
        return cls(
            points=np.asarray(arrays["points"], dtype=np.float32),
            box=Box(*(int(v) for v in arrays["box"])),
            fallback=fallback or None,
            boxes=np.asarray(arrays["boxes"], dtype=np.int32),
        )


def _frames_list(frames) -> list[np.ndarray]:
    frames = [_as_dlib_image(f) for f in frames]
    if not frames:
        raise ValueError("clip_landmarks: expected at least one frame, got an empty clip")
    return frames


def clip_landmarks(frames, mode: str = "first", upsample: int = 0) -> ClipLandmarks:
    """Landmarks of every frame of a clip ((T, H, W[, 3]) uint8 array or a list of frames).

    * ``"first"``: detect and predict on the first frame; those 68 points are reused for every
      frame (Aouayeb et al. 2019, section 3.1).
    * ``"per_frame"``: detect once on the first frame, then predict on every frame inside that
      box (Reddy et al. 2019 III-B, Kumar et al. 2019 3.3; about 0.5 ms per frame).
    * ``"track"``: detect on every frame (about 12-30 ms each, what Reddy's script does); a frame
      without a face uses the previous frame's box.

    No face in the first frame: the centred 80 % box (``Box.centred``), recorded in ``fallback``.
    """
    if mode not in CLIP_MODES:
        raise ValueError(f"mode={mode!r}: expected one of {CLIP_MODES}")
    frames = _frames_list(frames)
    notes = []
    first_box = detect_face(frames[0], upsample)
    if first_box is None:
        first_box = Box.centred(frames[0].shape)
        notes.append(f"no face in frame 0: centred box of {FALLBACK_BOX_FRACTION:.0%} of the frame")

    if mode == "first":
        points = np.repeat(_predict(frames[0], first_box)[None], len(frames), axis=0)
        boxes = [first_box] * len(frames)
    elif mode == "per_frame":
        points = np.stack([_predict(frame, first_box) for frame in frames])
        boxes = [first_box] * len(frames)
    else:  # track
        boxes, missing = [first_box], []
        for index, frame in enumerate(frames[1:], start=1):
            box = detect_face(frame, upsample)
            if box is None:
                missing.append(index)
                box = boxes[-1]
            boxes.append(box)
        if missing:
            notes.append(f"no face in {len(missing)} frame(s) {_ranges(missing)}: previous frame's box")
        points = np.stack([_predict(frame, box) for frame, box in zip(frames, boxes)])
    return ClipLandmarks(
        points=points.astype(np.float32),
        box=first_box,
        fallback="; ".join(notes) or None,
        boxes=np.stack([b.as_array() for b in boxes]),
    )


def _ranges(indices: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7' (short fallback messages for long clips)."""
    start: int | None  # None once past the last run
    parts, start = [], indices[0]
    for prev, cur in zip(indices, indices[1:] + [None]):
        run_ends = cur is None or cur != prev + 1
        if run_ends:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = cur
    return ", ".join(parts)


def sample_landmarks(sample, mode: str = "first", color: str = "rgb", root: Path | None = None) -> ClipLandmarks:
    """``clip_landmarks`` of a ``Sample``'s frames through the stage cache (``cache.cached``)."""
    from common.preprocessing.io import read_frames

    arrays = cached(
        f"landmarks_{mode}",
        sample_fingerprint(sample),
        {"mode": mode, "color": color, "model": MODEL_FILE},
        lambda: clip_landmarks(read_frames(sample.frames, color), mode).to_arrays(),
        root=root,
    )
    return ClipLandmarks.from_arrays(arrays)
