"""Selection, folds and the fold of Bi-WOOF (Liong et al. 2018) on the MEGC 2019 composite.

Per fold (leave-one-subject-out over the composite's subjects): the Bi-WOOF vector of every clip
(``preprocessing.py``, cached per clip), a linear SVM fitted on the training subjects' vectors
(scikit-learn, ``common.classifiers``), its predictions of the held-out subject's clips.
"""
from __future__ import annotations

import time
from collections.abc import Mapping

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

    return megc_loso(selection, config.evaluation.max_folds)  # max_folds: smoke profile only


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """The Bi-WOOF vectors of the fold's clips, the linear SVM fitted on the training ones, its test predictions."""
    started = time.perf_counter()
    config: Liong2018Config = ctx.config

    def rows(indices) -> np.ndarray:
        return np.stack([clip_features(ctx.selection.samples[int(i)], config, ctx.cache_dir) for i in indices])

    return svm_fold(ctx, rows(ctx.fold.train), rows(ctx.fold.test), config.svm, model_name=MODEL_NAME,
                    started=started)


def predict_clips(ctx) -> np.ndarray:
    """``Experiment.predict_clips``: the Bi-WOOF vectors of ``ctx.samples`` (the same cached function as
    :func:`run_fold`), scored by the exported SVM's Keras decision model: the vote shares of
    ``common.classifiers.class_scores`` that a fold reports (their arg-max is the SVM's class)."""
    from common.classifiers import svm_scores
    from common.preprocessing.motion_stages import own_apex

    config = ctx.config
    x = np.stack([clip_features(own_apex(sample), config, ctx.cache_dir) for sample in ctx.samples])
    return svm_scores(ctx.models[MODEL_NAME], x, list(ctx.state["svm_classes"]), len(ctx.class_names),
                      config.svm.kind)


def predict_views(ctx, index: int):
    """``Experiment.predict_views``: the onset and apex frames with the face square, and what the SVM saw."""
    from common.evaluation.motion_views import block_image, onset_apex_views
    from common.preprocessing.motion_stages import flow_features, own_apex

    config: Liong2018Config = ctx.config
    sample = own_apex(ctx.samples[index])
    f = config.features
    flow = np.asarray(flow_features(sample, f.size, f.flow, cache_root=ctx.cache_dir))
    vector = clip_features(sample, config, ctx.cache_dir)
    return onset_apex_views(sample, [("horizontal flow u", flow[..., 0]), ("vertical flow v", flow[..., 1]),
                                     ("optical strain", flow[..., 2]),
                                     ("Bi-WOOF by block",
                                      block_image(vector, f.grid,
                                                  (2, f.bins // 2) if f.bins % 2 == 0 else (1, f.bins)))],
                            ctx.cache_dir, notes=(f"Bi-WOOF: {len(vector)} values, per block its {f.bins} "
                                                  f"orientation bins", "scores: the SVM's pairwise vote shares"))


def training_stages(config: Liong2018Config, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """What one fold trains (``--estimate``): the linear SVM as its Keras decision model (``common.classifiers``)."""
    classes = len(selection.class_names)
    return svm_training_stages(MODEL_NAME, lambda: build_model(config=config, num_classes=classes), len(fold.train))


def _cache_clip(sample: Sample, config: Liong2018Config, root) -> None:
    """The cached onset-to-apex flow and strain of one clip (what ``run_fold`` reads; the histograms are cheap)."""
    clip_features(sample, config, root)


# --preprocess-workers: the cached flow of every clip the folds read (common.evaluation.first_pass)
first_pass = per_clip(_cache_clip)

__all__ = ["CLASSES", "select", "folds", "run_fold", "predict_clips", "predict_views", "training_stages", "first_pass",
           "preprocess_clip"]
