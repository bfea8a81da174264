"""Configuration of STSTNet (Liong, Gan, See, Khor, Huang, FG 2019; arXiv 1902.03634): frozen dataclasses,
one comment per value naming its source (paper section/table, or the authors' public code), or
"assumed" with the reason in README's ledger.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import LosoEvaluationConfig, Range
from common.train_config import TrainConfig


@dataclasses.dataclass(frozen=True)
class DataConfig:
    # Sec. II: optical flow between the onset (first) and apex frames; authors' README: TV-L1 (IPOL 2013/26).
    flow_method: Literal["tvl1", "farneback"] = "tvl1"
    # assumed (README ledger 3): the flow is computed on grey face crops of this size (Table II: the
    # databases' 170 x 140 crops; our shared face stage crops squares), then resized to ``size``.
    face_size: Annotated[int, Range(ge=8, le=1024)] = 128  # at most 1,024 px (a bound on a manifest's overrides)
    size: Annotated[int, Range(ge=4, le=1024)] = 28  # Sec. II / Table I: "resize to 28x28x3"; at most 1,024 px
    # Authors' main.m: imageDatastore reads their input folders of image files (28x28x3: u, v and strain
    # each normalised and stored as one 8-bit channel; main.py reads the same folder, norm_u_v_os, with
    # cv2.imread) with no ReadFcn or resize, so the network sees the integers 0..255. "uint8": each
    # channel's [0, 1] image quantised to 0..255 (float32 integers); "unit": the [0, 1] floats, the
    # text reading (Sec. II states no scale; README ledger 6).
    levels: Literal["uint8", "unit"] = "uint8"
    # The channels' order: "rgb", u, v, strain, as MATLAB's imageDatastore reads the image files (main.m);
    # "bgr", strain, v, u, as cv2.imread gives them to the authors' PyTorch port (main.py; the `port` profile).
    channel_order: Literal["rgb", "bgr"] = "rgb"


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    filters: Annotated[tuple[int, ...], Range(ge=1)] = (3, 5, 8)  # Table I: C1-1, C1-2, C1-3 kernels
    kernel_size: Annotated[int, Range(ge=1)] = 3  # Table I: 3x3, stride 1, 'same'
    pool_size: Annotated[int, Range(ge=1)] = 3  # Table I: P1 max 3x3, stride 3, 'same' (28 -> 10)
    average_pool: Annotated[int, Range(ge=1)] = 2  # Table I: P2 average 2x2, stride 2, no padding (10 -> 5)
    # The network the authors trained (STSTNet.mat, loaded by main.m; README ledger 1, 10): its
    # imageInputLayer 'imageinput' has Normalization 'zerocenter' (the mean image of the training data,
    # IsAverageImageMeanPerChannel false, subtracted at training and test time): the fold's training
    # mean image, held by the model (layer "zerocenter"). Table I lists no input normalisation.
    zero_center: bool = True
    # STSTNet.mat: every stream is conv -> relu -> batchnorm (Epsilon 1e-5) -> maxpool -> dropout
    # (Probability 0.5); Table I lists neither layer (the text reading: false / 0).
    batch_norm: bool = True
    dropout: Annotated[float, Range(ge=0, lt=1)] = 0.5
    # The statistics a batch normalisation predicts with. "population": the mean and variance of its
    # input over the whole training set once training ends, as MATLAB's trainNetwork (R2018b, main.m)
    # finalises TrainedMean / TrainedVariance; "moving": Keras' moving averages (momentum 0.99).
    # "population_trained", an option to measure an inferred MATLAB behaviour (README ledger 13): the same
    # statistics over only the clips training read, the fold's fixed whole batches under
    # ``train.shuffle_once`` and ``train.drop_partial_batch`` (256 of its ~436 clips), as a final pass through
    # trainNetwork's own mini-batch reader, which discards the partial batch, would give.
    batch_norm_statistics: Literal["population", "moving", "population_trained"] = "population"
    # Which kernel computes a training step's batch normalisation: "fused", TensorFlow's fused kernel on that
    # backend in float32 (common.batch_norm: Keras' layer and function, within float32 round-off, a port step
    # about 1.7 times as fast on a CPU, docs/performance.md); "keras", Keras 3's own ops (the runs before
    # 2026-11-25's fused kernel). Elsewhere (JAX, PyTorch, float64, inference) both are Keras' call.
    batch_norm_kernel: Literal["fused", "keras"] = "fused"
    # Initial kernels: MATLAB R2018b's default (main.m's version; STSTNet.mat's layers name no initialiser),
    # normal with standard deviation 0.01 and zero biases; "glorot_uniform", an option to measure an inferred
    # MATLAB behaviour (README ledger 13): MATLAB's default from R2019a (Glorot uniform, each stream's own fan
    # out, zero biases), were main.m's network trained on a later release than the one it names.
    # "pytorch": PyTorch's defaults (kaiming_uniform with a = sqrt 5 on the kernels, uniform +-1/sqrt(fan_in) on
    # the biases), what the authors' port (main.py, reset_parameters) starts from.
    initializer: Literal["matlab_r2018b", "glorot_uniform", "pytorch"] = "matlab_r2018b"
    # The layers' padding: "matlab", STSTNet.mat's 'same' convolutions and max pooling (28 -> 28 -> 10), the
    # pooling's padded cells never the maximum (as if -inf: Keras' 'same'); "port", the authors' PyTorch port
    # (main.py): each convolution pads 2 (28 -> 30), the max pooling 3x3 of stride 3 pads 1 (30 -> 10; PyTorch
    # pads max pooling with -inf). "matlab_zero_pool", an option to measure an inferred MATLAB behaviour
    # (README ledger 13): "matlab" with the max pooling's padded cells holding 0, the maximum of a border
    # window whose batch-normalised values are all negative.
    padding: Literal["matlab", "port", "matlab_zero_pool"] = "matlab"
    # The moving averages' momentum of the batch normalisations (Keras' 0.99; PyTorch's momentum 0.1 is 0.9
    # here), read only with batch_norm_statistics "moving".
    batch_norm_momentum: Annotated[float, Range(ge=0, lt=1)] = 0.99
    # How the three streams are computed: "one_layer", their kernels side by side in one convolution and one
    # layer of each kind after it (every layer after the convolution works channel by channel: the same
    # function, twice as fast a training step on a CPU, docs/performance.md); "three_layers", STSTNet.mat's
    # layer graph, a convolution, batchnorm, pooling and dropout a stream (tests hold the two equal).
    streams: Literal["one_layer", "three_layers"] = "one_layer"


@dataclasses.dataclass(frozen=True)
class STSTNetConfig:
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    # Sec. II: initial learning rate 0.00005, 500 epochs. Authors' main.m line 25: Adam, mini-batch 256,
    # MATLAB R2018b's trainingOptions defaults otherwise (README ledger 7): L2Regularization 1e-4 is
    # weight_decay 1e-4 here (lambda/2 ||W||^2 on the kernels, as MATLAB's default BiasL2Factor 0 leaves
    # the biases out); Adam's Epsilon 1e-8. The epoch order main.m does not state (README ledger 14): MATLAB's
    # Shuffle 'every-epoch', the training set reshuffled each epoch and each epoch's partial batch discarded (one
    # step of 256 of a fold's ~436 clips, another 256 each epoch), the trainNetwork order the measurement against
    # the authors' log leaves; R2018b's default, Shuffle 'once' (one fixed 256), is the option FIXED_SUBSET, and
    # every clip every epoch with the partial batch kept (an order trainNetwork does not give) the option
    # every_clip.
    train: TrainConfig = TrainConfig(optimizer="adam", learning_rate=5e-5, batch_size=256, epochs=500,
                                     weight_decay=1e-4, adam_epsilon=1e-8, drop_partial_batch=True)
    # Sec. III.B: leave-one-subject-out over the composite's subjects
    evaluation: LosoEvaluationConfig = LosoEvaluationConfig()


def default_config() -> STSTNetConfig:
    """The paper's recipe (the `paper` profile), the config of ``megc2019_loso``: the network and input
    the authors trained (STSTNet.mat, main.m), README ledger 1, 6, 10."""
    return STSTNetConfig()


# The text-literal reading (README ledger 1, 6, 10): Table I's layers alone (no batch normalisation,
# no dropout, 1,651 trainable parameters) on the [0, 1] flow images with no centring. As ``--set``:
# model.batch_norm=false model.dropout=0 model.zero_center=false data.levels=unit
TEXT_READING: dict[str, object] = {"model.batch_norm": False, "model.dropout": 0.0, "model.zero_center": False,
                                   "data.levels": "unit"}


# Dotted overrides (``Experiment.profiles``). The layers and the input stay the paper's in every
# profile; only the training budget and the face size the flow is computed on are reduced.
# QUICK-PROFILE DEVIATION (README ledger 9): learning rate 1e-3 and 60 epochs instead of 5e-5 and 500
# (the same number of Adam steps would take hours on 2 CPU cores).
# The `port` profile: the network, input and recipe of the authors' PyTorch port (christy1206/STSTNet main.py,
# README ledger 11), whose released per-subject weights `--weights` evaluates: padding 2 on each convolution,
# max pooling with padding 1, the raw 0..255 image in cv2's order (no centring), batch normalisation with
# running averages (momentum 0.1), PyTorch's initial weights; Adam 5e-5, batch 256 with the partial batch kept
# and no shuffling (DataLoader's default), no weight decay, 800 epochs, the last epoch's weights.
PORT: dict[str, object] = {
    "data.channel_order": "bgr", "model.zero_center": False, "model.padding": "port",
    "model.batch_norm_statistics": "moving", "model.batch_norm_momentum": 0.9, "model.initializer": "pytorch",
    "train.epochs": 800, "train.weight_decay": 0.0, "train.shuffle": False, "train.shuffle_once": False,
    "train.drop_partial_batch": False}

# MATLAB R2018b's trainingOptions defaults for the epoch order (README ledger 7, 14): the training set shuffled
# once (seeded) and read in that order every epoch, the samples past the last whole mini-batch never used (about
# 436 training clips a LOSO fold, so 500 epochs of one step on the same 256 clips). The `paper` profile's order
# until the measurement of ledger 14; as ``--set``: train.shuffle_once=true train.drop_partial_batch=true (the
# second is the profile's own)
FIXED_SUBSET: dict[str, object] = {"train.shuffle_once": True, "train.drop_partial_batch": True}

# Options to measure an inferred MATLAB behaviour (README ledger 13): what main.m leaves to the MATLAB release
# and the suite had to infer, each as the `--set` overrides of one run (benchmarks/ststnet_ablations.py runs
# them, each over seeds 0 to 2), one change against ``ABLATION_BASELINES``' run. The fixed_subset_ ones were
# measured when the fixed subset was the `paper` profile's order, and keep it. The clips the final
# batch-normalisation statistics cover is no choice on the profile's order: every clip is read in some epoch, so
# ``model.batch_norm_statistics=population_trained`` trains and predicts as the profile does (papers/liong2019/
# protocol.py); it is measured on the fixed subset only.
MATLAB_ABLATIONS: dict[str, dict[str, object]] = {
    # one fixed 256-clip subset (Shuffle 'once') against the profile's new 256 every epoch (Shuffle 'every-epoch');
    # both discard the partial batch
    "fixed_subset": FIXED_SUBSET,
    # the initial kernels: Glorot uniform (MATLAB R2019a on) against the default N(0, 0.01) (R2018b and before)
    "glorot": {"model.initializer": "glorot_uniform"},
    # the max pooling's padded cells hold 0 against the default, never the maximum (-inf)
    "zero_pool": {"model.padding": "matlab_zero_pool"},
    # every clip every epoch, reshuffled each epoch with the partial batch kept (two steps an epoch, 256 and ~180
    # clips: model.fit's order, not trainNetwork's), against the profile's partial batch discarded
    "every_clip": {"train.drop_partial_batch": False},
    # glorot, zero_pool and the final statistics over the 256 clips training read (against all the fold's
    # clips), each on the fixed subset
    "fixed_subset_glorot": {**FIXED_SUBSET, "model.initializer": "glorot_uniform"},
    "fixed_subset_zero_pool": {**FIXED_SUBSET, "model.padding": "matlab_zero_pool"},
    "fixed_subset_bn_trained_clips": {**FIXED_SUBSET, "model.batch_norm_statistics": "population_trained"},
}
# The run each option is measured against: "" the `paper` profile, else another option's (whose name then begins
# the option's: fixed_subset_glorot is glorot on fixed_subset).
ABLATION_BASELINES: dict[str, str] = {"fixed_subset": "", "glorot": "", "zero_pool": "", "every_clip": "",
                                      "fixed_subset_glorot": "fixed_subset", "fixed_subset_zero_pool": "fixed_subset",
                                      "fixed_subset_bn_trained_clips": "fixed_subset"}

PROFILES: dict[str, dict[str, object]] = {
    "paper": {},
    "port": PORT,
    "quick": {"data.face_size": 64, "train.epochs": 60, "train.learning_rate": 1e-3, "train.batch_size": 32},
    "smoke": {"data.face_size": 32, "train.epochs": 1, "train.batch_size": 32, "evaluation.max_folds": 2},
}
