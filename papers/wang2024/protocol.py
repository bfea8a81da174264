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

import keras
import numpy as np

from common.datasets.megc2019 import CLASSES as MEGC_CLASSES
from common.experiment import FoldContext, FoldOutcome, Selection
from common.network_protocol import OneNetwork
from common.running.fold import fit_and_predict, n_classes
from common.training import compiled_like
from papers.wang2024.config import HTNetConfig
from papers.wang2024.model import build_model
from papers.wang2024.points import fold_points_extra, points_problem
from papers.wang2024.preprocessing import INPUTS

CLASSES = MEGC_CLASSES  # main_HTNet.py l. 33: negative 0, positive 1, surprise 2


def training_order(labels: np.ndarray, order: str) -> np.ndarray:
    """Positions of a fold's training clips in the order they are read: "by_class", class 0's clips first,
    then class 1's, then class 2's, each in the selection's order (main_HTNet.py l. 196-205 append them class
    folder by class folder; l. 244's DataLoader does not shuffle); "as_selected", the selection's order."""
    labels = np.asarray(labels)
    return np.argsort(labels, kind="stable") if order == "by_class" else np.arange(len(labels))


def fold_model(config: HTNetConfig, num_classes: int) -> keras.Model:
    """The fold's HTNet, compiled with the code's recipe (Adam, cross-entropy), in exactly the state of a freshly
    built one: each fold builds it afresh (after the runner's seeding) and its start is copied into the one
    compiled model kept per configuration (``common.training.compiled_like``), so Keras traces HTNet's training
    step once per run instead of once per fold (about 15 s of CPU a fold). Not a deviation: the same training."""
    key = ("wang2024", "htnet", config.model, config.train, int(config.data.size), len(config.data.channels),
           int(num_classes))
    return compiled_like(key, build_model(config=config, num_classes=num_classes), config.train,
                         keras.losses.CategoricalCrossentropy())


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """Train HTNet on the fold's training clips for ``train.epochs`` (Adam, cross-entropy, batches in the
    code's order) and predict the test subject with the last epoch's weights."""
    started = time.perf_counter()
    config = ctx.config
    x_train, x_test = INPUTS.fold(ctx)
    y_train = ctx.selection.labels[np.asarray(ctx.fold.train, dtype=int)]
    order = training_order(y_train, config.data.train_order)
    model = fold_model(config, n_classes(ctx))
    # On the released inputs: which of the fold's clips (training and test) took the code's fixed points,
    # flagged in results.json by the runner (points.fold_points_extra)
    samples = [ctx.selection.samples[i] for i in (*ctx.fold.train, *ctx.fold.test)]
    extra = fold_points_extra(samples, config.data.points, ctx.cache_dir)
    return fit_and_predict(ctx, model, x_train[order], x_test, y_train=y_train[order], started=started, extra=extra)


def points_check(config: HTNetConfig, selection: Selection) -> str:
    """On the released inputs, the line refusing a run whose five points cannot be found (no apex crops; the
    Keras MTCNN of ``data.points=mtcnn`` not installed): ``points.points_problem``; "" otherwise."""
    return points_problem(selection.samples, config.data.points)


# The composite's LOSO and the check of every run before its first fold, shared (common.network_protocol);
# the fold is HTNet's own (the code's training order, the points flagged), and not trained with other folds.
# HTNet is traced in the first fold only (:func:`fold_model`), which ``--estimate`` counts once.
PROTOCOL = OneNetwork(model="htnet", inputs=INPUTS, build_model=build_model, check=points_check, traced_once=True)
HOOKS = PROTOCOL.hooks(run_fold=run_fold, fold_fit=None)
