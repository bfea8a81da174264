"""Fixed-length frame selection, temporal interpolation and zero padding.

* ``apex_window``: Talluri et al. 2022, section 4.4: "a fixed frame length of 36 frames is
  chosen for a video sample from CASME II. Then, 18 frames before and 18 frames after the Apex
  frame (including it)" (26 frames for SMIC). So the window is
  ``[apex - length // 2, apex - length // 2 + length)``: 18 frames before the apex, the apex and
  17 after. For short clips the paper (sections 8.2.1 and 10) "interpolat[es] the first and last
  frames of each video" so that samples are not discarded. Our reading: positions of the window
  that fall before the first / after the last frame are filled with the first / last frame
  (nearest-frame extrapolation, i.e. edge frames repeated), which keeps the window centred on
  the apex. The paper gives no blending of frames, so we do not invent one; a linear temporal
  interpolation to a fixed length is available separately as ``interpolate_frames`` (the TIM-like
  alternative that Talluri's related work cites, Pfister et al.).
  ``edge="shift"`` is an option (off by default) that first slides the window inside the clip
  when the clip is long enough and repeats edge frames only for clips shorter than the window.
* ``initial_window``: the "initial frames" variant of Talluri Table 3 (the first ``length``
  frames, the last frame repeated for short clips).
* ``resample_indices`` / ``interpolate_frames``: a fixed number of frames by uniform index
  resampling, or by linear interpolation in time.
* ``pad_sequences``: Keras ``pad_sequences`` semantics for (T, F) feature sequences (Aouayeb
  et al. zero-pad their LSTM inputs; Keras pads at the front by default, docs/methods.md §6.1),
  written in NumPy so that preprocessing does not import TensorFlow; equal to
  ``keras.utils.pad_sequences`` (tests/test_temporal.py).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _check_length(n_frames: int, length: int) -> None:
    if n_frames < 1 or length < 1:
        raise ValueError(f"expected n_frames >= 1 and length >= 1, got n_frames={n_frames}, length={length}")


def apex_window(n_frames: int, apex_index: int, length: int, edge: str = "repeat") -> np.ndarray:
    """(length,) frame indices centred on the apex (Talluri et al. 2022 sec. 4.4).

    ``length // 2`` frames before the apex, then the apex and ``length - length // 2 - 1``
    after it (36 -> 18 before, apex, 17 after). ``edge="repeat"`` (Talluri's "interpolation of
    the first and last frames"): out-of-range positions take the first / last frame.
    ``edge="shift"``: slide the window inside the clip when ``n_frames >= length``.
    """
    _check_length(n_frames, length)
    if not 0 <= apex_index < n_frames:
        raise ValueError(f"apex_window: apex index {apex_index} outside the clip's 0..{n_frames - 1}")
    start = apex_index - length // 2
    if edge == "shift":
        if n_frames >= length:
            start = min(max(start, 0), n_frames - length)
    elif edge != "repeat":
        raise ValueError(f"apex_window: edge={edge!r}; expected 'repeat' or 'shift'")
    return np.clip(np.arange(start, start + length), 0, n_frames - 1)


def initial_window(n_frames: int, length: int) -> np.ndarray:
    """(length,) indices of the first ``length`` frames (Talluri Table 3 "initial frames"); last frame repeated."""
    _check_length(n_frames, length)
    return np.minimum(np.arange(length), n_frames - 1)


def resample_indices(n_frames: int, length: int) -> np.ndarray:
    """(length,) indices spread uniformly over the clip (first and last frames included), rounded."""
    _check_length(n_frames, length)
    return np.rint(np.linspace(0, n_frames - 1, length)).astype(np.int64)


def interpolate_frames(frames: np.ndarray, length: int) -> np.ndarray:
    """Linear temporal interpolation of (T, ...) frames to (length, ...), first and last kept.

    Output dtype = input dtype (integers rounded); a one-frame clip is repeated.
    """
    frames = np.asarray(frames)
    if frames.ndim < 1 or frames.shape[0] < 1:
        raise ValueError(f"interpolate_frames: expected at least one frame, got shape {frames.shape}")
    _check_length(frames.shape[0], length)
    positions = np.linspace(0, frames.shape[0] - 1, length)
    lower = np.floor(positions).astype(np.int64)
    upper = np.minimum(lower + 1, frames.shape[0] - 1)
    weight = (positions - lower).reshape((length,) + (1,) * (frames.ndim - 1))
    out = (1.0 - weight) * frames[lower].astype(np.float64) + weight * frames[upper].astype(np.float64)
    if np.issubdtype(frames.dtype, np.integer):
        return np.rint(out).astype(frames.dtype)
    return out.astype(frames.dtype)


def pad_sequences(
    seqs: Sequence[np.ndarray],
    length: int,
    padding: str = "pre",
    truncating: str = "post",
    value: float = 0.0,
    dtype=np.float32,
) -> np.ndarray:
    """Stack (T_i, ...) sequences into (N, length, ...) with Keras ``pad_sequences`` semantics.

    padding "pre" (Keras default; Aouayeb 2019) puts the zeros at the front, "post" at the
    end; truncating "post" (Aouayeb's call; Keras' default is "pre") keeps the first
    ``length`` steps of a longer sequence, "pre" the last ones.
    """
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding/truncating must be 'pre' or 'post', got {padding!r}/{truncating!r}")
    if length < 1:
        raise ValueError(f"pad_sequences: length must be >= 1, got {length}")
    arrays = [np.asarray(s) for s in seqs]
    if not arrays:
        return np.zeros((0, length), dtype=dtype)
    step_shape = next((a.shape[1:] for a in arrays if a.shape[0] > 0), arrays[0].shape[1:])
    out = np.full((len(arrays), length) + step_shape, value, dtype=dtype)
    for i, array in enumerate(arrays):
        if array.shape[0] == 0:
            continue
        if array.shape[1:] != step_shape:
            raise ValueError(f"pad_sequences: sequence {i} has steps of shape {array.shape[1:]}, expected {step_shape}")
        kept = array[:length] if truncating == "post" else array[-length:]
        if padding == "post":
            out[i, : len(kept)] = kept
        else:
            out[i, length - len(kept) :] = kept
    return out
