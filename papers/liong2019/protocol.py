"""Selection, folds and training of STSTNet (Liong et al., FG 2019), Secs. II-III; the inputs are in
``preprocessing.py``.

The MEGC 2019 composite (SMIC + CASME II + SAMM, 442 clips, negative / positive / surprise) with
leave-one-subject-out over its 68 subjects (Sec. III.B): the benchmark track's own selection and folds
(``common.evaluation.splits.megc_composite``, ``common.evaluation.splits.megc_loso``).
"""
from __future__ import annotations

import time
from collections.abc import Mapping

from common.running.fold import fit_and_predict, n_classes
from common.experiment import Fold, FoldContext, FoldOutcome, Selection, TrainingStage
from common.datasets.megc2019 import CLASSES as MEGC_CLASSES
from common.evaluation.splits import megc_composite
from common.training import compile_model
from papers.liong2019.config import STSTNetConfig
from papers.liong2019.model import build_model, set_population_statistics, training_mean_image
from papers.liong2019.preprocessing import INPUTS

CLASSES = MEGC_CLASSES  # Table II / Sec. III.B: negative, positive, surprise


def select(data: Mapping[str, list], config: STSTNetConfig) -> Selection:
    """Every clip of the composite (Table II: 442 on the real data), labelled by its composite class."""
    return megc_composite(data)


def folds(selection: Selection, config: STSTNetConfig, seed: int) -> list[Fold]:
    """Sec. III.B: LOSO over the composite's subjects (k = 68); ``evaluation.max_folds`` (smoke only) keeps the
    first."""
    from common.evaluation.splits import megc_loso

    return megc_loso(selection, config.evaluation.max_folds)  # max_folds: smoke profile only


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """Train STSTNet on the fold's training clips for ``train.epochs`` (Adam, cross-entropy) and predict
    its test clips with the last epoch's weights (the authors' code, README ledger 8).

    The authors' network (README ledger 10): the input centred on the training clips' mean image (held
    by the model's "zerocenter" layer, so an export carries it), and each batch normalisation predicts
    with its input's statistics over the training clips (``model.batch_norm_statistics``), set after
    training and before the model is kept or predicts."""
    started = time.perf_counter()
    config = ctx.config
    x_train, x_test = INPUTS.fold(ctx)
    mean_image = training_mean_image(x_train) if config.model.zero_center else None
    model = compile_model(build_model(config=config, num_classes=n_classes(ctx), mean_image=mean_image), config.train)

    def after_fit(trained) -> None:
        if config.model.batch_norm and config.model.batch_norm_statistics == "population":
            set_population_statistics(trained, x_train, config.train.batch_size)

    return fit_and_predict(ctx, model, x_train, x_test, after_fit=after_fit, started=started)


def training_stages(config: STSTNetConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """The one model a fold trains (``--estimate``)."""
    classes = len(selection.class_names)
    return [TrainingStage(model="ststnet",
                          build=lambda: compile_model(build_model(config=config, num_classes=classes), config.train),
                          samples=len(fold.train), epochs=config.train.epochs, batch_size=config.train.batch_size)]
