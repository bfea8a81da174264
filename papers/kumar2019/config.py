"""Configuration of Kumar, Theagarajan, Peraza, Bhanu 2019 (frozen dataclasses; every value sourced).

"Paper" means Kumar, Theagarajan, Peraza, Bhanu, "Classification of facial micro-expressions
using motion magnified emotion avatar images", CVPR Workshops 2019. Values the paper does not state
are marked ``choice`` and explained in README.md's deviations ledger.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import Choices, FreeText, Range
from common.train_config import TrainConfig


@dataclasses.dataclass(frozen=True)
class FaceConfig:
    """Face crop before magnification (Sec. 3: CASME II / SMIC come as cropped faces, SAMM was
    cropped with a CLM); we crop every database the same way from dlib's 68 points."""

    landmarks: Literal["per_frame", "track", "first"] = "per_frame"  # Sec. 3.3 landmarks on every frame
    # (one dlib detection on the first frame, the 68 points predicted on every frame)
    # choice: margin around the first frame's landmark box (fraction of its side)
    crop_margin: Annotated[float, Range(ge=0)] = 0.15
    # choice: side of the square face crop that is magnified (= the CNN input, Sec. 3.5)
    crop_size: Annotated[int, Range(ge=1, le=1024)] = 224  # at most 1,024 px (a bound on a manifest's overrides)


@dataclasses.dataclass(frozen=True)
class MagnificationConfig:
    """Eulerian motion magnification (Sec. 3.1; Wu et al. 2012; common.preprocessing.magnification)."""

    test_alpha: Annotated[float, Range(ge=0)] = 10.0  # Sec. 3.1 / 3.1.1: "we use alpha = 10 for all the testing videos"
    # Sec. 3.1.1: training set augmented with alpha 5, 10, 15
    train_alphas: Annotated[tuple[float, ...], Range(ge=0)] = (5.0, 10.0, 15.0)
    train_include_original: bool = False  # choice: Sec. 3.1.1 does not add the unmagnified EAI (see README)
    balance: Literal["classes", "none"] = "classes"  # Sec. 2 / 2.1: the alpha augmentation is there "to reduce
    # the problem of unbalance dataset" / "to overcome the bias in the dataset". "classes" (README ledger 3): every
    # training clip at the test alpha, the clips of a class at m_c of the training alphas, m_c in 1..3 chosen from the
    # training fold's class counts so that m_c x n_c is closest to the largest class (composite: 1 / 2 / 3 alphas for
    # negative / positive / surprise -> 250 / 218 / 249). "none": every clip at every training alpha (uniform x3).
    # low_hz, high_hz choice: the paper states no band; 1-10 Hz at each clip's own frame rate
    # (IIR r1/r2 from iir_coefficient: 100 fps 0.456/0.061, 200 fps 0.268/0.031)
    low_hz: Annotated[float, Range(gt=0)] = 1.0
    high_hz: Annotated[float, Range(gt=0)] = 10.0
    # reference cut-off wavelength (reproduceResults.m; docs/methods.md §1.4-1.5)
    lambda_c: Annotated[float, Range(gt=0)] = 16.0
    # reference value for RGB (baby/wrist); no effect on grey SAMM
    chrom_attenuation: Annotated[float, Range(ge=0)] = 0.1


@dataclasses.dataclass(frozen=True)
class TextureConfig:
    """Removal of frames with low textural variance (Sec. 3.2; common.preprocessing.texture)."""

    enabled: bool = True  # Sec. 3.2 (False = ablation: every frame averaged)
    window: Annotated[int, Range(ge=1, le=1001)] = 61  # Sec. 3.2: sliding temporal window N = 61 (at most 1,001)
    window_rule: Literal["padded", "clip", "fixed"] = "padded"  # README ledger 7. "padded" (Sec. 3.2's N = 61 for
    # every clip): the clip is padded in time by 30 frames at each end (`padding`), so every frame has its own 61-frame
    # window centred on it. Options: "clip" = N = 61 where the clip has >= 122 frames, else the largest odd N <= T / 2
    # (>= 3), with Eq. 7's temporal bins mapped onto the 61-frame window's (texture.clip_window, bin_window=61);
    # "fixed" = N = 61 unpadded, a shorter clip is one window (every frame kept)
    padding: Literal["reflect", "symmetric", "edge", "wrap"] = "reflect"  # window_rule "padded" (numpy.pad mode;
    # choice, the paper is silent, ledger 7): reflect mirrors the clip about its end frames (..., f2, f1 | f0, f1, ...)
    blocks: Annotated[int, Range(ge=1, le=64)] = 6  # Sec. 3.2: 6 x 6 blocks (at most 64 x 64)
    d0: Annotated[float, Range(gt=0)] = 30.0  # Eq. 7: D0 = 30 (DFT-bin units, see common.preprocessing.texture)
    threshold: Annotated[float, Range(ge=0, le=1)] = 0.5  # Sec. 3.2: frames with probability below 0.5 are removed
    method: Literal["gaussian", "minmax"] = "gaussian"  # choice: Phi((A - mean) / std) from "mean and std"


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    # Sec. 3.5: "an image size of 224 x 224"; the EAI is rendered at this size
    input_size: Annotated[int, Range(ge=1, le=1024)] = 224  # at most 1,024 px (a bound on a manifest's overrides)
    # "" = train from scratch (default; nothing downloads); else a Keras weights file
    # of ResNet-34 without top for common.backbones.resnet34 (the paper does not say whether it pre-trained)
    weights: Annotated[str, FreeText("a Keras weights file, or empty")] = ""


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """What the CNN is fed (Sec. 3.5: the EAI)."""

    motion_input: Literal["none", "minus_first_frame"] = "none"  # Sec. 3.5: the EAI itself ("none", the paper).
    # "minus_first_frame" (quick profile only, DEVIATION, README ledger 21): the CNN sees the EAI minus the clip's
    # first registered frame (the registration reference, Sec. 3.3; magnification leaves frame 1 unchanged,
    # so it is the same frame at every alpha), i.e. the face's identity removed and the averaged motion kept.


@dataclasses.dataclass(frozen=True)
class ProtocolConfig:
    kind: Literal["loso", "database", "cross"] = "loso"  # Sec. 4 / Table 3: LOSO on the composite (Sec. 4.1.4);
    # "database": LOSO on one database alone (Sec. 4, Table 3's per-database columns, Tables 4-6); Table 7: cross
    # kind "database": smic, casme2 or samm (the composite's samples and classes of that database)
    dataset: Annotated[str, Choices("", "casme2", "smic", "samm")] = ""
    # cross-dataset (Table 7 rows): training database
    train_dataset: Annotated[str, Choices("", "casme2", "smic", "samm")] = ""
    # cross-dataset (Table 7 columns): test database
    test_dataset: Annotated[str, Choices("", "casme2", "smic", "samm")] = ""


@dataclasses.dataclass(frozen=True)
class Kumar2019Config:
    face: FaceConfig = FaceConfig()
    magnification: MagnificationConfig = MagnificationConfig()
    texture: TextureConfig = TextureConfig()
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    protocol: ProtocolConfig = ProtocolConfig()
    train: TrainConfig = TrainConfig(
        optimizer="sgd",  # Table 1
        learning_rate=1e-3,  # Table 1
        momentum=0.9,  # Table 1
        weight_decay=5e-4,  # Table 1 (applied as L2 on every kernel, PyTorch-style, see protocol.py)
        batch_size=128,  # Sec. 3.5: "a mini-batch size of 128"
        epochs=30,  # choice: not stated; 30 epochs = six halvings of the learning rate (1e-3 -> 3.1e-5)
        lr_step_epochs=5,  # Sec. 3.5: "decreased after every 5 epochs"
        lr_step_factor=0.5,  # Sec. 3.5: "by a factor of 2"
        shuffle=True,  # Sec. 3.5: "during every epoch, the training data are randomly flipped and shuffled"
    )
    random_flip: bool = True  # Sec. 3.5: random horizontal flips every epoch (Keras RandomFlip, training only)


def default_config(protocol: ProtocolConfig = ProtocolConfig()) -> Kumar2019Config:
    """The paper's configuration of one experiment: the composite LOSO (default), one database's LOSO or a
    cross-dataset cell (``protocol``)."""
    return dataclasses.replace(Kumar2019Config(), protocol=protocol)


# Profiles: named dotted overrides of the paper configuration, recorded in every result.
# quick: the same protocol on the synthetic corpus; ResNet-34 at 224 px for 30 epochs would take hours on a
# 2-core CPU, so the face crop and the EAI are smaller and there are fewer epochs (smaller batches keep the
# number of SGD steps up; the paper's learning rate and schedule are kept). The EAI minus the clip's first
# registered frame is fed instead of the EAI (README ledger 21: a linear probe on the quick EAIs scores LOSO UF1
# 0.480 on the EAI and 0.745 on EAI minus first frame; ResNet-34 end to end, quick LOSO pooled UF1 0.425 on the
# EAI and 0.827 on EAI minus first frame; the identity of the 4 synthetic faces hides the motion).
# quick also keeps the earlier augmentation and texture window (README ledger 27): the synthetic
# classes are balanced, so the paper's class balancing only thins the training set (alpha 10 alone: 21-27 images a
# fold), and the clip-adapted window halves the frames each EAI averages; measured per-database quick LOSO pooled UF1
# (SMIC / CASME II / SAMM) 0.207 / 0.277 / 0.283 with both, 0.614 / 0.517 / 0.837 without. smoke runs the paper's paths
# except the texture window: the adaptive "clip" rule the paper profile used before "padded" (ledger 27).
Overrides = dict[str, int | float | str | tuple[float, ...]]  # dotted name -> typed value
QUICK: Overrides = {
    "magnification.balance": "none",  # DEVIATION: quick only (ledger 27)
    "texture.window_rule": "fixed",  # DEVIATION: quick only (ledger 27)
    "face.crop_size": 128,
    "model.input_size": 64,
    "data.motion_input": "minus_first_frame",  # DEVIATION: quick only (ledger 21)
    "train.epochs": 8,
    "train.batch_size": 16,
}
SMOKE: Overrides = {
    # DEVIATION: smoke only (ledger 27): keeps the smoke predictions made before "padded"
    "texture.window_rule": "clip",
    "face.crop_size": 64,
    "model.input_size": 32,
    "magnification.train_alphas": (5.0, 15.0),
    # 2 epochs: after 1 epoch (2 SGD steps) the BN moving statistics are still near their start and ResNet-34's
    # inference-mode outputs can overflow to NaN probabilities, which the runner rightly marks as a diverged fold.
    "train.epochs": 2,
    "train.batch_size": 8,
    "train.lr_step_epochs": 0,
}
PROFILES: dict[str, Overrides] = {"quick": QUICK, "smoke": SMOKE}
