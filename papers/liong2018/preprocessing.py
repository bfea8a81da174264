"""The Bi-WOOF vector of one clip (Liong et al. 2018, Sec. 3).

The onset (first) and apex faces of the clip (``common.preprocessing.motion_stages``: the annotated apex,
or the shared apex rule where the database has none, SMIC), the TV-L1 optical flow between them and its
optical strain (``motion_stages.flow_features``, cached per clip), and the bi-weighted oriented optical
flow histograms (``common.preprocessing.motion.weighted_orientation_histograms``: per block, orientation
votes weighted by the flow magnitude, the block weighted by its optical strain), normalised as the
authors' code does (``features.normalisation``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from common.datasets.sample import Sample
from common.errors import MersuiteError
from common.preprocessing.motion import block_edges, weighted_orientation_histograms
from papers.liong2018.config import Liong2018Config


class Liong2018InputError(MersuiteError, ValueError):
    """A clip this method cannot describe."""


def feature_length(config: Liong2018Config) -> int:
    """D, the length of the Bi-WOOF vector: blocks x orientation bins (5 x 5 x 8 = 200)."""
    f = config.features
    return f.grid[0] * f.grid[1] * f.bins


def biwoof(flow_and_strain: np.ndarray, config: Liong2018Config) -> np.ndarray:
    """The Bi-WOOF vector, (D,) float32, of a (H, W, 3) array of u, v and optical strain."""
    f = config.features
    flow, strain = flow_and_strain[..., :2], flow_and_strain[..., 2]
    # The shared histograms bin from -180 degrees as the authors' biwoof.m does (ledger 5).
    histograms = weighted_orientation_histograms(flow, strain, f.grid, f.bins).astype(np.float64)
    if f.normalisation == "none":
        return histograms.astype(np.float32)
    if f.normalisation != "authors_code":
        raise ValueError(f"features.normalisation={f.normalisation!r}: expected 'authors_code' or 'none'")
    # The authors' biwoof.m: each block's magnitude-weighted histogram divided by its sum, times the
    # block's summed optical strain (the global weight), then the whole vector divided by its L2 norm. The
    # shared stage weights by the block's mean strain, the same up to the blocks' pixel counts (25 or 26
    # rows and columns on 128 px): recomputed here with the sums, as the code has it.
    blocks = histograms.reshape(-1, f.bins)
    totals = blocks.sum(axis=1, keepdims=True)
    # a still block: all 0 (the code: 0/0)
    local = np.divide(blocks, totals, out=np.zeros_like(blocks), where=totals > 0)
    ys, xs = block_edges(strain.shape[0], f.grid[0]), block_edges(strain.shape[1], f.grid[1])
    strain_sums = np.array([float(np.sum(strain[ys[r]:ys[r + 1], xs[c]:xs[c + 1]]))
                            for r in range(f.grid[0]) for c in range(f.grid[1])])
    vector = (local * strain_sums[:, None]).ravel()
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm > 0 else vector).astype(np.float32)


def clip_features(sample: Sample, config: Liong2018Config, cache_root: Path | None = None) -> np.ndarray:
    """The clip's Bi-WOOF vector, (D,) float32, from its cached onset-to-apex flow and strain."""
    from common.preprocessing.motion_stages import flow_features

    if len(sample.frames) < 2:
        raise Liong2018InputError(f"{sample.key}: {len(sample.frames)} frame(s); "
                                  "Bi-WOOF needs an onset and an apex frame")
    f = config.features
    return biwoof(np.asarray(flow_features(sample, f.size, f.flow, cache_root=cache_root)), config)


def preprocess_clip(sample: Sample, config: Liong2018Config) -> np.ndarray:
    """The per-clip work ``run_fold`` caches (``--estimate``): the clip's Bi-WOOF vector."""
    return clip_features(sample, config)
