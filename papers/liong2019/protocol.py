"""Selection, folds and training of STSTNet (Liong et al., FG 2019), Secs. II-III; the inputs are in
``preprocessing.py``.

The MEGC 2019 composite (SMIC + CASME II + SAMM, 442 clips, negative / positive / surprise) with
leave-one-subject-out over its 68 subjects (Sec. III.B): the benchmark track's own selection and folds
(``common.evaluation.splits.megc_composite``, ``common.evaluation.splits.megc_loso``).
"""
from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from common.running.fold import FoldTraining, fold_training, n_classes, outcome
from common.experiment import Fold, FoldContext, FoldOutcome, Selection, TrainingStage
from common.datasets.megc2019 import CLASSES as MEGC_CLASSES
from common.network_protocol import OneNetwork
from common.training import drops_each_epoch, matlab_epoch_order, trained_samples
from papers.liong2019.config import STSTNetConfig
from papers.liong2019.model import (AUTHORS_PORT_TRAINABLE, build_model, load_port_state_dict,
                                    set_population_statistics, training_mean_image)
from papers.liong2019.port_log import fold_agreement
from papers.liong2019.preprocessing import INPUTS
from common.datasets.released import authors_subject
from common.state_dicts import read_state_dict, StateDictError

CLASSES = MEGC_CLASSES  # Table II / Sec. III.B: negative, positive, surprise


def network(ctx: FoldContext, x_train: np.ndarray):
    """The authors' network (README ledger 10): the input centred on the training clips' mean image (held
    by the model's "zerocenter" layer, so an export carries it), and each batch normalisation predicting
    with its input's statistics over the training clips (``model.batch_norm_statistics``), set after
    training and before the model is kept or predicts."""
    config = ctx.config
    mean_image = training_mean_image(x_train) if config.model.zero_center else None
    model = build_model(config=config, num_classes=n_classes(ctx), mean_image=mean_image)
    return model, statistics_after_fit(config, x_train)


def statistics_after_fit(config: STSTNetConfig, x_statistics: np.ndarray):
    """The fold's ``after_fit``: with population statistics, every batch normalisation's mean and variance set
    to its input's over ``x_statistics``; None without."""
    if not population_statistics(config):
        return None

    def after_fit(trained) -> None:
        set_population_statistics(trained, x_statistics, config.train.batch_size)

    return after_fit


def population_statistics(config: STSTNetConfig) -> bool:
    """Whether the batch normalisations predict on their inputs' statistics over training clips (MATLAB's
    network), recomputed after training, and before each of the epoch gauge's test passes."""
    return config.model.batch_norm and config.model.batch_norm_statistics in ("population", "population_trained")


def fold_fit(ctx: FoldContext) -> FoldTraining:
    """The shared fold (``PROTOCOL.fold_fit``); with ``model.batch_norm_statistics=population_trained``, the
    statistics over only the clips training reads. MATLAB's epoch order (``common.training.matlab_epoch_order``)
    is then drawn here, where ``common.training.fit`` and ``common.fold_parallel.prepare`` would draw it first
    thing (the same permutation of NumPy's seeded generator), and the fold trains on those clips in that order
    with neither switch (the same batches, the same weights); the batch normalisations' statistics, at the end
    and before each gauge pass, cover those clips alone. Under MATLAB's "every-epoch" (``drops_each_epoch``) every
    clip is read in some epoch, so the statistics cover them all, as the profile's do."""
    training = PROTOCOL.fold_fit(ctx)
    config = ctx.config
    if not (config.model.batch_norm and config.model.batch_norm_statistics == "population_trained"):
        return training
    train = training.train
    x_trained, y_trained = training.x_train, training.y_train
    if (train.shuffle_once or train.drop_partial_batch) and not drops_each_epoch(train):
        x_trained, y_trained = matlab_epoch_order(x_trained, y_trained, train)
        train = dataclasses.replace(train, shuffle=train.shuffle and not train.shuffle_once, shuffle_once=False,
                                    drop_partial_batch=False)
    return fold_training(ctx, training.model, x_trained, training.x_test, y_train=y_trained, train=train,
                         label=training.label, after_fit=statistics_after_fit(config, x_trained),
                         started=training.started)


def training_stages(config: STSTNetConfig, selection: Selection, fold: Fold) -> list[TrainingStage]:
    """The shared stage (``PROTOCOL.training_stages``) and, with population statistics, the gauge's forward pass
    over the training clips before each of its test passes (``--estimate`` counts it)."""
    stages = PROTOCOL.training_stages(config, selection, fold)
    if not population_statistics(config):
        return stages
    set_state = functools.partial(_population_statistics, batch_size=config.train.batch_size)
    samples = len(fold.train)
    if config.model.batch_norm_statistics == "population_trained" and not drops_each_epoch(config.train):
        samples = trained_samples(config.train, samples)
    return [dataclasses.replace(stage, gauge_refit_samples=samples, gauge_set_state=set_state)
            for stage in stages]


def _population_statistics(model, x_train, batch_size: int) -> None:
    """The fold's ``after_fit`` as a stage's ``gauge_set_state(model, x_train)`` (``--estimate`` times it)."""
    set_population_statistics(model, x_train, batch_size)


# Sec. III.B: LOSO over the composite's 68 subjects, one network trained by one recipe (Adam,
# cross-entropy, config.train) and its last epoch's weights (the authors' code, README ledger 8): the
# protocol every such network shares (common.network_protocol).
PROTOCOL = OneNetwork(model="ststnet", inputs=INPUTS, build_model=build_model, network=network)


def run_fold(ctx: FoldContext) -> FoldOutcome:
    """The shared fold (``PROTOCOL.run_fold``); with ``train.weights``, the released weights' predictions
    instead (:func:`released_probabilities`)."""
    if ctx.config.train.weights:
        started = time.perf_counter()
        probabilities, path = released_probabilities(ctx)
        clips = [ctx.selection.samples[i] for i in ctx.fold.test]
        agreement = fold_agreement(ctx.config.train.weights, path.stem, [c.clip for c in clips],
                                   [int(ctx.selection.labels[i]) for i in ctx.fold.test],
                                   np.argmax(probabilities, axis=1).tolist())
        return outcome(ctx, probabilities, {}, {"ststnet": AUTHORS_PORT_TRAINABLE}, started,
                       {"weights": str(path), "trained": False, "released_log": agreement})
    return fold_fit(ctx).run()


# --weights: the authors' released weights of their PyTorch port (christy1206/STSTNet, STSTNet_Weights/), one
# state dict per left-out subject, named by the subject as their folds name it (README ledger 11).
WEIGHTS_SUFFIX = ".pth"


def weights_file(selection: Selection, fold: Fold, folder: Path) -> Path:
    """The released weights of ``fold``: ``<folder>/<left-out subject>.pth``, the subject as the authors name
    it (``sub01``, ``s01``, ``006``; ``common.datasets.released.authors_subject``)."""
    sample = selection.samples[int(fold.test[0])]
    return folder / f"{authors_subject(sample.dataset, sample.subject)}{WEIGHTS_SUFFIX}"


def released_weights(config: STSTNetConfig, selection: Selection, folds: Sequence[Fold], folder: Path) -> str:
    """``Experiment.released_weights``: "" when the config builds the port's network (``--profile port``) and
    every fold's file is in ``folder`` and loads into it; else the first problem, in one line."""
    m = config.model
    if m.padding != "port" or m.zero_center or not m.batch_norm:
        return ("the released weights are those of the authors' PyTorch port, whose network only --profile port "
                "builds (model.padding=port, model.zero_center=false, model.batch_norm=true)")
    model = build_model(config=config, num_classes=len(selection.class_names))
    files = [weights_file(selection, fold, folder) for fold in folds]
    missing = [path.name for path in files if not path.is_file()]
    if missing:
        return (f"no weights for {len(missing)} of the {len(folds)} left-out subjects (first: {missing[0]}); "
                "expected one <subject>.pth per fold")
    for path in files:
        try:
            load_port_state_dict(model, read_state_dict(path), str(path))
        except (StateDictError, ValueError) as error:
            return str(error)
    return ""


def released_probabilities(ctx: FoldContext) -> tuple[np.ndarray, Path]:
    """The fold's test probabilities by the released weights of its left-out subject, untrained (``--weights``),
    and the file they came from."""
    config = ctx.config
    path = weights_file(ctx.selection, ctx.fold, Path(config.train.weights))
    model = build_model(config=config, num_classes=n_classes(ctx))
    load_port_state_dict(model, read_state_dict(path), str(path))
    x_test = INPUTS.clip_inputs([ctx.selection.samples[i] for i in ctx.fold.test], config, ctx.cache_dir)
    # one call, not model.predict: 68 fresh models would retrace predict's tf.function 68 times
    return keras.ops.convert_to_numpy(model(x_test, training=False)), path


HOOKS = PROTOCOL.hooks(run_fold=run_fold, fold_fit=fold_fit, released_weights=released_weights,
                       training_stages=training_stages)
