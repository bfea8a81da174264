"""HTNet's five facial points on the authors' released inputs (``common.datasets.released``): found on each
clip's 224x224 apex face crop (HTNet's ``datasets/combined_datasets_whole/``), as the authors'
``main_HTNet.py`` l. 53-97 finds them before it cuts the four areas out of the released flow image.

``data.points`` chooses the detector (README ledger 13):

- "mtcnn" (the `paper` reading): the code's chain, MTCNN's five landmarks (left eye, right eye, nose, left and
  right mouth corner) of the largest face on the crop resized to 28x28 (``cv2.INTER_AREA``), the array in
  ``cv2.imread``'s B, G, R order as the code hands it to the detector. The code's detector is facenet-pytorch's
  MTCNN (PyTorch); ours is the Keras MTCNN of PyPI's ``mtcnn`` package (the same three networks of Zhang et al.
  2016, at facenet-pytorch's thresholds 0.6 / 0.7 / 0.7 and minimum face 20), a dependency
  of the project (``mtcnn>=1.0.0``): where it is not installed the run is refused in one line, never read another way.
- "dlib": the suite's dlib 68-point landmarks (``common.preprocessing.faces``) on the whole 224-pixel crop in
  R, G, B, the five points as :func:`five_points` takes them, scaled to 28 pixels.

Either way, where the detector finds no face the code's fixed points (:data:`FALLBACK_POINTS`)
take over, and each fold records which clips used them (:func:`fold_points_extra`), which the runner lists
in ``results.json``'s ``selection.flagged`` (stage "points"). The clipping to 7..21 and the truncation are
``preprocessing.four_areas``'s, as for every other input. Detections are cached per clip and detector.

Here too, for every input (``preprocessing.area_points`` reads them): the code's fixed points and the five points
of the 68-point scheme (:func:`five_points`).
"""
from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from typing import Any

import numpy as np

from common.preprocessing.cache import cache_key, cached, entry_path, frames_fingerprint
from common.errors import RunError
from common.preprocessing.faces import landmarks, NoFaceError
from common.preprocessing.released_images import read_apex_crop
import cv2

DETECTORS = ("mtcnn", "dlib")
MTCNN_SIZE = 28  # main_HTNet.py l. 70: cv2.resize(apex, (28, 28), interpolation=cv2.INTER_AREA)
# facenet-pytorch's MTCNN defaults, which main_HTNet.py l. 72 keeps (only margin, image_size, select_largest and
# post_process are set there): thresholds [0.6, 0.7, 0.7], min_face_size 20, factor 0.709. The Keras package's
# own ONet threshold is 0.8 (on the 442 crops it finds the same faces at either).
MTCNN_SETTINGS = {"threshold_pnet": 0.6, "threshold_rnet": 0.7, "threshold_onet": 0.7, "min_face_size": 20,
                  "scale_factor": 0.709}
MTCNN_INSTALL = ("pip install 'mtcnn>=1.0.0' (PyPI's Keras MTCNN, a dependency of the project), or "
                 "--set data.points=dlib (the suite's dlib reading, README ledger 13)")
# Part of every cache key: a change of how the points are found recomputes them.
VERSION = 1
# main_HTNet.py l. 78-82: the five points (x, y, in 28-pixel face images) the code uses when MTCNN finds no
# face on the apex image: left eye, right eye, nose, left and right mouth corner (image left = smaller x).
FALLBACK_POINTS = np.array([[9.528073, 11.062551], [21.396168, 10.919773], [15.380184, 17.380562],
                            [10.255435, 22.121233], [20.583706, 22.25584]], dtype=np.float64)
FALLBACK_SIZE = 28
# The 68-point scheme's indices of MTCNN's five points (image left first): the two eye contours' centres,
# the nose tip, the two mouth corners.
LEFT_EYE, RIGHT_EYE, NOSE_TIP, MOUTH_LEFT, MOUTH_RIGHT = tuple(range(36, 42)), tuple(range(42, 48)), 30, 48, 54


def five_points(points68: np.ndarray) -> np.ndarray:
    """(5, 2) x, y: left eye centre, right eye centre, nose tip, left and right mouth corner (MTCNN's five)."""
    p = np.asarray(points68, dtype=np.float64)
    return np.stack([p[list(LEFT_EYE)].mean(0), p[list(RIGHT_EYE)].mean(0), p[NOSE_TIP], p[MOUTH_LEFT],
                     p[MOUTH_RIGHT]])


def mtcnn_installed() -> bool:
    """Whether PyPI's ``mtcnn`` package (the Keras MTCNN, a dependency of the project) can be imported."""
    return importlib.util.find_spec("mtcnn") is not None


def points_problem(samples: Sequence[Any], detector: str, cache_root=None) -> str:
    """One line saying why the five points of ``samples`` cannot be found with ``data.points=detector``, or ""
    (no released clip among them, or every one has its apex crop and the detector is there, or the stage cache
    already holds the points of every crop: a machine without the Keras MTCNN, a GPU machine with JAX alone, reads
    what a machine with it found, docs/performance.md "On a GPU")."""
    released = [s for s in samples if s.meta.get("released")]
    if not released:
        return ""
    without = [s.key for s in released if s.meta.get("apex_crop") is None]
    if without:
        return (f"{len(without)} released clip(s) have no apex face crop (first: {without[0]}); wang2024 finds its "
                "five points on them (main_HTNet.py l. 68-73): point --data-root at HTNet's tree, whose "
                "datasets/combined_datasets_whole/ holds them (STSTNet's tree has none)")
    if detector == "mtcnn" and not mtcnn_installed():
        missing = [s.key for s in released if not entry_path(STAGE, _points_key(s, detector), cache_root).exists()]
        if missing:
            return (f"data.points=mtcnn needs the Keras MTCNN, which is not installed, for {len(missing)} apex crop(s) "
                    f"whose points are not in the stage cache (first: {missing[0]}; the cache's keys hold the "
                    f"suite's source: points found by other code are not read): {MTCNN_INSTALL}")
    return ""


STAGE = "wang2024_crop_points"


def _points_key(sample: Any, detector: str) -> str:
    """The stage cache's key of ``sample``'s crop points found by ``detector``."""
    return cache_key(STAGE, *_points_key_parts(sample, detector))


def _points_key_parts(sample: Any, detector: str) -> tuple[dict, dict]:
    return ({"key": sample.key, "crop": frames_fingerprint([sample.meta["apex_crop"]])},
            {"detector": detector, "version": VERSION})


@functools.lru_cache(maxsize=1)
def _mtcnn() -> Any:
    from mtcnn import MTCNN

    return MTCNN()


def mtcnn_points(crop_bgr: np.ndarray) -> np.ndarray:
    """(5, 2) x, y at 28 pixels of MTCNN's five landmarks of the largest face on ``crop_bgr`` resized to 28x28,
    the array handed over in B, G, R order as main_HTNet.py l. 69-73 hands it (facenet-pytorch reads it as
    R, G, B, and so does the Keras MTCNN); (0, 2) when no face is found."""
    small = cv2.resize(np.asarray(crop_bgr), (MTCNN_SIZE, MTCNN_SIZE), interpolation=cv2.INTER_AREA)
    found = np.asarray(_mtcnn().detect_faces(np.ascontiguousarray(small), output_type="numpy", box_format="xyxy",
                                             **MTCNN_SETTINGS), dtype=np.float64)
    if found.ndim != 2 or len(found) == 0:
        return np.zeros((0, 2), dtype=np.float32)
    # Each row: image, x1, y1, x2, y2, confidence, the five x, the five y (left eye, right eye, nose, left and
    # right mouth corner). select_largest=True (l. 72): the largest box.
    best = found[int(np.argmax((found[:, 3] - found[:, 1]) * (found[:, 4] - found[:, 2])))]
    return np.stack([best[6:11], best[11:16]], axis=1).astype(np.float32)


def dlib_points(crop_bgr: np.ndarray) -> np.ndarray:
    """(5, 2) x, y at 28 pixels of the five points (:func:`five_points`) of the suite's dlib 68
    landmarks of the largest face on the whole crop; (0, 2) when no face is found."""
    image = np.ascontiguousarray(np.asarray(crop_bgr)[..., ::-1])
    try:
        points68 = landmarks(image)
    except NoFaceError:
        return np.zeros((0, 2), dtype=np.float32)
    return (five_points(points68) * (MTCNN_SIZE / image.shape[1])).astype(np.float32)


def crop_points(sample: Any, detector: str, cache_root=None) -> np.ndarray:
    """(5, 2) x, y at 28 pixels of the five points ``detector`` finds on the clip's released apex crop; (0, 2)
    where it finds no face. Cached per crop file and detector."""
    problem = points_problem([sample], detector, cache_root)
    if problem:
        raise RunError(problem)
    crop = sample.meta["apex_crop"]
    find = mtcnn_points if detector == "mtcnn" else dlib_points
    return cached(STAGE, *_points_key_parts(sample, detector), lambda: find(read_apex_crop(crop)), root=cache_root)


def released_points(sample: Any, detector: str, size: int, cache_root=None) -> tuple[np.ndarray, bool]:
    """(the (5, 2) points at ``size`` pixels, whether the detector found a face): the code's fixed points
    (:data:`FALLBACK_POINTS`) where it found none."""
    points = crop_points(sample, detector, cache_root)
    if len(points) == 0:
        return FALLBACK_POINTS * (size / FALLBACK_SIZE), False
    return points.astype(np.float64) * (size / MTCNN_SIZE), True


def fallback_reason(detector: str) -> str:
    """The reason a clip is flagged (``selection.flagged``, stage "points")."""
    return (f"no face found on the released apex crop by {detector} (data.points={detector}): the five points are "
            "the authors' code's fixed ones (main_HTNet.py l. 76-82)")


def fold_points_extra(samples: Sequence[Any], detector: str, cache_root=None) -> dict[str, Any]:
    """A fold's record of its released clips' points (``FoldOutcome.extra``): ``points`` {"detector", "clips",
    "found", "fallback", "fallback_clips"} and ``flagged``, one {"key", "reason", "stage": "points"} per clip that
    used the fixed points, which the runner carries into ``selection.flagged``; {} without released clips."""
    released = [s for s in samples if s.meta.get("released")]
    if not released:
        return {}
    missed = [s.key for s in released if len(crop_points(s, detector, cache_root)) == 0]
    reason = fallback_reason(detector)
    return {"points": {"detector": detector, "clips": len(released), "found": len(released) - len(missed),
                       "fallback": len(missed), "fallback_clips": missed},
            "flagged": [{"key": key, "reason": reason, "stage": "points"} for key in missed]}
