"""papers/aouayeb2019/preprocessing.py: the six regions of Sec. 3.1 / 4.1.2, placed on the landmarks
(the text, ``data.regions=landmarks``) or the authors' fixed boxes on the letterboxed face (``canvas``)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from common.preprocessing import regions
from photos import astronaut
from papers.aouayeb2019 import preprocessing as pre


def synthetic_points(left=10, right=490, top=20, chin=300) -> np.ndarray:
    """A (68, 2) array whose Aouayeb face box is (left, top, right, chin)."""
    points = np.full((68, 2), 200.0, np.float32)
    points[17, 0], points[26, 0] = left, right
    points[18, 1], points[25, 1] = top + 5, top
    points[8, 1] = chin
    return points


def test_aouayeb_region_table():
    assert [r.size for r in pre.CANVAS_REGIONS] == [(100, 80), (100, 80), (120, 80), (60, 60), (60, 60), (160, 60)]
    assert [r.name for r in pre.CANVAS_REGIONS] == [
        "right_eye_brow", "left_eye_brow", "nose", "right_cheek", "left_cheek", "mouth"]


def test_aouayeb_face_box_uses_authors_landmarks():
    assert pre.face_box(synthetic_points(12, 400, 30, 333)) == (12, 30, 400, 333)


def test_aouayeb_regions_shapes_on_astronaut():
    image, points = astronaut()
    crops = pre.canvas_regions(image, points)
    assert [c.shape for c in crops] == [(80, 100, 4), (80, 100, 4), (80, 120, 4), (60, 60, 4), (60, 60, 4),
                                        (60, 160, 4)]
    assert all(c.dtype == np.uint8 for c in crops)
    letterbox = pre.letterbox(image, points)
    for crop, region in zip(crops, pre.CANVAS_REGIONS):
        np.testing.assert_array_equal(crop, letterbox[region.y1:region.y2, region.x1:region.x2])


def test_aouayeb_letterbox_shrinks_large_face_and_marks_margins_transparent():
    # Face box 480 x 280 -> thumbnail 240 x 140, pasted at (0, ceil(140 / 2) = 70).
    image = np.full((512, 512, 3), 77, np.uint8)
    box = pre.letterbox(image, synthetic_points(10, 490, 20, 300))
    assert box.shape == (280, 240, 4) and box.dtype == np.uint8
    alpha = box[..., 3]
    assert np.all(alpha[70:210] == 255) and np.all(alpha[:70] == 0) and np.all(alpha[210:] == 0)
    assert np.all(box[70:210, :, :3] == 77)  # the face, resampled (constant stays constant)
    assert np.all(box[:70, :, :3] == 255)  # resize_contain's background (255, 255, 255, 0)


def test_aouayeb_letterbox_never_enlarges_small_face():
    # Face box 100 x 100 stays 100 x 100 (PIL thumbnail), centred at (70, 90).
    image = np.full((512, 512, 3), 40, np.uint8)
    box = pre.letterbox(image, synthetic_points(50, 150, 60, 160), background=(0, 0, 0, 0))
    alpha = box[..., 3]
    assert np.argwhere(alpha == 255).min(0).tolist() == [90, 70]
    assert np.argwhere(alpha == 255).max(0).tolist() == [189, 169]
    assert (alpha == 255).sum() == 100 * 100
    assert np.all(box[alpha == 0, :3] == 0)
    # The option (off by default) scales it up to 240 x 240, pasted at row 20.
    big = pre.letterbox(image, synthetic_points(50, 150, 60, 160), enlarge=True)
    assert (big[..., 3] == 255).sum() == 240 * 240 and np.all(big[20:260, :, 3] == 255)


# Aouayeb, the text's regions (Sec. 3.1 / 4.1.2): boxes on the landmarks, each crop padded
AOUAYEB_PARTS = {  # region -> the landmarks of the part it names
    0: regions.RIGHT_BROW + regions.RIGHT_EYE, 1: regions.LEFT_BROW + regions.LEFT_EYE,
    2: regions.NOSE, 5: regions.MOUTH,
}


def _inside(points, box) -> np.ndarray:
    left, top, right, bottom = box
    return (points[:, 0] >= left) & (points[:, 0] < right) & (points[:, 1] >= top) & (points[:, 1] < bottom)


@pytest.mark.parametrize("name,mirrored", [("astronaut", False), ("grace_hopper", False), ("astronaut", True)])
def test_aouayeb_landmark_regions_hold_their_parts_on_the_photographs(name, mirrored):
    """Each of the six boxes holds the landmarks of the part it names (Sec. 3.1: eyes + eyebrows,
    nose, cheeks, mouth) on the suite's face photographs; the cheeks, which no landmark marks, lie
    below their eye, above the mouth corner, between the face outline and the nose wing."""
    from common.datasets.synthetic.faces import base_face

    _, p = base_face(name, mirrored)
    boxes = pre.landmark_boxes(p)
    assert len(boxes) == 6
    for r, part in AOUAYEB_PARTS.items():
        assert _inside(p[list(part)], boxes[r]).all(), (r, boxes[r])
    # Eye boxes hold their own side only; the mouth box holds no eye; the nose box no brow.
    assert not _inside(p[list(regions.LEFT_EYE)], boxes[0]).any()
    assert not _inside(p[list(regions.RIGHT_EYE)], boxes[1]).any()
    assert not _inside(p[list(regions.RIGHT_EYE + regions.LEFT_EYE)], boxes[5]).any()
    assert not _inside(p[list(regions.RIGHT_BROW + regions.LEFT_BROW)], boxes[2]).any()
    for r, eye, wing, corner, outline in ((3, regions.RIGHT_EYE, 31, 48, (1, 2, 3)),
                                          (4, regions.LEFT_EYE, 35, 54, (13, 14, 15))):
        left, top, right, bottom = boxes[r]
        assert top > p[list(eye), 1].max() and bottom <= p[corner, 1] + 1
        if r == 3:  # image-left cheek: from the outline to the nose wing
            assert p[list(outline), 0].max() - 1 <= left and right <= p[wing, 0] + 1
        else:
            assert p[wing, 0] - 1 <= left and right <= p[list(outline), 0].min() + 1
        assert right - left >= 10 and bottom - top >= 10
        assert not _inside(p[list(regions.MOUTH + regions.NOSE + regions.RIGHT_EYE + regions.LEFT_EYE)], boxes[r]).any()
    assert boxes[3][2] <= boxes[4][0]  # image-left cheek left of the image-right cheek


def test_aouayeb_canvas_boxes_miss_parts_the_landmark_boxes_hold():
    """The authors' fixed canvas boxes (their later script), even on the face enlarged to fill the
    canvas, cut off part of the brows and of the mouth on the astronaut photograph (README ledger #19)."""
    from common.datasets.synthetic.faces import base_face

    _, p = base_face("astronaut")
    left, top, right, bottom = pre.face_box(p)
    scale = min(240 / (right - left), 280 / (bottom - top))  # the face enlarged to fit (fit_face)
    width, height = round((right - left) * scale), round((bottom - top) * scale)
    canvas = (p - (left, top)) * scale + (np.ceil((240 - width) / 2), np.ceil((280 - height) / 2))
    box = lambda r: (pre.CANVAS_REGIONS[r].x1, pre.CANVAS_REGIONS[r].y1,  # noqa: E731
                     pre.CANVAS_REGIONS[r].x2, pre.CANVAS_REGIONS[r].y2)
    assert not _inside(canvas[list(AOUAYEB_PARTS[0])], box(0)).all()
    assert _inside(canvas[list(AOUAYEB_PARTS[5])], box(5)).mean() < 0.5


def test_aouayeb_landmark_regions_pad_black_and_never_enlarge():
    _, points = astronaut()
    image = np.full((512, 512, 3), 90, np.uint8)
    boxes = pre.landmark_boxes(points)
    crops = pre.landmark_regions(image, points)
    assert [c.shape for c in crops] == [(80, 100, 4), (80, 100, 4), (80, 120, 4), (60, 60, 4), (60, 60, 4),
                                        (60, 160, 4)]
    for crop, (left, top, right, bottom), region in zip(crops, boxes, pre.CANVAS_REGIONS):
        w, h = right - left, bottom - top
        assert w <= region.size[0] and h <= region.size[1]  # the astronaut's face is small: pad only
        face = crop[..., 3] == 255
        assert face.sum() == w * h  # never enlarged
        rows, cols = np.nonzero(face)
        assert (cols.min(), rows.min()) == (math.ceil((region.size[0] - w) / 2), math.ceil((region.size[1] - h) / 2))
        assert np.all(crop[face, :3] == 90) and np.all(crop[~face] == 0)  # black, transparent background
    np.testing.assert_array_equal(crops[0][..., 3] == 255, crops[0][..., 3] != 0)
    white = pre.landmark_regions(image, points, background=pre.background("white"))
    assert np.all(white[0][white[0][..., 3] == 0] == (255, 255, 255, 0))
    with pytest.raises(ValueError, match="background"):
        pre.background("grey")


def test_aouayeb_landmark_regions_shrink_a_large_crop_keeping_its_aspect():
    _, points = astronaut()
    big = np.full((2048, 2048, 3), 60, np.uint8)
    scaled = points * 4.0  # boxes about 160 x 108 for the eyes: larger than 100 x 80
    (left, top, right, bottom), region = pre.landmark_boxes(scaled)[0], pre.CANVAS_REGIONS[0]
    assert right - left > region.size[0]
    crop = pre.landmark_regions(big, scaled)[0]
    rows, cols = np.nonzero(crop[..., 3] > 0)
    w, h = cols.max() - cols.min() + 1, rows.max() - rows.min() + 1
    assert w == region.size[0] and h <= region.size[1]  # shrunk to fit the width
    assert abs(w / h - (right - left) / (bottom - top)) < 0.05  # aspect ratio kept
