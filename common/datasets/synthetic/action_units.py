"""Action-unit motion for the synthetic corpus.

Each action unit (FACS, Ekman & Friesen) is modelled as a displacement field localised around the
68 dlib landmarks it moves (docs/methods.md §8.1: brows 17-26, eyes 36-47, nose 27-35, mouth 48-67,
jaw 0-16): a sum of isotropic Gaussians centred on control points, each carrying a displacement
expressed in face axes (``out`` = away from the face's midline, ``up`` = towards the forehead).
Fields are in output-pixel units and normalised to a peak of 1; the clip renderer scales them to
at most about 3 px on a 256-pixel face.

Emotion recipes follow the usual prototypes (CASME II / SAMM coding practice, EMFACS):
happiness AU6+12, surprise AU1+2(+5/26), disgust AU4+9(+10), repression AU4+15+17, anger
AU4+7(+23), fear AU1+4+20, sadness AU1+4+15, contempt AU4+R/L14, negative AU4 + one of
9/15/14/7, others a small unrelated AU or none. Every negative recipe contains AU4 (brow
lowerer) so MEGC's composite "negative" class shares a learnable element.

Written by hand: no maintained library synthesises FACS action units as 2-D displacement fields.
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

# One control point: (landmark indices averaged, side, out, up, sigma, shift_out, shift_up).
# side: "r" = subject's right (image left), "l" = subject's left, "c" = midline (no mirroring).
# out/up: displacement direction (out = away from the midline); sigma: Gaussian width;
# shift_*: offset of the centre from the landmark mean. Lengths are in units of jaw width.
_Point = tuple[tuple[int, ...], str, float, float, float, float, float]


def _bilateral(right: tuple[int, ...], left: tuple[int, ...], out: float, up: float, sigma: float,
               shift_out: float = 0.0, shift_up: float = 0.0) -> list[_Point]:
    return [(right, "r", out, up, sigma, shift_out, shift_up), (left, "l", out, up, sigma, shift_out, shift_up)]


# The control points of each action unit (a subset of FACS; enough for the recipes below).
ACTION_UNITS: dict[str, list[_Point]] = {
    # AU1 inner brow raiser: inner brow ends and the forehead above them move up.
    "1": _bilateral((21,), (22,), 0.0, 1.0, 0.06)
    + _bilateral((20,), (23,), 0.0, 0.8, 0.06)
    + _bilateral((21,), (22,), 0.0, 0.6, 0.07, 0.0, 0.08),
    # AU2 outer brow raiser: outer brow ends move up.
    "2": _bilateral((17,), (26,), 0.0, 1.0, 0.06) + _bilateral((18,), (25,), 0.0, 1.0, 0.06)
    + _bilateral((19,), (24,), 0.0, 0.5, 0.06),
    # AU4 brow lowerer: brows move down, inner ends also towards each other.
    "4": _bilateral((21,), (22,), -0.6, -1.0, 0.06) + _bilateral((20,), (23,), -0.3, -0.9, 0.06)
    + _bilateral((18, 19), (24, 25), 0.0, -0.6, 0.06),
    # AU5 upper lid raiser.
    "5": _bilateral((37, 38), (43, 44), 0.0, 1.0, 0.035),
    # AU6 cheek raiser: cheeks (between lower eyelid and mouth corner, lateral) and lower lids up.
    "6": _bilateral((41, 48), (46, 54), 0.2, 1.0, 0.08, 0.07, 0.0)
    + _bilateral((40, 41), (46, 47), 0.0, 0.5, 0.035),
    # AU7 lid tightener: lower lids up, upper lids slightly down.
    "7": _bilateral((40, 41), (46, 47), 0.0, 1.0, 0.035) + _bilateral((37, 38), (43, 44), 0.0, -0.3, 0.03),
    # AU9 nose wrinkler: nose wings up, bridge skin up, inner brows down, upper lip slightly up.
    "9": _bilateral((31,), (35,), 0.1, 1.0, 0.05) + [((32, 33, 34), "c", 0.0, 0.7, 0.05, 0.0, 0.0)]
    + [((28, 29), "c", 0.0, 0.5, 0.05, 0.0, 0.0)] + _bilateral((21,), (22,), 0.0, -0.5, 0.05)
    + [((50, 51, 52), "c", 0.0, 0.4, 0.05, 0.0, 0.0)],
    # AU10 upper lip raiser.
    "10": [((50, 51, 52, 61, 62, 63), "c", 0.0, 1.0, 0.05, 0.0, 0.0)] + _bilateral((49,), (53,), 0.0, 0.8, 0.045),
    # AU12 lip corner puller: corners up and out.
    "12": _bilateral((48, 60), (54, 64), 0.7, 1.0, 0.06) + _bilateral((49,), (53,), 0.3, 0.5, 0.05)
    + _bilateral((59,), (55,), 0.3, 0.4, 0.05),
    # AU14 dimpler: corners tightened sideways.
    "14": _bilateral((48, 60), (54, 64), 1.0, 0.15, 0.05),
    # AU15 lip corner depressor: corners down.
    "15": _bilateral((48, 60), (54, 64), 0.1, -1.0, 0.06) + _bilateral((59,), (55,), 0.0, -0.5, 0.05),
    # AU17 chin raiser: chin boss and lower lip up.
    "17": [((7, 8, 9), "c", 0.0, 1.0, 0.08, 0.0, 0.0), ((56, 57, 58), "c", 0.0, 0.7, 0.06, 0.0, 0.0)],
    # AU20 lip stretcher: corners out, slightly down.
    "20": _bilateral((48, 60), (54, 64), 1.0, -0.2, 0.06),
    # AU23 lip tightener: corners towards the midline.
    "23": _bilateral((48, 60), (54, 64), -1.0, 0.0, 0.05),
    # AU25 lips part: lower lip down.
    "25": [((56, 57, 58, 65, 66, 67), "c", 0.0, -1.0, 0.045, 0.0, 0.0)],
    # AU26 jaw drop: lower lip and chin down.
    "26": [((56, 57, 58, 65, 66, 67), "c", 0.0, -1.0, 0.06, 0.0, 0.0), ((7, 8, 9), "c", 0.0, -1.0, 0.09, 0.0, 0.0)],
    # AU38 nostril dilator.
    "38": _bilateral((31,), (35,), 1.0, 0.0, 0.03),
    # AU45 blink (the distractor): upper lids down towards the lower lids.
    "45": _bilateral((37, 38), (43, 44), 0.0, -1.0, 0.03),
}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The action units of one clip: ``units`` pairs an AU name ("12", "R14") with its weight."""

    emotion: str
    units: tuple[tuple[str, float], ...]

    @property
    def code(self) -> str:
        """FACS code as the databases write it: "6+12", "4+R14"; "" when no AU moves."""
        return "+".join(name for name, _ in self.units)


# Canonical emotion name of every database label we accept (lower case).
EMOTION_ALIASES = {
    "happiness": "happiness", "happy": "happiness", "positive": "happiness",
    "surprise": "surprise", "surprised": "surprise",
    "disgust": "disgust", "repression": "repression", "anger": "anger", "angry": "anger",
    "fear": "fear", "sadness": "sadness", "sad": "sadness", "contempt": "contempt",
    "negative": "negative",
    "others": "others", "other": "others",
    "neutral": "neutral", "none": "neutral", "non_micro": "neutral",
}


def canonical_emotion(emotion: str) -> str:
    key = str(emotion).strip().lower().replace("-", "_")
    if key not in EMOTION_ALIASES:
        raise ValueError(f"unknown emotion {emotion!r}: expected one of {sorted(EMOTION_ALIASES)}")
    return EMOTION_ALIASES[key]


def emotion_recipe(emotion: str, rng: np.random.Generator) -> Recipe:
    """The AUs (with weights) a clip of ``emotion`` shows; the optional AUs are drawn from ``rng``."""
    name = canonical_emotion(emotion)
    side = "R" if rng.random() < 0.5 else "L"
    optional = rng.random(2)
    if name == "happiness":
        units = [("6", 0.6), ("12", 1.0)]
    elif name == "surprise":
        units = [("1", 1.0), ("2", 1.0)]
        if optional[0] < 0.4:
            units.append(("5", 0.3))
        if optional[1] < 0.4:
            units.append(("26", 0.4))
    elif name == "disgust":
        units = [("4", 0.7), ("9", 1.0)] + ([("10", 0.5)] if optional[0] < 0.5 else [])
    elif name == "repression":
        units = [("4", 0.6), ("15", 0.8), ("17", 0.7)]
    elif name == "anger":
        units = [("4", 1.0), ("7", 0.6)] + ([("23", 0.5)] if optional[0] < 0.5 else [])
    elif name == "fear":
        units = [("1", 0.5), ("4", 1.0), ("20", 0.8)]
    elif name == "sadness":
        units = [("1", 0.5), ("4", 0.8), ("15", 0.8)]
    elif name == "contempt":
        units = [("4", 0.5), (side + "14", 1.0)]
    elif name == "negative":
        units = [("4", 1.0), (str(rng.choice(["9", "15", "14", "7"])), 0.8)]
    elif name == "others":
        choice = str(rng.choice(["", "25", "38", "10", "17"]))
        units = [(choice, 0.6)] if choice else []
    else:  # neutral
        units = []
    return Recipe(emotion=name, units=tuple(units))


def face_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(nose centre, right, up, jaw width) of a face from its (68, 2) landmarks, in image coordinates.

    ``right`` points from the subject's right eye to the left eye (image right for a frontal face),
    ``up`` from the mouth towards the brows, both unit vectors.
    """
    points = np.asarray(points, dtype=np.float64)
    eye_r, eye_l = points[36:42].mean(0), points[42:48].mean(0)
    right = (eye_l - eye_r) / np.linalg.norm(eye_l - eye_r)
    up = np.array([right[1], -right[0]])  # right rotated by -90 degrees: image up for an upright face
    if np.dot(up, points[36:48].mean(0) - points[48:68].mean(0)) < 0:
        up = -up
    centre = points[27:36].mean(0)  # the nose: the middle of the landmark cloud
    jaw_width = float(abs(np.dot(points[16] - points[0], right)))
    return centre, right, up, jaw_width


def unit_field(points: np.ndarray, unit: str, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 2) float32 displacement field of one AU ("12", "R14", "L14") for a face with the
    given landmarks, in output pixels, peak magnitude 1. ``size`` is (width, height)."""
    side_only = None
    if unit[:1] in ("R", "L"):
        side_only, unit = unit[0].lower(), unit[1:]
    if unit not in ACTION_UNITS:
        raise ValueError(f"unknown action unit {unit!r}: expected one of {sorted(ACTION_UNITS)}")
    points = np.asarray(points, dtype=np.float64)
    _, right, up, jaw = face_axes(points)
    width, height = size
    # Evaluate the Gaussians on a 2-px grid and resize: the fields are smooth (sigma >= 5 px).
    step = 2
    ys, xs = np.mgrid[0:height:step, 0:width:step].astype(np.float64)
    field = np.zeros(xs.shape + (2,))
    for indices, side, out, up_amount, sigma, shift_out, shift_up in ACTION_UNITS[unit]:
        if side_only is not None and side != side_only:
            continue
        outward = -right if side == "r" else right if side == "l" else np.zeros(2)
        centre = points[list(indices)].mean(0) + jaw * (shift_out * outward + shift_up * up)
        direction = out * outward + up_amount * up
        weight = np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2.0 * (sigma * jaw) ** 2))
        field += weight[..., None] * direction
    field = cv2.resize(field.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    peak = float(np.sqrt((field**2).sum(-1)).max())
    return field / peak if peak > 0 else field


def recipe_field(points: np.ndarray, recipe: Recipe, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 2) float32 field of a whole recipe (weighted AU fields), peak magnitude 1 (or 0)."""
    width, height = size
    field = np.zeros((height, width, 2), dtype=np.float32)
    for unit, weight in recipe.units:
        field += weight * unit_field(points, unit, size)
    peak = float(np.sqrt((field**2).sum(-1)).max())
    return field / peak if peak > 0 else field


def time_course(n_frames: int, onset: int, apex: int, offset: int) -> np.ndarray:
    """(n_frames,) intensity in [0, 1]: 0 before ``onset``, a raised-cosine rise to 1 at ``apex``,
    a raised-cosine fall to 0 at ``offset``, 0 after. Positions are 0-based and may lie outside
    the clip (a clip cut inside the expression)."""
    if not onset <= apex <= offset:
        raise ValueError(f"expected onset <= apex <= offset, got {onset}, {apex}, {offset}")
    t = np.arange(n_frames, dtype=np.float64)
    course = np.zeros(n_frames)
    rise = (t >= onset) & (t <= apex)
    course[rise] = 0.5 - 0.5 * np.cos(np.pi * (t[rise] - onset) / max(apex - onset, 1e-9))
    fall = (t >= apex) & (t <= offset)
    course[fall] = 0.5 + 0.5 * np.cos(np.pi * (t[fall] - apex) / max(offset - apex, 1e-9))
    course[t == apex] = 1.0
    return course.astype(np.float32)
