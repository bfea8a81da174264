"""Cached per-clip motion stages shared by the field's baselines (LBP-TOP, Bi-WOOF, OFF-ApexNet,
STSTNet): face sequence, apex position, onset and apex faces, flow + strain, LBP-TOP.

Each stage is ``common.preprocessing.cache.cached`` keyed by ``sample_fingerprint(sample)`` and every
parameter it depends on (the apex annotation too, where it is used: annotations are not part of the
fingerprint), so a stage is computed once per clip and parameter set and shared by the packages.
``cache_root``: the cache folder (None: ``cache.default_root()``); the landmarks stage shares it.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from common.preprocessing import motion
from common.preprocessing.cache import cached, sample_fingerprint
from common.preprocessing.released_images import released_flow_images
from common.preprocessing.faces import sample_landmarks
from common.preprocessing.io import read_frames
from common.preprocessing.regions import landmark_face_crop
import cv2

LANDMARK_MODE = "first"  # one detection on the first frame, reused for every frame
APEX_SIZE = 128  # face size of the apex rule: one apex per clip, whatever size a package's flow uses
STRAIN_SCHEME = "backward"  # the authors' group's os.m (motion.optical_strain)


def face_sequence(sample, size: int, cache_root=None) -> np.ndarray:
    """(T, size, size) uint8 grey faces of every frame of the clip, each cropped with the first frame's
    68 landmarks (``faces.sample_landmarks(mode="first")``, ``regions.landmark_face_crop``: the square
    landmark box with a 5 % margin, as the existing packages crop). One box for the whole clip keeps
    the head's small motion in the sequence rather than re-centring each frame on its own landmarks,
    which would add crop jitter to the flow."""
    size = int(size)

    def compute() -> np.ndarray:
        points = sample_landmarks(sample, mode=LANDMARK_MODE, root=cache_root).points[0]
        frames = read_frames(sample.frames, "gray")
        return np.stack([landmark_face_crop(frame, points, size) for frame in frames]).astype(np.uint8)

    return cached("motion_face_sequence", sample_fingerprint(sample),
                  {"size": size, "landmarks": LANDMARK_MODE, "crop": "landmark_face_crop"}, compute, root=cache_root)


def own_apex(sample):
    """``sample`` without the apex ``--predict`` guessed for a recording by its generic motion rule
    (``meta["apex_rule"] == "motion"``, ``common.deployment.recording``): a method that reads the onset-apex
    motion finds an unannotated apex with its own rule (:func:`flow_apex_position`), as on SMIC. An
    apex given with ``--apex``, or a database's, is kept."""
    if sample.meta.get("apex_rule") == "motion":
        return dataclasses.replace(sample, apex=None)
    return sample


def flow_apex_position(sample, size: int = APEX_SIZE, cache_root=None) -> int:
    """Index in ``sample.frames`` of the apex frame the flow methods use: the annotated apex
    (``sample.apex_position``) when there is one; otherwise (SMIC) ``motion.motion_apex_position`` on
    the clip's ``face_sequence(sample, size)``: the frame whose block LBP histograms differ most from
    the onset frame's. The stages below always ask at ``APEX_SIZE`` so that every method, at any
    input size, uses the same apex of a clip."""
    if sample.apex is not None:
        return int(sample.apex_position)
    position = cached("motion_apex_position", sample_fingerprint(sample),
                      {"size": int(size), "grid": motion.APEX_GRID, "points": motion.APEX_POINTS,
                       "radius": motion.APEX_RADIUS, "codes": "uniform", "distance": "chi-square"},
                      lambda: np.array(motion.motion_apex_position(face_sequence(sample, size, cache_root))),
                      root=cache_root)
    return int(position)


def onset_apex_faces(sample, size: int, cache_root=None) -> np.ndarray:
    """(2, size, size) uint8: the onset (first) frame and the apex frame (``flow_apex_position`` at
    ``APEX_SIZE``) of ``face_sequence(sample, size)``."""
    apex = flow_apex_position(sample, APEX_SIZE, cache_root)
    faces = face_sequence(sample, size, cache_root)
    return np.stack([faces[0], faces[apex]])


def flow_features(sample, size: int, method: str = "tvl1", cache_root=None) -> np.ndarray:
    """(size, size, 3) float32: u, v (``motion.optical_flow`` from the onset face to the apex face)
    and their optical strain (``motion.optical_strain``, the authors' backward differences)."""
    if method not in motion.FLOW_METHODS:
        raise ValueError(f"method={method!r}: expected one of {motion.FLOW_METHODS}")
    size = int(size)
    apex = flow_apex_position(sample, APEX_SIZE, cache_root)
    parameters = motion.TVL1 if method == "tvl1" else motion.FARNEBACK

    def compute() -> np.ndarray:
        onset_face, apex_face = onset_apex_faces(sample, size, cache_root)
        flow = motion.optical_flow(onset_face, apex_face, method)
        strain = motion.optical_strain(flow, STRAIN_SCHEME)
        return np.concatenate([flow, strain[..., None]], axis=-1).astype(np.float32)

    # The TV-L1 parameters carry IPOL's pre-processing and border fill; "strain" names the difference
    # scheme: flows and strains cached before either existed are not reused.
    return cached("motion_flow", sample_fingerprint(sample),
                  {"size": size, "method": method, "parameters": parameters, "apex": apex,
                   "landmarks": LANDMARK_MODE, "strain": STRAIN_SCHEME}, compute, root=cache_root)


def lbp_top_features(sample, size: int, grid, radii, points, method: str = "nri_uniform",
                     normalisation: str = "per_histogram", blocks: str = "partition",
                     cache_root=None) -> np.ndarray:
    """``motion.lbp_top`` of the whole ``face_sequence(sample, size)`` (every frame of the clip),
    float32 of length rows * cols * (bins_XY + bins_XT + bins_YT); ``normalisation`` and ``blocks`` as
    ``motion.lbp_top`` takes them (both in the cache key).

    A clip with fewer than ``2 ceil(R_T) + 1`` frames (no voxel would have its R_T frames on either
    side) is first padded by repeating its first and last frames (``np.pad(mode="edge")``): a method
    on a benchmark track adapts a short clip rather than drop it (``common.experiment.Track``)."""
    size = int(size)
    grid = tuple(int(g) for g in grid)
    radii = tuple(float(r) for r in radii)
    points = tuple(int(p) for p in points)
    if normalisation not in motion.LBP_NORMALISATIONS:
        raise ValueError(f"normalisation={normalisation!r}: expected one of {motion.LBP_NORMALISATIONS}")
    if blocks not in motion.LBP_BLOCK_LAYOUTS:
        raise ValueError(f"blocks={blocks!r}: expected one of {motion.LBP_BLOCK_LAYOUTS}")

    def compute() -> np.ndarray:
        volume = face_sequence(sample, size, cache_root)
        needed = 2 * int(np.ceil(radii[2])) + 1
        if len(volume) < needed:
            before = (needed - len(volume)) // 2
            volume = np.pad(volume, ((before, needed - len(volume) - before), (0, 0), (0, 0)), mode="edge")
        return motion.lbp_top(volume, grid, radii, points, method, normalisation=normalisation, blocks=blocks)

    return cached("motion_lbp_top", sample_fingerprint(sample),
                  {"size": size, "grid": grid, "radii": radii, "points": points, "method": method,
                   "normalisation": normalisation, "blocks": blocks,
                   "landmarks": LANDMARK_MODE, "short_clips": "edge_padded"},
                  compute, root=cache_root)


def normalised_flow_image(channel: np.ndarray) -> np.ndarray:
    """One flow channel (u, v or strain) min-max scaled to [0, 1] over the image (float32), as the flow
    CNNs' authors store each channel as an image before resizing it (STSTNet's "norm_u_v_os" inputs).
    A constant channel (no motion) becomes zeros. Per clip: no statistic of other clips is used."""
    channel = np.asarray(channel, dtype=np.float64)
    low, high = float(channel.min()), float(channel.max())
    if high - low <= 0:
        return np.zeros(channel.shape, dtype=np.float32)
    return ((channel - low) / (high - low)).astype(np.float32)


def flow_images(sample, face_size: int, size: int, method: str = "tvl1", cache_root=None) -> np.ndarray:
    """(size, size, 3) float32 in [0, 1]: u, v and optical strain of ``flow_features(sample, face_size)``,
    each normalised (:func:`normalised_flow_image`) and then resized to size x size (``cv2.INTER_AREA``),
    the 28x28 inputs of OFF-ApexNet (u, v) and STSTNet (u, v, strain). Built from the cached flow; for a clip
    of the authors' released inputs (``common.datasets.released``), their own image of these three channels
    (``released_images.released_flow_images``) replaces this stage."""
    if sample.meta.get("released"):
        return released_flow_images(sample, size)
    return flow_images_of(flow_features(sample, face_size, method, cache_root), size)


def flow_images_of(features: np.ndarray, size: int) -> np.ndarray:
    """(size, size, C) float32 in [0, 1]: each channel of an (H, W, C) array of flow features
    normalised (:func:`normalised_flow_image`) and then resized (``cv2.INTER_AREA``): the step
    :func:`flow_images` applies to the cached flow (``benchmarks/bench_flow_reference.py`` applies it
    to a reference flow)."""
    features = np.asarray(features)
    channels = [cv2.resize(normalised_flow_image(features[..., k]), (int(size), int(size)),
                           interpolation=cv2.INTER_AREA) for k in range(features.shape[-1])]
    return np.stack(channels, axis=-1).astype(np.float32)


def flow_image_stack(samples, face_size: int, size: int, channels=(0, 1, 2), method: str = "tvl1",
                     cache_root=None) -> np.ndarray:
    """(N, size, size, len(channels)) float32: :func:`flow_images` of each sample, the chosen channels
    (0 u, 1 v, 2 strain)."""
    channels = list(channels)
    if not samples:
        return np.zeros((0, int(size), int(size), len(channels)), dtype=np.float32)
    return np.stack([flow_images(s, face_size, size, method, cache_root)[..., channels] for s in samples])
