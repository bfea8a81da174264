"""Selection, folds and the fold of the MEGC 2019 LBP-TOP baseline (See et al., FG 2019).

Per fold (leave-one-subject-out over the composite's subjects): the LBP-TOP vector of every clip
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
from common.experiment import Fold, FoldContext, FoldOutcome, FrameRateNeed, Selection, TrainingStage
from common.leaderboard.tracks import MEGC_CLASSES, megc_composite
from papers.see2019.config import See2019Config
from papers.see2019.model import MODEL_NAME, build_model
from papers.see2019.preprocessing import clip_features, preprocess_clip

# See et al. Sec. 3: the composite's three classes (negative, positive, surprise).
CLASSES = MEGC_CLASSES


def select(datasets: Mapping[str, list[Sample]], config: See2019Config) -> Selection:
    """The MEGC 2019 composite (SMIC-HS + CASME II + SAMM), labelled 0 negative, 1 positive, 2 surprise."""
    return megc_composite(datasets)


def folds(selection: Selection, config: See2019Config, seed: int) -> list[Fold]:
    """Leave-one-subject-out over the composite's subjects (68 on the real data)."""
    from common.evaluation.splits import megc_loso

    return megc_loso(selection, config.evaluation.max_folds)  # max_folds: smoke profile only


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """The LBP-TOP vectors of the fold's clips, the linear SVM fitted on the training ones, its test predictions."""
    started = time.perf_counter()
    config: See2019Config = ctx.config

    def rows(indices) -> np.ndarray:
        return np.stack([clip_features(ctx.selection.samples[int(i)], config, ctx.cache_dir) for i in indices])

    return svm_fold(ctx, rows(ctx.fold.train), rows(ctx.fold.test), config.svm, model_name=MODEL_NAME,
                    started=started)


def predict_clips(ctx) -> np.ndarray:
    """``Experiment.predict_clips``: the LBP-TOP vectors of ``ctx.samples`` (the same cached function as
    :func:`run_fold`), scored by the exported SVM's Keras decision model: the vote shares of
    ``common.classifiers.class_scores`` that a fold reports (their arg-max is the SVM's class)."""
    from common.classifiers import svm_scores

    config = ctx.config
    x = np.stack([clip_features(sample, config, ctx.cache_dir) for sample in ctx.samples])
    return svm_scores(ctx.models[MODEL_NAME], x, list(ctx.state["svm_classes"]), len(ctx.class_names),
                      config.svm.kind)


def predict_views(ctx, index: int):
    """``Experiment.predict_views``: the onset and apex frames with the face square, and what the SVM saw."""
    from common.evaluation.motion_views import block_image, onset_apex_views
    from common.preprocessing.motion_stages import face_sequence

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
    """What one fold trains (``--estimate``): the linear SVM as its Keras decision model (``common.classifiers``)."""
    classes = len(selection.class_names)
    return svm_training_stages(MODEL_NAME, lambda: build_model(config=config, num_classes=classes), len(fold.train))


def _cache_clip(sample: Sample, config: See2019Config, root) -> None:
    """The cached LBP-TOP vector of one clip (what ``run_fold`` reads)."""
    clip_features(sample, config, root)


# --preprocess-workers: the cached LBP-TOP vector of every clip the folds read (common.evaluation.first_pass)
first_pass = per_clip(_cache_clip)

def frame_rate(config: See2019Config) -> FrameRateNeed:
    """``Experiment.frame_rate``: LBP-TOP codes every frame, its XT and YT planes reaching ``features.radii[2]``
    frames either side of a pixel whatever the rate. Any rate is taken."""
    reach = int(config.features.radii[2])
    return FrameRateNeed(in_frames=(f"LBP-TOP's XT and YT planes reach {reach} frames either side of each pixel "
                                    f"(features.radii) whatever the rate ({reach / 200 * 1000:.0f} ms at 200 fps, "
                                    f"longer at a lower rate)"))


__all__ = ["CLASSES", "select", "folds", "run_fold", "predict_clips", "predict_views", "frame_rate", "training_stages",
           "first_pass",
           "preprocess_clip"]
