"""Selection, folds and the fold of the MEGC 2019 LBP-TOP baseline (See et al., FG 2019).

The composite's protocol (See et al. Sec. 3: leave-one-subject-out over SMIC-HS + CASME II + SAMM, three
classes) is the one every handcrafted baseline shares (``common.svm_baseline``): per fold, the LBP-TOP
vector of every clip (``preprocessing.py``, cached per clip), a linear SVM fitted on the training subjects'
vectors (scikit-learn, ``common.classifiers``), its predictions of the held-out subject's clips.
"""
from __future__ import annotations

import numpy as np

from common import svm_baseline
from common.running.first_pass import per_clip
from common.experiment import Fold, FoldContext, FoldOutcome, Hooks, Selection, TrainingStage
from common.predict_types import FrameRateNeed
from common.datasets.megc2019 import CLASSES as MEGC_CLASSES
from common.svm_baseline import folds, select
from papers.see2019.config import See2019Config
from papers.see2019.model import MODEL_NAME, build_model
from papers.see2019.preprocessing import clip_features, preprocess_clip
from common.motion_views import block_image, onset_apex_views
from common.preprocessing.motion_stages import face_sequence

# See et al. Sec. 3: the composite's three classes (negative, positive, surprise).
CLASSES = MEGC_CLASSES


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """The LBP-TOP vectors of the fold's clips, the linear SVM fitted on the training ones, its test predictions."""
    return svm_baseline.run_fold(ctx, clip_features=clip_features, model_name=MODEL_NAME)


def predict_clips(ctx) -> np.ndarray:
    """``Experiment.predict_clips``: the SVM's vote shares of the LBP-TOP vectors of ``ctx.samples``."""
    return svm_baseline.predict_clips(ctx, clip_features=clip_features, model_name=MODEL_NAME)


def predict_views(ctx, index: int):
    """``Experiment.predict_views``: the onset and apex frames with the face square, and what the SVM saw."""
    config: See2019Config = ctx.config
    sample = ctx.samples[index]
    f = config.features
    faces = face_sequence(sample, f.size, ctx.cache_dir)
    vector = clip_features(sample, config, ctx.cache_dir)
    bins = len(vector) // (f.grid[0] * f.grid[1] * 3)  # per plane
    return onset_apex_views(sample, [("first face", faces[0]), ("last face", faces[-1]),
                                     ("LBP-TOP by block", block_image(vector, f.grid, (3, bins)))], ctx.cache_dir,
                            notes=(f"LBP-TOP of all {len(faces)} frames ({f.size} px faces): {len(vector)} values, "
                                   f"per block the XY, XT and YT histograms (rows)",
                                   "scores: the SVM's pairwise vote shares"), uses_apex=False)


def training_stages(config: See2019Config, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """What one fold trains (``--estimate``): the linear SVM as its Keras decision model."""
    return svm_baseline.training_stages(config, selection, fold, build_model=build_model, model_name=MODEL_NAME)


def frame_rate(config: See2019Config) -> FrameRateNeed:
    """``Experiment.frame_rate``: LBP-TOP codes every frame, its XT and YT planes reaching ``features.radii[2]``
    frames either side of a pixel whatever the rate. Any rate is taken."""
    reach = int(config.features.radii[2])
    return FrameRateNeed(in_frames=(f"LBP-TOP's XT and YT planes reach {reach} frames either side of each pixel "
                                    f"(features.radii) whatever the rate ({reach / 200 * 1000:.0f} ms at 200 fps, "
                                    f"longer at a lower rate)"))


# --preprocess-workers: the cached LBP-TOP vector of every clip the folds read (common.running.first_pass)
first_pass = per_clip(clip_features)

HOOKS = Hooks(select=select, folds=folds, run_fold=run_fold, training_stages=training_stages,
              preprocess_clip=preprocess_clip, first_pass=first_pass, predict_clips=predict_clips,
              predict_views=predict_views, frame_rate=frame_rate)
