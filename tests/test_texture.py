"""Low-texture frame removal (Kumar et al. 2019 sec. 3.2): still frames dropped, moving ones kept."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy.stats import norm

from common.preprocessing import texture
from common.preprocessing.texture import (
    lbp_maps,
    texture_intensity,
    texture_probabilities,
    window_intensities,
)
from helpers import keep_textured_frames


def still_then_moving_clip(n_still=75, n_moving=75, size=96, seed=0):
    """A textured face-sized image, still for ``n_still`` frames, then translating 1 px/frame."""
    rng = np.random.default_rng(seed)
    canvas = cv2.GaussianBlur(rng.random((size, size + n_moving + 2)), (0, 0), 1.0)
    canvas = np.rint(255 * (canvas - canvas.min()) / (canvas.max() - canvas.min())).astype(np.uint8)
    still = [canvas[:, :size]] * n_still
    moving = [canvas[:, t + 1 : t + 1 + size] for t in range(n_moving)]
    return np.stack(still + moving)


def test_still_frames_are_dropped_and_moving_frames_kept():
    clip = still_then_moving_clip()
    keep = keep_textured_frames(clip)  # N = 61, 6x6 blocks, D0 = 30, threshold 0.5
    assert keep.shape == (150,) and keep.dtype == bool
    assert not keep[:45].any()  # windows entirely inside the still stretch
    assert keep[105:].all()  # windows entirely inside the moving stretch
    intensity = texture_intensity(clip)
    assert intensity[:45].max() < intensity[105:].min()


def test_probability_is_the_gaussian_cdf_of_the_z_score():
    clip = still_then_moving_clip(n_still=40, n_moving=40, size=48)
    intensity = texture_intensity(clip, window=21, d0=8.0)
    assert intensity.std() > 0
    expected = norm.cdf((intensity - intensity.mean()) / intensity.std())
    np.testing.assert_allclose(texture_probabilities(clip, window=21, d0=8.0), expected, atol=1e-12)
    minmax = texture_probabilities(clip, window=21, d0=8.0, method="minmax")
    assert minmax.min() == 0.0 and minmax.max() == 1.0


def test_window_intensities_equal_fftn_of_every_block_volume():
    """Eqs. 6-9 literally: 3-D DFT of each block's window, centred, |.| summed where D >= D0."""
    rng = np.random.default_rng(1)
    clip = rng.integers(0, 256, (15, 38, 45), dtype=np.uint8)  # 6x6 blocks of 6x7 px (edges cropped)
    window, d0 = 11, 6.0
    maps = lbp_maps(clip)[:, :36, :42].astype(np.float64)
    k, u, v = np.meshgrid(np.arange(11) - 5, np.arange(6) - 3, np.arange(7) - 3, indexing="ij")
    keep = np.sqrt(k**2 + u**2 + v**2) >= d0
    expected = []
    for i in range(15 - window + 1):
        total = 0.0
        for by in range(6):
            for bx in range(6):
                block = maps[i : i + window, by * 6 : by * 6 + 6, bx * 7 : bx * 7 + 7]
                total += np.abs(np.fft.fftshift(np.fft.fftn(block)))[keep].sum()
        expected.append(total)
    np.testing.assert_allclose(window_intensities(clip, window=window, d0=d0), expected, rtol=1e-4)


def test_d0_is_a_distance_in_dft_bins():
    """128-px faces: 21x21-px blocks (bins -10..10), N = 61 (bins -30..30), D0 = 30."""
    mask = texture._high_frequency_mask(61, 21, 21, 30.0)
    assert mask.shape == (61, 21, 21)
    assert mask[0, 10, 10] and mask[60, 10, 10]  # temporal bins -30 and +30 alone: distance 30 >= D0
    assert not mask[30].any()  # a still block (temporal bin 0) never passes
    kept_bins = np.flatnonzero(mask.any(axis=(1, 2))) - 30
    np.testing.assert_array_equal(kept_bins, [-30, -29, -28, -27, 27, 28, 29, 30])  # 26^2 + 2*10^2 < 30^2


def test_each_frame_takes_the_window_centred_on_it_and_short_clips_are_one_window():
    clip = still_then_moving_clip(n_still=20, n_moving=20, size=36)
    per_window = window_intensities(clip, window=11)
    per_frame = texture_intensity(clip, window=11)
    assert per_window.shape == (30,) and per_frame.shape == (40,)
    np.testing.assert_array_equal(per_frame[5:35], per_window)  # window i is centred on frame i + 5
    np.testing.assert_array_equal(per_frame[:5], per_window[0])
    np.testing.assert_array_equal(per_frame[35:], per_window[-1])
    short = clip[:30]  # shorter than N = 61: one window, no variation -> probability 0.5 -> all kept
    assert window_intensities(short).shape == (1,)
    np.testing.assert_array_equal(texture_probabilities(short), 0.5)
    assert keep_textured_frames(short).all()


def test_padded_clip_gives_every_frame_its_own_window():
    """``pad``: the clip is padded in time (numpy.pad mode) so that the N-frame window centred on each frame
    exists at any clip length, also a clip shorter than the padding (repeated reflections)."""
    clip = still_then_moving_clip(n_still=20, n_moving=20, size=36)
    for pad in ("reflect", "edge"):
        per_frame = texture_intensity(clip, window=11, pad=pad)
        expected = window_intensities(np.pad(clip, ((5, 5), (0, 0), (0, 0)), mode=pad), window=11)
        assert per_frame.shape == (40,)
        np.testing.assert_allclose(per_frame, expected, rtol=1e-9)
    short = clip[15:22]  # 7 frames, padded by 30 at each end for N = 61
    assert texture.padded_frame_index(7, 61, "reflect").tolist()[:31] == [6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5] * 2 + [
        6, 5, 4, 3, 2, 1, 0]  # mirrored back and forth; frame 0 at position 30
    per_frame = texture_intensity(short, pad="reflect")
    assert per_frame.shape == (7,) and np.ptp(per_frame) > 0  # the windows differ: not one window of 7 frames


def test_rgb_and_float_frames_are_accepted_and_bad_input_is_refused():
    clip = still_then_moving_clip(n_still=12, n_moving=12, size=30)
    rgb = np.repeat(clip[..., None], 3, axis=-1)
    np.testing.assert_allclose(texture_intensity(rgb, window=7), texture_intensity(clip, window=7))
    np.testing.assert_allclose(texture_intensity(clip / 255.0, window=7), texture_intensity(clip, window=7))
    with pytest.raises(ValueError, match="shape"):
        texture_intensity(np.zeros((5, 8)))
    with pytest.raises(ValueError, match="blocks"):
        texture_intensity(np.zeros((5, 4, 40), np.uint8))


def test_clip_window_and_bins_measured_in_the_papers_window():
    # kumar2019 texture.window_rule="clip": N = 61 from 122 frames, else the largest odd N <= T // 2 (>= 3).
    assert [texture.clip_window(t) for t in (200, 122, 121, 62, 40, 34, 11, 7, 5, 2)] == [61, 61, 59, 31, 19, 17, 5, 3,
                                                                                          5, 2]
    # bin_window=None is the window's own DFT bins; bin_window equal to the window changes nothing.
    frames = np.random.default_rng(3).integers(0, 256, (30, 48, 48), dtype=np.uint8)
    plain = texture.window_intensities(frames, window=11, d0=6.0)
    np.testing.assert_allclose(texture.window_intensities(frames, window=11, d0=6.0, bin_window=11), plain)
    # Mapped onto a 61-frame window's bins, the top temporal bins (|k| = 5 -> 30) always pass D0 = 30, which the
    # 11-frame window's own bins (|k| <= 5 with 8 x 8 blocks: distance <= 7.1) never do.
    assert not texture.window_intensities(frames, window=11, d0=30.0).any()
    mapped = texture.window_intensities(frames, window=11, d0=30.0, bin_window=61)
    assert mapped.shape == (20,) and (mapped > 0).all()
    mask = texture._high_frequency_mask(11, 8, 8, 30.0, bin_window=61)
    assert mask[0].all() and mask[-1].all() and not mask[1:-1].any()  # only the k = +-5 planes (25.2 < 30 at k = 4)
