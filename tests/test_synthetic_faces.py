"""Synthetic faces and action-unit motion: realism and honesty.

Checks that subjects are deterministic and distinct, that dlib finds the face and its 68
landmarks in anatomical order on rendered frames, that the apex displacement is subtle (at most
about 3 px on a 256-pixel face), and that the class is visible in the motion only.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from common.datasets.synthetic.action_units import emotion_recipe, time_course
from common.datasets.synthetic.faces import (
    MAX_APEX_DISPLACEMENT,
    make_subject,
    plan_clip,
    render_clip,
    render_video,
)
from common.preprocessing.faces import detect_face, landmarks
from helpers import action_unit_code

BROWS, EYES, NOSE, MOUTH = np.r_[17:27], np.r_[36:48], np.r_[27:36], np.r_[48:68]


def _flow(frames: np.ndarray, a: int, b: int) -> np.ndarray:
    """Dense Farneback flow (H, W, 2) from frame a to frame b."""
    grey = [cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY) for i in (a, b)]
    return cv2.calcOpticalFlowFarneback(grey[0], grey[1], None, 0.5, 3, 15, 3, 5, 1.2, 0)


def _mean_flow_at(flow: np.ndarray, points: np.ndarray, radius: int = 4) -> np.ndarray:
    """Mean flow in small windows around ``points`` ((N, 2) x, y) -> (N, 2)."""
    out = []
    for x, y in np.round(points).astype(int):
        out.append(flow[y - radius:y + radius + 1, x - radius:x + radius + 1].reshape(-1, 2).mean(0))
    return np.array(out)


def test_deterministic_for_a_seed():
    from common.datasets.synthetic import faces

    a = make_subject(5, 11, (160, 160))
    fresh = faces._make_subject.__wrapped__(5, 11, (160, 160), False)  # bypass the cache
    np.testing.assert_array_equal(a.neutral, fresh.neutral)
    np.testing.assert_array_equal(a.landmarks, fresh.landmarks)
    clip1 = render_clip(a, "surprise", 12, 0, 6, 11, 200.0, seed=3)
    clip2 = render_clip(fresh, "surprise", 12, 0, 6, 11, 200.0, seed=3)
    np.testing.assert_array_equal(clip1, clip2)
    assert clip1.shape == (12, 160, 160, 3) and clip1.dtype == np.uint8
    other_seed = render_clip(a, "surprise", 12, 0, 6, 11, 200.0, seed=4)
    assert not np.array_equal(clip1, other_seed)
    assert action_unit_code("negative", 9) == action_unit_code("negative", 9)


def test_distinct_subjects_differ():
    subjects = [make_subject(i, 0, (160, 160)) for i in range(8)]  # each base face used twice
    for i in range(len(subjects)):
        for j in range(i + 1, len(subjects)):
            pixels = np.abs(subjects[i].neutral.astype(int) - subjects[j].neutral.astype(int)).mean()
            shape = np.abs(subjects[i].landmarks - subjects[j].landmarks).mean()
            assert pixels > 4.0, (i, j, pixels)
            assert shape > 1.0, (i, j, shape)
    # The same person at another size: same identity, scaled landmarks.
    small, large = make_subject(3, 0, (160, 160)), make_subject(3, 0, (256, 256))
    np.testing.assert_allclose(small.landmarks * 256 / 160, large.landmarks, atol=1.0)


@pytest.mark.parametrize("emotion", ["happiness", "surprise", "disgust", "repression", "anger", "fear",
                                     "sadness", "contempt", "negative", "positive"])
def test_apex_displacement_is_subtle(emotion):
    for index in range(3):
        subject = make_subject(index, 1, (256, 256))
        motion = plan_clip(subject, emotion, 30, 0, 15, 29, 200.0, seed=index)
        peak = np.linalg.norm(motion.apex_field, axis=-1).max()
        assert 0.4 * MAX_APEX_DISPLACEMENT <= peak <= MAX_APEX_DISPLACEMENT + 1e-3, (emotion, index, peak)
        # The largest total displacement at the apex frame, blink and jitter included, stays small.
        assert np.linalg.norm(motion.displacement(15), axis=-1).max() < 5.0
    # Scales with the face: the same clip at 160 x 160 moves 160/256 as far.
    small = make_subject(0, 1, (160, 160))
    small_peak = np.linalg.norm(plan_clip(small, emotion, 30, 0, 15, 29, 200.0, seed=0).apex_field, axis=-1).max()
    large = make_subject(0, 1, (256, 256))
    large_peak = np.linalg.norm(plan_clip(large, emotion, 30, 0, 15, 29, 200.0, seed=0).apex_field, axis=-1).max()
    assert small_peak == pytest.approx(large_peak * 160 / 256, rel=0.03)


def test_optical_flow_matches_the_fields_and_stays_within_3px():
    subject = make_subject(1, 2, (256, 256))
    clip = render_clip(subject, "happiness", 24, 0, 12, 23, 200.0, seed=5)
    motion = plan_clip(subject, "happiness", 24, 0, 12, 23, 200.0, seed=5)
    flow = _flow(clip, 0, 12)
    face = np.zeros(flow.shape[:2], bool)
    x0, y0 = subject.landmarks.min(0).astype(int)
    x1, y1 = subject.landmarks.max(0).astype(int)
    face[y0:y1, x0:x1] = True
    assert np.percentile(np.linalg.norm(flow[face], axis=-1), 99) < MAX_APEX_DISPLACEMENT + 0.5
    # Where the expression moves most, Farneback sees the same direction.
    field = motion.displacement(12) - motion.displacement(0)
    strong = np.linalg.norm(field, axis=-1) > 0.6 * np.linalg.norm(field, axis=-1).max()
    measured, expected = flow[strong].mean(0), field[strong].mean(0)
    cosine = measured @ expected / (np.linalg.norm(measured) * np.linalg.norm(expected))
    assert cosine > 0.8 and 0.3 < np.linalg.norm(measured) / np.linalg.norm(expected) < 1.5


def test_onset_frame_is_the_neutral_face_up_to_distractors():
    subject = make_subject(2, 0, (160, 160))
    clip = render_clip(subject, "surprise", 30, 8, 18, 27, 100.0, seed=1)
    motion = plan_clip(subject, "surprise", 30, 8, 18, 27, 100.0, seed=1)
    assert (motion.weights[:9, 0] == 0).all() and motion.weights[18, 0] == 1 and (motion.weights[27:, 0] == 0).all()
    neutral = subject.neutral.astype(np.float32)
    for t in (0, 8):
        difference = np.abs(clip[t].astype(np.float32) - neutral).mean()
        assert difference < subject.noise_sigma + 1.5, (t, difference)  # noise + sub-pixel jitter only
    # ... whereas the apex differs from it where the brows are.
    x0, y0 = subject.landmarks[BROWS].min(0).astype(int) - 4
    x1, y1 = subject.landmarks[BROWS].max(0).astype(int) + 4
    brow = (slice(y0, y1), slice(x0, x1))
    at_onset = np.abs(clip[8][brow].astype(np.float32) - neutral[brow]).mean()
    at_apex = np.abs(clip[18][brow].astype(np.float32) - neutral[brow]).mean()
    assert at_apex > at_onset + 1.0


def test_time_course_rises_and_falls_smoothly():
    course = time_course(20, 2, 8, 17)
    assert course[:3].tolist() == [0, 0, 0] and course[8] == 1 and course[17:].tolist() == [0, 0, 0]
    assert (np.diff(course[2:9]) > 0).all() and (np.diff(course[8:18]) < 0).all()
    with pytest.raises(ValueError, match="onset <= apex <= offset"):
        time_course(10, 5, 3, 8)


@pytest.mark.parametrize("size", [(160, 160), (256, 256), (320, 240)])
def test_dlib_finds_the_face_and_anatomical_landmarks(size):
    errors = []
    for index in range(4):  # the four base faces
        subject = make_subject(index, 4, size, gray=index == 3)
        frame = render_clip(subject, "surprise", 5, 0, 2, 4, 30.0, seed=index)[2]
        box = detect_face(frame)
        assert box is not None, (size, index)
        points = landmarks(frame, box)
        y = {name: points[group, 1].mean() for name, group in
             (("brows", BROWS), ("eyes", EYES), ("nose", np.r_[31:36]), ("mouth", MOUTH), ("chin", [8]))}
        assert y["brows"] < y["eyes"] < y["nose"] < y["mouth"] < y["chin"], (size, index, y)
        assert points[36:42, 0].mean() < points[42:48, 0].mean()  # subject's right eye on the image left
        assert points[48, 0] < points[54, 0]
        # dlib agrees with the landmarks the renderer put there: typically 1.5 % of the jaw width;
        # the HOG box's coarse scale steps sometimes give a loose box and 4-7 %.
        errors.append(np.linalg.norm(points - subject.landmarks, axis=1).mean() / subject.jaw_width)
    assert max(errors) < 0.08 and np.mean(errors) < 0.04, (size, errors)


def test_grey_subjects_have_three_equal_channels():
    clip = render_clip(make_subject(0, 0, (160, 160), gray=True), "anger", 4, 0, 2, 3, 200.0, seed=0)
    assert clip.shape == (4, 160, 160, 3)
    assert (clip[..., 0] == clip[..., 1]).all() and (clip[..., 1] == clip[..., 2]).all()


def test_classes_differ_in_the_motion():
    for index in range(3):
        subject = make_subject(index, 6, (256, 256))
        points = subject.landmarks
        flows = {emotion: _flow(render_clip(subject, emotion, 20, 0, 10, 19, 200.0, seed=index), 0, 10)
                 for emotion in ("surprise", "happiness", "negative")}
        # Surprise: brows go up (image y decreases); negative: brows go down (AU4).
        assert _mean_flow_at(flows["surprise"], points[BROWS])[:, 1].mean() < -0.3
        assert _mean_flow_at(flows["negative"], points[[19, 20, 21, 22, 23, 24]])[:, 1].mean() > 0.2
        # Happiness: mouth corners go up and out.
        right_corner, left_corner = _mean_flow_at(flows["happiness"], points[[48, 54]])
        assert right_corner[1] < -0.3 and left_corner[1] < -0.3
        assert right_corner[0] < 0 < left_corner[0]
        # Surprise leaves the mouth corners (nearly) alone; happiness the brows.
        assert np.abs(_mean_flow_at(flows["surprise"], points[[48, 54]])[:, 1]).mean() < 0.5
        assert np.abs(_mean_flow_at(flows["happiness"], points[BROWS])[:, 1].mean()) < 0.5


def test_no_class_signal_outside_the_motion():
    """Same seed, different emotions: everything but the action units is identical."""
    subject = make_subject(1, 3, (160, 160))
    emotions = ("happiness", "surprise", "disgust", "others", "negative")
    clips = {emotion: render_clip(subject, emotion, 30, 6, 14, 22, 100.0, seed=8) for emotion in emotions}
    reference = clips["others"]
    for emotion, clip in clips.items():
        assert clip.shape == reference.shape
        np.testing.assert_array_equal(clip[:6], reference[:6])  # before onset: byte-identical
        np.testing.assert_array_equal(clip[23:], reference[23:])  # after offset: byte-identical
        # At the apex only the geometry moved: same brightness, same noise level.
        assert abs(clip[14].mean() - reference[14].mean()) < 0.5, emotion
        residual = clip[14].astype(np.float32) - cv2.GaussianBlur(clip[14], (5, 5), 0).astype(np.float32)
        ref_residual = reference[14].astype(np.float32) - cv2.GaussianBlur(reference[14], (5, 5), 0).astype(np.float32)
        assert abs(residual.std() - ref_residual.std()) < 0.1 * ref_residual.std(), emotion
    # Across seeds and subjects, per-class brightness statistics overlap.
    means = {emotion: [] for emotion in ("happiness", "surprise", "negative")}
    for index in range(4):
        s = make_subject(index, 3, (160, 160))
        for k, emotion in enumerate(means):
            means[emotion].append(render_clip(s, emotion, 8, 0, 4, 7, 100.0, seed=10 * index + k).mean())
    spread = np.std(np.concatenate(list(means.values())))
    class_means = [np.mean(v) for v in means.values()]
    assert max(class_means) - min(class_means) < 0.5 * spread + 0.5


def test_recipes_and_labels():
    rng = np.random.default_rng(0)
    for emotion in ("negative", "disgust", "repression", "anger", "fear", "sadness", "contempt"):
        for _ in range(5):
            assert "4" in emotion_recipe(emotion, rng).code.split("+")  # the shared AU4 of MEGC negative
    assert emotion_recipe("positive", rng).code == emotion_recipe("Happiness", rng).code == "6+12"
    assert emotion_recipe("surprise", rng).code.startswith("1+2")
    subject = make_subject(0, 0, (160, 160))
    with pytest.raises(ValueError, match="unknown emotion 'boredom'"):
        render_clip(subject, "boredom", 5, 0, 2, 4, 30.0, seed=0)


def test_videos_with_several_expressions():
    subject = make_subject(0, 2, (160, 160))
    single = render_clip(subject, "happiness", 16, 2, 8, 14, 30.0, seed=4)
    np.testing.assert_array_equal(render_video(subject, [("happiness", 2, 8, 14)], 16, 30.0, seed=4), single)
    events = [("surprise", 5, 10, 15), ("negative", 30, 36, 44)]
    video = render_video(subject, events, 50, 30.0, seed=4)
    assert video.shape == (50, 160, 160, 3)
    flows = [_flow(video, onset, apex) for _, onset, apex, _ in events]
    assert _mean_flow_at(flows[0], subject.landmarks[BROWS])[:, 1].mean() < -0.2  # brows up
    assert _mean_flow_at(flows[1], subject.landmarks[[19, 20, 21, 22, 23, 24]])[:, 1].mean() > 0.1  # brows down
    # Between the expressions the face is back to neutral (distractors aside).
    assert np.abs(video[22].astype(np.float32) - subject.neutral).mean() < subject.noise_sigma + 1.5
    # The codes to write in the spreadsheet are those of the motion.
    motion = plan_clip(subject, "contempt", 10, 0, 5, 9, 30.0, seed=12)
    assert motion.recipe.code == action_unit_code("contempt", 12)
