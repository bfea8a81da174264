"""Configuration of STSTNet (Liong, Gan, See, Khor, Huang, FG 2019; arXiv 1902.03634): frozen dataclasses,
one comment per value naming its source (paper section/table, or the authors' public code), or
"assumed" with the reason in README's ledger.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import Range
from common.training import TrainConfig


@dataclasses.dataclass(frozen=True)
class DataConfig:
    # Sec. II: optical flow between the onset (first) and apex frames; authors' README: TV-L1 (IPOL 2013/26).
    flow_method: Literal["tvl1", "farneback"] = "tvl1"
    # assumed (README ledger 3): the flow is computed on grey face crops of this size (Table II: the
    # databases' 170 x 140 crops; our shared face stage crops squares), then resized to ``size``.
    face_size: Annotated[int, Range(ge=8)] = 128
    size: Annotated[int, Range(ge=4)] = 28  # Sec. II / Table I: "resize to 28x28x3"


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    filters: Annotated[tuple[int, ...], Range(ge=1)] = (3, 5, 8)  # Table I: C1-1, C1-2, C1-3 kernels
    kernel_size: Annotated[int, Range(ge=1)] = 3  # Table I: 3x3, stride 1, 'same'
    pool_size: Annotated[int, Range(ge=1)] = 3  # Table I: P1 max 3x3, stride 3, 'same' (28 -> 10)
    average_pool: Annotated[int, Range(ge=1)] = 2  # Table I: P2 average 2x2, stride 2, no padding (10 -> 5)
    # Options, off by default (Table I lists neither): the authors' later PyTorch code (main.py) puts a
    # batch normalisation after each convolution's ReLU and a dropout of 0.5 after each max pooling.
    batch_norm: bool = False
    dropout: Annotated[float, Range(ge=0, lt=1)] = 0.0


@dataclasses.dataclass(frozen=True)
class EvaluationConfig:
    # 0 = every LOSO fold (68 on the real composite); >0 = the first folds (smoke only)
    max_folds: Annotated[int, Range(ge=0)] = 0


@dataclasses.dataclass(frozen=True)
class STSTNetConfig:
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    # Sec. II: initial learning rate 0.00005, 500 epochs. Authors' main.m: Adam, mini-batch 256, MATLAB's
    # trainingOptions defaults otherwise, whose L2Regularization 1e-4 is weight_decay 1e-4 here
    # (lambda/2 ||W||^2 on the kernels, as MATLAB's default BiasL2Factor 0 leaves the biases out).
    train: TrainConfig = TrainConfig(optimizer="adam", learning_rate=5e-5, batch_size=256, epochs=500,
                                     weight_decay=1e-4)
    evaluation: EvaluationConfig = EvaluationConfig()


def default_config() -> STSTNetConfig:
    """The paper's recipe (the `paper` profile), the config of ``megc2019_loso``."""
    return STSTNetConfig()


# Dotted overrides (``Experiment.profiles``). The layer recipe and the input stay the paper's in every
# profile; only the training budget and the face size the flow is computed on are reduced.
# QUICK-PROFILE DEVIATION (README ledger 9): learning rate 1e-3 and 60 epochs instead of 5e-5 and 500
# (the same number of Adam steps would take hours on 2 CPU cores).
PROFILES: dict[str, dict[str, object]] = {
    "paper": {},
    "quick": {"data.face_size": 64, "train.epochs": 60, "train.learning_rate": 1e-3, "train.batch_size": 32},
    "smoke": {"data.face_size": 32, "train.epochs": 1, "train.batch_size": 32, "evaluation.max_folds": 2},
}
