"""Configuration of the MEGC 2019 LBP-TOP baseline (See et al., FG 2019; features of Zhao and
Pietikainen, TPAMI 2007): frozen dataclasses, each value commented with its source. Values the papers
leave open are marked "assumed" and listed, with the reason, in the README's deviations ledger.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from common.classifiers import LinearSVMConfig
from common.config import Range


@dataclasses.dataclass(frozen=True)
class FeatureConfig:
    """LBP-TOP of the whole clip's face sequence (README ledger 1-5)."""

    # assumed: face crops of size x size (the composite's crops differ per database; ledger 2)
    size: Annotated[int, Range(ge=16)] = 128
    # assumed: 5 x 5 blocks, the CASME II / MEGC LBP-TOP baselines' grid (ledger 3)
    grid: Annotated[tuple[int, int], Range(ge=1)] = (5, 5)
    # assumed: (R_X, R_Y, R_T) = (1, 1, 4), as the CASME II baseline (ledger 3)
    radii: Annotated[tuple[int, int, int], Range(ge=1)] = (1, 1, 4)
    # assumed: 4 neighbours per plane, as the CASME II baseline (ledger 3)
    points: Annotated[tuple[int, int, int], Range(ge=1)] = (4, 4, 4)
    # Zhao and Pietikainen Sec. 3: uniform patterns; "nri_uniform" is their u2 mapping (P(P-1)+3 labels).
    method: Literal["nri_uniform", "uniform", "default"] = "nri_uniform"


@dataclasses.dataclass(frozen=True)
class EvaluationConfig:
    """Protocol: leave-one-subject-out over the composite's subjects (See et al. Sec. 3)."""

    # 0 = every LOSO fold (68 on the real composite); >0 = the first folds only (smoke)
    max_folds: Annotated[int, Range(ge=0)] = 0


@dataclasses.dataclass(frozen=True)
class See2019Config:
    """The whole recipe of the LBP-TOP baseline."""

    features: FeatureConfig = FeatureConfig()
    # assumed: LIBSVM's C-SVC with a linear kernel (one-vs-one) at its default C = 1 (ledger 4)
    svm: LinearSVMConfig = LinearSVMConfig(kind="ovo", C=1.0)
    evaluation: EvaluationConfig = EvaluationConfig()


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
