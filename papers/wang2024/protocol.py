"""Selection, folds and training of HTNet (Wang et al., Neurocomputing 2024; arXiv 2307.14637); the inputs are
in ``preprocessing.py``.

The MEGC 2019 composite (SMIC + CASME II + SAMM, 442 clips, negative / positive / surprise) with
leave-one-subject-out over its 68 subjects, as the authors' ``main_HTNet.py`` runs it (one fold a subject
folder of ``three_norm_u_v_os``): the benchmark track's own selection and folds
(``common.evaluation.splits.megc_composite``, ``common.evaluation.splits.megc_loso``).

Every fold trains through the shared training loop (``common.running.fold.fit_and_predict``) for the code's
fixed number of epochs and predicts the test subject once, with the last epoch's weights: no look at the test
subject. The authors' code instead keeps, per subject, the epoch whose test accuracy is highest (README ledger
1); the suite reports that number only through the epoch-selection gauge of the shared loop.
"""
from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from common.datasets.megc2019 import CLASSES as MEGC_CLASSES
from common.evaluation.splits import megc_composite
from common.experiment import Fold, FoldContext, FoldOutcome, Selection, TrainingStage
from common.running.fold import fit_and_predict, n_classes
from common.training import compile_model
from papers.wang2024.config import HTNetConfig
from papers.wang2024.model import build_model
from papers.wang2024.points import fold_points_extra, points_problem
from papers.wang2024.preprocessing import INPUTS

CLASSES = MEGC_CLASSES  # main_HTNet.py l. 33: negative 0, positive 1, surprise 2


def select(data: Mapping[str, list], config: HTNetConfig) -> Selection:
    """Every clip of the composite (442 on the real data), labelled by its composite class."""
    return megc_composite(data)


def folds(selection: Selection, config: HTNetConfig, seed: int) -> list[Fold]:
    """LOSO over the composite's subjects (68); ``evaluation.max_folds`` (smoke only) keeps the first."""
    from common.evaluation.splits import megc_loso

    return megc_loso(selection, config.evaluation.max_folds)  # max_folds: smoke profile only


def training_order(labels: np.ndarray, order: str) -> np.ndarray:
    """Positions of a fold's training clips in the order they are read: "by_class", class 0's clips first,
    then class 1's, then class 2's, each in the selection's order (main_HTNet.py l. 196-205 append them class
    folder by class folder; l. 244's DataLoader does not shuffle); "as_selected", the selection's order."""
    labels = np.asarray(labels)
    return np.argsort(labels, kind="stable") if order == "by_class" else np.arange(len(labels))


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """Train HTNet on the fold's training clips for ``train.epochs`` (Adam, cross-entropy, batches in the
    code's order) and predict the test subject with the last epoch's weights."""
    started = time.perf_counter()
    config = ctx.config
    x_train, x_test = INPUTS.fold(ctx)
    y_train = ctx.selection.labels[np.asarray(ctx.fold.train, dtype=int)]
    order = training_order(y_train, config.data.train_order)
    model = compile_model(build_model(config=config, num_classes=n_classes(ctx)), config.train)
    # On the released inputs: which of the fold's clips (training and test) took the code's fixed points,
    # flagged in results.json by the runner (points.fold_points_extra)
    samples = [ctx.selection.samples[i] for i in (*ctx.fold.train, *ctx.fold.test)]
    extra = fold_points_extra(samples, config.data.points, ctx.cache_dir)
    return fit_and_predict(ctx, model, x_train[order], x_test, y_train=y_train[order], started=started, extra=extra)


def training_stages(config: HTNetConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """The one model a fold trains (``--estimate``, and the check of every run before its first fold). On the
    released inputs, a ``ValueError`` line where their five points cannot be found (no apex crops; the Keras
    MTCNN of ``data.points=mtcnn`` not installed): ``points.points_problem``."""
    problem = points_problem(selection.samples, config.data.points)
    if problem:
        raise ValueError(problem)
    classes = len(selection.class_names)
    return [TrainingStage(model="htnet",
                          build=lambda: compile_model(build_model(config=config, num_classes=classes), config.train),
                          samples=len(fold.train), epochs=config.train.epochs, batch_size=config.train.batch_size)]
