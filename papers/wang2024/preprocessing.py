"""The input of HTNet (Wang et al., Neurocomputing 2024; arXiv 2307.14637): four 14x14 areas of STSTNet's
onset-apex flow image (u, v, optical strain at 28x28), around the eyes and the lip corners, tiled into one
28x28x3 image (the authors' ``main_HTNet.py`` l. 53-130 and 196-218).

The flow image is the shared stage's (``common.preprocessing.motion_stages.flow_images``, the one liong2019
reads: TV-L1 from the onset to the apex face, strain, each channel min-max scaled, resized). The areas are
placed by five facial points (two eye centres, the nose tip, two mouth corners, MTCNN's five in the authors'
code) taken from the shared 68-point landmarks (``common.preprocessing.faces``) of the apex frame, in the
coordinates of the face square the flow was computed on, scaled to ``data.size``. Then, as the code: each
point clipped into [size/4, 3 size/4] and truncated to whole pixels, a size/2 square cut around it, and the
areas tiled [left eye | left lip corner ; right eye | right lip corner].

On the authors' released inputs (``common.datasets.released``: no frames) their own flow image replaces the
flow stage (``motion_stages.released_flow_images``: the authors' IPOL TV-L1 flow and strain, README ledger 6)
and the five points come from their apex crop (``points.py``, ``data.points``); the rest is unchanged.
"""
from __future__ import annotations

import numpy as np

from common.network_protocol import FlowInputs
from common.preprocessing.cache import cached, sample_fingerprint
from papers.wang2024.config import HTNetConfig
from papers.wang2024.points import FALLBACK_POINTS, FALLBACK_SIZE, fallback_reason, five_points, released_points
from common.motion_views import landmark_square
from common.preprocessing.faces import landmarks, MODEL_FILE, NoFaceError, sample_landmarks
from common.preprocessing.io import read_frame
from common.preprocessing.motion_stages import APEX_SIZE, flow_apex_position, flow_image_stack, normalised_flow_image

# The tiling (main_HTNet.py l. 202-204): rows [area 0 | area 1], [area 3 | area 4] of the five areas cut at the
# five points in MTCNN's order; the nose's area (2) is cut and not used.
TILES = ((0, 1), (3, 4))


def apex_landmarks(sample, cache_root=None) -> np.ndarray:
    """(68, 2) landmarks of the clip's apex frame (the flow's apex, ``motion_stages.flow_apex_position``),
    detected on the whole frame by the shared landmark stage (``faces.landmarks``); (0, 2) where no face
    is found. Cached per clip and apex."""
    apex = flow_apex_position(sample, APEX_SIZE, cache_root)

    def compute() -> np.ndarray:
        try:
            return np.asarray(landmarks(read_frame(sample.frames[apex], "rgb")), dtype=np.float32)
        except NoFaceError:  # the code's fallback points take over (area_points)
            return np.zeros((0, 2), dtype=np.float32)

    return cached("wang2024_apex_landmarks", sample_fingerprint(sample), {"apex": apex, "model": MODEL_FILE},
                  compute, root=cache_root)


def area_points(sample, config: HTNetConfig, cache_root=None) -> np.ndarray:
    """(5, 2) x, y of MTCNN's five points in the flow image's pixels (``data.size``): the landmarks of
    ``data.landmark_frame`` moved into the face square every frame was cropped to (the first frame's
    landmarks, ``motion_stages.face_sequence``) and scaled to the image; the code's fallback points where
    the apex frame shows no face. A clip of the authors' released inputs: the points ``data.points`` finds
    on its apex crop (``points.released_points``)."""
    size = config.data.size
    if sample.meta.get("released"):  # the authors' apex crop, no frames (points.py)
        return released_points(sample, config.data.points, size, cache_root)[0]
    onset = sample_landmarks(sample, mode="first", root=cache_root).points[0]
    points = onset if config.data.landmark_frame == "onset" else apex_landmarks(sample, cache_root)
    if len(points) == 0:
        return FALLBACK_POINTS * (size / FALLBACK_SIZE)
    left, top, right, _ = landmark_square(onset)
    return (five_points(points) - (left, top)) * (size / max(right - left, 1))


def fallbacks(sample, config: HTNetConfig, cache_root=None) -> tuple[str, ...]:
    """What :func:`area_points` fell back on for ``sample``: the code's five fixed points when the apex frame
    shows no face (``FlowInputs.fallbacks``, recorded with a prediction); () when the landmarks were found. A
    clip of the released inputs: the detector's verdict on its apex crop (``points.released_points``)."""
    if sample.meta.get("released"):
        found = released_points(sample, config.data.points, config.data.size, cache_root)[1]
        return () if found else (fallback_reason(config.data.points),)
    if config.data.landmark_frame == "onset" or len(apex_landmarks(sample, cache_root)):
        return ()
    return ("fallback points: no face on the apex frame, the areas are cut at the authors' code's five fixed "
            "points (main_HTNet.py l. 78-82)",)


def four_areas(image: np.ndarray, points: np.ndarray, centres: str = "transposed") -> np.ndarray:
    """The (size, size, C) tiling of four size/2 squares of ``image`` (size, size, C) cut at ``points`` (5, 2)
    (main_HTNet.py l. 84-92, 112-126, 202-204): each point clipped into [size/4, 3 size/4] and truncated to
    an integer, then, for "transposed" (the code), rows from x - size/4 to x + size/4 and columns from y -
    size/4 to y + size/4; for "landmarks", rows around y and columns around x."""
    size = image.shape[0]
    if image.shape[1] != size or size % 4:
        raise ValueError(f"data.size={size}: the four areas need a square image whose side divides by 4")
    half = size // 4
    whole = np.clip(np.asarray(points, dtype=np.float64), half, size - half).astype(int)  # truncation, as astype(int)
    areas = []
    for x, y in whole:
        row, col = (x, y) if centres == "transposed" else (y, x)
        areas.append(image[row - half:row + half, col - half:col + half])
    return np.concatenate([np.concatenate([areas[a], areas[b]], axis=1) for a, b in TILES], axis=0)


def rescaled(image: np.ndarray) -> np.ndarray:
    """Each channel min-max scaled to [0, 1] over the image (``motion_stages.normalised_flow_image``)."""
    return np.stack([normalised_flow_image(image[..., k]) for k in range(image.shape[-1])], axis=-1)


def stored_levels(images: np.ndarray, levels: str) -> np.ndarray:
    """"uint8": the 8-bit values 0..255 of the authors' PNG files (the nearest level), as float32, what
    ``cv2.imread`` gives the network (main_HTNet.py l. 110, 242: no scaling); "unit": the [0, 1] floats."""
    images = np.asarray(images, dtype=np.float32)
    if levels == "unit":
        return images
    return np.floor(np.clip(images, 0.0, 1.0) * 255.0 + 0.5).astype(np.float32)


def clip_inputs(samples, config: HTNetConfig, cache_root=None) -> np.ndarray:
    """(N, size, size, len(channels)) float32 inputs of ``samples``: what a fold trains and tests on, and
    what ``--predict`` feeds the exported model. The flow is cached per clip (shared stage), the apex
    landmarks too; the rest is cheap and recomputed."""
    d = config.data
    samples = list(samples)
    # DEVIATION: the shared flow stage's face crops and apex rule (README ledger 6)
    flows = flow_image_stack(samples, d.face_size, d.size, channels=(0, 1, 2), method=d.flow_method,
                             cache_root=cache_root)
    out = []
    for sample, flow in zip(samples, flows):
        image = rescaled(flow) if d.rescale_at_size else flow
        out.append(four_areas(image[..., list(d.channels)], area_points(sample, config, cache_root), d.area_centres))
    if not out:
        return np.zeros((0, d.size, d.size, len(d.channels)), dtype=np.float32)
    return stored_levels(np.stack(out), d.levels)


def preprocess_clip(sample, config: HTNetConfig) -> np.ndarray:
    """One clip's (size, size, C) input (``Experiment.preprocess_clip``, what ``--estimate`` times)."""
    return clip_inputs([sample], config)[0]


CHANNEL_TITLES = ("horizontal flow u", "vertical flow v", "optical strain")

# What a fold trains and tests on, the first pass caches, --estimate times and --predict feeds the exported
# model, wired as for the other flow CNNs (common.network_protocol); the page captions each channel of the
# paper's order.
INPUTS = FlowInputs(clip_inputs=clip_inputs, preprocess_clip=preprocess_clip, fallbacks=fallbacks,
                    titles=tuple(f"four areas: {CHANNEL_TITLES[c]}" for c in HTNetConfig().data.channels))
