"""Preprocessing of STSTNet (Liong et al., FG 2019), Sec. II: the onset-apex optical flow images.

Horizontal flow u, vertical flow v and optical strain between the onset (first) and apex frames of the
clip's grey face crops, each normalised to [0, 1] and resized to 28x28, stacked as a 28x28x3 image:
``common.preprocessing.motion_stages.flow_images`` (cached; shared with OFF-ApexNet, which takes its
first two channels). The apex: the annotation (CASME II, SAMM), else the shared motion apex rule
(SMIC; the paper used D&C-RoIs, README ledger 4). Then, as the authors stored their inputs as 8-bit
image files (``data.levels``, README ledger 6), each channel quantised to the integers 0..255; the
centring on the training mean image is the model's (``model.py``, layer "zerocenter").
"""
from __future__ import annotations

import numpy as np

from common.network_protocol import FlowInputs
from papers.liong2019.config import STSTNetConfig
from common.preprocessing.motion_stages import flow_image_stack, flow_images

CHANNELS = (0, 1, 2)  # Sec. II: u, v and optical strain


def channels(config: STSTNetConfig) -> tuple[int, ...]:
    """The channels in the network's order (``data.channel_order``): u, v, strain as MATLAB reads the images;
    strain, v, u as cv2.imread gives them to the authors' PyTorch port."""
    return CHANNELS if config.data.channel_order == "rgb" else CHANNELS[::-1]


def stored_levels(images: np.ndarray, levels: str) -> np.ndarray:
    """The [0, 1] flow images as the network reads them (``data.levels``): "uint8", the 8-bit values
    0..255 of the authors' image files (the nearest level, halves up as MATLAB's ``im2uint8``; main.m
    reads the files with imageDatastore, no rescaling), as float32; "unit", unchanged."""
    images = np.asarray(images, dtype=np.float32)
    if levels == "unit":
        return images
    return np.floor(np.clip(images, 0.0, 1.0) * 255.0 + 0.5).astype(np.float32)


def preprocess_clip(sample, config: STSTNetConfig) -> np.ndarray:
    """One clip's (size, size, 3) float32 input (``data.levels``), uncached (``Experiment.preprocess_clip``,
    for ``--estimate``)."""
    d = config.data
    # DEVIATION: flow on square landmark crops at data.face_size, SMIC apex by the shared motion rule,
    # per-channel min-max normalisation (README ledger 3, 4, 6)
    return stored_levels(flow_images(sample, d.face_size, d.size, method=d.flow_method)[..., list(channels(config))],
                         d.levels)


def clip_inputs(samples, config, cache_root=None) -> np.ndarray:
    """(N, size, size, 3) float32 inputs of ``samples`` (cached per clip): what a fold trains and
    tests on, and what ``--predict`` feeds the exported model."""
    d = config.data
    # the cached stage is the [0, 1] images; the quantisation after it is cheap and not cached
    return stored_levels(flow_image_stack(list(samples), d.face_size, d.size, channels=channels(config),
                                          method=d.flow_method, cache_root=cache_root), d.levels)


# What a fold trains and tests on, the first pass caches, --estimate times and --predict feeds the exported
# model, wired the same way for both flow CNNs (common.network_protocol); the prediction page captions each channel.
INPUTS = FlowInputs(clip_inputs=clip_inputs, preprocess_clip=preprocess_clip,
                    titles=("horizontal flow u", "vertical flow v", "optical strain"))
