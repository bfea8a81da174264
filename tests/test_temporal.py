"""Fixed-length frame selection (Talluri 2022 sec. 4.4 / 8.2.1), interpolation and Keras-style padding."""
from __future__ import annotations

import numpy as np
import pytest

from common.preprocessing.temporal import (
    apex_window,
    initial_window,
    interpolate_frames,
    pad_sequences,
    resample_indices,
)


def test_apex_window_is_18_before_and_18_from_the_apex_for_casme2():
    window = apex_window(68, 30, 36)  # CASME II: 36 frames around the apex
    assert window.shape == (36,) and window.dtype.kind == "i"
    np.testing.assert_array_equal(window, np.arange(12, 48))
    assert window[18] == 30  # 18 frames before, then the apex and 17 after
    np.testing.assert_array_equal(apex_window(34, 17, 26), np.arange(4, 30))  # SMIC: 26 frames


def test_apex_window_repeats_first_and_last_frames_at_the_edges():
    np.testing.assert_array_equal(apex_window(50, 3, 10), [0, 0, 0, 1, 2, 3, 4, 5, 6, 7])  # apex at position 5
    np.testing.assert_array_equal(apex_window(50, 47, 10), [42, 43, 44, 45, 46, 47, 48, 49, 49, 49])
    short = apex_window(20, 10, 36)  # shorter than the window: first/last frames fill it, apex centred
    assert short.shape == (36,) and short[18] == 10
    np.testing.assert_array_equal(short, np.clip(np.arange(-8, 28), 0, 19))
    np.testing.assert_array_equal(apex_window(1, 0, 4), [0, 0, 0, 0])


def test_apex_window_shift_option_stays_inside_long_enough_clips():
    np.testing.assert_array_equal(apex_window(50, 3, 10, edge="shift"), np.arange(10))
    np.testing.assert_array_equal(apex_window(50, 47, 10, edge="shift"), np.arange(40, 50))
    np.testing.assert_array_equal(apex_window(6, 2, 10, edge="shift"), apex_window(6, 2, 10))
    with pytest.raises(ValueError, match="apex"):
        apex_window(10, 10, 4)
    with pytest.raises(ValueError, match="edge"):
        apex_window(10, 2, 4, edge="wrap")


def test_initial_window_and_resampling():
    np.testing.assert_array_equal(initial_window(68, 36), np.arange(36))
    np.testing.assert_array_equal(initial_window(3, 5), [0, 1, 2, 2, 2])
    np.testing.assert_array_equal(resample_indices(11, 6), [0, 2, 4, 6, 8, 10])
    np.testing.assert_array_equal(resample_indices(3, 5), [0, 0, 1, 2, 2])
    assert resample_indices(100, 10)[0] == 0 and resample_indices(100, 10)[-1] == 99


def test_interpolate_frames_is_linear_in_time():
    frames = np.stack([np.full((2, 3), v, np.float32) for v in (0.0, 10.0, 30.0)])
    out = interpolate_frames(frames, 5)  # positions 0, 0.5, 1, 1.5, 2
    assert out.shape == (5, 2, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0, 0], [0, 5, 10, 20, 30])
    as_uint8 = interpolate_frames(np.array([[0], [3]], np.uint8), 3)
    assert as_uint8.dtype == np.uint8
    np.testing.assert_array_equal(as_uint8[:, 0], [0, 2, 3])  # 1.5 rounds to 2
    np.testing.assert_array_equal(interpolate_frames(frames[:1], 3), np.repeat(frames[:1], 3, axis=0))


def test_pad_sequences_pre_and_post():
    seqs = [np.ones((2, 3)), 2 * np.ones((5, 3))]
    pre = pad_sequences(seqs, 4)  # Keras default padding "pre"; truncating "post" (Aouayeb)
    assert pre.shape == (2, 4, 3) and pre.dtype == np.float32
    np.testing.assert_array_equal(pre[0, :, 0], [0, 0, 1, 1])
    post = pad_sequences(seqs, 4, padding="post")
    np.testing.assert_array_equal(post[0, :, 0], [1, 1, 0, 0])
    longer = [np.arange(6, dtype=float)[:, None]]
    np.testing.assert_array_equal(pad_sequences(longer, 4)[0, :, 0], [0, 1, 2, 3])  # keeps the first steps
    np.testing.assert_array_equal(pad_sequences(longer, 4, truncating="pre")[0, :, 0], [2, 3, 4, 5])
    with pytest.raises(ValueError, match="padding"):
        pad_sequences(seqs, 4, padding="middle")


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_pad_sequences_equals_keras(padding, truncating):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    seqs = [rng.random((n, 4)) for n in (1, 3, 7, 5)]
    expected = keras.utils.pad_sequences(seqs, maxlen=5, dtype="float32", padding=padding, truncating=truncating)
    np.testing.assert_array_equal(pad_sequences(seqs, 5, padding=padding, truncating=truncating), expected)
