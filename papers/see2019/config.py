"""Configuration of the MEGC 2019 LBP-TOP baseline (See et al., FG 2019; features of Zhao and
Pietikainen, TPAMI 2007): frozen dataclasses, each value commented with its source. Values the papers
leave open are marked "assumed" and listed, with the reason, in the README's deviations ledger.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.classifiers import LinearSVMConfig
from common.config import LosoEvaluationConfig, Range


@dataclasses.dataclass(frozen=True)
class FeatureConfig:
    """LBP-TOP of the whole clip's face sequence (README ledger 1-5, 10, 11)."""

    # assumed: face crops of size x size (the composite's crops differ per database; ledger 2)
    size: Annotated[int, Range(ge=16, le=1024)] = 128  # at most 1,024 px (a bound on a manifest's overrides)
    # assumed: 5 x 5 blocks, the CASME II / MEGC LBP-TOP baselines' grid (ledger 3)
    grid: Annotated[tuple[int, int], Range(ge=1, le=64)] = (5, 5)  # at most 64 a side
    # assumed: (R_X, R_Y, R_T) = (1, 1, 4), as the CASME II baseline (ledger 3)
    radii: Annotated[tuple[int, int, int], Range(ge=1, le=32)] = (1, 1, 4)  # at most 32 pixels or frames
    # assumed: 4 neighbours per plane, as the CASME II baseline (ledger 3)
    # at most 16: the "default" mapping has 2^P labels a plane (LBP's usual P are 4, 8, 16 and 24)
    points: Annotated[tuple[int, int, int], Range(ge=1, le=16)] = (4, 4, 4)
    # Zhao and Pietikainen Sec. 3: uniform patterns; "nri_uniform" is their u2 mapping (P(P-1)+3 labels).
    method: Literal["nri_uniform", "uniform", "default"] = "nri_uniform"
    # the reference implementation (Zhao's group's block LBPTOP.m, its last step Histogram./sum(Histogram)):
    # the whole 1,125-long vector divided by its sum once ("whole", ledger 10); "per_histogram": each
    # block's XY, XT and YT histogram to sum 1 (the per-volume LBPTOP.m applied block by block), entries
    # about 75 times larger, which changes the linear SVM at a fixed C (ledger 4).
    normalisation: Literal["whole", "per_histogram"] = "whole"
    # the reference implementation's blocks (block LBPTOP.m, BlockW / BlockH and CurRows / CurCols): the coded
    # pixels split into blocks of floor(coded / 5), the last block larger ("reference", ledger 11);
    # "partition": np.linspace edges of the whole frame (motion.block_edges).
    blocks: Literal["reference", "partition"] = "reference"


@dataclasses.dataclass(frozen=True)
class See2019Config:
    """The whole recipe of the LBP-TOP baseline."""

    features: FeatureConfig = FeatureConfig()
    # assumed: LIBSVM's C-SVC with a linear kernel (one-vs-one). C = 1 is LIBSVM's default (svm-train -c),
    # not a printed value: no C is printed in what we could read (ledger 4). What C = 1 means depends on the
    # features' scale: a linear SVM on k x at C decides as one on x at C k^2, so on the whole-normalised
    # vectors (features.normalisation="whole", entries about 1/75 of the per-histogram ones) C = 1 regularises
    # about 75^2 = 5,625 times more strongly than on per-histogram vectors.
    svm: LinearSVMConfig = LinearSVMConfig(kind="ovo", C=1.0)
    # See et al. Sec. 3: leave-one-subject-out over the composite's subjects
    evaluation: LosoEvaluationConfig = LosoEvaluationConfig()


def default_config() -> See2019Config:
    """The baseline's recipe (the `paper` profile), the config of ``megc2019_loso``."""
    return See2019Config()


# Profiles: dotted overrides, recorded in every result. No training epochs to shorten: the quick and
# smoke profiles change the amount of work only (smaller faces, fewer folds), never the method.
PROFILES = {
    "paper": {},
    # DEVIATION (quick only, ledger 6): 64-pixel faces, a quarter of the LBP-TOP work per clip.
    "quick": {"features.size": 64},
    # DEVIATION (smoke only, ledger 6): 64-pixel faces and one fold.
    "smoke": {"features.size": 64, "evaluation.max_folds": 1},
}
