"""Selection, folds and training of OFF-ApexNet (Gan et al. 2019) on the MEGC 2019 composite; the inputs are in
``preprocessing.py``.

The MEGC 2019 composite (SMIC + CASME II + SAMM, 442 clips, negative / positive / surprise) with
leave-one-subject-out over its 68 subjects, as Liong et al. 2019 ran OFF-ApexNet (Table III): the
benchmark track's own selection and folds (``common.evaluation.splits.megc_composite``,
``common.evaluation.splits.megc_loso``).
"""
from __future__ import annotations

import time
from collections.abc import Mapping

from common.running.fold import FoldTraining, fold_training, n_classes
from common.experiment import Fold, FoldContext, FoldOutcome, Selection, TrainingStage
from common.datasets.megc2019 import CLASSES as MEGC_CLASSES
from common.evaluation.splits import megc_composite
from common.training import compile_model
from papers.gan2019.config import OffApexNetConfig
from papers.gan2019.model import build_model
from papers.gan2019.preprocessing import INPUTS

CLASSES = MEGC_CLASSES  # the composite's classes (Liong et al. 2019, Table II)


def select(data: Mapping[str, list], config: OffApexNetConfig) -> Selection:
    """Every clip of the composite (442 on the real data), labelled by its composite class."""
    return megc_composite(data)


def folds(selection: Selection, config: OffApexNetConfig, seed: int) -> list[Fold]:
    """Liong et al. 2019, Sec. III.B: LOSO over the composite's subjects (k = 68); ``evaluation.max_folds`` (smoke
    only) keeps the first."""
    from common.evaluation.splits import megc_loso

    return megc_loso(selection, config.evaluation.max_folds)  # max_folds: smoke profile only


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """Train OFF-ApexNet on the fold's training clips for ``train.epochs`` (Adam, cross-entropy) and predict
    its test clips with the last epoch's weights (README ledger 8): :func:`fold_fit`, run."""
    return fold_fit(ctx).run()


def fold_fit(ctx: FoldContext) -> FoldTraining:
    """The fold's network and inputs, ready to train (``Experiment.fold_fit``: ``--fold-parallel`` trains
    several folds' at once)."""
    started = time.perf_counter()
    x_train, x_test = INPUTS.fold(ctx)
    model = compile_model(build_model(config=ctx.config, num_classes=n_classes(ctx)), ctx.config.train)
    return fold_training(ctx, model, x_train, x_test, started=started)


def training_stages(config: OffApexNetConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """The one model a fold trains (``--estimate``)."""
    classes = len(selection.class_names)
    return [TrainingStage(model="off_apexnet",
                          build=lambda: compile_model(build_model(config=config, num_classes=classes), config.train),
                          samples=len(fold.train), epochs=config.train.epochs, batch_size=config.train.batch_size)]
