"""Emotion Avatar Image (common.preprocessing.avatar; Kumar et al. 2019 sections 3.3-3.4)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from common.preprocessing import faces, regions
from common.preprocessing.avatar import emotion_avatar_image
from helpers import transform_points


@pytest.fixture(scope="module")
def face():
    image = data.astronaut()
    return image, faces.landmarks(image)


def test_eai_of_identical_frames_equals_the_frame(face):
    image, points = face
    frames, clip_points = np.stack([image] * 5), np.stack([points] * 5)
    eai = emotion_avatar_image(frames, clip_points, size=(512, 512), reference=points)
    assert eai.shape == image.shape and eai.dtype == np.uint8
    np.testing.assert_array_equal(eai, image)  # identity registration, mean of equal frames
    default = emotion_avatar_image(frames, clip_points)  # reference = first frame in 224 x 224
    assert default.shape == (224, 224, 3)
    np.testing.assert_array_equal(default,
                                  regions.align_to_reference(image, points, regions.reference_shape(points, 224), 224))


def test_eai_registers_moved_frames_before_averaging(face):
    image, points = face
    matrix = cv2.getRotationMatrix2D((256, 256), 8, 1.05)
    moved = cv2.warpAffine(image, matrix, (512, 512))
    moved_points = transform_points(points, matrix)
    frames, clip_points = np.stack([image, moved]), np.stack([points, moved_points])
    eai = emotion_avatar_image(frames, clip_points)
    first_only = emotion_avatar_image(frames, clip_points, keep=[0])
    naive = emotion_avatar_image(frames, np.stack([points, points]))  # no registration of frame 1
    inner = np.s_[40:184, 40:184]  # the face, away from warped borders
    error = np.abs(eai[inner].astype(int) - first_only[inner]).mean()
    assert error < 3.0 < np.abs(naive[inner].astype(int) - first_only[inner]).mean()


def test_eai_keeps_only_selected_frames_and_rejects_empty_selection(face):
    image, points = face
    dark = (image // 4).astype(np.uint8)
    frames, clip_points = np.stack([image, dark, image]), np.stack([points] * 3)
    kept = emotion_avatar_image(frames, clip_points, keep=np.array([True, False, True]), size=(512, 512),
                                reference=points)
    np.testing.assert_array_equal(kept, image)
    mean = emotion_avatar_image(frames, clip_points, size=(512, 512), reference=points)
    expected = np.rint((2 * image.astype(np.float32) + dark) / 3).astype(np.uint8)
    assert np.abs(mean.astype(int) - expected).max() <= 1
    with pytest.raises(ValueError, match="no frame"):
        emotion_avatar_image(frames, clip_points, keep=np.zeros(3, bool))


def test_eai_of_grey_frames(face):
    image, points = face
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    eai = emotion_avatar_image(np.stack([grey] * 3)[..., None], np.stack([points] * 3), size=96)
    assert eai.shape == (96, 96, 1)
