"""The MEGC 2019 composite protocol of a method whose fold is one network trained by one recipe (OFF-ApexNet,
STSTNet, HTNet), written once as ``common.svm_baseline`` is for the SVMs: the selection (the composite, three
classes), the folds (LOSO; ``evaluation.max_folds`` cuts them in a smoke profile), the fold (its inputs, the
network compiled with ``config.train``, trained and kept by ``common.running.fold``: the epoch gauge, the
export's copy, ``--fold-parallel``'s ``fold_fit``), ``--estimate``'s stage and the inputs' hooks
(``common.flow_cnn.FlowInputs``). A package keeps its inputs, ``build_model(*, config, num_classes)``, recipe,
ledger and numbers, and its own ``run_fold`` where its fold is genuinely different (:meth:`OneNetwork.hooks`).
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from common.evaluation.splits import megc_composite, megc_loso
from common.experiment import Fold, FoldContext, FoldOutcome, Hooks, Selection, TrainingStage
from common.running.fold import FoldTraining, fold_training, n_classes
from common.training import compile_model

# ``network(ctx, x_train) -> (model, after_fit)``: the fold's uncompiled network where it depends on the
# training inputs, and what runs after training and before predicting (None: nothing).
FoldNetwork = Callable[[FoldContext, np.ndarray], tuple[Any, Callable[[Any], None] | None]]


@dataclasses.dataclass(frozen=True, kw_only=True)
class OneNetwork:
    """A network method's protocol: ``model`` (its name), ``inputs`` (a ``FlowInputs``), ``build_model`` (the
    paper's ``model.build_model``); ``network`` where the fold's network depends on its training inputs
    (:data:`FoldNetwork`); ``check(config, selection) -> problem`` where a run must be refused before any fold
    (one line; "" when none)."""

    model: str
    inputs: Any
    build_model: Callable[..., Any]
    network: FoldNetwork | None = None
    check: Callable[[Any, Selection], str] | None = None

    def select(self, data: Mapping[str, list], config: Any) -> Selection:
        """Every clip of the composite (442 on the real data), labelled by its composite class."""
        return megc_composite(data)

    def folds(self, selection: Selection, config: Any, seed: int) -> list[Fold]:
        """LOSO over the composite's subjects (68); ``evaluation.max_folds`` (smoke only) keeps the first."""
        return megc_loso(selection, config.evaluation.max_folds)

    def fold_fit(self, ctx: FoldContext) -> FoldTraining:
        """The fold's network and inputs, compiled and ready to train (``Experiment.fold_fit``:
        ``--fold-parallel`` trains several folds' at once)."""
        started = time.perf_counter()
        x_train, x_test = self.inputs.fold(ctx)
        if self.network is None:
            model, after_fit = self.build_model(config=ctx.config, num_classes=n_classes(ctx)), None
        else:
            model, after_fit = self.network(ctx, x_train)
        model = compile_model(model, ctx.config.train)
        return fold_training(ctx, model, x_train, x_test, after_fit=after_fit, started=started)

    def run_fold(self, ctx: FoldContext) -> FoldOutcome:
        """Train the network on the fold's training clips for ``train.epochs`` and predict its test clips with
        the last epoch's weights: :meth:`fold_fit`, run."""
        return self.fold_fit(ctx).run()

    def training_stages(self, config: Any, selection: Selection, fold: Fold) -> list[TrainingStage]:
        """The one network a fold trains (``--estimate``, and the check of every run before its first fold:
        a ``ValueError`` with :attr:`check`'s problem)."""
        problem = self.check(config, selection) if self.check is not None else ""
        if problem:
            raise ValueError(problem)
        classes = len(selection.class_names)
        return [TrainingStage(model=self.model,
                              build=lambda: compile_model(self.build_model(config=config, num_classes=classes),
                                                          config.train),
                              samples=len(fold.train), epochs=config.train.epochs, batch_size=config.train.batch_size)]

    def hooks(self, **own: Any) -> Hooks:
        """The method's :class:`~common.experiment.Hooks`: these, the inputs', and ``own`` (the package's own
        hooks, e.g. ``released_weights``, or a ``run_fold`` where its fold differs; ``fold_fit=None`` where
        it cannot be trained with other folds)."""
        shared = {"select": self.select, "folds": self.folds, "run_fold": self.run_fold,
                  "training_stages": self.training_stages, "fold_fit": self.fold_fit,
                  "preprocess_clip": self.inputs.preprocess_clip, "first_pass": self.inputs.first_pass,
                  "predict_clips": self.inputs.predict_clips, "predict_views": self.inputs.predict_views,
                  "predict_apex": self.inputs.predict_apex}
        return Hooks(**{**shared, **own})
