"""Synthetic faces for the synthetic corpus.

Subjects come from the two face photographs shipped with our dependencies,
``skimage.data.astronaut()`` and matplotlib's ``sample_data/grace_hopper.jpg``, each also used
mirrored (four base faces). Their 68 dlib landmarks (docs/methods.md §8) are detected once per
process. A subject (``make_subject``) is one base face under

* a smooth identity warp: the landmarks are perturbed by face-part recipes (eye spacing, brow
  height, nose length/width, mouth position/width, lip thickness, jaw width, chin) and the
  displacement field is interpolated with a thin-plate spline (``scipy.interpolate.RBFInterpolator``),
  pinned to zero on a ring around the face;
* a similarity + shear "pose" (scale about +-8 %, roll +-6 degrees, shear +-0.05), placement
  in the frame, an illumination gradient, a colour cast and a sensor-noise level.

All of it is folded into one output->photo coordinate map, computed once, so a neutral frame
is one ``cv2.remap``. A clip (``render_clip``; ``render_video`` for several expressions in one
long video) adds motion on top: a displacement field per component (each expression's action
units, see ``action_units.py``; blinks; head jitter in x, y and roll), each with a per-frame
weight. The per-frame map is the neutral map plus a linear combination of precomputed fields
(first-order composition ``S(x - u) = S(x) - J(x) u(x)``, with ``J`` the map's Jacobian), then
one remap and Gaussian sensor noise (``cv2.randn``): about 0.5 ms of remap and 1-2 ms in all
per 256 x 256 RGB frame on the 2-core dev machine.

The class is visible only in the motion: blinks, jitter, noise, illumination and amplitude are
drawn with the same distributions for every emotion, from random streams that never see the
label (same seed, different emotion: identical frames outside the expression). Clip timing
(onset/apex/offset, length) is the caller's.

Written by hand on OpenCV/SciPy: no maintained library renders landmark-driven face animation.
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import cv2
import numpy as np
from scipy.interpolate import RBFInterpolator
from scipy.signal import lfilter

from .action_units import Recipe, emotion_recipe, face_axes, recipe_field, time_course, unit_field
from common.preprocessing.faces import face_detector, Box, landmarks

# The four base faces: (photograph, mirrored).
BASE_FACES = (("astronaut", False), ("grace_hopper", False), ("astronaut", True), ("grace_hopper", True))

MAX_APEX_DISPLACEMENT = 3.0  # px at the apex on the largest 256-pixel face ("at most about 3 pixels")
FACE_FRACTION_SQUARE = 0.62  # jaw width / frame side for square-ish frames (a cropped-face database)
FACE_FRACTION_WIDE = 0.5  # jaw width / frame height for full frames (CAS(ME)^2)
SCALE_RANGE = 0.08  # +- relative face scale between subjects
# The largest jaw width on a 256 x 256 frame: MAX_APEX_DISPLACEMENT is reached there.
REFERENCE_JAW_WIDTH = FACE_FRACTION_SQUARE * 256 * (1 + SCALE_RANGE)
# apex intensity of a clip, as a fraction of the subject's maximum (2.25-3 px at 256 px: subtle, within the cap)
INTENSITY_RANGE = (0.75, 1.0)
JITTER_PX = 0.15  # std of head jitter (translation) on the reference face ("a fraction of a pixel")
JITTER_TIME = 0.15  # s, correlation time of the jitter
BLINKS_PER_CLIP = 0.5  # mean number of blinks in any clip, plus BLINK_RATE per second (every class)
BLINK_RATE = 0.25  # blinks/s (people blink 15-20 times a minute; fewer while watching a stimulus)
BLINK_DURATION = (0.15, 0.3)  # s
BLINK_DEPTH = (0.25, 0.45)  # fraction of the eye opening the upper lid travels
NOISE_SIGMA = (1.0, 2.5)  # grey levels, per subject


@functools.cache
def base_face(name: str, mirrored: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(RGB uint8 photograph, (68, 2) float32 dlib landmarks) of a base face, detected once."""
    if name == "astronaut":
        import skimage.data

        image = skimage.data.astronaut()
    elif name == "grace_hopper":
        import matplotlib.cbook

        path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(f"{path}: expected matplotlib's sample photograph grace_hopper.jpg")
        image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    else:
        raise ValueError(f"unknown base face {name!r}: expected 'astronaut' or 'grace_hopper'")
    if mirrored:
        image = image[:, ::-1]
    image = np.ascontiguousarray(image)
    # The detection with the highest score (the astronaut photograph holds a weak second "face"
    # on her suit when upsampled), then the shared 68-point predictor.
    rects, scores, _ = face_detector().run(image, 0)  # dlib's frontal detector, built once (0.7 s of CPU each)
    if len(rects) == 0:
        raise RuntimeError(f"dlib found no face in the {name} photograph")
    best = rects[int(np.argmax(scores))]
    points = landmarks(image, Box(best.left(), best.top(), best.right(), best.bottom()))
    image.setflags(write=False)
    points.setflags(write=False)
    return image, points


@dataclasses.dataclass(frozen=True, eq=False)
class SubjectFace:
    """One synthetic subject, ready to render at ``size`` = (width, height)."""

    index: int
    seed: int
    size: tuple[int, int]
    gray: bool
    source: str  # base face, e.g. "astronaut" or "grace_hopper (mirrored)"
    texture: np.ndarray  # the lit, coloured photograph the frames are sampled from, uint8 (Hs, Ws[, 3])
    base_map: np.ndarray  # (H, W, 2) float32: output pixel -> texture (x, y)
    jacobian: np.ndarray  # (H, W, 2, 2) float32: d base_map_i / d x_j
    landmarks: np.ndarray  # (68, 2) float32: neutral landmarks in the output frame
    jaw_width: float  # px, |x16 - x0| along the eye axis
    noise_sigma: float  # grey levels of per-frame Gaussian sensor noise

    @property
    def max_displacement(self) -> float:
        """Peak action-unit displacement (px) of a full-intensity clip of this subject."""
        return MAX_APEX_DISPLACEMENT * self.jaw_width / REFERENCE_JAW_WIDTH

    @functools.cached_property
    def neutral(self) -> np.ndarray:
        """(H, W, 3) uint8 noise-free neutral frame."""
        frame = _to_rgb(_remap(self.texture, self.base_map))
        frame.setflags(write=False)
        return frame


def _remap(texture: np.ndarray, coordinate_map: np.ndarray) -> np.ndarray:
    return cv2.remap(  # type: ignore[call-overload]  # map2 None (map1 holds x, y): OpenCV's stubs want an array
        texture, coordinate_map, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


def _to_rgb(frame: np.ndarray) -> np.ndarray:
    return np.repeat(frame[..., None], 3, axis=2) if frame.ndim == 2 else frame


def _grid(width: int, height: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Coarse grid whose cv2.resize to (width, height) lands exactly on the pixel grid."""
    w, h = -(-width // step), -(-height // step)
    xs = (np.arange(w) + 0.5) * width / w - 0.5
    ys = (np.arange(h) + 0.5) * height / h - 0.5
    return np.meshgrid(xs, ys)


def _affine(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def _identity_displacements(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(68, 2) landmark displacements that make a new identity (face-part recipes, in jaw widths)."""
    centre, right, up, jaw = face_axes(points)
    side = np.sign((points - centre) @ right)  # -1 image left (subject's right), +1 image right
    d = np.zeros_like(points, dtype=np.float64)
    u = lambda a: rng.uniform(-a, a)  # noqa: E731
    eyes_brows = np.r_[17:27, 36:48]
    d[eyes_brows] += (side[eyes_brows, None] * right) * u(0.03) * jaw  # eye spacing
    d[eyes_brows] += up * u(0.02) * jaw  # eye height
    d[17:27] += up * u(0.025) * jaw  # brow height
    d[[17, 18, 25, 26]] += up * u(0.015) * jaw  # brow tilt
    nose = u(0.03) * jaw  # nose length
    d[31:36] -= up * nose
    d[30] -= up * 0.7 * nose
    d[29] -= up * 0.4 * nose
    d[[31, 32, 34, 35]] += (side[[31, 32, 34, 35], None] * right) * u(0.02) * jaw  # nose width
    mouth_centre = points[48:68].mean(0)
    rel = points[48:68] - mouth_centre
    d[48:68] += np.outer(rel @ right, right) * u(0.1)  # mouth width
    d[48:68] += np.outer(rel @ up, up) * u(0.15)  # lip thickness
    d[48:68] += up * u(0.03) * jaw  # mouth height
    d[0:17] += np.outer((points[0:17] - centre) @ right, right) * u(0.05)  # jaw width
    chin = u(0.03) * jaw
    for index, weight in zip(range(5, 12), (0.25, 0.5, 0.8, 1.0, 0.8, 0.5, 0.25)):
        d[index] -= up * weight * chin
    d += rng.normal(0.0, 0.004 * jaw, size=d.shape)  # small individual asymmetries
    return d


def _identity_field(points: np.ndarray, displacements: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 2) thin-plate-spline field taking ``points`` to ``points + displacements`` and
    vanishing on a ring around the face and on the frame border."""
    width, height = size
    centre, right, up, jaw = face_axes(points)
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    ring = centre + np.outer(0.85 * jaw * np.cos(angles), right) + np.outer(1.05 * jaw * np.sin(angles), up)
    border = np.array([(x, y) for x in np.linspace(0, width - 1, 5) for y in np.linspace(0, height - 1, 5)
                       if x in (0, width - 1) or y in (0, height - 1)])
    anchors = np.concatenate([ring, border])
    # keep only anchors well away from the landmarks (a tight face crop has its border near the jaw)
    gap = np.min(np.linalg.norm(anchors[:, None] - points[None], axis=-1), axis=1)
    anchors = anchors[gap > 0.12 * jaw]
    centres = np.concatenate([points + displacements, anchors])
    values = np.concatenate([displacements, np.zeros_like(anchors)])
    spline = RBFInterpolator(centres, values, kernel="thin_plate_spline", degree=1)
    xs, ys = _grid(width, height, 4)
    coarse = spline(np.stack([xs.ravel(), ys.ravel()], axis=1)).reshape(xs.shape + (2,))
    return cv2.resize(coarse.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


def make_subject(index: int, seed: int, size: tuple[int, int] = (256, 256), gray: bool = False) -> SubjectFace:
    """Subject ``index`` of the corpus drawn with ``seed``, rendered at ``size`` = (width, height).

    Deterministic for (index, seed, size, gray); the same (index, seed) at another size is the
    same person (same base face, warp, pose and lighting). Subjects are immutable (read-only
    arrays) and the last few are cached, so calling this once per clip costs nothing.
    """
    return _make_subject(int(index), int(seed), (int(size[0]), int(size[1])), bool(gray))


@functools.lru_cache(maxsize=8)
def _make_subject(index: int, seed: int, size: tuple[int, int], gray: bool) -> SubjectFace:
    width, height = size
    if width < 64 or height < 64:
        raise ValueError(f"expected a frame size of at least 64 x 64, got {size}")
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(index), 0x5EED])
    name, mirrored = BASE_FACES[(index + seed) % len(BASE_FACES)]
    photo, photo_points = base_face(name, mirrored)
    photo_points = photo_points.astype(np.float64)

    # Pose: photo -> output similarity with shear and aspect (the face's placement in the frame).
    _, right, _, photo_jaw = face_axes(photo_points)
    tilt = np.arctan2(right[1], right[0])
    fraction = FACE_FRACTION_SQUARE if 0.9 <= width / height <= 1.1 else FACE_FRACTION_WIDE
    jaw = fraction * min(width, height) * (1 + rng.uniform(-SCALE_RANGE, SCALE_RANGE))
    roll = np.deg2rad(rng.uniform(-6, 6))
    shear = rng.uniform(-0.05, 0.05)
    aspect = np.exp(rng.uniform(-0.05, 0.05))
    target = np.array([width * (0.5 + rng.uniform(-0.03, 0.03)), height * (0.56 + rng.uniform(-0.03, 0.03))])
    box_centre = 0.5 * (photo_points.min(0) + photo_points.max(0))

    def rotation(a: float) -> np.ndarray:
        return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])

    scale = jaw / photo_jaw
    linear = (rotation(roll) @ np.array([[1, shear], [0, 1]]) @ np.diag([scale * aspect, scale / aspect])
              @ rotation(-tilt))
    forward = np.concatenate([linear, (target - linear @ box_centre)[:, None]], axis=1)  # photo -> output
    inverse = cv2.invertAffineTransform(forward)  # output -> photo

    # Identity: perturbed landmarks, thin-plate-spline field v; base_map(x) = inverse(x - v(x)).
    points0 = _affine(photo_points, forward)
    displacements = _identity_displacements(points0, rng)
    field = _identity_field(points0, displacements, (width, height))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    warped = np.stack([xs, ys], axis=-1) - field
    base_map = (warped @ inverse[:, :2].T.astype(np.float32) + inverse[:, 2].astype(np.float32)).astype(np.float32)
    dv = np.stack(np.gradient(field, axis=(1, 0)), axis=-1)  # (H, W, 2 components, 2 derivatives x/y)
    jacobian = np.einsum("ij,hwjk->hwik", inverse[:, :2], np.eye(2) - dv).astype(np.float32)

    # Lighting and colour, applied to the photograph once (a linear gradient in the photo is a
    # linear gradient on the face).
    image = photo.astype(np.float32)
    direction = rng.normal(size=2)
    direction /= np.linalg.norm(direction)
    py, px = np.mgrid[0:photo.shape[0], 0:photo.shape[1]].astype(np.float32)
    ramp = ((px - box_centre[0]) * direction[0] + (py - box_centre[1]) * direction[1]) / photo_jaw
    gain = (1.0 + rng.uniform(0.05, 0.25) * ramp) * rng.uniform(0.8, 1.1)
    image *= np.clip(gain, 0.4, 1.6)[..., None]
    image *= rng.uniform(0.88, 1.12, size=3).astype(np.float32)  # colour cast
    image += rng.uniform(-10, 10)
    texture: np.ndarray = np.clip(image, 0, 255).astype(np.uint8)
    if gray:
        texture = cv2.cvtColor(texture, cv2.COLOR_RGB2GRAY)
    shrink = 1.0 / scale  # photo pixels per output pixel
    if shrink > 1.2:  # anti-alias before the remap downsamples
        texture = cv2.GaussianBlur(texture, (0, 0), 0.45 * np.sqrt(shrink**2 - 1))
    neutral_points = (points0 + displacements).astype(np.float32)
    for array in (texture, base_map, jacobian, neutral_points):
        array.setflags(write=False)
    return SubjectFace(
        index=int(index), seed=int(seed), size=(width, height), gray=bool(gray),
        source=name + (" (mirrored)" if mirrored else ""), texture=texture, base_map=base_map,
        jacobian=jacobian, landmarks=neutral_points,
        jaw_width=float(jaw), noise_sigma=float(rng.uniform(*NOISE_SIGMA)),
    )


DISTRACTORS = ("blink", "jitter_x", "jitter_y", "roll")  # the last four ClipMotion components


@dataclasses.dataclass(frozen=True, eq=False)
class ClipMotion:
    """Everything that moves in one clip: ``fields[k]`` (H, W, 2 float32, output px) weighted by
    ``weights[t, k]`` at frame t. Components, in order: one per expression event (its action units;
    weight = its time course, field scaled to its apex displacement), then ``DISTRACTORS``: blink
    (weight in [0, 1]), jitter x and y (weight in px), roll (weight in radians)."""

    recipes: tuple[Recipe, ...]  # one per expression event
    fields: np.ndarray  # (E + 4, H, W, 2) float32
    weights: np.ndarray  # (T, E + 4) float32
    noise_seed: int

    @property
    def recipe(self) -> Recipe:
        """The recipe of the (first) expression."""
        return self.recipes[0]

    @property
    def apex_field(self) -> np.ndarray:
        """(H, W, 2) action-unit displacement of the (first) expression at its apex."""
        return self.fields[0]

    def displacement(self, t: int) -> np.ndarray:
        """(H, W, 2) total displacement of frame ``t`` relative to the neutral face."""
        return np.tensordot(self.weights[t], self.fields, axes=1)


def _smooth_noise(rng: np.random.Generator, n: int, fps: float, correlation_time: float) -> np.ndarray:
    """(n,) stationary AR(1) sequence with unit variance and the given correlation time (s)."""
    a = float(np.exp(-1.0 / max(correlation_time * fps, 1e-6)))
    start = rng.normal()  # the state before frame 0, drawn from the stationary distribution
    innovations = rng.normal(size=n) * np.sqrt(1 - a * a)
    return lfilter([1.0], [1.0, -a], innovations, zi=[a * start])[0]


def _recipe_rng(seed: int, event: int = 0) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, 1, int(event), 0xC11F])


def plan_video(subject: SubjectFace, events: Sequence[tuple[str, int, int, int]], n_frames: int, fps: float,
               seed: int) -> ClipMotion:
    """The motion of a video holding zero or more expressions ``events`` = [(emotion, onset, apex,
    offset), ...] (0-based frame positions), with blinks, jitter and noise running continuously."""
    if n_frames < 1:
        raise ValueError(f"expected n_frames >= 1, got {n_frames}")
    if fps <= 0:
        raise ValueError(f"expected fps > 0, got {fps}")
    # Independent streams: the recipes see the labels; nothing else does (same seed, same
    # amplitudes, blinks, jitter and noise whatever the emotions).
    recipes = tuple(emotion_recipe(emotion, _recipe_rng(seed, i)) for i, (emotion, *_) in enumerate(events))
    motion_rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 2, 0xC11F])
    width, height = subject.size
    points = subject.landmarks

    fields, weights = [], []
    for recipe, (_, onset, apex, offset) in zip(recipes, events):
        intensity = motion_rng.uniform(*INTENSITY_RANGE)
        fields.append(recipe_field(points, recipe, subject.size) * (intensity * subject.max_displacement))
        weights.append(time_course(n_frames, onset, apex, offset))

    # Blinks (AU45): a Poisson number at random times, the same statistics in every class.
    eye_opening = float(np.mean(np.linalg.norm(points[[37, 38, 43, 44]] - points[[41, 40, 47, 46]], axis=1)))
    fields.append(unit_field(points, "45", subject.size) * (BLINK_DEPTH[1] * eye_opening))
    blink = np.zeros(n_frames)
    for _ in range(motion_rng.poisson(BLINKS_PER_CLIP + BLINK_RATE * n_frames / fps)):
        duration = max(2.0, motion_rng.uniform(*BLINK_DURATION) * fps)
        phase = (np.arange(n_frames) - motion_rng.uniform(-duration, n_frames)) / duration
        inside = (phase > 0) & (phase < 1)
        depth = motion_rng.uniform(*BLINK_DEPTH) / BLINK_DEPTH[1]
        blink[inside] = np.maximum(blink[inside], depth * np.sin(np.pi * phase[inside]) ** 2)
    weights.append(blink)

    # Head jitter: smooth sub-pixel translation and roll about the nose.
    centre, _, _, _ = face_axes(points)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    fields.append(np.stack([np.ones_like(xs), np.zeros_like(xs)], axis=-1))  # x, per px
    fields.append(np.stack([np.zeros_like(xs), np.ones_like(xs)], axis=-1))  # y, per px
    fields.append(np.stack([-(ys - centre[1]), xs - centre[0]], axis=-1))  # roll, per radian
    jitter = JITTER_PX * subject.jaw_width / REFERENCE_JAW_WIDTH
    weights += [jitter * _smooth_noise(motion_rng, n_frames, fps, JITTER_TIME) for _ in range(2)]
    weights.append((jitter / (0.5 * subject.jaw_width)) * _smooth_noise(motion_rng, n_frames, fps, JITTER_TIME))

    return ClipMotion(
        recipes=recipes, fields=np.stack(fields).astype(np.float32),
        weights=np.stack(weights, axis=1).astype(np.float32), noise_seed=int(motion_rng.integers(2**31)),
    )


def plan_clip(subject: SubjectFace, emotion: str, n_frames: int, onset: int, apex: int, offset: int,
              fps: float, seed: int) -> ClipMotion:
    """The motion of one clip (see ``render_clip``)."""
    return plan_video(subject, [(emotion, onset, apex, offset)], n_frames, fps, seed)


def render_motion(subject: SubjectFace, motion: ClipMotion) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB frames of ``subject`` moving by ``motion``, with sensor noise."""
    width, height = subject.size
    n_components = motion.fields.shape[0]
    # -J u: each field's effect on the texture coordinates (first-order composition).
    basis = -np.einsum("hwij,khwj->khwi", subject.jacobian, motion.fields).reshape(n_components, -1)
    basis[np.abs(basis) < 1e-6] = 0.0  # no denormals (the Gaussian tails): they make float maths crawl
    base = subject.base_map.reshape(-1)
    coordinate_map = np.empty_like(base)
    frames = np.empty((len(motion.weights), height, width, 3), np.uint8)
    noise = np.empty((height, width) if subject.gray else (height, width, 3), np.int16)
    cv2.setRNGSeed(motion.noise_seed)  # cv2.randn: thread-local generator, seeded per clip
    for t, w in enumerate(motion.weights):
        np.copyto(coordinate_map, base)
        for k in np.flatnonzero(w):  # single-threaded axpy: BLAS threads cost more than the work here
            cv2.scaleAdd(basis[k], float(w[k]), coordinate_map, dst=coordinate_map)
        cv2.randn(noise, 0.0, subject.noise_sigma)  # type: ignore[call-overload]  # scalars; the stubs want arrays
        if subject.gray:
            frame = _remap(subject.texture, coordinate_map.reshape(height, width, 2))
            frames[t] = cv2.add(frame, noise, dtype=cv2.CV_8U)[..., None]
        else:  # straight into the output array
            cv2.remap(  # type: ignore[call-overload]  # map2 None: see _remap
                subject.texture, coordinate_map.reshape(height, width, 2), None, cv2.INTER_LINEAR, dst=frames[t],
                borderMode=cv2.BORDER_REFLECT101)
            cv2.add(frames[t], noise, dst=frames[t], dtype=cv2.CV_8U)
    return frames


def render_clip(subject: SubjectFace, emotion: str, n_frames: int, onset: int, apex: int, offset: int,
                fps: float, seed: int) -> np.ndarray:
    """(n_frames, H, W, 3) uint8 RGB clip: the neutral ``subject`` showing ``emotion`` as action-unit
    motion rising from frame ``onset`` to ``apex`` and falling to ``offset`` (0-based positions,
    raised-cosine time course), with blinks, head jitter and sensor noise in every class.
    Deterministic for (subject, emotion, n_frames, onset, apex, offset, fps, seed)."""
    return render_motion(subject, plan_clip(subject, emotion, n_frames, onset, apex, offset, fps, seed))


def render_video(subject: SubjectFace, events: Sequence[tuple[str, int, int, int]], n_frames: int, fps: float,
                 seed: int) -> np.ndarray:
    """(n_frames, H, W, 3) uint8 RGB video with several expressions ``events`` = [(emotion, onset,
    apex, offset), ...] (0-based positions; overlapping events add up) and continuous distractors.
    ``render_video(s, [(e, on, ap, off)], n, fps, seed)`` equals ``render_clip(s, e, n, on, ap, off, fps, seed)``."""
    return render_motion(subject, plan_video(subject, events, n_frames, fps, seed))
