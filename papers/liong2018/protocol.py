"""Selection, folds and the fold of Bi-WOOF (Liong et al. 2018) on the MEGC 2019 composite.

Per fold (leave-one-subject-out over the composite's subjects): the Bi-WOOF vector of every clip
(``preprocessing.py``, cached per clip), a linear SVM fitted on the training subjects' vectors
(scikit-learn, ``common.classifiers``), its predictions of the held-out subject's clips.
"""
from __future__ import annotations

import time
from typing import Mapping

import numpy as np

from common.classifiers import svm_fold, svm_training_stages
from common.datasets.sample import Sample
from common.evaluation.first_pass import per_clip
from common.experiment import Fold, FoldContext, FoldOutcome, Selection, TrainingStage
from common.leaderboard.tracks import MEGC_CLASSES, megc_composite
from papers.liong2018.config import Liong2018Config
from papers.liong2018.model import MODEL_NAME, build_model
from papers.liong2018.preprocessing import clip_features, preprocess_clip

# The MEGC 2019 composite's three classes (negative, positive, surprise).
CLASSES = MEGC_CLASSES


def select(datasets: Mapping[str, list[Sample]], config: Liong2018Config) -> Selection:
    """The MEGC 2019 composite (SMIC-HS + CASME II + SAMM), labelled 0 negative, 1 positive, 2 surprise."""
    return megc_composite(datasets)


def folds(selection: Selection, config: Liong2018Config, seed: int) -> list[Fold]:
    """Leave-one-subject-out over the composite's subjects (68 on the real data)."""
    from common.evaluation.splits import megc_loso

    all_folds = megc_loso(selection)
    if config.evaluation.max_folds > 0:  # smoke profile only: the first folds, still subject-independent
        return all_folds[: config.evaluation.max_folds]
    return all_folds


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """The Bi-WOOF vectors of the fold's clips, the linear SVM fitted on the training ones, its test predictions."""
    started = time.perf_counter()
    config: Liong2018Config = ctx.config

    def rows(indices) -> np.ndarray:
        return np.stack([clip_features(ctx.selection.samples[int(i)], config, ctx.cache_dir) for i in indices])

    return svm_fold(ctx, rows(ctx.fold.train), rows(ctx.fold.test), config.svm, model_name=MODEL_NAME,
                    started=started)


def training_stages(config: Liong2018Config, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """What one fold trains (``--estimate``): the linear SVM as its Keras decision model (``common.classifiers``)."""
    classes = len(selection.class_names)
    return svm_training_stages(MODEL_NAME, lambda: build_model(config, classes), len(fold.train))


def _cache_clip(sample: Sample, config: Liong2018Config, root) -> None:
    """The cached onset-to-apex flow and strain of one clip (what ``run_fold`` reads; the histograms are cheap)."""
    clip_features(sample, config, root)


# --preprocess-workers: the cached flow of every clip the folds read (common.evaluation.first_pass)
first_pass = per_clip(_cache_clip)

__all__ = ["CLASSES", "select", "folds", "run_fold", "training_stages", "first_pass", "preprocess_clip"]
