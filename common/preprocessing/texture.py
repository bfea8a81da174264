"""Removal of frames with low textural variance (Kumar et al., CVPRW 2019, section 3.2).

Kumar et al. follow Li, Huang and Zhao (ICIP 2018) before averaging the kept frames into the
Emotion Avatar Image (docs/methods.md §3.2). Steps and parameters, all from section 3.2:

1. LBP texture map of every frame (``skimage.feature.local_binary_pattern``, P = 8, R = 1,
   'default' codes 0..255) of the grey frame.
2. Each map divided into 6 x 6 blocks.
3. For every position i of a sliding temporal window of N = 61 frames, the 3-D DFT of each
   block's (N, L_b, W_b) volume (eq. 6).
4. High-frequency filter (eq. 7): keep the coefficients at distance ``>= D0 = 30`` from the
   centred zero frequency.
5. Block amplitude = sum of |filtered coefficients|; window intensity A_i = sum over the 36
   blocks (eq. 9).
6. Per-frame intensities -> a probability from the clip's mean and standard deviation ->
   frames with probability below 0.5 are removed.

Choices where the paper is silent (cited by the kumar2019 README deviations ledger):

* **Units of D0.** Eq. 7 is the textbook ideal high-pass filter (Gonzalez & Woods), where D is
  the distance in *index units* (DFT bins) from the centre of the centred (fftshifted) DFT; we
  use exactly that on each block's window volume, N x L_b x W_b, with the temporal axis of
  length N = 61 (bins -30..30). The paper's D0 = 30 is a typical value in those units; in
  normalised units (cycles/sample, at most 0.87 in 3-D) it would remove everything. With
  blocks of a 128-px face (21 x 21 px, spatial bins -10..10) D >= 30 keeps only the highest
  temporal frequencies (|k| >= 27 of 30), i.e. the measure is of fast temporal change of the
  texture, which is the stated purpose ("pixel change in the temporal domain").
* **Amplitude.** Eq. 9 sums the filtered coefficients G; we sum their magnitudes |G| (a sum of
  complex coefficients of a real signal would be real but would cancel rather than measure).
* **Probability.** "The mean and standard deviation ... we get the probability values": the
  intensities of the clip's frames are modelled as N(mu, sigma) and a frame's probability is
  the Gaussian CDF of its z-score, ``Phi((A_t - mu) / sigma)`` (``method="gaussian"``). This
  uses exactly the two statistics the paper names; min-max scaling (``method="minmax"``) is
  offered for comparison but uses neither. With threshold 0.5 the Gaussian rule keeps the
  frames whose intensity is at least the clip mean. A clip whose intensities do not vary
  (sigma = 0, e.g. a clip shorter than N: one window) gives probability 0.5 everywhere, so
  every frame is kept ("lesser than 0.5" is removed; 0.5 is kept). The same happens when no
  DFT bin reaches D0: small blocks and a short clip, e.g. a 34-frame SMIC clip of 128-px faces
  (largest distance sqrt(17^2 + 10^2 + 10^2) ~ 22 < 30) scores 0 everywhere and keeps all frames.
* **Window -> frame.** A window of odd N is centred on frame i + N // 2; each frame takes the
  intensity of the window centred on it, frames within N // 2 of either end take the nearest
  (first / last) window. A clip shorter than N is one window of the whole clip (the paper's
  clips, CASME II / SAMM at 200 fps, are mostly longer; SMIC at 100 fps often is not).
  With ``pad`` (a ``numpy.pad`` mode, e.g. "reflect") the clip is first padded in time by
  N // 2 frames before and N - 1 - N // 2 after, so every frame, at any clip length, has its own
  N-frame window centred on it (kumar2019's ``texture.window_rule="padded"``).
* **Blocks.** When H or W is not a multiple of 6, the last ``H % 6`` rows / ``W % 6`` columns
  are left out so that all 36 blocks have the same size (at most 5 pixels).

Vectorised: one 2-D FFT per frame over all 36 blocks (``scipy.fft.fft2`` over the block axes),
then only the temporal frequencies the filter can keep, by a sliding DFT over all blocks at once
(one multiply-add per window position instead of an N-point transform); equal to ``fftn`` of
every block volume (tests/test_texture.py).

Speed (benchmarks/bench_signal.py, 100-frame clips, shared 2-core machine at load ~9.5):
128x128 (40 windows of 61 frames) about 160 frames/s, most of it skimage's LBP; 256x256 about
34 frames/s (42-px blocks: 52 of the 61 temporal bins have coefficients beyond D0, against 8
at 128x128).
"""
from __future__ import annotations

import numpy as np
import scipy.fft
from scipy.special import ndtr
from skimage.feature import local_binary_pattern

WINDOW = 61  # Kumar et al. sec. 3.2: sliding temporal window N
BLOCKS = 6  # sec. 3.2: 6 x 6 blocks
D0 = 30.0  # eq. 7: high-frequency filter threshold
THRESHOLD = 0.5  # sec. 3.2: frames with probability below 0.5 are removed


def _grey_uint8(frames: np.ndarray) -> np.ndarray:
    """(T, H, W) uint8 grey from (T, H, W) or (T, H, W, 3) uint8 / float in [0, 1]."""
    frames = np.asarray(frames)
    if frames.ndim not in (3, 4) or (frames.ndim == 4 and frames.shape[-1] != 3) or frames.shape[0] < 1:
        raise ValueError(f"texture: expected frames of shape (T, H, W) or (T, H, W, 3), got {frames.shape}")
    if np.issubdtype(frames.dtype, np.floating):
        if not (np.isfinite(frames).all() and frames.min() >= 0.0 and frames.max() <= 1.0):
            raise ValueError("texture: float frames must be finite and in [0, 1]")
        frames = frames * 255.0
    elif frames.dtype != np.uint8:
        raise ValueError(f"texture: expected uint8 or float frames, got dtype {frames.dtype}")
    if frames.ndim == 4:  # ITU-R BT.601 luma, as cv2.COLOR_RGB2GRAY
        frames = frames @ np.array([0.299, 0.587, 0.114])
    return np.rint(frames).astype(np.uint8) if frames.dtype != np.uint8 else frames


def lbp_maps(frames: np.ndarray, points: int = 8, radius: float = 1.0) -> np.ndarray:
    """LBP texture map of every frame (sec. 3.2): (T, H, W) float32 codes 0 .. 2^P - 1."""
    grey = _grey_uint8(frames)
    return np.stack([local_binary_pattern(g, points, radius, method="default") for g in grey]).astype(np.float32)


def _high_frequency_mask(n: int, bh: int, bw: int, d0: float, bin_window: int | None = None) -> np.ndarray:
    """Eq. 7 on the centred DFT of an (n, bh, bw) volume: 1 where the bin distance >= d0.

    ``bin_window`` (optional, W): measure the temporal bins of an n-frame window in the bins of a W-frame
    window, bin k -> k (W - 1) / (n - 1), so that the highest temporal bins of both (the Nyquist planes of odd
    windows, |k| = (n - 1) / 2 -> (W - 1) / 2 = 30 for W = 61) coincide: a shorter window then keeps the
    same part of its temporal band as the paper's N = 61 window, whose |k| = 30 planes always pass D0 = 30.
    None: the window's own bins (the textbook filter, the default)."""
    k: np.ndarray  # integer bins, then scaled to float below
    k, u, v = (np.arange(m) - m // 2 for m in (n, bh, bw))
    k = k * ((float(bin_window) - 1.0) / (n - 1) if bin_window and n > 1 else 1.0)
    distance = np.sqrt(k[:, None, None] ** 2 + u[None, :, None] ** 2 + v[None, None, :] ** 2)
    return distance >= d0


def clip_window(n_frames: int, window: int = WINDOW) -> int:
    """A sliding window that slides within a clip of ``n_frames``: ``window`` when the clip has at
    least 2 x window frames, else the largest odd number <= n_frames // 2 (at least 3; a clip of
    fewer than 6 frames keeps ``min(window, n_frames)``, one window). Used by kumar2019's
    ``texture.window_rule="clip"`` (README ledger 7): the paper's N = 61 is longer than every SMIC-HS
    micro clip and many CASME II / SAMM onset-offset clips, where one window would remove nothing."""
    n_frames, window = int(n_frames), int(window)
    if n_frames >= 2 * window:
        return window
    half = n_frames // 2
    if half < 3:
        return min(window, n_frames)
    return half if half % 2 == 1 else half - 1


def padded_frame_index(n_frames: int, window: int, pad: str) -> np.ndarray:
    """Frame indices of a clip padded in time for ``window``-frame windows centred on every frame:
    N // 2 before, N - 1 - N // 2 after, by ``numpy.pad`` mode ``pad`` ("reflect": ..., 2, 1, 0, 1, 2, ...;
    repeated as often as needed on a clip shorter than the padding)."""
    return np.pad(  # type: ignore[call-overload]  # numpy's stubs want a literal mode; numpy checks pad itself
        np.arange(int(n_frames)), (window // 2, window - 1 - window // 2), mode=pad)


def window_intensities(
    frames: np.ndarray, window: int = WINDOW, blocks: int = BLOCKS, d0: float = D0, bin_window: int | None = None,
    pad: str | None = None,
) -> np.ndarray:
    """A_i of eq. 9 for every sliding-window position i: (max(T - N + 1, 1),) float64; with ``pad``
    (T,), window i centred on frame i of the clip padded by :func:`padded_frame_index`.

    ``bin_window``: see :func:`_high_frequency_mask` (None: the window's own DFT bins)."""
    maps = lbp_maps(frames)
    n_frames, height, width = maps.shape
    bh, bw = height // blocks, width // blocks
    if bh < 1 or bw < 1 or window < 1:
        raise ValueError(f"texture: {height}x{width} frames cannot be split into {blocks}x{blocks} blocks")
    # (T, blocks, bh, blocks, bw) -> (T, blocks, blocks, bh, bw); trailing rows/columns dropped.
    volume = maps[:, : bh * blocks, : bw * blocks].reshape(n_frames, blocks, bh, blocks, bw).transpose(0, 1, 3, 2, 4)
    # Spatial 2-D DFT of all blocks of all frames at once, centred (fftshift) on the block axes.
    spatial = scipy.fft.fftshift(scipy.fft.fft2(volume, axes=(-2, -1)), axes=(-2, -1))
    spatial = spatial.reshape(n_frames, blocks * blocks * bh * bw)
    if pad is not None:  # the padded clip: its frames are copies of the clip's (the DFT of a frame is reused)
        spatial = spatial[padded_frame_index(n_frames, window, pad)]
        n_frames = spatial.shape[0]
    n = min(window, n_frames)  # a clip shorter than N is one window of the whole clip (never once padded)
    mask = _high_frequency_mask(n, bh, bw, d0, bin_window)  # (n, bh, bw), centred bins
    rows = np.flatnonzero(mask.any(axis=(1, 2)))  # temporal bins with any coefficient kept
    n_windows = n_frames - n + 1
    intensities = np.zeros(n_windows)
    if rows.size == 0:  # nothing at distance >= D0 (tiny blocks and a short window)
        return intensities
    # DFT along time restricted to the kept bins k (centred index k - n // 2), as a sliding DFT:
    # G_i(k) = sum_{m=i}^{i+n-1} S_m exp(-2 pi j k m / n) has |G_i| = |F_i| (the window's DFT up to
    # a phase) and G_{i+1} = G_i + (S_{i+n} - S_i) exp(-2 pi j k i / n): one update per window
    # instead of an n-point DFT. complex128 keeps the accumulated round-off near 1e-13.
    k = (rows - n // 2).astype(np.float64)
    first = np.exp(-2j * np.pi * np.outer(k, np.arange(n)) / n)  # (K, n)
    coefficients = first @ spatial[:n].astype(np.complex128)  # G_0: (K, blocks*blocks*bh*bw)
    kept = np.broadcast_to(mask[rows][:, None, :, :], (rows.size, blocks * blocks, bh, bw))
    kept = kept.reshape(-1).astype(np.float64)  # eq. 7 as 0/1 weights, flattened like the rows
    update = np.empty_like(coefficients)
    amplitude = np.empty(coefficients.shape)
    for i in range(n_windows):
        if i > 0:
            change = (spatial[i + n - 1] - spatial[i - 1]).astype(np.complex128)
            np.multiply(np.exp(-2j * np.pi * k * (i - 1) / n)[:, None], change[None, :], out=update)
            coefficients += update
        np.abs(coefficients, out=amplitude)
        # eqs. 8-9; einsum, not np.dot: OpenBLAS's threaded ddot ran ~300x slower on the loaded 2 cores
        intensities[i] = np.einsum("i,i->", amplitude.reshape(-1), kept)
    return intensities


def texture_intensity(
    frames: np.ndarray, window: int = WINDOW, blocks: int = BLOCKS, d0: float = D0, bin_window: int | None = None,
    pad: str | None = None,
) -> np.ndarray:
    """Per-frame intensity (T,): the A_i of the window centred on each frame (edges: nearest window;
    with ``pad``, the window centred on the frame in the padded clip)."""
    frames = np.asarray(frames)
    per_window = window_intensities(frames, window, blocks, d0, bin_window, pad)
    if pad is not None:
        return per_window
    n_frames = frames.shape[0]
    n = min(window, n_frames)
    index = np.clip(np.arange(n_frames) - n // 2, 0, per_window.size - 1)
    return per_window[index]


def texture_probabilities(
    frames: np.ndarray,
    window: int = WINDOW,
    blocks: int = BLOCKS,
    d0: float = D0,
    method: str = "gaussian",
    bin_window: int | None = None,
) -> np.ndarray:
    """Per-frame probability of high textural variance (T,) in [0, 1] (sec. 3.2).

    ``method="gaussian"``: Phi((A_t - mean) / std) over the clip's frames (our reading, see the
    module docstring); ``"minmax"``: (A_t - min) / (max - min). No variation -> 0.5 everywhere.
    """
    return probabilities_from_intensity(texture_intensity(frames, window, blocks, d0, bin_window), method)


def probabilities_from_intensity(intensity: np.ndarray, method: str = "gaussian") -> np.ndarray:
    """The probabilities of :func:`texture_probabilities` from per-frame intensities (T,)."""
    intensity = np.asarray(intensity, dtype=np.float64)
    if method == "gaussian":
        mean, std = intensity.mean(), intensity.std()
        if std <= 1e-12 * max(abs(mean), 1.0):
            return np.full(intensity.shape, 0.5)
        return ndtr((intensity - mean) / std)
    if method == "minmax":
        low, high = intensity.min(), intensity.max()
        if high - low <= 1e-12 * max(abs(high), 1.0):
            return np.full(intensity.shape, 0.5)
        return (intensity - low) / (high - low)
    raise ValueError(f"texture_probabilities: method={method!r}; expected 'gaussian' or 'minmax'")

