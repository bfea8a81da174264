"""Configuration of the Reddy et al. (IJCNN 2019) experiments: frozen dataclasses, one comment per
value naming where it comes from (paper section/table, or the authors' code when the paper is silent).
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import SEED_LIMIT, Choices, Range
from common.train_config import TrainConfig

# Keras activation names model.fusenet_dense_activation may take (None: linear, the authors' code).
ACTIVATIONS = ("linear", "relu", "elu", "selu", "tanh", "sigmoid", "softplus", "softsign", "gelu", "swish",
               "leaky_relu")

ModelName = Literal["microexpstcnn", "microexpfusenet_intermediate", "microexpfusenet_late"]
Database = Literal["casme_sq", "smic"]
Variant = Literal["paper", "leakage_free", "whole_set"]

# Table IX: the twelve kernel sizes of the kernel-size study (rows, cols, frames).
TABLE9_KERNELS: tuple[tuple[int, int, int], ...] = (
    (3, 3, 3), (3, 3, 7), (3, 3, 15), (3, 3, 19),
    (5, 5, 3), (5, 5, 7), (5, 5, 15), (5, 5, 19),
    (7, 7, 3), (7, 7, 7), (7, 7, 15), (7, 7, 19),
)


@dataclasses.dataclass(frozen=True)
class DataConfig:
    database: Database = "casme_sq"  # Sec. IV-A: CAS(ME)^2 and SMIC-HS
    # Sec. IV-B: 64x64x96 (CAS(ME)^2); SMIC: 18, the authors' code's (the text gives no SMIC depth, only "more than
    # 18 frames", Sec. IV-A-2: ledger 6)
    frames: Annotated[int, Range(ge=1, le=1000)] = 96  # at most 1,000 (a bound on a manifest's overrides)
    size: Annotated[int, Range(ge=1, le=1024)] = 64  # Sec. IV-B: MicroExpSTCNN input 64x64; at most 1,024 px
    # Sec. IV-B: MicroExpFuseNet inputs 32x32 (eyes, nose-mouth crops from dlib landmarks)
    crop_size: Annotated[int, Range(ge=1, le=1024)] = 32  # at most 1,024 px
    # CAS(ME)^2 only (Sec. IV-A-1; the paper's 206-video selection is not recoverable, README "Selection"):
    # one `frames`-long window of the long video centred on each selected coded expression's apex.
    # Sec. IV-A: "206 videos", of which "only ... micro-expression videos": only the code file's micro-expressions
    # (its type column, "micro-expression" / "macro-expression"; the loader's meta["type"]). The real file codes
    # 57 micro rows, so at most 57 of Table IV's 206 (README ledger 5). ("micro", "macro"): every coded expression
    # (the quick and smoke profiles, ledger 24).
    casme_sq_types: Annotated[tuple[str, ...], Choices("micro", "macro")] = ("micro",)
    # Class of a CAS(ME)^2 expression (README ledger 5): "self_report" = the participant's self-reported
    # emotion, only anger / happiness / disgust rows kept (the three class names of Table IV; the
    # selection of the 357 coded expressions closest to the paper's 206 that the code file allows);
    # "stimulus" = the stimulus the expression was filmed under (anger* / happy* / disgust*), every row kept.
    casme_sq_label: Literal["self_report", "stimulus"] = "self_report"
    # Sec. IV-A-1 "videos that have more than 96 frames" (README ledger 6): what must hold `frames` frames.
    # "window" = the apex-centred window must fit inside the long video without sliding (expressions
    # closer than frames/2 to either end of their long video are dropped); "span" = the coded
    # onset..offset interval itself (the literal reading: only 5 of the 357 real expressions qualify).
    casme_sq_length_rule: Literal["window", "span"] = "window"
    # SMIC: the first `frames` frames of each clip (authors' code; sorted, unlike the code's os.listdir)
    # STCNN input (Sec. II, III-A: "full face"): True = a square dlib face crop (bbox of the first frame's
    # 68 landmarks, widened to a square, 5% margin, `regions.landmark_face_crop`), resized to `size`;
    # False = the whole frame resized (the authors' code).
    face_crop: bool = True
    # QUICK-PROFILE DEVIATION (README ledger 15), default "none" (the paper), never on in the paper profile:
    # "minus_clip_mean" subtracts from every pixel its mean over the clip's frames (removes the static
    # face, keeps its motion), then divides by one scalar standard deviation of those residuals (fit as
    # the variant fits its statistics) instead of the code's ``x -= mean; x /= max``.
    motion_input: Literal["none", "minus_clip_mean"] = "none"
    # The benchmark (README "In the benchmark"): a clip the paper's rule cannot cut ``frames``
    # frames from (a SMIC clip shorter than ``frames``; a CASME II / SAMM clip, for which the paper has no
    # rule) is resampled to ``frames`` frames spread uniformly over it (``temporal.resample_indices``,
    # frames repeated when it is shorter), never dropped. False (every paper experiment): such a clip is
    # an error (select() keeps only clips long enough, Sec. IV-A).
    resample_frames: bool = False
    # FuseNets, Sec. III-B "DLib face detector ... applied to detect and align face in each frame by first
    # detecting the 68 landmarks": "track" (default, paper profile) = a face detection and 68 landmarks on
    # every frame (also the authors' code); "per_frame" = one detection on the first frame, landmarks on
    # every frame; QUICK-PROFILE DEVIATION (README ledger 17) "first" = the first frame's landmarks give
    # both boxes for every frame (as Aouayeb et al.), so landmark jitter does not move the crops.
    crop_landmarks: Literal["track", "per_frame", "first"] = "track"
    # FuseNets, Sec. III-B "align": each frame rotated about the eyes' midpoint so that the eye centres
    # lie level before the boxes are cut (the authors' code does not align; README ledger 18).
    align: bool = True


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    name: ModelName = "microexpstcnn"  # Sec. III: MicroExpSTCNN, MicroExpFuseNet (intermediate / late)
    kernel_size: Annotated[tuple[int, int, int], Range(ge=1)] = (3, 3, 15)  # Table I: 3x3x15 (15 along frames)
    filters: Annotated[int, Range(ge=1)] = 32  # Table I
    pool_size: Annotated[int, Range(ge=1)] = 3  # Table I: 3x3x3
    dense_units: Annotated[int, Range(ge=1)] = 128  # Table I (STCNN)
    fusenet_dense_units: Annotated[tuple[int, int], Range(ge=1)] = (1024, 128)  # Tables II, III
    dropout: Annotated[float, Range(ge=0, lt=1)] = 0.5  # authors' code (the paper gives no rate)
    # authors' code: linear Dense in the FuseNets (paper silent)
    fusenet_dense_activation: Annotated[str | None, Choices(*ACTIVATIONS)] = None


@dataclasses.dataclass(frozen=True)
class ProtocolConfig:
    # "paper": what the paper (and its code) did: normalisation x -= mean, x /= max over the whole
    # dataset, validation split = test split, predictions of the best validation epoch.
    # "leakage_free": normalisation from the training split only, last-epoch predictions (no selection on
    # test), and (CAS(ME)^2) no training window sharing a frame with a test window.
    # "whole_set" (FuseNets, README ledger 11): the authors' FuseNet scripts: trained on the 80% split,
    # validated on the WHOLE data set after each epoch, best whole-set epoch restored; Table V's FuseNet
    # accuracies are that whole-set accuracy (83.25% = 169/203), recorded as the aggregation "whole_set".
    variant: Variant = "paper"
    test_size: Annotated[float, Range(gt=0, lt=1)] = 0.2  # Sec. IV-A: 80% training, 20% validation, split once
    # authors' code: train_test_split(test_size=0.2, random_state=4) (FuseNet scripts: 42)
    split_seed: Annotated[int, Range(ge=0, lt=SEED_LIMIT)] = 4
    # Table VIII: mean and std of validation accuracy, epochs 91-100
    table8_epochs: Annotated[tuple[int, int], Range(ge=1)] = (91, 100)
    saliency_clips: Annotated[int, Range(ge=0)] = 4  # Fig. 4: 4 videos
    saliency_frames: Annotated[int, Range(ge=1)] = 7  # Fig. 4: 7 frames per video


@dataclasses.dataclass(frozen=True)
class KernelStudyConfig:
    kernel_sizes: Annotated[tuple[tuple[int, int, int], ...], Range(ge=1)] = TABLE9_KERNELS  # Table IX
    # the predictions stored for the fold come from this kernel
    paper_kernel: Annotated[tuple[int, int, int], Range(ge=1)] = (3, 3, 15)


@dataclasses.dataclass(frozen=True)
class ReddyConfig:
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    # Sec. IV-B: categorical cross-entropy, SGD "with the default learning rate schedule" (Keras 2
    # 'SGD' string: lr 0.01, momentum 0, no decay), batch 8, 100 epochs.
    train: TrainConfig = TrainConfig(optimizer="sgd", learning_rate=0.01, momentum=0.0, batch_size=8, epochs=100)
    protocol: ProtocolConfig = ProtocolConfig()
    kernels: KernelStudyConfig = KernelStudyConfig()


def default_config(database: Database = "casme_sq", model: ModelName = "microexpstcnn",
                   variant: Variant = "paper") -> ReddyConfig:
    """The paper's configuration for one database/model/protocol variant."""
    frames = 96 if database == "casme_sq" else 18  # Sec. IV-A
    return ReddyConfig(
        data=DataConfig(database=database, frames=frames),
        model=ModelConfig(name=model),
        # whole_set: the FuseNet scripts' own split, train_test_split(test_size=0.2, random_state=42)
        protocol=ProtocolConfig(variant=variant, split_seed=42 if variant == "whole_set" else 4),
    )


def kernel_study_config() -> ReddyConfig:
    """Table IX's experiment: MicroExpSTCNN on CAS(ME)^2, paper protocol, no saliency files (Fig. 4 is
    drawn from the holdout experiments)."""
    config = default_config("casme_sq", "microexpstcnn", "paper")
    return dataclasses.replace(config, protocol=dataclasses.replace(config.protocol, saliency_clips=0))


# ----------------------------------------------------------------------------- names
MODELS: tuple[ModelName, ...] = ("microexpstcnn", "microexpfusenet_intermediate", "microexpfusenet_late")
DATABASES: tuple[Database, ...] = ("casme_sq", "smic")  # Sec. IV-A
VARIANTS: tuple[Variant, ...] = ("paper", "leakage_free", "whole_set")  # ProtocolConfig.variant
MODEL_TITLES = {"microexpstcnn": "MicroExpSTCNN", "microexpfusenet_intermediate": "MicroExpFuseNet (intermediate)",
                "microexpfusenet_late": "MicroExpFuseNet (late)"}

# ----------------------------------------------------------------------------- profiles
# quick: the synthetic default corpus on a 2-core CPU in a few minutes; smoke: seconds. Reduced: inputs
# (frames, frame size, crop size) and epochs; the layer recipe stays the paper's. QUICK-ONLY DEVIATIONS
# (README ledger 15-17): ``data.motion_input="minus_clip_mean"`` (per-clip temporal mean removed) for
# every model; the SMIC STCNN on the whole frame (``data.face_crop=False``; ``paper`` crops the face);
# FuseNets: crop boxes from the first frame's landmarks (``data.crop_landmarks="first"``, per-frame
# dlib jitter moves the crops ~17x more than the expression) and SGD lr 0.001 (their linear 1024-unit
# Dense layers diverge to NaN at 0.01 on clip-mean inputs).
# The quick profile keeps the inputs its Status scores were measured with: the SMIC STCNN on the whole
# frame (``data.face_crop=False``, ledger 16) and unaligned FuseNet crops (``data.align=False``, ledger 18).
QUICK_MOTION = {"data.motion_input": "minus_clip_mean"}
QUICK_FUSENET = {**QUICK_MOTION, "data.crop_landmarks": "first", "data.align": False, "train.learning_rate": 0.001}
QUICK = {
    ("casme_sq", "microexpstcnn"): {"data.frames": 32, "data.size": 32, "data.face_crop": True, "train.epochs": 60},
    ("smic", "microexpstcnn"): {"data.size": 32, "data.face_crop": False, "train.epochs": 60},
    ("casme_sq", "fusenet"): {"data.frames": 26, "data.crop_size": 20, "train.epochs": 40},
    ("smic", "fusenet"): {"data.crop_size": 20, "train.epochs": 40},
}
SMOKE = {
    ("casme_sq", "microexpstcnn"): {"data.frames": 20, "data.size": 16, "train.epochs": 1,
                                    "protocol.saliency_clips": 2},
    ("smic", "microexpstcnn"): {"data.frames": 18, "data.size": 16, "train.epochs": 1, "protocol.saliency_clips": 2},
    ("casme_sq", "fusenet"): {"data.frames": 20, "data.crop_size": 16, "train.epochs": 1},
    ("smic", "fusenet"): {"data.frames": 18, "data.crop_size": 16, "train.epochs": 1},
}
# DEVIATION (quick and smoke, README ledger 24): CAS(ME)^2 clips from micro- AND macro-expressions. The synthetic
# corpora code one micro-expression per long video (smoke 6 of 12 rows, default 12 of 36): micro alone leaves an
# 80/20 split of 1-3 test clips, and the smoke predictions stay those made before the paper profile took micro only.
ALL_CASME_SQ_TYPES = {"data.casme_sq_types": ("micro", "macro")}
KERNEL_STUDY_PROFILES = {
    "quick": {**QUICK_MOTION, "data.frames": 32, "data.size": 32, "data.face_crop": True, "train.epochs": 25,
              "kernels.kernel_sizes": ((3, 3, 3), (3, 3, 15), (5, 5, 7)), **ALL_CASME_SQ_TYPES},
    "smoke": {"data.frames": 20, "data.size": 16, "train.epochs": 1, "kernels.kernel_sizes": ((3, 3, 15), (5, 5, 3)),
              **ALL_CASME_SQ_TYPES},
}


def profiles_for(database: str, model: str) -> dict[str, dict[str, object]]:
    """The quick and smoke overrides of one database/model. SMIC keeps the paper's 18 frames and 3x3x15
    kernel in every profile (smoke clips have 18-22 frames)."""
    family = "microexpstcnn" if model == "microexpstcnn" else "fusenet"
    quick: dict[str, object] = {**(QUICK_MOTION if family == "microexpstcnn" else QUICK_FUSENET),
                                **QUICK[(database, family)]}
    smoke: dict[str, object] = dict(SMOKE[(database, family)])
    if database == "casme_sq":
        quick, smoke = {**quick, **ALL_CASME_SQ_TYPES}, {**smoke, **ALL_CASME_SQ_TYPES}
    return {"quick": quick, "smoke": smoke}


PROFILES = profiles_for("casme_sq", "microexpstcnn")  # those of default_config(), the first experiment


# ----------------------------------------------------------------------------- the benchmark
def benchmark_config(model: ModelName = "microexpstcnn") -> ReddyConfig:
    """The config a benchmark track runs (README "In the benchmark"): the paper's SMIC experiment (its
    three classes are the MEGC 2019 composite's; 18 frames, Sec. IV-A) under the leakage-free variant
    (statistics from the training folds, last-epoch predictions: the track's test subjects never select
    an epoch), every clip resampled to 18 frames where the paper's first-18-frames rule cannot apply, no
    saliency files (no benchmark page draws them)."""
    config = default_config("smic", model, "leakage_free")
    return dataclasses.replace(config, data=dataclasses.replace(config.data, resample_frames=True),
                               protocol=dataclasses.replace(config.protocol, saliency_clips=0))


def benchmark_profiles(model: str = "microexpstcnn") -> dict[str, dict[str, object]]:
    """The SMIC experiment's quick and smoke profiles, without their saliency clips."""
    return {name: {k: v for k, v in overrides.items() if k != "protocol.saliency_clips"}
            for name, overrides in profiles_for("smic", model).items()}
