"""Eulerian video magnification: identity, band selectivity, reference order, Python-port regressions."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy.signal import butter, lfilter, lfilter_zi

from common.preprocessing.magnification import (
    RGB_TO_YIQ,
    YIQ_TO_RGB,
    iir_coefficient,
    iir_cutoff_hz,
    level_gains,
    magnify,
    pyramid_height,
)
from helpers import temporal_band_pass

ALPHA = 10.0


def sinusoid_clip(wavelength, freq, fps, n_frames=120, size=128, amplitude=0.05):
    """A vertical-stripe texture 0.5 + 0.25 sin(k (x + d(t))), d(t) = amplitude sin(2 pi f t / fps)."""
    x = np.arange(size)
    shift = amplitude * np.sin(2 * np.pi * freq * np.arange(n_frames) / fps)
    rows = 0.5 + 0.25 * np.sin(2 * np.pi / wavelength * (x[None, :] + shift[:, None]))
    return np.repeat(rows[:, None, :], size, axis=1)  # (T, H, W) float64


def motion_amplitude(frames, wavelength, freq, fps):
    """Amplitude (px) at ``freq`` of the stripes' displacement, measured by the phase of their
    spatial Fourier component over whole periods in the central half (second half of the clip,
    after the IIR start-up transient)."""
    width = frames.shape[2]
    start = width // 4
    n = int((width // 2) // wavelength * wavelength)
    k = 2 * np.pi / wavelength
    x = np.arange(start, start + n)
    profile = frames[:, :, start : start + n].mean(axis=1)
    phase = np.unwrap(np.angle((profile * np.exp(-1j * k * x)).sum(axis=1)))
    displacement = phase / k
    t = np.arange(len(displacement))[len(displacement) // 2 :]
    d = displacement[t] - displacement[t].mean()
    return 2 * np.abs((d * np.exp(-2j * np.pi * freq * t / fps)).mean())


def band_pass_gain(r1, r2, freq, fps):
    """|H| of the reference IIR band-pass r1/(1-(1-r1)z^-1) - r2/(1-(1-r2)z^-1) at freq."""
    z_inv = np.exp(-2j * np.pi * freq / fps)
    return abs(r1 / (1 - (1 - r1) * z_inv) - r2 / (1 - (1 - r2) * z_inv))


def magnification_ratio(wavelength, freq, fps, low_hz, high_hz, **options):
    clip = sinusoid_clip(wavelength, freq, fps)
    out = magnify(clip, ALPHA, fps, low_hz=low_hz, high_hz=high_hz, **options)
    return motion_amplitude(out, wavelength, freq, fps) / motion_amplitude(clip, wavelength, freq, fps)


# ---- identity -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(8, 64, 48), (8, 64, 48, 3)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_alpha_zero_returns_the_input_exactly(shape, dtype):
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, shape).astype(np.uint8) if dtype == np.uint8 else rng.random(shape).astype(dtype)
    out = magnify(frames, 0.0)
    assert out.dtype == frames.dtype and out.shape == frames.shape
    np.testing.assert_array_equal(out, frames)


def test_output_keeps_dtype_and_range():
    rng = np.random.default_rng(1)
    frames = rng.random((10, 32, 32, 3)).astype(np.float32)
    out = magnify(frames, 50.0)
    assert out.dtype == np.float32 and out.min() >= 0.0 and out.max() <= 1.0
    assert not np.array_equal(out, frames)
    np.testing.assert_array_equal(out[0], frames[0])  # both low-passes start from frame 1


# ---- filters and gains against the reference numbers (docs/methods.md §1.3, 1.6) -----------------


def test_iir_cutoffs_match_the_reference_table_and_round_trip():
    assert iir_cutoff_hz(0.4, 30) == pytest.approx(2.49, abs=0.01)
    assert iir_cutoff_hz(0.4, 100) == pytest.approx(8.31, abs=0.01)
    assert iir_cutoff_hz(0.4, 200) == pytest.approx(16.63, abs=0.01)
    assert iir_cutoff_hz(0.05, 100) == pytest.approx(0.82, abs=0.01)
    assert iir_coefficient(10, 200) == pytest.approx(0.268, abs=1e-3)
    assert iir_coefficient(1, 200) == pytest.approx(0.031, abs=1e-3)
    for r in (0.05, 0.2, 0.4, 0.7):
        assert iir_coefficient(iir_cutoff_hz(r, 100), 100) == pytest.approx(r, abs=1e-9)
    # -3 dB really is at the cut-off
    assert abs(0.4 / (1 - 0.6 * np.exp(-2j * np.pi * iir_cutoff_hz(0.4, 30) / 30))) == pytest.approx(2**-0.5)


def test_pyramid_height_follows_buildLpyr_auto():
    assert pyramid_height(256, 256) == 7  # bands 256..8 + 4x4 residual
    assert pyramid_height(128, 128) == 6
    assert pyramid_height(480, 640) == 8
    assert pyramid_height(4, 100) == 1


def test_level_gains_in_matlab_order_not_the_python_port_order():
    gains = level_gains(256, 256, alpha=10, lambda_c=16)  # fine -> coarse
    np.testing.assert_allclose(gains, [0, 3.19, 8.37, 10, 10, 10, 0], atol=0.01)
    # tvaranka/Python-evm applies the reversed list (0, 10, 10, 10, 8.37, 3.19, 0): fine detail over-amplified
    assert not np.allclose(gains, [0, 10, 10, 10, 8.37, 3.19, 0], atol=0.01)
    assert np.all(level_gains(256, 256, alpha=0) == 0)
    with pytest.raises(ValueError, match="levels"):
        level_gains(256, 256, 10, levels=9)


def test_temporal_filters_equal_scipy_lfilter_started_at_rest():
    rng = np.random.default_rng(2)
    x = rng.random((50, 1, 1)).astype(np.float32)
    signal = x[:, 0, 0].astype(np.float64)

    def low_pass(b, a):
        return lfilter(b, a, signal, zi=lfilter_zi(b, a) * signal[0])[0]

    r1, r2 = 0.4, 0.05
    expected = low_pass([r1], [1, r1 - 1]) - low_pass([r2], [1, r2 - 1])
    np.testing.assert_allclose(temporal_band_pass(x, r1=r1, r2=r2)[:, 0, 0], expected, atol=1e-5)
    r1, r2 = iir_coefficient(15, 100), iir_coefficient(1, 100)
    expected = low_pass([r1], [1, r1 - 1]) - low_pass([r2], [1, r2 - 1])
    got = temporal_band_pass(x, fps=100, low_hz=1, high_hz=15)
    np.testing.assert_allclose(got[:, 0, 0], expected, atol=1e-5)
    (bh, ah), (bl, al) = butter(1, 15, fs=100), butter(1, 1, fs=100)
    expected = low_pass(bh, ah) - low_pass(bl, al)
    got = temporal_band_pass(x, temporal_filter="butterworth", fps=100, low_hz=1, high_hz=15)
    np.testing.assert_allclose(got[:, 0, 0], expected, atol=1e-5)
    (bh, ah), (bl, al) = butter(1, 15 / 100), butter(1, 1 / 100)  # MATLAB's butter(1, f/fs): cut-off f/2
    expected = low_pass(bh, ah) - low_pass(bl, al)
    options = dict(temporal_filter="butterworth", fps=100, low_hz=1, high_hz=15, matlab_butter_cutoffs=True)
    got = temporal_band_pass(x, **options)
    np.testing.assert_allclose(got[:, 0, 0], expected, atol=1e-5)


# ---- the motion is magnified by about (1 + alpha) inside the band, not outside ----------------


def test_sinusoidal_motion_inside_the_band_grows_by_about_one_plus_alpha():
    fps, low, high, freq = 200.0, 0.5, 40.0, 5.0
    expected = 1 + ALPHA * band_pass_gain(iir_coefficient(high, fps), iir_coefficient(low, fps), freq, fps)
    ratio = magnification_ratio(48, freq, fps, low, high)
    assert ratio == pytest.approx(expected, rel=0.12)
    assert ratio > 0.8 * (1 + ALPHA)


def test_sinusoidal_motion_outside_the_band_is_not_magnified_much():
    fps, low, high = 200.0, 1.0, 5.0
    r1, r2 = iir_coefficient(high, fps), iir_coefficient(low, fps)
    inside = magnification_ratio(48, 2.2, fps, low, high)
    outside = magnification_ratio(48, 60.0, fps, low, high)
    # First-order filters: outside the band the gain follows their response, here ~0.08.
    assert outside == pytest.approx(1 + ALPHA * band_pass_gain(r1, r2, 60.0, fps), rel=0.12)
    assert outside < 0.25 * (1 + ALPHA)
    assert inside > 3 * outside


def test_butterworth_band_is_the_stated_band():
    fps, low, high, freq = 200.0, 0.5, 40.0, 5.0
    b_high, a_high = butter(1, high, fs=fps)
    b_low, a_low = butter(1, low, fs=fps)
    z = np.exp(2j * np.pi * freq / fps)
    response = abs(np.polyval(b_high, z) / np.polyval(a_high, z) - np.polyval(b_low, z) / np.polyval(a_low, z))
    ratio = magnification_ratio(48, freq, fps, low, high, temporal_filter="butterworth")
    assert ratio == pytest.approx(1 + ALPHA * response, rel=0.12)
    # The reference code's butter(1, f/fs) halves the cut-offs: a lower gain for 5 Hz with a 20 Hz top.
    plain = magnification_ratio(48, 15.0, fps, 0.5, 20.0, temporal_filter="butterworth")
    quirk = magnification_ratio(48, 15.0, fps, 0.5, 20.0, temporal_filter="butterworth", matlab_butter_cutoffs=True)
    assert quirk < plain - 1.0


def test_fine_texture_is_attenuated_as_in_matlab_not_as_in_the_python_port():
    """Regression for deviation 2: a 12-px texture lives mostly in the fine bands that MATLAB
    scales by 3.19 / 8.37 (128 px: gains 0, 3.19, 8.37, 10, 10, 0), whereas the reversed port
    order gives them 10 (measured 4.5x here vs 8.3x with reversed gains); a 48-px one gets ~alpha."""
    fps, low, high, freq = 200.0, 0.5, 40.0, 5.0
    fine = magnification_ratio(12, freq, fps, low, high)
    coarse = magnification_ratio(48, freq, fps, low, high)
    assert fine < 1 + 0.55 * ALPHA
    assert coarse > 1.8 * fine


# ---- regression for deviation 1: added to the CURRENT frame ------------------------------------


def moving_clip(n_frames=24, size=64, step=2.0):
    rng = np.random.default_rng(3)
    texture = cv2.GaussianBlur(rng.random((size, 3 * size)), (0, 0), 2.0)
    texture = (texture - texture.min()) / (texture.max() - texture.min())
    shifts = [np.float64([[1, 0, -step * t], [0, 1, 0]]) for t in range(n_frames)]
    frames = [cv2.warpAffine(texture, shift, (size, size)) for shift in shifts]
    return (np.stack(frames) * 255).round().astype(np.uint8)


def test_output_is_built_on_the_current_frame_not_frame_zero():
    clip = moving_clip()
    out = magnify(clip, 0.0)
    for t in range(len(clip)):
        np.testing.assert_array_equal(out[t], clip[t])
    assert np.abs(out[-1].astype(int) - clip[0]).mean() > 10  # frame 0 is far from the last frame
    # With alpha > 0 the output stays near the current frame (the port's output[i] = video[0] +
    # magnified would stay near frame 0 instead).
    clip = moving_clip(step=1.0)
    out = magnify(clip, 2.0, 200.0, low_hz=1.0, high_hz=10.0).astype(float)
    for t in range(2, len(clip)):
        assert np.abs(out[t] - clip[t]).mean() < 0.5 * np.abs(out[t] - clip[0]).mean()


# ---- equal to a direct implementation in the reference's order ---------------------------------


def reference_order_magnify(frames, alpha, r1, r2, lambda_c, chrom_attenuation):
    """amplify_spatial_lpyr_temporal_iir.m, literally: YIQ, a Laplacian pyramid per frame, the IIR
    on every coefficient, per-level gains, collapse, chroma attenuation, + current frame, RGB, clip."""
    n_frames, height, width, _ = frames.shape
    gains = level_gains(height, width, alpha, lambda_c)

    def build(image):
        gauss = [image]
        for _ in range(len(gains) - 1):
            gauss.append(cv2.pyrDown(gauss[-1]))
        sizes = [(g.shape[1], g.shape[0]) for g in gauss]
        return [gauss[k] - cv2.pyrUp(gauss[k + 1], dstsize=sizes[k]) for k in range(len(gauss) - 1)] + [gauss[-1]]

    def collapse(levels):
        image = levels[-1]
        for level in levels[-2::-1]:
            image = level + cv2.pyrUp(image, dstsize=(level.shape[1], level.shape[0]))
        return image

    yiq = frames @ RGB_TO_YIQ.T
    low1 = build(yiq[0])
    low2 = [level.copy() for level in low1]
    out = [frames[0]]
    for t in range(1, n_frames):
        pyramid = build(yiq[t])
        low1 = [(1 - r1) * a + r1 * p for a, p in zip(low1, pyramid)]
        low2 = [(1 - r2) * b + r2 * p for b, p in zip(low2, pyramid)]
        magnified = collapse([g * (a - b) for g, a, b in zip(gains, low1, low2)])
        magnified[..., 1:] *= chrom_attenuation
        out.append(np.clip((yiq[t] + magnified) @ YIQ_TO_RGB.T, 0, 1))
    return np.stack(out)


def test_equals_the_reference_order_implementation_on_rgb():
    rng = np.random.default_rng(4)
    base = cv2.GaussianBlur(rng.random((40, 50, 3)), (0, 0), 1.5)
    frames = np.stack([np.roll(base, t // 2, axis=1) * 0.6 + 0.2 + 0.01 * rng.random(base.shape) for t in range(12)])
    ours = magnify(frames, 15.0, r1=0.4, r2=0.05, lambda_c=16, chrom_attenuation=0.1)
    reference = reference_order_magnify(frames, 15.0, 0.4, 0.05, 16, 0.1)
    np.testing.assert_allclose(ours, reference, atol=2e-5)
    assert np.abs(ours - frames).max() > 0.05  # something was magnified


# ---- bad input ---------------------------------------------------------------------------------


def test_bad_input_gets_one_clear_error():
    with pytest.raises(ValueError, match=r"\(T, H, W\)"):
        magnify(np.zeros((4, 8, 8, 2), np.uint8), 10)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        magnify(np.full((4, 8, 8), 2.0), 10)
    with pytest.raises(ValueError, match="fps"):
        magnify(np.zeros((4, 8, 8), np.uint8), 10, low_hz=1, high_hz=5)
    with pytest.raises(ValueError, match="butterworth"):
        magnify(np.zeros((4, 8, 8), np.uint8), 10, temporal_filter="butterworth")
