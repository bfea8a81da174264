"""Eulerian video magnification with a Laplacian pyramid (Wu et al., SIGGRAPH 2012).

Used by Kumar et al. 2019 (section 3.1: alpha = 10 at test time, 5/10/15 for training
augmentation) and Le et al. 2020 (section III-A) to enlarge facial micro-movements before
the avatar / dynamic image. Follows the MIT MATLAB reference code
(``amplify_spatial_lpyr_temporal_iir.m`` / ``..._butter.m``; docs/methods.md §1):

* spatial decomposition: Laplacian pyramid of MATLAB ``buildLpyr(..., 'auto')`` height
  (5-tap binomial filter, ``pyramid_height``); built with ``cv2.pyrDown``/``cv2.pyrUp``, whose
  5-tap binomial kernel and reflect-101 borders are those of ``binom5``/``reflect1`` (the
  MATLAB filter's extra sqrt(2) scaling cancels between analysis and synthesis);
* temporal band-pass: the difference of two first-order low-pass filters, either the reference
  IIR ``y += r (x - y)`` with ``r1 > r2`` or two first-order Butterworth low-passes; both start
  from frame 1 (so the first output frame is the input frame);
* per-level gain (``level_gains``): coarse -> fine, lambda = diag/3 at the coarsest level, halved
  per finer level, ``currAlpha = (lambda / delta / 8 - 1) * exaggeration`` capped at alpha,
  finest band and low-pass residual 0;
* for RGB: NTSC/YIQ, the magnified I and Q multiplied by ``chrom_attenuation``, added to the
  *current* frame, back to RGB (the exact inverse matrix), clipped to [0, 1] per channel as the
  script does (old MATLAB ``ntsc2rgb`` releases rescaled out-of-gamut pixels first; only
  saturated pixels could differ).
* pyramids are built per frame with OpenCV (measured faster here than one multi-channel call
  over all frames); the 'ideal' FFT filter of the reference is not implemented (not asked for
  by the papers; it needs the whole clip and has a coarse resolution, docs/methods.md §1.3).

Implementation note: pyramid construction, the temporal filters and the per-level gains are
all linear, and the temporal filters act pixel-wise, so band-passing the pixels first and then
decomposing the band-passed frame gives the same result as the reference's "decompose every
frame, band-pass every pyramid coefficient" (checked against a direct reference-order
implementation in tests/test_magnification.py). Likewise the YIQ conversion is linear, so the
magnified YIQ signal is mapped back to RGB and added to the untouched input frame, which makes
``alpha = 0`` return the input bit for bit. The clip is streamed frame by frame (filter state,
pyramid, collapse, add), so memory is one output clip plus a few frames and the work stays in
cache; no per-pixel Python loop (the loops run over frames and pyramid levels).

Differences from the popular Python port tvaranka/Python-evm (docs/methods.md §1.6), both covered
by regression tests: the magnified signal is added to the current frame (the port adds it to
frame 0), and gains run in the reference order (the port reverses them, amplifying fine detail
beyond the paper's bound).

Speed (benchmarks/bench_signal.py, 100-frame 256x256 uint8 clips, the shared 2-core dev
machine): grey about 0.25-0.3 ms/frame at load < 1 (measured on the first, non-streaming
version of this module), 0.69 ms/frame at load ~9.5; RGB (YIQ)
2.3 ms/frame at load ~9.5. Side by side in the same run, a port-style implementation (the
port's per-level computation pattern) takes 2.1x (grey) and 1.6x (RGB) as long; docs/methods.md §1.6
measured the port itself at 0.5 ms (grey) and 1.5 ms (RGB) per frame on a quiet machine.
"""
from __future__ import annotations

import math
from typing import cast

import cv2
import numpy as np
from scipy.signal import butter

# MATLAB rgb2ntsc; ntsc2rgb is its inverse.
RGB_TO_YIQ = np.array(
    [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], dtype=np.float64
)
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ)


def iir_cutoff_hz(r: float, fps: float) -> float:
    """-3 dB cut-off (Hz) of the first-order low-pass ``y += r (x - y)`` at ``fps`` (docs/methods.md §1.3).

    ``r = 0.4`` at 30 fps gives 2.49 Hz; ``r = 0.05`` at 100 fps gives 0.82 Hz.
    """
    if not 0.0 < r <= 1.0 or fps <= 0:
        raise ValueError(f"iir_cutoff_hz: expected 0 < r <= 1 and fps > 0, got r={r}, fps={fps}")
    if r == 1.0:
        return fps / 2.0
    cos_theta = (1.0 + (1.0 - r) ** 2 - 2.0 * r**2) / (2.0 * (1.0 - r))
    if cos_theta < -1.0:  # the gain never drops by 3 dB below Nyquist
        return fps / 2.0
    return math.acos(min(cos_theta, 1.0)) / (2.0 * math.pi) * fps


def iir_coefficient(cutoff_hz: float, fps: float) -> float:
    """Inverse of ``iir_cutoff_hz``: the ``r`` whose -3 dB cut-off is ``cutoff_hz`` (docs/methods.md §1.3).

    With theta = 2 pi f_c / fs, c = cos(theta), q = (2 - c) - sqrt((2 - c)^2 - 1): r = 1 - q.
    """
    if fps <= 0 or not 0.0 < cutoff_hz < fps / 2.0:
        raise ValueError(f"iir_coefficient: expected 0 < cutoff_hz < fps/2, got cutoff_hz={cutoff_hz}, fps={fps}")
    c = math.cos(2.0 * math.pi * cutoff_hz / fps)
    q = (2.0 - c) - math.sqrt((2.0 - c) ** 2 - 1.0)
    return 1.0 - q


def pyramid_height(height: int, width: int, filter_size: int = 5) -> int:
    """Number of levels (band-pass levels + low-pass residual) of MATLAB ``buildLpyr(im, 'auto')``.

    ``1 + maxPyrHt``: halve (floor) both sides while neither is smaller than the filter; a
    256x256 frame gives 7 levels (bands of 256 ... 8 px and a 4x4 residual).
    """
    levels = 1
    h, w = height, width
    while h >= filter_size and w >= filter_size:
        levels += 1
        h, w = h // 2, w // 2
    return levels


def level_gains(
    height: int,
    width: int,
    alpha: float,
    lambda_c: float = 16.0,
    levels: int | None = None,
    exaggeration: float = 2.0,
) -> np.ndarray:
    """Per-level amplification, ordered fine -> coarse (index 0 = finest band, last = residual).

    Reference order (``amplify_spatial_lpyr_temporal_iir.m``, Wu et al. Fig. 6): the loop runs
    coarse -> fine with lambda = sqrt(H^2 + W^2) / 3 at the coarsest level (the residual),
    halving at each finer level; ``delta = lambda_c / 8 / (1 + alpha)``;
    ``currAlpha = (lambda / delta / 8 - 1) * exaggeration`` (the code's "exaggeration factor"
    2, not in the paper's bound); a level gets ``min(alpha, currAlpha)``; the finest band and
    the residual get 0. 256x256, alpha 10, lambda_c 16: ``[0, 3.19, 8.37, 10, 10, 10, 0]``.
    As in the reference, a negative ``currAlpha`` (very small lambda) is applied as is.
    """
    max_levels = pyramid_height(height, width)
    n_levels = max_levels if levels is None else int(levels)
    if not 1 <= n_levels <= max_levels:
        raise ValueError(f"levels={levels}: a {height}x{width} frame allows 1..{max_levels} pyramid levels")
    gains = np.zeros(n_levels, dtype=np.float64)
    if alpha == 0:
        return gains
    delta = lambda_c / 8.0 / (1.0 + alpha)
    wavelength = math.sqrt(height**2 + width**2) / 3.0  # "3 is experimental constant"
    for level in range(n_levels - 1, -1, -1):  # coarse -> fine, as the reference
        curr_alpha = (wavelength / delta / 8.0 - 1.0) * exaggeration
        if level in (0, n_levels - 1):  # finest band and low-pass residual are not amplified
            gains[level] = 0.0
        else:
            gains[level] = alpha if curr_alpha > alpha else curr_alpha
        wavelength /= 2.0
    return gains


def low_pass_coefficients(
    temporal_filter: str = "iir",
    fps: float | None = None,
    low_hz: float | None = None,
    high_hz: float | None = None,
    r1: float = 0.4,
    r2: float = 0.05,
    matlab_butter_cutoffs: bool = False,
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """(b0, b1, a1) of the two first-order low-passes (high cut-off, low cut-off) whose difference
    is the band-pass: ``y[n] = b0 x[n] + b1 x[n-1] - a1 y[n-1]`` (docs/methods.md §1.3).

    "iir": ``y += r (x - y)``, i.e. (r, 0, r - 1), with r1 / r2 or, when ``fps``, ``low_hz`` and
    ``high_hz`` are given, ``r1 = iir_coefficient(high_hz, fps)``, ``r2 = iir_coefficient(low_hz, fps)``.
    "butterworth": ``scipy.signal.butter(1, f, fs=fps)``, so the stated band is the real band;
    ``matlab_butter_cutoffs=True`` reproduces the reference's ``butter(1, f/samplingRate)``, whose
    real cut-offs are f/2 (MATLAB normalises to Nyquist).
    """
    if temporal_filter == "iir":
        if low_hz is not None or high_hz is not None:
            if fps is None or low_hz is None or high_hz is None:
                raise ValueError("magnify: a pass band needs fps, low_hz and high_hz together")
            r1, r2 = iir_coefficient(high_hz, fps), iir_coefficient(low_hz, fps)
        if not 0.0 < r2 < r1 <= 1.0:
            raise ValueError(f"magnify: expected 0 < r2 < r1 <= 1, got r1={r1}, r2={r2}")
        return (float(r1), 0.0, float(r1) - 1.0), (float(r2), 0.0, float(r2) - 1.0)
    if temporal_filter == "butterworth":
        if fps is None or low_hz is None or high_hz is None:
            raise ValueError("magnify: temporal_filter='butterworth' needs fps, low_hz and high_hz")
        if not 0.0 < low_hz < high_hz < fps / 2.0:
            raise ValueError(f"magnify: expected 0 < low_hz < high_hz < fps/2, got {low_hz}, {high_hz}, fps={fps}")
        coefficients = []
        for cutoff in (high_hz, low_hz):
            # matlab_butter_cutoffs: the reference's butter(1, f/samplingRate), real cut-off f/2.
            b, a = butter(1, cutoff / fps) if matlab_butter_cutoffs else butter(1, cutoff, fs=fps)
            coefficients.append((float(b[0] / a[0]), float(b[1] / a[0]), float(a[1] / a[0])))
        return coefficients[0], coefficients[1]
    raise ValueError(f"magnify: temporal_filter={temporal_filter!r}; expected 'iir' or 'butterworth'")


class _BandPass:
    """Streaming band-pass ``lowpass_high - lowpass_low``, both low-passes started at rest on
    frame 1 (``lowpass = x_prev = frame 1``), as the reference scripts: the first output is 0.

    Frame by frame (each step vectorised over pixels) so that magnification stays in cache;
    several times faster than ``scipy.signal.lfilter`` along the time axis here.
    """

    def __init__(self, first: np.ndarray, high: tuple[float, float, float], low: tuple[float, float, float]):
        self.coefficients = (tuple(np.float32(c) for c in high), tuple(np.float32(c) for c in low))
        self.states = (first.copy(), first.copy())
        self.previous = first.copy()
        self.scratch = np.empty_like(first)

    def step(self, frame: np.ndarray, out: np.ndarray) -> np.ndarray:
        for state, (b0, b1, a1) in zip(self.states, self.coefficients):
            if b1 == 0:  # reference IIR: lowpass = (1 - r) lowpass + r x  ==  lowpass += r (x - lowpass)
                np.subtract(frame, state, out=self.scratch)
                self.scratch *= b0
                state += self.scratch
            else:  # Butterworth: lowpass = -a1 lowpass + b0 x + b1 x_prev
                state *= -a1
                np.multiply(frame, b0, out=self.scratch)
                state += self.scratch
                np.multiply(self.previous, b1, out=self.scratch)
                state += self.scratch
        np.copyto(self.previous, frame)
        return np.subtract(self.states[0], self.states[1], out=out)


def _amplify_levels(band: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Laplacian-decompose one band-passed frame (H, W[, C]), scale level k by gains[k], collapse."""
    nonzero = np.flatnonzero(gains)
    if nonzero.size == 0:
        return np.zeros_like(band)
    coarsest = int(nonzero[-1])
    n_levels = len(gains)
    gauss = [band]
    # Gaussian levels down to the one below the coarsest amplified band (or the residual).
    for _ in range(min(coarsest + 1, n_levels - 1)):
        gauss.append(cv2.pyrDown(gauss[-1]))
    acc: np.ndarray | None = None
    for level in range(coarsest, -1, -1):
        size = (gauss[level].shape[1], gauss[level].shape[0])
        if level == n_levels - 1:  # the low-pass residual is its own Gaussian level
            laplacian = gauss[level]
        else:
            laplacian = gauss[level] - cv2.pyrUp(gauss[level + 1], dstsize=size)
        term = laplacian * np.float32(gains[level]) if gains[level] != 0 else None
        if acc is not None:
            acc = cast(np.ndarray, cv2.pyrUp(acc, dstsize=size))  # an ndarray in, an ndarray of its dtype out
            if term is not None:
                acc += term
        else:
            acc = term
    return acc if acc is not None else np.zeros_like(band)


def magnify(
    frames: np.ndarray,
    alpha: float,
    fps: float | None = None,
    *,
    low_hz: float | None = None,
    high_hz: float | None = None,
    r1: float = 0.4,
    r2: float = 0.05,
    temporal_filter: str = "iir",
    lambda_c: float = 16.0,
    levels: int | None = None,
    yiq: bool = True,
    chrom_attenuation: float = 0.1,
    exaggeration: float = 2.0,
    matlab_butter_cutoffs: bool = False,
) -> np.ndarray:
    """Eulerian motion magnification of a clip (Wu et al. 2012; Kumar et al. 2019 sec. 3.1).

    frames: (T, H, W) grey or (T, H, W, 3) RGB; uint8, or float in [0, 1].
    alpha: magnification factor (Kumar: 10; 5/10/15 for augmentation); 0 returns the input.
    fps, low_hz, high_hz: the pass band. ``temporal_filter="iir"`` (reference default) uses
        ``r1``/``r2`` (defaults 0.4/0.05 of ``reproduceResults.m``: 0.8-8.3 Hz at 100 fps,
        1.6-16.6 Hz at 200 fps) unless ``fps``, ``low_hz`` and ``high_hz`` are all given, in
        which case ``r1 = iir_coefficient(high_hz, fps)`` and ``r2 = iir_coefficient(low_hz,
        fps)``. ``temporal_filter="butterworth"`` needs all three and designs
        ``scipy.signal.butter(1, f, fs=fps)`` so that the stated band is the real band.
    matlab_butter_cutoffs: True reproduces the reference code's ``butter(1, f/samplingRate)``,
        whose real cut-offs are f/2 because MATLAB normalises to Nyquist (docs/methods.md §1.3).
    lambda_c, levels, exaggeration: spatial cut-off wavelength, pyramid height (None = MATLAB
        'auto') and the reference code's exaggeration factor 2 (``level_gains``).
    yiq, chrom_attenuation: for RGB, process in NTSC/YIQ and scale the magnified I, Q by
        ``chrom_attenuation`` (reference: 0.1 baby/wrist, 0 camera/shadow). No effect on grey.

    Returns the magnified clip with the input's shape and dtype (uint8 rounded, float clipped
    to [0, 1]).
    """
    frames = np.asarray(frames)
    if frames.ndim not in (3, 4) or (frames.ndim == 4 and frames.shape[-1] != 3) or frames.shape[0] < 1:
        raise ValueError(f"magnify: expected frames of shape (T, H, W) or (T, H, W, 3), got {frames.shape}")
    if frames.dtype == np.uint8:
        scale = np.float32(1.0 / 255.0)
    elif np.issubdtype(frames.dtype, np.floating):
        if frames.size and not (np.isfinite(frames).all() and frames.min() >= 0.0 and frames.max() <= 1.0):
            raise ValueError("magnify: float frames must be finite and in [0, 1] (scale uint8 data by 1/255)")
        scale = None
    else:
        raise ValueError(f"magnify: expected uint8 or float frames, got dtype {frames.dtype}")
    height, width = frames.shape[1:3]
    gains = level_gains(height, width, alpha, lambda_c, levels, exaggeration)
    high, low = low_pass_coefficients(temporal_filter, fps, low_hz, high_hz, r1, r2, matlab_butter_cutoffs)
    to_yiq = from_yiq = None
    if frames.ndim == 4 and yiq:
        to_yiq = RGB_TO_YIQ.astype(np.float32)  # rgb2ntsc
        # output = ntsc2rgb(frame_yiq + magnified * [1, ca, ca]) = frame_rgb + YIQ_TO_RGB @ (...)
        from_yiq = (YIQ_TO_RGB * np.array([1.0, chrom_attenuation, chrom_attenuation])[None, :]).astype(np.float32)

    def signal(t: int) -> np.ndarray:
        """Frame t as the float32 signal that is filtered (in [0, 1], YIQ for RGB)."""
        frame = frames[t].astype(np.float32)
        if scale is not None:
            frame *= scale
        return cv2.transform(frame, to_yiq) if to_yiq is not None else frame

    output = np.empty_like(frames)
    output[0] = frames[0]  # both low-passes start from frame 1: nothing to add
    band_pass = _BandPass(signal(0), high, low)
    band = np.empty_like(band_pass.previous)
    for t in range(1, frames.shape[0]):
        band_pass.step(signal(t), band)
        magnified = _amplify_levels(band, gains)
        if from_yiq is not None:
            magnified = cv2.transform(magnified, from_yiq)
        # Added to the *current* frame (the Python port adds it to frame 0: docs/methods.md §1.6).
        if scale is not None:  # uint8: saturate_cast = round half to even and clip to 0..255
            magnified *= np.float32(255.0)
            output[t] = cv2.add(frames[t], magnified, dtype=cv2.CV_8U)
        else:
            output[t] = np.clip(frames[t] + magnified, 0.0, 1.0)
    return output
