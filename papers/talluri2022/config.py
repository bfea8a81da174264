"""Configuration of the Talluri et al. (Appl. Sci. 2022) experiments: frozen dataclasses, one comment
per value naming its source (paper section/table), or "assumed" with the reason in README's ledger.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal, cast

from common.config import SEED_LIMIT, Choices, FoldCount, Range
from common.train_config import TrainConfig

ModelName = Literal["model_a", "split_model", "model_b", "model_c"]

DATABASES = ("casme2", "smic", "samm")  # protocol.train / protocol.test ("combined" = casme2 + smic)
# Keras initializer names model.dense_initializer may take
INITIALIZERS = ("he_normal", "he_uniform", "glorot_normal", "glorot_uniform", "lecun_normal", "lecun_uniform",
                "orthogonal", "random_normal", "random_uniform", "truncated_normal")

# Sec. 4.4 / 5.1: apex-sequence length per training database.
SEQUENCE_LENGTH = {"casme2": 36, "smic": 26, "combined": 30}


@dataclasses.dataclass(frozen=True)
class DataConfig:
    # Sec. 4.4 / 5.1: 36 frames CASME II, 26 SMIC, 30 combined (CASME II + SMIC)
    frames: Annotated[int, Range(ge=1, le=1000)] = 36  # at most 1,000 (a bound on a manifest's overrides)
    size: Annotated[int, Range(ge=1, le=1024)] = 128  # Sec. 5.1: 128x128 face crops (Model-A, Model-C); <= 1,024 px
    model_b_size: Annotated[int, Range(ge=1, le=1024)] = 64  # Sec. 5.3: Model-B takes 64x64; at most 1,024 px
    window: Literal["apex", "initial"] = "apex"  # Sec. 4.4 apex-centred sequence; Sec. 7 / Table 3 "initial"
    landmarks: Literal["first", "per_frame"] = "first"  # Sec. 4.1-4.2: dlib detector + 68 landmarks; the
    # crop box comes from the first frame's landmarks and is reused for the clip (assumed: the paper crops
    # "according to the landmarks" without saying per frame; docs/methods.md §8.3)
    # QUICK-PROFILE DEVIATION (README ledger 14), default "none" (the paper), never set in the paper profile:
    # "minus_clip_mean" subtracts from every pixel its mean over the clip's frames (removes the static
    # face, keeps its motion), then divides by one scalar standard deviation of the training fold's
    # residuals, instead of grey levels / 255.
    motion_input: Literal["none", "minus_clip_mean"] = "none"
    # Sec. 4 / 4.1: "face detection and face alignment are used to bring all the frames to a common
    # reference". "similarity": every frame warped by the similarity (rotation, uniform scale, shift)
    # that puts the clip's landmarks upright (eye line horizontal), centred and filling the size x size
    # frame (``common.preprocessing.regions.reference_shape`` / ``align_to_reference``) -- one warp per
    # clip with ``landmarks="first"``. "none": the unrotated landmark box crop (``landmark_face_crop``),
    # kept as an option (README ledger 15).
    align: Literal["similarity", "none"] = "similarity"
    # Secs. 8.2.1 / 10: short clips, "the first and last frame will be interpolated". "repeat" (paper
    # reading): window positions outside the clip take the first / last frame. "interpolate" (option):
    # each side of the apex is stretched by linear temporal interpolation over the frames it has
    # (README ledger 16).
    edge: Literal["repeat", "interpolate"] = "repeat"


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    name: ModelName = "model_a"  # Sec. 5
    # Model-A / Split Model (Sec. 5.1, 5.2, Table 2)
    filters: Annotated[int, Range(ge=1)] = 16  # Sec. 5.1: 16 filters
    kernel_size: Annotated[int, Range(ge=1)] = 3  # Sec. 5.1: 3x3x3
    pool_size: Annotated[int, Range(ge=1)] = 3  # Sec. 5.1: 3x3x3
    dropout: Annotated[float, Range(ge=0, lt=1)] = 0.4  # Sec. 5.1: 0.4
    dense_units: Annotated[int, Range(ge=1)] = 128  # Sec. 5.1
    # Sec. 5.1 "another dropout layer" (rate not given; assumed = 0.4)
    dense_dropout: Annotated[float, Range(ge=0, lt=1)] = 0.4
    # Model-B (Sec. 5.3): MicroExpSTCNN, dropout 0.5
    model_b_dropout: Annotated[float, Range(ge=0, lt=1)] = 0.5  # Sec. 5.3
    # Model-C (Sec. 5.4): Jiao et al.'s network with the parameters Talluri et al. assumed
    # Sec. 5.4: "two max-pooling blocks" (one conv per block assumed, as Model-A)
    c_blocks: Annotated[int, Range(ge=1)] = 2
    c_filters: Annotated[int, Range(ge=1)] = 32  # Sec. 5.4: "32 filters"
    c_kernel_size: Annotated[int, Range(ge=1)] = 3  # Sec. 5.4: 3x3x3
    c_pool_size: Annotated[int, Range(ge=1)] = 3  # Sec. 5.4: 3x3x3
    c_batch_norm: bool = True  # Sec. 5.4: "batch normalization was added"
    c_padding: Literal["same", "valid"] = "same"  # assumed from Model-A (Sec. 6.3)
    c_dropout: Annotated[float, Range(ge=0, lt=1)] = 0.5  # Sec. 5.4: 0.5
    c_dense_units: Annotated[int, Range(ge=1)] = 128  # Sec. 5.4: 128 neurons
    # Sec. 5.1: "The model uses a HeNormal initializer" -- the model, so the Dense layers too (Model-A,
    # Split Model, and Model-C, whose layout follows Model-A). "glorot_uniform" (Keras' default) on the
    # Dense layers, HeNormal on the Conv3D layers only, is kept as an option (README ledger 17).
    dense_initializer: Annotated[str, Choices(*INITIALIZERS)] = "he_normal"


@dataclasses.dataclass(frozen=True)
class ProtocolConfig:
    folds: Annotated[int, Range(ge=2), FoldCount()] = 5  # Sec. 8.2: stratified K-fold, K = 5
    fold_seed: Annotated[int, Range(ge=0, lt=SEED_LIMIT)] = 0  # ours: the paper gives no shuffling seed
    # Table 4: training database(s) ("combined" = casme2 + smic)
    train: Annotated[tuple[str, ...], Choices(*DATABASES)] = ("casme2",)
    test: Annotated[tuple[str, ...], Choices(*DATABASES)] = ("casme2",)  # Table 4: test database(s)
    split_runs: Annotated[int, Range(ge=1)] = 5  # Sec. 8.1: five random train-test splits
    split_test_size: Annotated[float, Range(gt=0, lt=1)] = 0.2  # ours: Sec. 8.1 does not give the split ratio
    # Cross-dataset scenarios (Table 4, 4-8): "fold" (default) tests fold i's model on the i-th stratified
    # fifth of the target database (each target clip predicted once); "whole" tests every fold's model on
    # the whole target database (each target clip predicted k times, fold mean over the k models). The
    # paper does not say which (README ledger 10); intra-dataset scenarios ignore it.
    cross_test: Literal["fold", "whole"] = "fold"


@dataclasses.dataclass(frozen=True)
class TuneConfig:
    """``model_c_tuning``: keras-tuner grid over Model-C's assumed parameters, on training folds only."""

    filters: Annotated[tuple[int, ...], Range(ge=1)] = (16, 32)  # around Sec. 5.4's 32
    dense_units: Annotated[tuple[int, ...], Range(ge=1)] = (64, 128)  # around Sec. 5.4's 128
    dropout: Annotated[tuple[float, ...], Range(ge=0, lt=1)] = (0.4, 0.5)  # Model-A's 0.4 and Sec. 5.4's 0.5
    # Sec. 6.3: Jiao's 0.01 and Talluri's 0.001
    learning_rate: Annotated[tuple[float, ...], Range(gt=0)] = (0.001, 0.01)
    validation_fraction: Annotated[float, Range(gt=0, lt=1)] = 0.2  # inner stratified hold-out of the training fold
    epochs: Annotated[int, Range(ge=1)] = 30  # per trial (ours)


@dataclasses.dataclass(frozen=True)
class TalluriConfig:
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    # Sec. 6.1 (Model-A, Split Model): SGD lr 0.001, momentum 0.9, batch 4, 100 epochs.
    # Model-C (Sec. 6.3): Keras 2 style decay 1e-6, ``train.lr_decay`` (lr / (1 + decay * step)).
    train: TrainConfig = TrainConfig(optimizer="sgd", learning_rate=0.001, momentum=0.9, batch_size=4, epochs=100)
    protocol: ProtocolConfig = ProtocolConfig()
    tune: TuneConfig = TuneConfig()


def train_config_for(model: str) -> TrainConfig:
    """Training recipe of Sec. 6 for ``model``."""
    if model in ("model_a", "split_model"):  # Sec. 6.1 (Sec. 5.2: the Split Model keeps the parameters)
        return TrainConfig(optimizer="sgd", learning_rate=0.001, momentum=0.9, batch_size=4, epochs=100)
    if model == "model_b":  # Sec. 6.2: SGD (Keras default lr 0.01, as Reddy et al.), batch 8, 100 epochs
        return TrainConfig(optimizer="sgd", learning_rate=0.01, momentum=0.0, batch_size=8, epochs=100)
    # Sec. 6.3: SGD Nesterov momentum 0.9, decay 1e-6, batch 4; lr 0.01 -> 0.001, 800 -> 100 epochs
    if model == "model_c":
        return TrainConfig(optimizer="sgd", learning_rate=0.001, momentum=0.9, nesterov=True, batch_size=4,
                           epochs=100, lr_decay=1e-6)
    raise ValueError(f"model {model!r}: expected model_a, split_model, model_b or model_c")


def sequence_length(train_databases: tuple[str, ...]) -> int:
    """Sec. 4.4 / 5.1: 36 (CASME II), 26 (SMIC), 30 (combined) from the training database(s)."""
    key = "combined" if set(train_databases) == {"casme2", "smic"} else train_databases[0]
    if key not in SEQUENCE_LENGTH:
        raise ValueError(f"no sequence length for training databases {train_databases}")
    return SEQUENCE_LENGTH[key]


def default_config(model: str = "model_a", train: tuple[str, ...] = ("smic",), test: tuple[str, ...] = ("smic",),
                   window: Literal["apex", "initial"] = "apex") -> TalluriConfig:
    """The paper's configuration of one experiment (default: Scenario-01, Model-A on SMIC, the first experiment)."""
    return TalluriConfig(
        data=DataConfig(frames=sequence_length(train), window=window),
        model=ModelConfig(name=cast(ModelName, model)),  # a ModelName: train_config_for refuses any other name
        train=train_config_for(model),
        protocol=ProtocolConfig(train=tuple(train), test=tuple(test)),
    )


# ----------------------------------------------------------------------------- profiles
# Dotted overrides of ``Experiment.profiles`` (typed values). quick: synthetic default corpus, minutes
# on 2 CPU cores; smoke: seconds. Inputs (frames, frame size), epochs and folds are reduced; each
# model's layer recipe stays the paper's. QUICK-ONLY DEVIATION (README ledger 14):
# ``data.motion_input="minus_clip_mean"`` so the nets see the motion, not the face.
Profiles = dict[str, dict[str, object]]

QUICK: dict[str, object] = {"data.frames": 18, "data.size": 48, "data.model_b_size": 32, "train.epochs": 30,
                            "data.motion_input": "minus_clip_mean"}
SMOKE: dict[str, object] = {"data.frames": 18, "data.size": 24, "data.model_b_size": 16, "train.epochs": 1,
                            "protocol.folds": 2}
# Table 4 scenarios, Table 3 and the benchmark (Model-A, Model-B, Model-C).
PROFILES: Profiles = {"quick": QUICK, "smoke": SMOKE}
SPLIT_PROFILES: dict[str, Profiles] = {
    # the Split Model's three poolings need >= 27 frames and pixels
    "split_model": {"quick": {"data.frames": 27, "data.size": 32, "train.epochs": 30,
                              "data.motion_input": "minus_clip_mean"},
                    "smoke": {"data.frames": 27, "data.size": 27, "train.epochs": 1, "protocol.split_runs": 2}},
    # Model-C (two blocks): quick on the Split Model's quick inputs, so the two share the runs' inputs
    "model_c": {"quick": {"data.frames": 27, "data.size": 32, "train.epochs": 30,
                          "data.motion_input": "minus_clip_mean"},
                "smoke": {"data.frames": 18, "data.size": 24, "train.epochs": 1, "protocol.split_runs": 2}},
}
TUNING_PROFILES: Profiles = {
    "quick": {**QUICK, "train.epochs": 20, "tune.epochs": 10, "tune.filters": (16,), "tune.dropout": (0.5,),
              "tune.dense_units": (64, 128), "tune.learning_rate": (0.001, 0.01)},
    "smoke": {**SMOKE, "tune.epochs": 1, "tune.filters": (8,), "tune.dropout": (0.5,), "tune.dense_units": (16,),
              "tune.learning_rate": (0.001, 0.01)},
}
