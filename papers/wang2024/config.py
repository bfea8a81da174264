"""Configuration of HTNet (Wang, Zhang, Luo, Sankaranarayana, Neurocomputing 602, 2024; arXiv 2307.14637):
frozen dataclasses, one comment per value naming its source (the paper, or the authors' public code
``wangzhifengharrison/HTNet`` at commit 91cf4bd: ``Model.py``, ``main_HTNet.py``), or "assumed" with the
reason in README's ledger.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.config import LosoEvaluationConfig, Range
from common.train_config import TrainConfig


@dataclasses.dataclass(frozen=True)
class DataConfig:
    # STSTNet's inputs (the authors' main_HTNet.py reads STSTNet's normalised u, v, strain images): TV-L1 flow
    # from the onset to the apex frame and its optical strain, computed by the shared flow stage on grey face
    # crops of ``face_size`` (the stage liong2019 reads, so the two share its cache), resized to ``size``.
    flow_method: Literal["tvl1", "farneback"] = "tvl1"
    # assumed (README ledger 6): the shared stage's face size; at most 1,024 px (a bound on a manifest's overrides)
    face_size: Annotated[int, Range(ge=8, le=1024)] = 128
    size: Annotated[int, Range(ge=8, le=1024)] = 28  # main_HTNet.py l. 59 and HTNet(image_size=28), l. 223; <= 1,024
    # The channels in the order the network reads them, indices into (u, v, strain): main_HTNet.py l. 110 reads
    # the flow PNGs with cv2.imread, blue first; channel 0 of the authors' PNGs is the strain (README ledger 3).
    channels: Annotated[tuple[int, ...], Range(ge=0, le=2)] = (2, 1, 0)
    # Each channel min-max scaled again at ``size`` (after the stage's resize), as the authors' 28x28 PNGs
    # reach 0 and 255 in every channel (README ledger 4); False: the shared stage's images as they are.
    rescale_at_size: bool = True
    # main_HTNet.py l. 110: the PNGs' 8-bit values 0..255, no scaling; "unit": the [0, 1] floats (ledger 4).
    levels: Literal["uint8", "unit"] = "uint8"
    # The frame whose landmarks place the four areas: main_HTNet.py l. 68-73 detects them on the apex face
    # ("apex"); "onset": the shared stage's first-frame landmarks, which the face crop itself uses (ledger 5).
    landmark_frame: Literal["apex", "onset"] = "apex"
    # Where each 14x14 area is cut (README ledger 2). "transposed": main_HTNet.py l. 112-121 index the image's
    # rows by a landmark's x and its columns by its y; "landmarks": each area centred on its own landmark.
    area_centres: Literal["transposed", "landmarks"] = "transposed"
    # The order of a fold's training clips (README ledger 8): main_HTNet.py l. 196-205 append them class folder
    # by class folder and l. 244 reads them with an unshuffled DataLoader ("by_class", with train.shuffle
    # False); "as_selected": the selection's order.
    train_order: Literal["by_class", "as_selected"] = "by_class"
    # The five points on the authors' released inputs (common.datasets.released; points.py, README ledger 13):
    # "mtcnn", MTCNN's five landmarks on the apex crop resized to 28x28, as main_HTNet.py l. 68-92 finds them
    # (PyPI's Keras MTCNN, a dependency of the project); "dlib", the suite's 68 landmarks on the whole 224-pixel
    # crop. Both fall back to the code's fixed points where no face is found. Clips with frames (the databases)
    # take the apex frame's dlib landmarks whatever this says (ledger 5).
    points: Literal["mtcnn", "dlib"] = "mtcnn"


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    # main_HTNet.py l. 222-231: HTNet(image_size=28, patch_size=7, dim=256, heads=3, num_hierarchies=3,
    # block_repeats=(2, 2, 10), num_classes=3); Model.py's default mlp_mult 4, dropout 0.
    patch_size: Annotated[int, Range(ge=1)] = 7
    dim: Annotated[int, Range(ge=1)] = 256
    heads: Annotated[int, Range(ge=1)] = 3
    levels: Annotated[int, Range(ge=1)] = 3
    block_repeats: Annotated[tuple[int, ...], Range(ge=1)] = (2, 2, 10)
    mlp_mult: Annotated[int, Range(ge=1)] = 4
    # Initial weights: PyTorch's defaults, which the official network starts from ("pytorch"); Keras' Glorot
    # is the option (README ledger 9).
    initializer: Literal["pytorch", "glorot_uniform"] = "pytorch"


@dataclasses.dataclass(frozen=True)
class HTNetConfig:
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    # main_HTNet.py l. 162-164, 171, 240, 244: Adam (PyTorch's defaults: betas 0.9 / 0.999, epsilon 1e-8, no
    # weight decay), learning rate 0.00005, batch 256, 800 epochs, cross-entropy; the training set read in
    # its stored order every epoch (DataLoader without shuffle), the last batch partial.
    train: TrainConfig = TrainConfig(optimizer="adam", learning_rate=5e-5, batch_size=256, epochs=800,
                                     adam_epsilon=1e-8, shuffle=False)
    # Leave-one-subject-out over the composite's subjects (main_HTNet.py l. 189: one fold a subject folder)
    evaluation: LosoEvaluationConfig = LosoEvaluationConfig()


def default_config() -> HTNetConfig:
    """The code's recipe (the `paper` profile), the config of ``megc2019_loso``: README ledger."""
    return HTNetConfig()


# The text-literal reading where the code and the text part (README ledger 2): each area centred on its own
# landmark. As ``--set``: data.area_centres=landmarks
TEXT_READING: dict[str, object] = {"data.area_centres": "landmarks"}

# Dotted overrides (``Experiment.profiles``). The official network has 139.6 M parameters; one epoch of a LOSO
# fold is minutes of CPU, 800 of them days. DEVIATION (quick and smoke only, README ledger 10): the same
# layers at width 32 instead of 256 (about 2.2 M parameters); quick trains 200 epochs at the code's learning
# rate and batch (the training loss is below 0.001 by then on the synthetic corpus); smoke trains one epoch on
# two folds with 32-pixel faces and one transformer block a level (every kind of layer, a quarter of the graph
# to trace: TensorFlow traces the 14 blocks' training step in about 12 s on 2 cores, the 3 in 4 s).
PROFILES: dict[str, dict[str, object]] = {
    "paper": {},
    "quick": {"data.face_size": 64, "model.dim": 32, "train.epochs": 200},
    "smoke": {"data.face_size": 32, "model.dim": 32, "model.block_repeats": (1, 1, 1), "train.epochs": 1,
              "train.batch_size": 32, "evaluation.max_folds": 2},
}
