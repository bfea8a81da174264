"""Configuration of Aouayeb et al. 2019 (MLSP): every value names its paper section.

Frozen dataclasses (docs/house.md, Configuration). ``--set stage1.epochs=5`` and the profiles below
are dotted overrides applied with ``common.config.apply_overrides``. Choices the paper leaves open
are marked "choice" and listed in the README's deviations ledger.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import LosoEvaluationConfig, Range
from common.train_config import TrainConfig


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Input preparation (Sec. 3.1, Sec. 4.1.2)."""

    # Sec. 4.1.2 padded ("adding a black background") RGBA crops: 4 reproduces Sec. 5's count; 3 = RGB option
    channels: Annotated[int, Range(ge=1, le=4)] = 4
    # Sec. 4.1.2: "resized all input sequences to the same size 500"; at most 5,000 frames (ten times it: a bound on
    # what an exported manifest's overrides may ask of --predict's memory)
    seq_len: Annotated[int, Range(ge=1, le=5000)] = 500
    # Sec. 4.1.2: "adding zeros at the end"; "pre" (Keras pad_sequences default) = quick/smoke (ledger #12)
    padding: Literal["pre", "post"] = "post"
    truncating: Literal["pre", "post"] = "post"  # choice: clips longer than seq_len lose their last frames
    # 0 = every frame (Sec. 3.1); >0 = that many frames sampled uniformly per clip (quick/smoke only)
    frames_per_clip: Annotated[int, Range(ge=0, le=5000)] = 0  # at most seq_len's bound
    # Sec. 3.1 / 4.1.2: six boxes placed on the first frame's 68 landmarks, each cropped from the
    # frame and padded to its fixed size ("landmarks", ledger #19). "canvas" (quick/smoke): the face
    # letterboxed to 240 x 280 and the authors' six fixed boxes of crop_6_ROIs.py (their later script).
    regions: Literal["landmarks", "canvas"] = "landmarks"
    # choice: "landmarks" boxes grow by this x the inter-ocular distance (ledger #19)
    region_margin: Annotated[float, Range(ge=0)] = 0.1
    # Sec. 4.1.2: "adding a black background" (RGB 0, alpha 0). "white" = resize_contain's
    # (255, 255, 255, 0), the authors' script (quick/smoke, ledger #1).
    background: Literal["black", "white"] = "black"
    # "canvas" only. The text pads and never enlarges (False, the authors' resize_contain too).
    # True (DEVIATION, quick/smoke only, ledger #15): a face box smaller than 240 x 280 is enlarged
    # to fit first, so that the fixed boxes land on the parts of the synthetic 256-px faces.
    fit_face: bool = False
    # choice: not stated; raw 0-255 pixel values enter the CNN (1/255 = option)
    input_scale: Annotated[float, Range(gt=0)] = 1.0
    # Sec. 3.2 trains the region CNNs on the frames' crops as they are ("none"). "minus_first_frame"
    # (DEVIATION, quick/smoke profiles only, ledger #16): each crop minus the clip's first crop, so
    # the CNN sees the motion; on the synthetic corpus single frames carry no class.
    motion_input: Literal["none", "minus_first_frame"] = "none"
    # Sec. 3.2-3.3 feed the 20-d features to the LSTMs as they are ("none", every profile). "first_frame"
    # (DEVIATION, an option in no profile, see the ledger): each clip's features minus its first frame's,
    # divided by the per-feature std of those changes over the fold's training frames.
    feature_normalisation: Literal["none", "first_frame"] = "none"


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Architecture (Sec. 3.2, Sec. 3.3, Sec. 4.1.2, Fig. 4)."""

    # Sec. 4.1.2: "another dense layer with 4 neurons": 3 classes + "not me" (Fig. 3)
    region_labels: Annotated[int, Range(ge=2)] = 4
    not_me: bool = True  # Sec. 3.2 / Fig. 3: relabel a region "not me" for emotions it does not express
    # Sec. 4.1.2: "the dense layer that will give us the spatial features with 20 neurons"
    feature_dim: Annotated[int, Range(ge=1)] = 20
    dense_units: Annotated[int, Range(ge=1)] = 1024  # Sec. 4.1.2: "a dense layer with 1024 neurons"
    cnn_dropout: Annotated[float, Range(ge=0, lt=1)] = 0.2  # Sec. 4.1.2: "followed by Dropout with 0.2"
    pool_size: Annotated[int, Range(ge=1)] = 2  # choice: max-pool sizes not stated (authors' later code: 2)
    # Sec. 3.2 "average-pooling": GAP is the reading giving Sec. 5's count
    head_pooling: Literal["global_average", "average_flatten"] = "global_average"
    # Sec. 4.1.2: "the same length of inputs 120 for all LSTMs" (= units, docs/methods.md §6.2)
    lstm_units: Annotated[int, Range(ge=1)] = 120
    # Sec. 4.1.2: "after each LSTM we added a dropout layer with a value of 0.2"
    lstm_dropout: Annotated[float, Range(ge=0, lt=1)] = 0.2
    fc_units: Annotated[int, Range(ge=1)] = 64  # Sec. 4.1.2: "a dense layer of 64 neurons with Leaky ReLU"
    # choice: not stated; Keras 2.2.4 LeakyReLU default (authors' 2022 code: 0.01)
    leaky_slope: Annotated[float, Range(ge=0, le=1)] = 0.3
    # how stage 1 is executed, not the architecture; False in every profile: True trains the six
    # region CNNs as ONE Keras model (six inputs, six outputs, the six CNNs nested as they are) on the sum of
    # their six focal losses. Their parameters are disjoint and Adam is per-parameter, so every CNN gets the
    # updates separate training gives on the same batches; the one difference: one shuffle order shared by
    # the six instead of six (ledger #21, a loop choice). It holds the six regions' frames in memory at once.
    train_regions_together: bool = False


@dataclasses.dataclass(frozen=True)
class LossConfig:
    """Focal loss (Sec. 3.4, Eq. 2) for both stages."""

    # choice: not stated; Lin et al. [21] default (and the authors' 2022 code)
    gamma: Annotated[float, Range(ge=0)] = 2.0
    # Sec. 3.4 Eq. 2 as printed: the target term -alpha (1-p)^gamma log p plus, for every other
    # class, -(1-alpha) p^gamma log(1-p) ("eq2", ``FocalLossEq2``). "keras" (quick/smoke, ledger #10):
    # keras.losses.CategoricalFocalCrossentropy, the target term only.
    form: Literal["eq2", "keras"] = "eq2"
    # Sec. 3.4: alpha "set by inverse class frequency" (fold training labels)
    alpha: Literal["inverse_frequency", "none"] = "inverse_frequency"


@dataclasses.dataclass(frozen=True)
class AouayebConfig:
    """The whole recipe of one experiment."""

    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    loss: LossConfig = LossConfig()
    # Sec. 4.1.3: leave-one-subject-out over the composite's subjects
    evaluation: LosoEvaluationConfig = LosoEvaluationConfig()
    # Sec. 4.1.2: "The CNN was trained with 64 batch size and 100 epochs"; optimiser and learning
    # rate are not stated (choice: Adam 1e-4, the authors' 2022 code, docs/methods.md §5).
    stage1: TrainConfig = TrainConfig(optimizer="adam", learning_rate=1e-4, batch_size=64, epochs=100)
    # Sec. 4.1.2: "the LSTM was trained with 244 batch size and 60 epochs"; optimiser as stage 1.
    stage2: TrainConfig = TrainConfig(optimizer="adam", learning_rate=1e-4, batch_size=244, epochs=60)


def default_config() -> AouayebConfig:
    """The paper's recipe (the `paper` profile), the config of ``megc2019_loso``."""
    return AouayebConfig()


# Profiles: named transformations of the experiment (dotted overrides), recorded in every result.
# DEVIATION (quick/smoke only): fewer epochs, frames sampled per clip, shorter padding length and a
# larger learning rate so that the protocol runs end to end on a 2-core CPU, and region CNNs that see
# each crop minus the clip's first crop (the synthetic classes live only in motion); see the README ledger.
# SYNTHETIC_INPUTS (DEVIATION, quick/smoke only, ledger #1, #10, #12, #15, #19): the inputs and loss the
# quick/smoke profiles had before the paper profile followed the text, kept so that
# `make demo` and the smoke test measure what they measured: the authors' canvas boxes on the
# enlarged, white-letterboxed face, front padding and Keras's target-only focal loss.
SYNTHETIC_INPUTS = {
    "data.regions": "canvas",
    "data.background": "white",
    "data.fit_face": True,
    "data.padding": "pre",
    "loss.form": "keras",
}
PROFILES = {
    "paper": {},
    "quick": {
        **SYNTHETIC_INPUTS,
        # 8 frames per clip (16 before the demo speed-up; ledger #16): make demo within 5 minutes on 2 cores,
        # pooled UF1 0.796 with 8 frames vs 0.794 with 16 on the synthetic default corpus (same code).
        "data.frames_per_clip": 8,
        "data.seq_len": 8,
        "data.motion_input": "minus_first_frame",
        "stage1.epochs": 2,
        "stage2.epochs": 100,
        "stage2.batch_size": 32,
        "stage2.learning_rate": 1e-3,
        "stage2.one_pass": True,  # the loop, not the method: 100 epochs of 3 steps in one Keras pass
    },
    "smoke": {
        **SYNTHETIC_INPUTS,
        "data.frames_per_clip": 4,
        "data.seq_len": 4,
        "data.motion_input": "minus_first_frame",
        "stage1.epochs": 1,
        "stage2.epochs": 1,
        "stage2.one_pass": True,
        "evaluation.max_folds": 1,
    },
}
