"""The Bi-WOOF vector of one clip (Liong et al. 2018, Sec. 3).

The onset (first) and apex faces of the clip (``common.preprocessing.motion_stages``: the annotated apex,
or the shared apex rule where the database has none, SMIC), the TV-L1 optical flow between them and its
optical strain (``motion_stages.flow_features``, cached per clip), and the bi-weighted oriented optical
flow histograms (``common.preprocessing.motion.weighted_orientation_histograms``: per block, orientation
votes weighted by the flow magnitude, the block weighted by its optical strain), with the authors' blocks
and orientation bins (``features.blocks``, ``features.binning``) and normalised as the authors' code does
(``features.normalisation``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from common.datasets.sample import Sample
from common.errors import MersuiteError
from common.preprocessing.motion import block_ranges, weighted_orientation_histograms
from papers.liong2018.config import Liong2018Config
from common.preprocessing.motion_stages import flow_features


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
    # The shared histograms bin from -180 degrees as the authors' biwoof.m does; by default with its
    # blocks and its histc binning (ledger 5, 10).
    histograms = weighted_orientation_histograms(flow, strain, f.grid, f.bins, layout=f.blocks,
                                                 binning=f.binning).astype(np.float64)
    if f.normalisation == "none":
        return histograms.astype(np.float32)
    if f.normalisation != "authors_code":
        raise ValueError(f"features.normalisation={f.normalisation!r}: expected 'authors_code' or 'none'")
    # The authors' biwoof.m: each block's magnitude-weighted histogram divided by its sum, times the
    # block's summed optical strain (the global weight), then the whole vector divided by its L2 norm. The
    # shared stage weights by the block's mean strain, the same up to the blocks' pixel counts (26 to 29
    # rows and columns on 128 px): recomputed here with the sums over the same blocks, as the code has it.
    blocks = histograms.reshape(-1, f.bins)
    totals = blocks.sum(axis=1, keepdims=True)
    # a still block: all 0 (the code: 0/0)
    local = np.divide(blocks, totals, out=np.zeros_like(blocks), where=totals > 0)
    rows = block_ranges(strain.shape[0], f.grid[0], f.blocks)
    cols = block_ranges(strain.shape[1], f.grid[1], f.blocks)
    strain_sums = np.array([float(np.sum(strain[y0:y1, x0:x1])) for y0, y1 in rows for x0, x1 in cols])
    vector = (local * strain_sums[:, None]).ravel()
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm > 0 else vector).astype(np.float32)


def clip_features(sample: Sample, config: Liong2018Config, cache_root: Path | None = None) -> np.ndarray:
    """The clip's Bi-WOOF vector, (D,) float32, from its cached onset-to-apex flow and strain."""
    if len(sample.frames) < 2:
        raise Liong2018InputError(f"{sample.key}: {len(sample.frames)} frame(s); "
                                  "Bi-WOOF needs an onset and an apex frame")
    f = config.features
    return biwoof(np.asarray(flow_features(sample, f.size, f.flow, cache_root=cache_root)), config)


def preprocess_clip(sample: Sample, config: Liong2018Config) -> np.ndarray:
    """The per-clip work ``run_fold`` caches (``--estimate``): the clip's Bi-WOOF vector."""
    return clip_features(sample, config)
