"""Paper crops (common.preprocessing.regions): Le, Talluri, Kumar alignment."""
from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest
from skimage import data

from common.preprocessing import faces, regions


@functools.lru_cache(maxsize=1)
def astronaut() -> tuple[np.ndarray, np.ndarray]:
    image = data.astronaut()
    return image, faces.landmarks(image)


# ----------------------------------------------------------------------------- Le et al.
def test_le_regions_mask_eyes_and_sit_where_landmarks_put_them():
    _, points = astronaut()
    image = np.full((512, 512, 3), 200, np.uint8)
    crops = regions.le_regions(image, points)
    boxes = regions.le_boxes(points)
    assert set(crops) == {"eyebrows", "nose", "mouth"}
    eye_mask = np.zeros((512, 512), np.uint8)
    p = np.rint(points).astype(np.int32)
    cv2.fillPoly(eye_mask, [p[36:42], p[42:48]], 1)
    for name, crop in crops.items():
        left, top, right, bottom = boxes[name]
        assert crop.shape == (bottom - top, right - left, 3)
        zeros = np.all(crop == 0, axis=2)
        np.testing.assert_array_equal(zeros, eye_mask[top:bottom, left:right] == 1)
    assert (np.all(crops["eyebrows"] == 0, axis=2)).sum() == eye_mask.sum() > 50  # both eyes inside
    # Each box holds its landmarks: brows (17-26), lower nose (31-35), lips (48-67).
    def inside(name, idx):
        left, top, right, bottom = boxes[name]
        q = points[list(idx)]
        return np.all((q[:, 0] >= left) & (q[:, 0] < right) & (q[:, 1] >= top) & (q[:, 1] < bottom))
    assert inside("eyebrows", range(17, 27)) and inside("eyebrows", range(36, 48))
    assert inside("nose", range(27, 36)) and inside("mouth", range(48, 68))
    assert boxes["eyebrows"][1] < boxes["nose"][1] < boxes["mouth"][1]  # top to bottom
    assert boxes["eyebrows"][1] < points[17:27, 1].min() - 5  # forehead strip above the brows


def test_le_roi_canvas_blacks_out_everything_but_the_rois():
    _, points = astronaut()
    image = np.full((512, 512, 3), 200, np.uint8)
    canvas = regions.le_roi_canvas(image, points, size=None)
    boxes = regions.le_boxes(points)
    union = np.array(list(boxes.values()))
    left, top = union[:, 0].min(), union[:, 1].min()
    assert canvas.shape == (union[:, 3].max() - top, union[:, 2].max() - left, 3)
    kept = np.zeros(canvas.shape[:2], bool)
    for l, t, r, b in boxes.values():
        kept[t - top:b - top, l - left:r - left] = True
    eyes = np.zeros((512, 512), np.uint8)
    p = np.rint(points).astype(np.int32)
    cv2.fillPoly(eyes, [p[36:42], p[42:48]], 1)
    expected = kept & (eyes[top:top + canvas.shape[0], left:left + canvas.shape[1]] == 0)
    np.testing.assert_array_equal(canvas[..., 0] == 200, expected)
    assert regions.le_roi_canvas(image, points).shape == (224, 224, 3)


# ----------------------------------------------------------------------------- Talluri et al.
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
    warped_points = regions.transform_points(points, matrix)
    fitted = regions.affine_to_reference(warped_points, points)
    np.testing.assert_allclose(fitted, cv2.invertAffineTransform(matrix), atol=1e-3)
    np.testing.assert_allclose(regions.transform_points(warped_points, fitted), points, atol=0.01)


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
    reference = regions.reference_shape(regions.transform_points(points, known_warp()), size=224, margin=0.1)
    right_eye, left_eye = reference[36:42].mean(0), reference[42:48].mean(0)
    assert abs(right_eye[1] - left_eye[1]) < 1e-3 and right_eye[0] < left_eye[0]
    lo, hi = reference.min(0), reference.max(0)
    assert max(hi - lo) == pytest.approx(224 * 0.8, abs=1e-3)
    np.testing.assert_allclose((lo + hi) / 2, (112, 112), atol=1e-3)
