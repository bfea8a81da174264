"""Configuration of OFF-ApexNet (Gan, Liong, Yau, Huang, Tan, Signal Processing: Image Communication 74,
2019; arXiv 1805.08699): frozen dataclasses, each value's source beside it, or "assumed" and its ledger row.

The composite numbers are the same group's reproduction (Liong et al., FG 2019, Table III, on STSTNet's 28x28
flow inputs), whose recipe this package takes where Gan et al. are silent (README ledger). No code by Gan et
al. is public; two reimplementations read the layer list differently: ``READINGS``, dotted overrides
(``--set``) that the `paper` profile takes neither of (README ledger 2).
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import LosoEvaluationConfig, Range
from common.flow_cnn import FlowDataConfig
from common.train_config import TrainConfig


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    # "two": one CNN per flow component, fused before FC1 (Table V's depth 5 and its 2.77 M, README ledger
    # 1-2); "one": one CNN on the stacked (u, v) image (MEB's reimplementation, option).
    streams: Literal["two", "one"] = "two"
    filters: Annotated[tuple[int, ...], Range(ge=1)] = (6, 16)  # per stream: conv1 6, conv2 16 kernels
    kernel_size: Annotated[int, Range(ge=1)] = 5  # 5x5, stride 1, 'same'
    pool_size: Annotated[int, Range(ge=1)] = 2  # max pooling 2x2, stride 2 (28 -> 14 -> 7)
    # ReLU after each convolution (README ledger 2: the same group's released STSTNet.mat has a ReLU
    # layer after each convolution); "linear": none (the Off-TANet reimplementation, option).
    conv_activation: Literal["relu", "linear"] = "relu"
    dense_units: Annotated[tuple[int, ...], Range(ge=1)] = (1024, 1024)  # FC1, FC2
    # Dropout after each hidden FC (option: Off-TANet and MEB use 0.5; README ledger 2).
    dropout: Annotated[float, Range(ge=0, lt=1)] = 0.0
    # Dropout on the fused convolutional features, before FC1 (option: MEB uses 0.5; README ledger 2).
    feature_dropout: Annotated[float, Range(ge=0, lt=1)] = 0.0


@dataclasses.dataclass(frozen=True)
class OffApexNetConfig:
    # Gan et al. Sec. 3: the horizontal and vertical optical flow between the onset and apex frames; TV-L1 (assumed
    # for OFF-ApexNet, README ledger 4: the same group's STSTNet README names the TV-L1 of IPOL 2013/26), on
    # 128x128 grey face crops (assumed, README ledger 4), images 28x28 (Liong et al. 2019 Table V: 28 x 28 x 2).
    # DEVIATION: the shared flow stage's square landmark crops, SMIC apex by the shared motion rule, per-channel
    # min-max normalisation (README ledger 4, 5, 7)
    data: FlowDataConfig = FlowDataConfig(flow_method="tvl1", face_size=128, size=28)
    model: ModelConfig = ModelConfig()
    # assumed (README ledger 6): the training recipe of the composite reproduction (Liong et al. 2019, Sec. II:
    # learning rate 0.00005, 500 epochs; their main.m line 25: Adam, mini-batch 256; MATLAB's L2 1e-4).
    # DEVIATION (assumed, README ledger 6): the reproduction's recipe, not checked against Gan et al.; its epoch
    # order STSTNet's (MATLAB's 'every-epoch': reshuffled, the partial batch dropped; liong2019 ledger 14).
    train: TrainConfig = TrainConfig(optimizer="adam", learning_rate=5e-5, batch_size=256, epochs=500,
                                     weight_decay=1e-4, drop_partial_batch=True)
    # Liong et al. 2019, Sec. III.B: leave-one-subject-out over the composite's subjects
    evaluation: LosoEvaluationConfig = LosoEvaluationConfig()


def default_config() -> OffApexNetConfig:
    """The recipe of the `paper` profile, the config of ``megc2019_loso``."""
    return OffApexNetConfig()


# The public reimplementations' readings of the layer list, as the dotted overrides the README ledger (2)
# gives as `--set` options; none is a profile. Counts (tests/test_gan2019.py): off_tanet 2,664,475 (the
# `paper` profile's weights; only activations and dropout differ), meb 807,909.
READINGS: dict[str, dict[str, object]] = {
    # ECNU-Cross-Innovation-Lab/PRICAI2021-Off-TANet, models/off_apexnet.py: no activation after the
    # convolutions (lines 13-18), ReLU then Dropout(0.5) after each hidden FC (lines 25-33).
    "off_tanet": {"model.conv_activation": "linear", "model.dropout": 0.5},
    # tvaranka/meb, meb/models/me_networks.py (class OffApexNet, lines 150-175): one stream on the 2-channel
    # image, 3x3 convolutions (padding 1) with ReLU, one FC 1024, Dropout(0.5) before FC1 and before the
    # output layer.
    "meb": {"model.streams": "one", "model.kernel_size": 3, "model.dense_units": (1024,),
            "model.feature_dropout": 0.5, "model.dropout": 0.5},
}


# QUICK-PROFILE DEVIATION (README ledger 9): learning rate 1e-3 and 30 epochs instead of 5e-5 and 500.
PROFILES: dict[str, dict[str, object]] = {
    "paper": {},
    "quick": {"data.face_size": 64, "train.epochs": 30, "train.learning_rate": 1e-3, "train.batch_size": 32},
    "smoke": {"data.face_size": 32, "train.epochs": 1, "train.batch_size": 32, "evaluation.max_folds": 2},
}
