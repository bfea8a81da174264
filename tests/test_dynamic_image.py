"""Approximate rank pooling: published weights, the reference sum, and dynamic-image properties."""
from __future__ import annotations

import numpy as np
import pytest

from common.preprocessing.dynamic_image import dynamic_image, rank_pooling_weights


def reference_weights(n):
    """hbilen/dynamic-image-nets vl_nnarpooltemporal.m: fw(i) = sum((2*(i:N)-N-1)./(i:N))."""
    return np.array([sum((2 * i - n - 1) / i for i in range(t, n + 1)) for t in range(1, n + 1)])


def test_weights_for_ten_frames_equal_the_published_values():
    published = [-12.22, -3.22, 0.28, 1.95, 2.70, 2.90, 2.73, 2.30, 1.68, 0.90]
    np.testing.assert_allclose(rank_pooling_weights(10), published, atol=0.005)


@pytest.mark.parametrize("n", range(1, 51))
def test_closed_form_equals_the_reference_sum_and_sums_to_zero(n):
    weights = rank_pooling_weights(n)
    assert weights.shape == (n,) and weights.dtype == np.float64
    if n == 1:
        np.testing.assert_array_equal(weights, [1.0])  # fw = 1 when N = 1
    else:
        np.testing.assert_allclose(weights, reference_weights(n), atol=1e-10)
        assert abs(weights.sum()) < 1e-10


def test_static_clip_gives_an_all_zero_image():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (32, 40, 3), dtype=np.uint8)
    clip = np.repeat(frame[None], 17, axis=0)
    image = dynamic_image(clip)
    assert image.shape == (32, 40, 3) and image.dtype == np.uint8
    assert not image.any() and np.isfinite(image).all()
    np.testing.assert_array_equal(dynamic_image(clip, normalise=False), 0.0)
    float_clip = np.repeat(rng.random((1, 8, 8)), 9, axis=0)
    assert not dynamic_image(float_clip).any()


def test_raw_image_is_the_weighted_sum_per_channel():
    rng = np.random.default_rng(1)
    clip = rng.integers(0, 256, (7, 5, 6, 3), dtype=np.uint8)
    expected = np.einsum("t,thwc->hwc", rank_pooling_weights(7), clip.astype(np.float64))
    raw = dynamic_image(clip, normalise=False)
    assert raw.dtype == np.float32 and raw.shape == (5, 6, 3)
    np.testing.assert_allclose(raw, expected, atol=1e-3)


def test_normalisation_is_a_global_min_max_to_0_255():
    rng = np.random.default_rng(2)
    clip = rng.integers(0, 256, (6, 9, 7, 3), dtype=np.uint8)
    raw = dynamic_image(clip, normalise=False).astype(np.float64)
    image = dynamic_image(clip)
    assert image.min() == 0 and image.max() == 255
    expected = np.rint((raw - raw.min()) / (raw.max() - raw.min()) * 255)  # one min/max over all channels
    np.testing.assert_allclose(image, expected, atol=1)


def test_brightening_clip_gives_an_image_brighter_where_it_brightens():
    """A pixel that brightens over time gets a positive value, one that darkens a negative one."""
    t = np.arange(12, dtype=np.float64)[:, None, None]
    clip = np.concatenate([np.broadcast_to(t * 10, (12, 4, 4)), np.broadcast_to(200 - t * 10, (12, 4, 4))], axis=2)
    raw = dynamic_image(clip.astype(np.uint8), normalise=False)
    assert (raw[:, :4] > 0).all() and (raw[:, 4:] < 0).all()


def test_bad_input_gets_one_clear_error():
    with pytest.raises(ValueError, match="shape"):
        dynamic_image(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="at least one frame"):
        rank_pooling_weights(0)
