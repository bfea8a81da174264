"""Face-quality check of a clip: is there a face, and does it stay put?

Every paper detects the face once, on the first frame (Aouayeb 3.1, Reddy III-B, Talluri 4.1,
Le IV-A, Kumar 3.3; ``common.preprocessing.faces.clip_landmarks``), and reuses that box, or
those landmarks, for the whole clip. Nothing there notices a clip without a face (a centred box
is used instead), a face that leaves the frame, or landmarks dragged by a hand over the face.
This stage looks at ``samples`` evenly spaced frames of the clip (the first and the last
included), detects the face on each with the same dlib detector and predicts the 68 landmarks
(``faces.detect_face``, ``faces.landmarks``), and gives a verdict:

* ``ok``: a face in every sampled frame, and neither the box nor the landmarks move more than
  the thresholds below relative to the first frame;
* ``fallback``: no face in the first frame (the papers' pipelines then use the centred box of
  ``faces.FALLBACK_BOX_FRACTION`` of the frame), but a face in some later sampled frame;
* ``face_lost``: a face in the first frame but missing in a later sampled frame, or the face
  box or the landmarks jump (a head leaving the frame, a hand over the face);
* ``no_face``: no face in any sampled frame.

Jumps are measured against the first frame with a face and normalised by its box width: the
box centre shift, the box width ratio, and the mean landmark displacement after removing the
shift of the box (so a slow head translation does not count twice). Micro-expressions are
filmed with the head still; a shift of a quarter of the face's width between frames of one clip
is not an expression. The thresholds are ours (no paper gives any) and are recorded in every
result with the measured values.

Cost: one detection per sampled frame (about 14 ms on a 512 px frame; up to 4x more for a frame
without a face, which the detector retries upsampled) plus one landmark prediction; cached per
clip by ``common.preprocessing.cache.cached`` (stage ``face_quality``), so it is paid once.
"""
from __future__ import annotations

import dataclasses
from typing import Any, cast
from collections.abc import Mapping, Sequence

import numpy as np
from common.preprocessing.cache import cached, sample_fingerprint
from common.preprocessing.faces import Box, detect_face, landmarks, MODEL_FILE

VERDICTS = ("ok", "fallback", "face_lost", "no_face")
FLAGGED = ("fallback", "face_lost", "no_face")
SAMPLED_FRAMES = 8  # frames looked at per clip (first and last included)
MAX_BOX_SHIFT = 0.25  # box centre shift / first box width
MAX_BOX_SCALE = 1.5  # larger / smaller box width
MAX_LANDMARK_SHIFT = 0.15  # mean landmark displacement (box shift removed) / first box width
STAGE_VERSION = 1  # bump when the verdict's computation changes


@dataclasses.dataclass(frozen=True)
class FaceQuality:
    """The verdict of one clip, with what it was based on (JSON-ready with :meth:`as_dict`)."""

    verdict: str  # one of VERDICTS
    reason: str  # "" for ok
    positions: tuple[int, ...]  # the sampled frame positions (indices into the clip's frames)
    found: tuple[bool, ...]  # a face found at each sampled position
    box_shift: float  # largest box centre shift / first face width (0 without two faces)
    box_scale: float  # largest width ratio (>= 1)
    landmark_shift: float  # largest mean landmark displacement / first face width

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "reason": self.reason, "positions": list(self.positions),
                "found": list(self.found), "box_shift": round(self.box_shift, 4),
                "box_scale": round(self.box_scale, 4), "landmark_shift": round(self.landmark_shift, 4)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> FaceQuality:
        return cls(verdict=str(arrays["verdict"]), reason=str(arrays["reason"]),
                   positions=tuple(int(v) for v in np.atleast_1d(arrays["positions"])),
                   found=tuple(bool(v) for v in np.atleast_1d(arrays["found"])),
                   box_shift=float(arrays["box_shift"]), box_scale=float(arrays["box_scale"]),
                   landmark_shift=float(arrays["landmark_shift"]))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"verdict": np.array(self.verdict), "reason": np.array(self.reason),
                "positions": np.array(self.positions, dtype=np.int64), "found": np.array(self.found, dtype=bool),
                "box_shift": np.array(self.box_shift), "box_scale": np.array(self.box_scale),
                "landmark_shift": np.array(self.landmark_shift)}


def sample_positions(n_frames: int, samples: int = SAMPLED_FRAMES) -> np.ndarray:
    """Up to ``samples`` evenly spaced positions in ``0..n_frames-1``, first and last included."""
    if n_frames <= 0:
        return np.zeros(0, dtype=int)
    return np.unique(np.round(np.linspace(0, n_frames - 1, min(samples, n_frames))).astype(int))


def _ranges(positions: Sequence[int]) -> str:
    return ", ".join(str(p) for p in positions)


def assess(frames: Sequence[np.ndarray], positions: Sequence[int] | np.ndarray | None = None) -> FaceQuality:
    """The verdict for already decoded frames (the sampled ones); ``positions`` are their places in the clip."""
    positions = tuple(range(len(frames))) if positions is None else tuple(int(p) for p in positions)
    boxes: list[Box | None] = []
    points: list[np.ndarray | None] = []
    for frame in frames:
        box = detect_face(frame)
        boxes.append(box)
        points.append(None if box is None else landmarks(frame, box))
    found = tuple(b is not None for b in boxes)
    if not any(found):
        return FaceQuality("no_face", f"no face in any of the {len(frames)} sampled frames (positions "
                           f"{_ranges(positions)})", positions, found, 0.0, 1.0, 0.0)
    ref = found.index(True)
    ref_box = cast(Box, boxes[ref])  # found[ref]: a face was detected there
    width = max(float(ref_box.width), 1.0)
    centre = np.array([(ref_box.left + ref_box.right) / 2.0, (ref_box.top + ref_box.bottom) / 2.0])
    box_shift, box_scale, landmark_shift, jumps = 0.0, 1.0, 0.0, []
    for i, box in enumerate(boxes):
        if box is None or i == ref:
            continue
        c = np.array([(box.left + box.right) / 2.0, (box.top + box.bottom) / 2.0])
        shift = float(np.linalg.norm(c - centre)) / width
        scale = max(box.width, 1) / width
        scale = max(scale, 1.0 / scale)
        moved = points[i] - (c - centre)  # landmarks with the box shift removed
        lm = float(np.linalg.norm(moved - points[ref], axis=1).mean()) / width
        box_shift, box_scale, landmark_shift = max(box_shift, shift), max(box_scale, scale), max(landmark_shift, lm)
        if shift > MAX_BOX_SHIFT or scale > MAX_BOX_SCALE or lm > MAX_LANDMARK_SHIFT:
            jumps.append(f"{positions[i]} (box shift {shift:.2f}, scale {scale:.2f}, landmarks {lm:.2f} "
                         f"of the face width)")
    missing = [p for p, f in zip(positions, found) if not f]
    reasons = []
    if not found[0]:
        reasons.append(f"no face in the first frame (the papers' pipelines use a centred box there); "
                       f"first face at position {positions[ref]}")
    later_missing = [p for p in missing if p != positions[0]]
    if later_missing:
        reasons.append(f"no face in sampled frame(s) {_ranges(later_missing)} of {_ranges(positions)}")
    if jumps:
        reasons.append("face jumps against the first face at " + "; ".join(jumps[:3])
                       + (f"; and {len(jumps) - 3} more" if len(jumps) > 3 else ""))
    verdict = "ok" if not reasons else "fallback" if not found[0] else "face_lost"
    return FaceQuality(verdict, "; ".join(reasons), positions, found, box_shift, box_scale, landmark_shift)


def params(samples: int = SAMPLED_FRAMES) -> dict[str, Any]:
    """Everything the verdict depends on besides the frames (the cache key's ``params``)."""
    return {"version": STAGE_VERSION, "samples": int(samples), "max_box_shift": MAX_BOX_SHIFT,
            "max_box_scale": MAX_BOX_SCALE, "max_landmark_shift": MAX_LANDMARK_SHIFT, "model": MODEL_FILE}


def sample_face_quality(sample, samples: int = SAMPLED_FRAMES, root=None) -> FaceQuality:
    """:func:`assess` on ``samples`` evenly spaced frames of a ``Sample``, through the stage cache.

    Raises ``common.preprocessing.io.FrameReadError`` naming a sampled frame that cannot be read
    completely; a sample without frame files raises ``ValueError``.
    """
    from common.preprocessing.io import read_frame

    if not sample.frames:
        raise ValueError(f"{sample.key}: no frame files to check for a face")
    positions = sample_positions(len(sample.frames), samples)

    def compute() -> dict[str, np.ndarray]:
        frames = [read_frame(sample.frames[p], "rgb") for p in positions]
        return assess(frames, positions).to_arrays()

    return FaceQuality.from_arrays(cached("face_quality", sample_fingerprint(sample), params(samples), compute,
                                          root=root))
