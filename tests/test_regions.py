"""Shared crops (common.preprocessing.regions): Talluri's face crop, Kumar's alignment."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from common.preprocessing import faces, regions
from helpers import transform_points
from photos import astronaut


# ----------------------------------------------------------------------------- Le et al.
def test_landmark_face_crop_is_square_around_the_landmarks():
    image, points = astronaut()
    crop = regions.landmark_face_crop(image, points, size=128)
    assert crop.shape == (128, 128, 3)
    grey = regions.landmark_face_crop(image[..., 0], points, size=64, margin=0.0)
    assert grey.shape == (64, 64)
    # A face near the corner is zero-padded, never an error.
    corner = regions.landmark_face_crop(image, points - points.min(0) - 20)
    assert corner.shape == (128, 128, 3) and np.all(corner[:5] == 0)


# ----------------------------------------------------------------------------- Kumar alignment
def known_warp() -> np.ndarray:
    matrix = cv2.getRotationMatrix2D((256, 256), 12, 0.9)
    matrix[:, 2] += (15, -10)
    return matrix


def test_affine_fit_inverts_a_known_warp():
    image, points = astronaut()
    matrix = known_warp()
    warped_points = transform_points(points, matrix)
    fitted = regions.affine_to_reference(warped_points, points)
    np.testing.assert_allclose(fitted, cv2.invertAffineTransform(matrix), atol=1e-3)
    np.testing.assert_allclose(transform_points(warped_points, fitted), points, atol=0.01)


def test_alignment_maps_a_warped_face_back_within_a_pixel():
    """End to end: warp the photo, find its landmarks with dlib, align, find them again."""
    image, points = astronaut()
    warped = cv2.warpAffine(image, known_warp(), (512, 512))
    warped_points = faces.landmarks(warped)
    aligned = regions.align_to_reference(warped, warped_points, points)
    assert aligned.shape == image.shape
    found = faces.landmarks(aligned)
    error = np.linalg.norm(found - points, axis=1)
    assert error.mean() < 1.0, error.mean()
    # Without alignment the landmarks are far off.
    assert np.linalg.norm(warped_points - points, axis=1).mean() > 10


def test_reference_shape_levels_eyes_and_fills_frame():
    _, points = astronaut()
    reference = regions.reference_shape(transform_points(points, known_warp()), size=224, margin=0.1)
    right_eye, left_eye = reference[36:42].mean(0), reference[42:48].mean(0)
    assert abs(right_eye[1] - left_eye[1]) < 1e-3 and right_eye[0] < left_eye[0]
    lo, hi = reference.min(0), reference.max(0)
    assert max(hi - lo) == pytest.approx(224 * 0.8, abs=1e-3)
    np.testing.assert_allclose((lo + hi) / 2, (112, 112), atol=1e-3)
