"""Selection, folds and the fold of Bi-WOOF (Liong et al. 2018) on the MEGC 2019 composite.

The composite's protocol (leave-one-subject-out over SMIC-HS + CASME II + SAMM, three classes), as every
handcrafted baseline runs it (``common.svm_baseline``): per fold, the Bi-WOOF vector of every clip
(``preprocessing.py``, cached per clip), a linear SVM fitted on the training subjects' vectors
(scikit-learn, ``common.classifiers``), its predictions of the held-out subject's clips.
"""
from __future__ import annotations

import numpy as np

from common import svm_baseline
from common.running.first_pass import per_clip
from common.motion_views import block_image, flow_predict_apex, onset_apex_views
from common.experiment import Fold, FoldContext, FoldOutcome, Hooks, Selection, TrainingStage
from common.datasets.megc2019 import CLASSES as MEGC_CLASSES
from common.preprocessing.motion_stages import flow_features, own_apex
from common.svm_baseline import folds, select
from papers.liong2018.config import Liong2018Config
from papers.liong2018.model import MODEL_NAME, build_model
from papers.liong2018.preprocessing import clip_features, preprocess_clip

# The MEGC 2019 composite's three classes (negative, positive, surprise).
CLASSES = MEGC_CLASSES


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """The Bi-WOOF vectors of the fold's clips, the linear SVM fitted on the training ones, its test predictions."""
    return svm_baseline.run_fold(ctx, clip_features=clip_features, model_name=MODEL_NAME)


def predict_views(ctx, index: int):
    """``Experiment.predict_views``: the onset and apex frames with the face square, and what the SVM saw."""
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


def predict_clips(ctx) -> np.ndarray:
    """``Experiment.predict_clips``: the SVM's vote shares of the Bi-WOOF vectors of ``ctx.samples``, each from
    its onset and apex frames; a recording's apex guessed by the generic motion rule gives way to the flow
    methods' own (``motion_stages.own_apex``)."""
    return svm_baseline.predict_clips(ctx, clip_features=clip_features, model_name=MODEL_NAME,
                                      samples=[own_apex(sample) for sample in ctx.samples])


def training_stages(config: Liong2018Config, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """What one fold trains (``--estimate``): the linear SVM as its Keras decision model."""
    return svm_baseline.training_stages(config, selection, fold, build_model=build_model, model_name=MODEL_NAME)


# --preprocess-workers: the cached onset-to-apex flow and strain of every clip the folds read, and its Bi-WOOF
# vector (common.running.first_pass)
first_pass = per_clip(clip_features)
# --predict: the apex the input was built from, by the flow baselines' own rule (common.motion_views)
predict_apex = flow_predict_apex


HOOKS = Hooks(select=select, folds=folds, run_fold=run_fold, training_stages=training_stages,
              preprocess_clip=preprocess_clip, first_pass=first_pass, predict_clips=predict_clips,
              predict_views=predict_views, predict_apex=predict_apex)
