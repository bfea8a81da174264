"""Inputs of Le, Tran, Rege 2020 (Sec. III-A..D): the paper's own preprocessing of one clip.

Face-aligned frames onset..offset (Sec. III) -> Eulerian magnification (III-A) -> approximate rank
pooling into one RGB dynamic image (III-B), cached once per clip and setting and shared by every
backbone and fold -> the three ROIs from dlib's 68 landmarks, eyes masked (III-C, Fig. 2) -> one
image for the CNN (III-D).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import cast
from collections.abc import Sequence

import cv2
import numpy as np

from common.datasets.sample import Sample
from common.experiment import Selection
from common.preprocessing.regions import LEFT_BROW, LEFT_EYE, OUTER_LIPS, RIGHT_BROW, RIGHT_EYE, crop_padded
from common.preprocessing.cache import cached, sample_fingerprint
from common.preprocessing.dynamic_image import dynamic_image
from common.preprocessing.faces import clip_landmarks, detect_face, landmarks
from common.preprocessing.io import read_frame
from papers.le2020.model import resolved_preprocessing

logger = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- regions (Sec. III-C, Fig. 2)
REGION_NAMES = ("eyebrows", "nose", "mouth")


def _points(points) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"expected (68, 2) landmarks (x, y), got shape {points.shape}")
    return points


def _inter_ocular(p: np.ndarray) -> float:
    return float(np.linalg.norm(p[list(LEFT_EYE)].mean(0) - p[list(RIGHT_EYE)].mean(0)))


def roi_boxes(points, margin: float = 0.1, forehead: float = 0.3) -> dict[str, tuple[int, int, int, int]]:
    """(left, top, right, bottom), exclusive, of Le et al.'s three ROIs (section III-C, Fig. 2).

    The paper draws three rectangles "following landmark points" for the eyebrows (with the
    forehead), the nose and the mouth (with the mouth corners) and gives no coordinates, so
    (our choice, after docs/methods.md §8.4; m = ``margin`` x inter-ocular distance d):

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
    rounded = {name: np.rint(box) for name, box in boxes.items()}
    return {name: (int(left), int(top), int(right), int(bottom))
            for name, (left, top, right, bottom) in rounded.items()}


def mask_eyes(image: np.ndarray, points) -> np.ndarray:
    """A copy of ``image`` with the eye polygons (36-41, 42-47) filled with 0 (Le et al. III-C:
    "eyes are masked ... since eye cascades and blinking are not ME")."""
    p = np.rint(_points(points)).astype(np.int32)
    out = np.array(image, copy=True)
    color = (0,) * (out.shape[2] if out.ndim == 3 else 1)
    cv2.fillPoly(out, [p[list(RIGHT_EYE)], p[list(LEFT_EYE)]], color)
    return out


def roi_crops(image: np.ndarray, points, margin: float = 0.1, forehead: float = 0.3) -> dict[str, np.ndarray]:
    """{"eyebrows", "nose", "mouth"}: crops (:func:`roi_boxes`, zero-padded outside the image) of
    ``image`` with the eyes masked. ``image`` is a frame or the clip's dynamic image (Le et al.
    crop the ROIs on the dynamic image, with landmarks predicted on the face, section IV-A)."""
    masked = mask_eyes(np.asarray(image), points)
    return {name: crop_padded(masked, *box) for name, box in roi_boxes(points, margin, forehead).items()}


def roi_canvas(image: np.ndarray, points, size: int | None = 224, margin: float = 0.1,
               forehead: float = 0.3) -> np.ndarray:
    """The image with everything outside the three ROIs and inside the eyes set to 0, cropped to
    the union of the ROIs and resized to ``size`` x ``size`` (INTER_LINEAR; ``None`` keeps it).

    Our reading of Le et al. III-C/IV-A: one CNN (VGG19/ResNet50/SENet50, 224 x 224) sees "the
    elicited dynamic image after being patched for region of interests"; the three ROIs are kept
    in place on a black canvas rather than fed as three inputs.
    """
    image = np.asarray(image)
    boxes = roi_boxes(points, margin, forehead)
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


# ----------------------------------------------------------------------------- inputs (Sec. III)
def _square_box(box, shape: tuple[int, ...], margin: float) -> tuple[int, int, int, int]:
    """A square (left, top, right, bottom) around a face box, grown by ``margin`` of its side."""
    cx, cy = (box.left + box.right) / 2.0, (box.top + box.bottom) / 2.0
    side = max(box.right - box.left, box.bottom - box.top) * (1.0 + 2.0 * margin)
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    return left, top, left + int(round(side)), top + int(round(side))


SMALL_FACE = 0.2  # choice: a face box under 20 % of the frame means the frame is not face-aligned (raw SAMM: ~7 %)


def face_square(first: np.ndarray, data_config) -> tuple[tuple[int, int, int, int] | None, str]:
    """The square to cut every frame to (None: the frame as it is) and a note, from the clip's first frame."""
    if data_config.face_crop == "never":
        return None, ""
    box = detect_face(first)
    if box is None:
        return None, "no face found on the first frame: whole frame used"
    if data_config.face_crop == "always" or box.area < SMALL_FACE * first.shape[0] * first.shape[1]:
        return _square_box(box, first.shape, data_config.face_margin), ""
    return None, ""


def _face_frame(frame: np.ndarray, crop: tuple[int, int, int, int] | None, size: int) -> np.ndarray:
    if crop is not None:
        frame = crop_padded(frame, *crop)
    return cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA)


def face_frames(sample, data_config) -> tuple[np.ndarray, str]:
    """(T, S, S, 3) uint8 frames onset..offset at ``frame_size`` and a note on the face crop.

    The databases' face-aligned crops are used as they are (Sec. III: "we utilize the face
    aligned data from original datasets"); a frame where the face is small (raw SAMM) is cut to
    a square around dlib's face box on the first frame, the same box for every frame.
    """
    size = int(data_config.frame_size)
    first = read_frame(sample.frames[0], "rgb")
    crop, note = face_square(first, data_config)
    frames = [_face_frame(first if index == 0 else read_frame(path, "rgb"), crop, size)
              for index, path in enumerate(sample.frames)]
    return np.stack(frames), note


def onset_frame(sample, data_config) -> np.ndarray:
    """The first of :func:`face_frames` alone (S, S, 3) uint8: one frame read, for the report's examples."""
    first = read_frame(sample.frames[0], "rgb")
    return _face_frame(first, face_square(first, data_config)[0], int(data_config.frame_size))


def compute_inputs(sample, config) -> dict[str, np.ndarray]:
    """{"dynamic_image": (S, S, 3) uint8, "points": (68, 2) float32, "note": str} of one clip."""
    from common.preprocessing.magnification import magnify

    frames, note = face_frames(sample, config.data)
    notes = [note] if note else []
    mag = config.magnification
    magnified = frames
    if mag.enabled and mag.alpha > 0 and len(frames) > 1:
        magnified = magnify(frames, mag.alpha, sample.fps, r1=mag.r1, r2=mag.r2, lambda_c=mag.lambda_c,
                            chrom_attenuation=mag.chrom_attenuation)  # Sec. III-A
    di = dynamic_image(magnified)  # Sec. III-B: (S, S, 3) uint8, global min-max to 0-255

    where = config.regions.landmarks_on
    reference = frames[0] if where != "apex" else frames[min(sample.apex_position, len(frames) - 1)]
    found = clip_landmarks(reference[None], mode="first")  # DEVIATION: landmarks of a face frame
    points = found.points[0]
    if found.fallback:
        notes.append(f"landmarks: {found.fallback}")
    if where == "dynamic_image":  # the paper's literal reading: dlib on the dynamic image itself
        box = detect_face(di)
        if box is None:
            notes.append("no face found on the dynamic image: onset-frame landmarks used")
        else:
            points = landmarks(di, box)
    return {"dynamic_image": di, "points": np.asarray(points, np.float32), "note": np.array("; ".join(notes))}


def sample_inputs(sample, config, root: Path | None = None) -> dict[str, np.ndarray]:
    """:func:`compute_inputs` through the stage cache (key: the clip's frames and every setting used)."""
    params = {"data": config.data, "magnification": config.magnification,
              "landmarks_on": config.regions.landmarks_on, "fps": sample.fps,
              "onset": sample.onset, "apex": sample.apex, "offset": sample.offset}
    arrays = cached("le2020_dynamic_image", sample_fingerprint(sample), params,
                    lambda: compute_inputs(sample, config), root=root)
    return cast(dict[str, np.ndarray], arrays)  # a dict: the stage stores what compute_inputs returns


def region_image(dynamic_image: np.ndarray, points: np.ndarray, region_config, size: int) -> np.ndarray:
    """The CNN input of one clip, (size, size, 3) uint8, or (size, size, 9) for ``channels``.

    How the three ROIs form one input is not stated (Sec. III-C/D). ``canvas`` (default): the
    dynamic image with only the eyebrow, nose and mouth boxes kept, at their places, eyes masked,
    cropped to the boxes' union (:func:`roi_canvas`). ``stack``: the three crops resized
    into horizontal bands (eyebrows on top, nose, mouth). ``channels``: the three crops resized
    to the full size and concatenated on channels. ``none``: the whole dynamic image (the
    ablation without ROIs of Sec. IV-B).
    """
    kind = region_config.combine
    if kind == "none":
        return cv2.resize(dynamic_image, (size, size), interpolation=cv2.INTER_AREA)
    if kind == "canvas":
        return roi_canvas(dynamic_image, points, size=size, margin=region_config.margin,
                          forehead=region_config.forehead)
    crops = roi_crops(dynamic_image, points, margin=region_config.margin, forehead=region_config.forehead)
    if kind == "channels":
        return np.concatenate([cv2.resize(crops[n], (size, size), interpolation=cv2.INTER_AREA)
                               for n in REGION_NAMES], axis=-1)
    if kind == "stack":
        band = size // 3
        heights = {"eyebrows": band, "nose": band, "mouth": size - 2 * band}
        return np.concatenate([cv2.resize(crops[n], (size, heights[n]), interpolation=cv2.INTER_AREA)
                               for n in REGION_NAMES], axis=0)
    raise ValueError(f"regions.combine={kind!r}: expected canvas, stack, channels or none")


TORCH_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)  # torchvision ImageNet Normalize
TORCH_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def preprocess(images: np.ndarray, mode: str = "torch") -> np.ndarray:
    """CNN input from uint8 RGB images, per group of 3 channels (9-channel option included).

    ``torch``: x/255, minus the ImageNet mean, over its std (torchvision ``Normalize``, the
    paper's PyTorch pipeline). ``caffe``: ``keras.applications.vgg19.preprocess_input`` (the same
    function as ``resnet50.preprocess_input``: RGB -> BGR minus the ImageNet mean), what the Keras
    VGG19/ResNet50 ImageNet weight files expect. ``model.preprocessing=auto`` is resolved by
    :func:`papers.le2020.model.resolved_preprocessing` before this is called.
    """
    images = np.asarray(images, dtype=np.float32)
    groups = images.reshape(images.shape[:-1] + (images.shape[-1] // 3, 3))  # (..., G, 3)
    if mode == "torch":
        return ((groups / 255.0 - TORCH_MEAN) / TORCH_STD).reshape(images.shape)
    if mode == "caffe":
        from keras.applications import vgg19

        return np.asarray(vgg19.preprocess_input(groups.copy(), data_format="channels_last")).reshape(images.shape)
    raise ValueError(f"model.preprocessing={mode!r}: expected 'torch' or 'caffe' (or 'auto', resolved by the model)")


def clip_inputs(samples: Sequence[Sample], config, root: Path | None = None) -> tuple[np.ndarray, list[str]]:
    """Preprocessed CNN inputs (N, s, s, C) float32 of ``samples`` and each clip's notes: the one input
    function of a fold's training and test clips and of a new recording (``protocol.predict_clips``)."""
    images, notes = [], []
    start = time.perf_counter()
    for count, sample in enumerate(samples, 1):
        arrays = sample_inputs(sample, config, root)
        images.append(region_image(arrays["dynamic_image"], arrays["points"], config.regions,
                                   int(config.model.input_size)))
        note = str(arrays["note"])
        if note:
            notes.append(f"{sample.key}: {note}")
        if count % 25 == 0 or count == len(samples):
            logger.info(f"  inputs {count}/{len(samples)} ({time.perf_counter() - start:.1f} s)")

    return preprocess(np.stack(images), resolved_preprocessing(config.model)), notes


def prepare_inputs(selection: Selection, indices: np.ndarray, config,
                   root: Path | None = None) -> tuple[np.ndarray, list[str]]:
    """:func:`clip_inputs` of the selection's samples at ``indices``."""
    return clip_inputs([selection.samples[int(i)] for i in indices], config, root)


def example_inputs(selection: Selection, indices: np.ndarray, config, root: Path | None = None,
                   per_class: int = 1) -> dict[str, np.ndarray]:
    """What the report's example page draws (produced in the run, never recomputed by a page):
    for the first ``per_class`` clips of each class among ``indices``, the onset face frame, the dynamic
    image with its 68 points (from the stage cache) and the CNN input (uint8, before normalisation)."""
    labels = np.asarray(selection.labels)[np.asarray(indices, dtype=int)]
    chosen = [int(indices[i]) for c in range(len(selection.class_names))
              for i in np.flatnonzero(labels == c)[:per_class]]
    onsets, images, points, inputs = [], [], [], []
    for index in chosen:
        sample = selection.samples[index]
        arrays = sample_inputs(sample, config, root)
        onsets.append(onset_frame(sample, config.data))
        images.append(arrays["dynamic_image"])
        points.append(arrays["points"])
        inputs.append(region_image(arrays["dynamic_image"], arrays["points"], config.regions,
                                   int(config.model.input_size)))
    return {"keys": np.array([selection.samples[i].key for i in chosen]),
            "classes": np.array([selection.class_names[selection.labels[i]] for i in chosen]),
            "onset": np.array(onsets), "dynamic_image": np.array(images), "points": np.array(points, np.float32),
            "cnn_input": np.array(inputs)}
