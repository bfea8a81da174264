"""The LBP-TOP feature vector of one clip (Zhao and Pietikainen 2007; the MEGC 2019 baseline of See et al.).

Every frame of the clip, cropped with the first frame's 68 landmarks to ``features.size`` pixels
(``common.preprocessing.motion_stages.face_sequence``), is one (T, H, W) grey volume; its LBP-TOP
histograms (``common.preprocessing.motion.lbp_top``: per block of the spatial grid, the XY, XT and YT
histograms, concatenated; by default the blocks and the one normalisation of the whole vector of the
reference ``LBPTOP.m``, ``features.blocks`` and ``features.normalisation``) are the clip's feature
vector, cached per clip.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from common.datasets.sample import Sample
from common.errors import MersuiteError
from common.preprocessing.motion import lbp_bins
from papers.see2019.config import See2019Config
from common.preprocessing.motion_stages import lbp_top_features


class See2019InputError(MersuiteError, ValueError):
    """A clip this baseline cannot describe (too few frames for the temporal radius)."""


def feature_length(config: See2019Config) -> int:
    """D, the length of the LBP-TOP vector: blocks x (bins of XY + XT + YT)."""
    f = config.features
    return f.grid[0] * f.grid[1] * sum(lbp_bins(p, f.method) for p in f.points)


def min_frames(config: See2019Config) -> int:
    """The fewest frames LBP-TOP codes a voxel of: 2 R_T + 1 (a voxel needs R_T frames on either side)."""
    return 2 * config.features.radii[2] + 1


def clip_features(sample: Sample, config: See2019Config, cache_root: Path | None = None) -> np.ndarray:
    """The clip's LBP-TOP vector, (D,) float32, cached per clip and parameter set."""
    # The paper's experiment drops clips shorter than min_frames (Experiment.min_frames, recorded); on a
    # benchmark track, which keeps every clip, the shared stage pads a short clip's first and last frames
    # (DEVIATION: README ledger, short clips).
    f = config.features
    vector = np.asarray(lbp_top_features(sample, f.size, f.grid, f.radii, f.points, method=f.method,
                                         normalisation=f.normalisation, blocks=f.blocks, cache_root=cache_root),
                        dtype=np.float32).ravel()
    if vector.shape != (feature_length(config),):
        raise See2019InputError(f"{sample.key}: LBP-TOP vector of shape {vector.shape}, expected "
                                f"({feature_length(config)},)")
    return vector


def preprocess_clip(sample: Sample, config: See2019Config) -> np.ndarray:
    """The per-clip work ``run_fold`` caches (``--estimate``): the clip's LBP-TOP vector."""
    return clip_features(sample, config)
