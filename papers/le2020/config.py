"""Configuration of Le, Tran, Rege 2020 (frozen dataclasses; every value commented with its source).

"Paper" means Le, Tran, Rege, "Dynamic image for micro-expression recognition on region-based
framework", IEEE IRI 2020, pp. 75-81. Values the paper does not state
are marked ``choice`` and explained in README.md's deviations ledger.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import Choices, FoldCount, FreeText, Range
from common.train_config import TrainConfig

Backbone = Literal["vgg19", "resnet50", "senet50"]
BACKBONES: tuple[Backbone, ...] = ("vgg19", "resnet50", "senet50")  # Sec. III-D, Table II

# Initial weights of the paper experiments (model.weights). The paper does not say (Sec. III-D, IV-A.2), but
# fine-tuning ImageNet networks on a few hundred clips in PyTorch is what "VGG19, ResNet50 and Senet50" most
# likely means (README ledger 11). Keras ships ImageNet weights for VGG19 and ResNet50 only.
PAPER_WEIGHTS = {
    "vgg19": "imagenet",  # keras.applications.VGG19(weights="imagenet"): convolutions, and fc1/fc2 at 224 px
    "resnet50": "imagenet",  # keras.applications.ResNet50(weights="imagenet", include_top=False)
    "senet50": "",  # DEVIATION: from scratch; Keras has no SE-ResNet-50 weights: a user converts a PyTorch
    # checkpoint and passes --set model.weights=PATH.npz (README ledger 11, common.backbones.load_torch_state_dict)
}


@dataclasses.dataclass(frozen=True)
class DataConfig:
    # choice: working resolution of the face frames before EVM (= the CNN input, Sec. III-D)
    frame_size: Annotated[int, Range(ge=1, le=1024)] = 224  # at most 1,024 px (a bound on a manifest's overrides)
    face_crop: Literal["auto", "always", "never"] = "auto"  # Sec. III uses face-aligned frames; "auto" crops
    # to the dlib face box only when the face is small in the frame (raw SAMM is 2040x1088, not face-aligned)
    # choice: margin around dlib's face box (fraction of its side) when cropping
    face_margin: Annotated[float, Range(ge=0)] = 0.2


@dataclasses.dataclass(frozen=True)
class MagnificationConfig:
    enabled: bool = True  # Sec. III-A: EVM on every sequence (False = ablation)
    # choice: Sec. III-A names alpha but gives no value (10 = Kumar et al.'s test value)
    alpha: Annotated[float, Range(ge=0)] = 10.0
    # r1, r2 choice: reference IIR band (reproduceResults.m): 1.6-16.6 Hz at 200 fps, 0.8-8.3 Hz at 100 fps;
    # the paper states no band (docs/methods.md §1.3, 1.5)
    r1: Annotated[float, Range(gt=0, le=1)] = 0.4
    r2: Annotated[float, Range(gt=0, le=1)] = 0.05
    lambda_c: Annotated[float, Range(gt=0)] = 16.0  # reference cut-off wavelength (docs/methods.md §1.4/1.5)
    chrom_attenuation: Annotated[float, Range(ge=0)] = 0.1  # reference value for RGB (baby/wrist); SAMM is grey anyway


@dataclasses.dataclass(frozen=True)
class RegionConfig:
    combine: Literal["canvas", "stack", "channels", "none"] = "canvas"  # choice (not stated, Sec. III-C/D):
    # canvas = the DI with only the three ROIs kept at their places (eyes masked); stack = the three
    # crops resized into horizontal bands of one image; channels = three crops as 9 channels;
    # none = the whole dynamic image (the ablation "without ROIs" of Sec. IV-B)
    landmarks_on: Literal["onset", "apex", "dynamic_image"] = "onset"  # DEVIATION (see README): the paper
    # predicts the 68 points for the DI (Sec. IV-A.2); dlib is unreliable on a DI, so by default the
    # onset frame's points are used on the DI's identical pixel grid
    # choice: box margin, fraction of the inter-ocular distance (regions.le_boxes)
    margin: Annotated[float, Range(ge=0)] = 0.1
    # choice: forehead strip above the brows (Sec. III-C "forehead, eyebrows")
    forehead: Annotated[float, Range(ge=0)] = 0.3


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    backbone: Backbone = "vgg19"  # Sec. III-D, Table II
    # The text gives no input size (Sec. III-D names the three architectures): 224, the ImageNet input they are
    # built for; at most 1,024 px
    input_size: Annotated[int, Range(ge=1, le=1024)] = 224
    # "" = from scratch (the dataclass default: building a model never downloads);
    # "imagenet" = Keras' ImageNet weights, downloaded once into Keras' cache (VGG19, ResNet50; the paper
    # experiments set it, PAPER_WEIGHTS); or a path: a Keras weights file of the backbone without top
    # (e.g. vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5), or for senet50 a PyTorch state dict as .npz
    weights: Annotated[str, FreeText("'imagenet', a weights file, or empty")] = ""
    senet_stem_pool: Literal["pad", "ceil"] = "pad"  # SE-ResNet-50 stem max-pool: pad = torchvision's padding 1;
    # ceil = the SENet authors' Caffe model and Cadene's PyTorch port (ceil_mode, no padding): use it with weights
    # converted from that port (README "Initial weights"); same parameters either way
    # PyTorch BatchNorm2d momentum 0.1 (the paper trained in PyTorch, Sec. IV-A.2)
    bn_momentum: Annotated[float, Range(ge=0, le=1)] = 0.9
    dropout: Annotated[float, Range(ge=0, lt=1)] = 0.5  # torchvision VGG19 classifier dropout (VGG19 only)
    preprocessing: Literal["auto", "torch", "caffe"] = "auto"  # torch: /255, ImageNet mean/std (torchvision
    # Normalize, the paper's PyTorch pipeline); caffe: keras.applications.{vgg19,resnet50}.preprocess_input (BGR
    # minus the ImageNet mean), what the Keras VGG19/ResNet50 weight files expect; auto: caffe for VGG19/ResNet50
    # with weights (Keras files), torch otherwise (from scratch; SE-ResNet-50 from a PyTorch state dict)
    torch_init: bool = True  # the paper trained torchvision-style models (Sec. IV-A.2): convolutions He-normal
    # (fan_out, ReLU gain), VGG classifier N(0, 0.01) with zero biases, instead of Keras' Glorot-uniform
    precise_bn: bool = False  # not in the paper (off = faithful): after training, recompute every BN layer's
    # statistics in one pass over the training fold ("precise BN", Wu & Johnson 2021); the quick profile
    # needs it because a few dozen optimiser steps leave the running statistics far from the final weights'
    reuse_across_folds: bool = False  # implementation only, not in the paper (off = a new compiled model per
    # fold): one compiled model kept across folds and experiments of the same graph (common.training.compiled_like);
    # each fold still builds its model afresh under the runner's seed and copies that start (weights, optimiser
    # reset) into the kept one: the numbers of a new model per fold, without retracing the train/predict functions


@dataclasses.dataclass(frozen=True)
class ProtocolConfig:
    kind: Literal["kfold", "cross"] = "kfold"  # Sec. IV-A.2: 10-fold CV, plus cross-database (Table III)
    # k-fold: the database of the 10-fold CV (Table II column: casme2, smic or samm)
    dataset: Annotated[str, Choices("", "casme2", "smic", "samm")] = ""
    k: Annotated[int, Range(ge=2), FoldCount()] = 10  # Sec. IV-A.2: "K-fold cross-validation (K=10)", 90 % training
    subject_independent: bool = False  # choice: not stated; sample-level stratified folds ("90 % of the samples")
    # cross-database: training database (Table III "SAMM/CASMEII" = train SAMM)
    train_dataset: Annotated[str, Choices("", "casme2", "smic", "samm")] = ""
    test_dataset: Annotated[str, Choices("", "casme2", "smic", "samm")] = ""  # cross-database: test database


@dataclasses.dataclass(frozen=True)
class Le2020Config:
    data: DataConfig = DataConfig()
    magnification: MagnificationConfig = MagnificationConfig()
    regions: RegionConfig = RegionConfig()
    model: ModelConfig = ModelConfig()
    protocol: ProtocolConfig = ProtocolConfig()
    train: TrainConfig = TrainConfig(
        optimizer="sgd",  # Sec. IV-A.2: "stochastic gradient descent is finally selected"
        learning_rate=1e-4,  # Sec. IV-A.2: "learning rate 0.0001"
        momentum=0.0,  # not stated: PyTorch's SGD default (0), which is also Keras'
        weight_decay=0.0,  # not stated: PyTorch's SGD default (0)
        batch_size=32,  # choice: not stated
        epochs=30,  # Sec. IV-A.2: "trained with 30 epochs"
        shuffle=True,  # choice: a PyTorch DataLoader(shuffle=True) is the usual training loader
    )


def default_config(backbone: Backbone = "vgg19",
                   protocol: ProtocolConfig = ProtocolConfig(kind="kfold", dataset="casme2", k=10)) -> Le2020Config:
    """The paper configuration of one experiment: ImageNet weights where Keras has them (PAPER_WEIGHTS)."""
    base = Le2020Config()
    model = dataclasses.replace(base.model, backbone=backbone, weights=PAPER_WEIGHTS[backbone])
    return dataclasses.replace(base, model=model, protocol=protocol)


# Profiles: named dotted overrides of the paper configuration, recorded in every result,
# with typed values (one place for every experiment's profiles: :func:`profiles_for`).
# quick: the same stratified k-fold protocol with k = 5 instead of 10 (half the trainings; 80 %
# training instead of 90 %) on the synthetic default corpus (about 30-40 clips per database, i.e.
# about 26-32 training clips per fold), sized so that all 13 experiments finish in about 20-25
# minutes on a 2-core CPU (measured 26 min at load 2-7; README.md, ledger row 21). The 224-px
# backbones from scratch with SGD at lr 1e-4 for 30 epochs would neither finish there nor leave the
# majority class, so: 32-px CNN input (the dynamic images stay at 128 px, the region canvas is
# resized), Adam lr 1e-3, batch 8, 20 epochs (80 steps per fold; VGG19, which has no BN: lr 1e-4,
# batch 4), no dropout, precise BN, and one compiled model kept across folds
# (model.reuse_across_folds). Measured figures: README.md.
QUICK: dict[str, object] = {
    "model.weights": "",  # from scratch: no download in quick/smoke runs, tests or CI (README ledger 11)
    "protocol.k": 5,  # Table II experiments only (the cross-database ones have one fold); README ledger 21
    "data.frame_size": 128,
    "model.input_size": 32,
    "model.dropout": 0.0,
    "model.precise_bn": True,
    "model.reuse_across_folds": True,
    "train.optimizer": "adam",
    "train.learning_rate": 0.001,
    "train.batch_size": 8,
    "train.epochs": 20,
}
QUICK_BY_BACKBONE: dict[str, dict[str, object]] = {  # quick-profile values that differ per backbone (over QUICK)
    # plain 19-layer VGG without BN: Adam 1e-3 and 3e-4 kept it on one class (measured); 1e-4 needs more
    # steps, so batch 4 (160 steps per fold)
    "vgg19": {"train.learning_rate": 0.0001, "train.batch_size": 4},
}
SMOKE: dict[str, object] = {
    "model.weights": "",  # from scratch: no download in tests or CI
    "data.frame_size": 96,
    "model.input_size": 32,
    "magnification.alpha": 5.0,
    "protocol.k": 2,
    "train.epochs": 1,
    "train.batch_size": 8,
}
PROFILES = {"quick": QUICK, "smoke": SMOKE}


def profiles_for(backbone: str, kind: str = "kfold") -> dict[str, dict[str, object]]:
    """PROFILES with the backbone's quick-profile values (QUICK_BY_BACKBONE) applied; without
    ``protocol.k`` for a single-fold protocol (``kind`` "cross", the benchmark's tracks)."""
    profiles = {**PROFILES, "quick": {**QUICK, **QUICK_BY_BACKBONE.get(backbone, {})}}
    if backbone != "vgg19":  # a backbone with BN (README ledger 18)
        # smoke, one epoch: a few SGD steps leave the BN running statistics near their start (mean 0,
        # variance 1), so at test time the 50 layers' activations overflow and the softmax is NaN
        # (cross_samm_to_casme2_resnet50 on the smoke corpus, on TensorFlow and JAX; smic_10fold_resnet50's
        # ten steps on the real-shape corpus); precise BN recomputes them from the fold
        profiles["smoke"] = {**profiles["smoke"], "model.precise_bn": True}
    if kind == "kfold":
        return profiles
    return {name: {k: v for k, v in overrides.items() if k != "protocol.k"} for name, overrides in profiles.items()}
