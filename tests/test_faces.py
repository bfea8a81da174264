"""dlib faces and landmarks (common.preprocessing.faces; docs/methods.md §8)."""
from __future__ import annotations

import matplotlib.cbook
import matplotlib.image
import numpy as np
import pytest
from skimage import data

from common.preprocessing import faces
from common.preprocessing.regions import JAW, LEFT_BROW, LEFT_EYE, MOUTH, NOSE, RIGHT_BROW, RIGHT_EYE


def grace_hopper() -> np.ndarray:
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        return np.ascontiguousarray(matplotlib.image.imread(handle, format="jpg")[:, :, :3])


PHOTOS = {"astronaut": data.astronaut, "grace_hopper": grace_hopper}


def test_model_path_is_the_68_point_predictor():
    path = faces.landmark_model_path()
    assert path.name == "shape_predictor_68_face_landmarks.dat"
    assert path.stat().st_size == 99_693_937  # docs/methods.md §8.2


@pytest.mark.parametrize("name", sorted(PHOTOS))
def test_landmark_groups_in_anatomical_places(name):
    image = PHOTOS[name]()
    box = faces.detect_face(image)
    assert box is not None and box.width > 50
    points = faces.landmarks(image, box)
    assert points.shape == (68, 2) and points.dtype == np.float32
    y = lambda idx: points[list(idx), 1]  # noqa: E731
    x = lambda idx: points[list(idx), 0]  # noqa: E731
    # Top to bottom, per side: each brow entirely above its eye; then eyes above the lower
    # nose above the mouth above the chin (P8, the jaw's lowest point).
    assert y(RIGHT_BROW).max() < y(RIGHT_EYE).min()
    assert y(LEFT_BROW).max() < y(LEFT_EYE).min()
    assert y(RIGHT_EYE + LEFT_EYE).max() < y(range(31, 36)).min()
    assert y(range(31, 36)).max() < y(MOUTH).min()
    assert y(MOUTH).max() < points[8, 1] == y(JAW).max()
    # The subject's right (eye, brow, jaw start) is on the image left.
    assert x(RIGHT_EYE).max() < x(range(27, 31)).min() <= x(range(27, 31)).max() < x(LEFT_EYE).min()
    assert x(RIGHT_BROW).mean() < x(NOSE).mean() < x(LEFT_BROW).mean()
    assert points[0, 0] < points[16, 0]
    # Every point lies near the detected box.
    pad = 0.3 * box.width
    assert np.all(points[:, 0] > box.left - pad) and np.all(points[:, 0] < box.right + pad)
    assert np.all(points[:, 1] > box.top - pad) and np.all(points[:, 1] < box.bottom + pad)


def test_landmarks_without_face_raise_clear_error():
    with pytest.raises(faces.NoFaceError):
        faces.landmarks(np.zeros((120, 160), np.uint8))


def test_clip_modes_on_a_moving_face():
    image = data.astronaut()
    shifted = np.roll(image, (6, 9), axis=(0, 1))  # the face moves 9 px right, 6 px down
    clip = np.stack([image, shifted, shifted])
    first = faces.clip_landmarks(clip, "first")
    per_frame = faces.clip_landmarks(clip, "per_frame")
    track = faces.clip_landmarks(clip, "track")
    for result in (first, per_frame, track):
        assert result.points.shape == (3, 68, 2) and result.fallback is None
    np.testing.assert_array_equal(first.points[2], first.points[0])  # reused (Aouayeb 3.1)
    # per_frame and track follow the motion (mean shift close to (9, 6)).
    for result in (per_frame, track):
        shift = (result.points[2] - result.points[0]).mean(0)
        np.testing.assert_allclose(shift, (9, 6), atol=2.0)
    assert per_frame.boxes[2].tolist() == per_frame.boxes[0].tolist()
    assert track.boxes[2, 0] != track.boxes[0, 0]  # re-detected


def test_clip_without_face_gets_recorded_fallback():
    blank = np.full((4, 120, 160, 3), 90, np.uint8)
    for mode in faces.CLIP_MODES:
        result = faces.clip_landmarks(blank, mode)
        assert result.points.shape == (4, 68, 2)
        assert "no face in frame 0" in result.fallback and "centred box" in result.fallback
        assert result.box == faces.Box.centred(blank.shape[1:]) == faces.Box(16, 12, 143, 107)


def test_track_uses_previous_box_when_face_is_lost():
    image = data.astronaut()
    clip = np.stack([image, image, np.zeros_like(image), np.zeros_like(image)])
    result = faces.clip_landmarks(clip, "track")
    assert result.fallback == "no face in 2 frame(s) 2-3: previous frame's box"
    assert result.boxes[3].tolist() == result.boxes[1].tolist() == result.box.as_array().tolist()


def test_clip_landmarks_round_trip_through_cache_arrays():
    result = faces.clip_landmarks(np.full((2, 60, 80), 50, np.uint8), "first")
    again = faces.ClipLandmarks.from_arrays(result.to_arrays())
    np.testing.assert_array_equal(again.points, result.points)
    assert again.box == result.box and again.fallback == result.fallback


def test_sample_landmarks_are_cached(tmp_path):
    import cv2

    from common.datasets.sample import Sample
    from common.preprocessing.cache import STATS

    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    paths = []
    for i in range(2):
        paths.append(tmp_path / f"img{i + 1}.jpg")
        cv2.imwrite(str(paths[-1]), image)
    sample = Sample("casme2", "sub01", "EP01", "happiness", 1, 1, 2, 200.0, tuple(paths))
    STATS.reset()
    first = faces.sample_landmarks(sample, "first", root=tmp_path / "cache")
    again = faces.sample_landmarks(sample, "first", root=tmp_path / "cache")
    assert STATS.misses["landmarks_first"] == 1 and STATS.hits["landmarks_first"] == 1
    np.testing.assert_array_equal(first.points, again.points)
    assert first.points.shape == (2, 68, 2) and first.fallback is None
