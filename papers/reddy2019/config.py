"""Configuration of the Reddy et al. (IJCNN 2019) experiments: frozen dataclasses, one comment per
value naming where it comes from (paper section/table, or the authors' code when the paper is silent).
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import Range
from common.training import TrainConfig

ModelName = Literal["microexpstcnn", "microexpfusenet_intermediate", "microexpfusenet_late"]

# Table IX: the twelve kernel sizes of the kernel-size study (rows, cols, frames).
TABLE9_KERNELS: tuple[tuple[int, int, int], ...] = (
    (3, 3, 3), (3, 3, 7), (3, 3, 15), (3, 3, 19),
    (5, 5, 3), (5, 5, 7), (5, 5, 15), (5, 5, 19),
    (7, 7, 3), (7, 7, 7), (7, 7, 15), (7, 7, 19),
)


@dataclasses.dataclass(frozen=True)
class DataConfig:
    database: Literal["casme_sq", "smic"] = "casme_sq"  # Sec. IV-A: CAS(ME)^2 and SMIC-HS
    frames: Annotated[int, Range(ge=1)] = 96  # Sec. IV-B: 64x64x96 (CAS(ME)^2); SMIC: 18 (Sec. IV-A-2, "more than 18 frames")
    size: Annotated[int, Range(ge=1)] = 64  # Sec. IV-B: MicroExpSTCNN input 64x64 (whole frame resized, as the authors' code)
    crop_size: Annotated[int, Range(ge=1)] = 32  # Sec. IV-B: MicroExpFuseNet inputs 32x32 (eyes, nose-mouth crops from dlib landmarks)
    # CAS(ME)^2 only (Sec. IV-A-1; the paper's 206-video selection is not recoverable, README "Selection"):
    # one `frames`-long window of the long video centred on each coded expression's apex,
    # class = the stimulus group of the expression (anger* -> angry, happy* -> happy, disgust* -> disgust).
    casme_sq_types: tuple[str, ...] = ("micro", "macro")  # which coded expressions give a clip (ours)
    # SMIC: the first `frames` frames of each clip (authors' code; sorted, unlike the code's os.listdir)
    face_crop: bool = False  # STCNN on a dlib face crop instead of the whole frame (ours; default off, as the code)
    # QUICK-PROFILE DEVIATION (README ledger 15), default off, never on in the paper profile: subtract
    # from every pixel its mean over the clip's frames (removes the static face, keeps its motion), then
    # divide by one scalar standard deviation of those residuals (fit as the variant fits its statistics)
    # instead of the code's ``x -= mean; x /= max``.
    clip_mean: bool = False
    # QUICK-PROFILE DEVIATION (README ledger 17), FuseNets only: "per_frame" (default, paper profile) =
    # dlib landmarks predicted on every frame and the eye / nose-mouth boxes re-cut per frame (Sec. III-B,
    # authors' code); "first" = the first frame's landmarks give both boxes for every frame (as Aouayeb
    # et al.), so landmark jitter does not move the crops.
    crop_landmarks: Literal["per_frame", "first"] = "per_frame"


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    name: ModelName = "microexpstcnn"  # Sec. III: MicroExpSTCNN, MicroExpFuseNet (intermediate / late)
    kernel_size: Annotated[tuple[int, int, int], Range(ge=1)] = (3, 3, 15)  # Table I: 3x3x15 (15 along frames)
    filters: Annotated[int, Range(ge=1)] = 32  # Table I
    pool_size: Annotated[int, Range(ge=1)] = 3  # Table I: 3x3x3
    dense_units: Annotated[int, Range(ge=1)] = 128  # Table I (STCNN)
    fusenet_dense_units: Annotated[tuple[int, int], Range(ge=1)] = (1024, 128)  # Tables II, III
    dropout: Annotated[float, Range(ge=0, lt=1)] = 0.5  # authors' code (the paper gives no rate)
    fusenet_dense_activation: str | None = None  # authors' code: linear Dense in the FuseNets (paper silent)


@dataclasses.dataclass(frozen=True)
class ProtocolConfig:
    # "paper": what the paper (and its code) did: normalisation x -= mean, x /= max over the whole
    # dataset, validation split = test split, predictions of the best validation epoch.
    # "leakage_free": normalisation from the training split only, last-epoch predictions (no selection on test).
    variant: Literal["paper", "leakage_free"] = "paper"
    test_size: Annotated[float, Range(gt=0, lt=1)] = 0.2  # Sec. IV-A: 80% training, 20% validation, split once
    split_seed: Annotated[int, Range(ge=0)] = 4  # authors' code: train_test_split(test_size=0.2, random_state=4)
    table8_epochs: Annotated[tuple[int, int], Range(ge=1)] = (91, 100)  # Table VIII: mean and std of validation accuracy, epochs 91-100
    saliency_clips: Annotated[int, Range(ge=0)] = 4  # Fig. 4: 4 videos
    saliency_frames: Annotated[int, Range(ge=1)] = 7  # Fig. 4: 7 frames per video


@dataclasses.dataclass(frozen=True)
class KernelStudyConfig:
    kernel_sizes: Annotated[tuple[tuple[int, int, int], ...], Range(ge=1)] = TABLE9_KERNELS  # Table IX
    paper_kernel: Annotated[tuple[int, int, int], Range(ge=1)] = (3, 3, 15)  # the predictions stored for the fold come from this kernel


@dataclasses.dataclass(frozen=True)
class ReddyConfig:
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    # Sec. IV-B: categorical cross-entropy, SGD "with the default learning rate schedule" (Keras 2
    # 'SGD' string: lr 0.01, momentum 0, no decay), batch 8, 100 epochs.
    train: TrainConfig = TrainConfig(optimizer="sgd", learning_rate=0.01, momentum=0.0, batch_size=8, epochs=100)
    protocol: ProtocolConfig = ProtocolConfig()
    kernels: KernelStudyConfig = KernelStudyConfig()


def default_config(database: str = "casme_sq", model: str = "microexpstcnn", variant: str = "paper") -> ReddyConfig:
    """The paper's configuration for one database/model/protocol variant."""
    frames = 96 if database == "casme_sq" else 18  # Sec. IV-A
    return ReddyConfig(
        data=DataConfig(database=database, frames=frames),
        model=ModelConfig(name=model),
        protocol=ProtocolConfig(variant=variant),
    )
