"""Preprocessing of OFF-ApexNet (Gan et al. 2019): the onset-apex horizontal and vertical flow images.

The first two channels (u, v) of ``common.preprocessing.motion_stages.flow_images``: TV-L1 flow from
the onset (first) to the apex face, each component normalised to [0, 1] and resized to 28x28 (cached;
the stage STSTNet shares, which adds the optical strain). The apex: the annotation (CASME II, SAMM),
else the shared motion apex rule (SMIC; Gan et al. used D&C-RoIs, README ledger 5).
"""
from __future__ import annotations

import numpy as np

from common.flow_cnn import FlowInputs
from papers.gan2019.config import OffApexNetConfig
from common.preprocessing.motion_stages import flow_image_stack, flow_images

CHANNELS = (0, 1)  # u, v (Gan et al. Sec. 3: horizontal and vertical optical flow)


def preprocess_clip(sample, config: OffApexNetConfig) -> np.ndarray:
    """One clip's (size, size, 2) float32 input (``Experiment.preprocess_clip``, for ``--estimate``)."""
    d = config.data
    # DEVIATION: flow on square landmark crops at data.face_size, SMIC apex by the shared motion rule,
    # per-channel min-max normalisation (README ledger 4, 5, 7)
    return flow_images(sample, d.face_size, d.size, method=d.flow_method)[..., list(CHANNELS)]


def clip_inputs(samples, config, cache_root=None) -> np.ndarray:
    """(N, size, size, 2) float32 inputs of ``samples`` (cached per clip): what a fold trains and
    tests on, and what ``--predict`` feeds the exported model."""
    d = config.data
    return flow_image_stack(list(samples), d.face_size, d.size, channels=CHANNELS, method=d.flow_method,
                            cache_root=cache_root)


# What a fold trains and tests on, the first pass caches, --estimate times and --predict feeds the exported
# model, wired the same way for both flow CNNs (common.flow_cnn); the prediction page captions each channel.
INPUTS = FlowInputs(clip_inputs=clip_inputs, preprocess_clip=preprocess_clip,
                    titles=("horizontal flow u", "vertical flow v"))
