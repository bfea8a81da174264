"""Configuration of OFF-ApexNet (Gan, Liong, Yau, Huang, Tan, Signal Processing: Image Communication 74,
2019; arXiv 1805.08699): frozen dataclasses, one comment per value naming its source, or "assumed"
with the reason in README's ledger.

The MEGC 2019 composite numbers of OFF-ApexNet are not in Gan et al. 2019 (written before the
composite existed): they come from the same group's reproduction in Liong et al. (FG 2019), Table III,
on the same 28x28 onset-apex flow inputs as STSTNet (Table V). Where Gan et al.'s text is silent or
was not checked, this package takes that reproduction's recipe (README ledger).
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import Range
from common.training import TrainConfig


@dataclasses.dataclass(frozen=True)
class DataConfig:
    # Gan et al. Sec. 3: horizontal and vertical optical flow between the onset and apex frames.
    # TV-L1 (assumed for OFF-ApexNet; the same group's STSTNet README names the TV-L1 of IPOL 2013/26).
    flow_method: Literal["tvl1", "farneback"] = "tvl1"
    face_size: Annotated[int, Range(ge=8)] = 128  # assumed (README ledger 4): flow on 128x128 grey face crops
    size: Annotated[int, Range(ge=4)] = 28  # Gan et al.; Liong et al. 2019 Table V: input 28 x 28 x 2


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    filters: Annotated[tuple[int, ...], Range(ge=1)] = (6, 16)  # per stream: conv1 6, conv2 16 kernels
    kernel_size: Annotated[int, Range(ge=1)] = 5  # 5x5, stride 1, 'same'
    pool_size: Annotated[int, Range(ge=1)] = 2  # max pooling 2x2, stride 2 (28 -> 14 -> 7)
    dense_units: Annotated[tuple[int, ...], Range(ge=1)] = (1024, 1024)  # FC1, FC2
    dropout: Annotated[float, Range(ge=0, lt=1)] = 0.0  # option (none in the layer list used; README ledger 2)


@dataclasses.dataclass(frozen=True)
class EvaluationConfig:
    # 0 = every LOSO fold (68 on the real composite); >0 = the first folds (smoke only)
    max_folds: Annotated[int, Range(ge=0)] = 0


@dataclasses.dataclass(frozen=True)
class OffApexNetConfig:
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    # assumed (README ledger 6): the training recipe of the composite reproduction (Liong et al. 2019,
    # Sec. II: Adam, learning rate 0.00005, 500 epochs; their main.m: mini-batch 256, MATLAB's L2 1e-4).
    # DEVIATION (assumed, README ledger 6): the reproduction's recipe, not checked against Gan et al.
    train: TrainConfig = TrainConfig(optimizer="adam", learning_rate=5e-5, batch_size=256, epochs=500,
                                     weight_decay=1e-4)
    evaluation: EvaluationConfig = EvaluationConfig()


def default_config() -> OffApexNetConfig:
    """The recipe of the `paper` profile, the config of ``megc2019_loso``."""
    return OffApexNetConfig()


# QUICK-PROFILE DEVIATION (README ledger 9): learning rate 1e-3 and 30 epochs instead of 5e-5 and 500.
PROFILES: dict[str, dict[str, object]] = {
    "paper": {},
    "quick": {"data.face_size": 64, "train.epochs": 30, "train.learning_rate": 1e-3, "train.batch_size": 32},
    "smoke": {"data.face_size": 32, "train.epochs": 1, "train.batch_size": 32, "evaluation.max_folds": 2},
}
