"""Configuration of Bi-WOOF (Liong, See, Wong, Phan, "Less is more: Micro-expression recognition from
video using apex frame", Signal Processing: Image Communication 62, 2018) on the MEGC 2019 composite:
frozen dataclasses, each value commented with its source. Values the paper leaves open are marked
"assumed" and listed, with the reason, in the README's deviations ledger.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.classifiers import LinearSVMConfig
from common.config import LosoEvaluationConfig, Range


@dataclasses.dataclass(frozen=True)
class FeatureConfig:
    """Bi-WOOF of the onset and apex faces (README ledger 1-6, 10)."""

    # assumed: flow on 128 x 128 face crops (ledger 2); at most 1,024 px (a bound on a manifest's overrides)
    size: Annotated[int, Range(ge=16, le=1024)] = 128
    # Sec. 3.2: TV-L1 optical flow between onset and apex ("farneback": option)
    flow: Literal["tvl1", "farneback"] = "tvl1"
    # authors' biwoof.m: nW = nH = 5 blocks (ledger 3); at most 64 a side
    grid: Annotated[tuple[int, int], Range(ge=1, le=64)] = (5, 5)
    bins: Annotated[int, Range(ge=1, le=360)] = 8  # authors' biwoof.m: nBin = 8 orientation bins (ledger 3); <= 360
    # the text gives N x N blocks, not their pixels: the authors' biwoof.m (lines 36-60) lays them out with
    # neighbours sharing two pixels and the last block larger ("authors", ledger 10); "partition": every
    # pixel in one block (motion.block_edges).
    blocks: Literal["authors", "partition"] = "authors"
    # the text gives C bins, not their edges: biwoof.m (line 71) bins with weightedhistc over -180:45:179
    # degrees, leaving out (135, 180] ("authors_histc", ledger 5); "circle": every orientation counted.
    binning: Literal["authors_histc", "circle"] = "authors_histc"
    # authors' biwoof.m (ledger 4): each block's magnitude-weighted histogram normalised to sum 1, multiplied
    # by the block's summed optical strain, the whole vector divided by its L2 norm ("authors_code");
    # "none": the shared histograms as they are (magnitude votes times the block's mean strain).
    normalisation: Literal["authors_code", "none"] = "authors_code"


@dataclasses.dataclass(frozen=True)
class Liong2018Config:
    """The whole recipe of Bi-WOOF."""

    features: FeatureConfig = FeatureConfig()
    # Sec. 4: a linear SVM; assumed: LIBSVM's C-SVC (one-vs-one) at its default C = 1 (ledger 7)
    svm: LinearSVMConfig = LinearSVMConfig(kind="ovo", C=1.0)
    # the MEGC 2019 protocol: leave-one-subject-out over the composite's subjects
    evaluation: LosoEvaluationConfig = LosoEvaluationConfig()


def default_config() -> Liong2018Config:
    """The method's recipe (the `paper` profile), the config of ``megc2019_loso``."""
    return Liong2018Config()


# Profiles: dotted overrides, recorded in every result. No training epochs to shorten: the quick and
# smoke profiles change the amount of work only (smaller faces, fewer folds), never the method.
PROFILES = {
    "paper": {},
    # DEVIATION (quick only, ledger 8): flow on 64-pixel faces, a quarter of the TV-L1 work per clip.
    "quick": {"features.size": 64},
    # DEVIATION (smoke only, ledger 8): 64-pixel faces and one fold.
    "smoke": {"features.size": 64, "evaluation.max_folds": 1},
}
