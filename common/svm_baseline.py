"""The MEGC 2019 composite protocol of a handcrafted baseline: one feature vector per clip, a linear SVM,
leave-one-subject-out (See et al. 2019's LBP-TOP, Liong et al. 2018's Bi-WOOF).

What such a baseline's ``protocol.py`` shares, written once: the selection (the composite, three classes),
the folds (LOSO over its subjects; ``evaluation.max_folds`` cuts them in a smoke profile), the fold (the
feature rows of its clips, then :func:`common.classifiers.svm_fold`), ``--predict``'s scores of new clips,
``--estimate``'s view of a fold, and the results-table rows. The package keeps what is the paper's own:
``clip_features(sample, config, cache_root)`` (its feature vector, cached per clip), its model name and
feature length (from which :func:`decision_model` gives ``build_model`` and ``MODEL_BUILDERS``, and
:func:`parameter_counts` the ``Paper`` entry), its views and its config (features, ``svm``: a
``LinearSVMConfig``, ``evaluation``).
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from common.classifiers import build_decision_model, svm_fold, svm_scores, svm_training_stages
from common.datasets.sample import Sample
from common.evaluation.splits import megc_loso
from common.experiment import Fold, FoldContext, FoldOutcome, Reported, Selection, TrainingStage
from common.predict_types import PredictContext
from common.evaluation.splits import megc_composite

ClipFeatures = Callable[[Sample, Any, Path | None], np.ndarray]  # (sample, config, cache root) -> (D,) vector
# The results table's scopes as the report pages title them (``common.reporting.published``).
SCOPE_TITLES = {"all": "composite (FULL)", "smic": "SMIC", "casme2": "CASME II", "samm": "SAMM"}


def decision_model(*, model_name: str, feature_length: Callable[[Any], int],
                   default_config: Any) -> tuple[Callable[..., Any], dict[str, Callable[[], Any]]]:
    """``(build_model, MODEL_BUILDERS)`` of a baseline's ``model.py``: ``build_model(*, config, num_classes)`` is
    the linear SVM's decision function as a Keras model (``common.classifiers.build_decision_model``:
    ``Input(feature_length(config)) -> Dense(3)``, the three one-vs-one decision values), into which
    :func:`run_fold` copies the fitted SVM; ``MODEL_BUILDERS`` builds it by name (``Paper.models``) at the
    default config for the composite's 3 classes."""

    def build_model(*, config: Any, num_classes: int) -> Any:
        return build_decision_model(features=feature_length(config), num_classes=num_classes, kind=config.svm.kind,
                                    name=model_name)

    return build_model, {model_name: functools.partial(build_model, config=default_config, num_classes=3)}


def parameter_counts(*, model_name: str, features: int, vector: str) -> dict[str, tuple[int, str]]:
    """``Paper.parameter_counts`` of a baseline: the decision model's ``3 D + 3`` trainable parameters (the
    three one-vs-one SVMs' weights and intercepts for a ``D = features``-long ``vector``)."""
    return {model_name: (3 * features + 3,
                         f"ours: the linear SVM's weights for a {features:,}-long {vector}, 3 one-vs-one decision "
                         "values")}


def select(datasets: Mapping[str, list[Sample]], config: Any) -> Selection:
    """The MEGC 2019 composite (SMIC-HS + CASME II + SAMM), labelled 0 negative, 1 positive, 2 surprise."""
    return megc_composite(datasets)


def folds(selection: Selection, config: Any, seed: int) -> list[Fold]:
    """Leave-one-subject-out over the composite's subjects (68 on the real data); ``evaluation.max_folds`` > 0
    keeps the first folds only (the smoke profiles)."""
    return megc_loso(selection, config.evaluation.max_folds)


def feature_rows(clip_features: ClipFeatures, samples: Sequence[Sample], config: Any,
                 cache_root: Path | None) -> np.ndarray:
    """(N, D): the feature vector of each of ``samples``, in order."""
    return np.stack([clip_features(sample, config, cache_root) for sample in samples])


def run_fold(ctx: FoldContext, *, clip_features: ClipFeatures, model_name: str) -> FoldOutcome:
    """The feature vectors of the fold's clips (training ones first), the linear SVM ``config.svm`` fitted on
    the training ones, its predictions of the test ones (:func:`common.classifiers.svm_fold`)."""
    started = time.perf_counter()
    samples = ctx.selection.samples
    x_train = feature_rows(clip_features, [samples[int(i)] for i in ctx.fold.train], ctx.config, ctx.cache_dir)
    x_test = feature_rows(clip_features, [samples[int(i)] for i in ctx.fold.test], ctx.config, ctx.cache_dir)
    return svm_fold(ctx, x_train, x_test, ctx.config.svm, model_name=model_name, started=started)


def predict_clips(ctx: PredictContext, *, clip_features: ClipFeatures, model_name: str,
                  samples: Sequence[Sample] | None = None) -> np.ndarray:
    """``Experiment.predict_clips``: the feature vectors of ``samples`` (default ``ctx.samples``; the same cached
    function as :func:`run_fold`), scored by the exported SVM's Keras decision model: the vote shares of
    ``common.classifiers.class_scores`` that a fold reports (their arg-max is the SVM's class)."""
    x = feature_rows(clip_features, ctx.samples if samples is None else samples, ctx.config, ctx.cache_dir)
    return svm_scores(ctx.models[model_name], x, list(ctx.state["svm_classes"]), len(ctx.class_names),
                      ctx.config.svm.kind)


def training_stages(config: Any, selection: Selection, fold: Fold, *, build_model: Callable[..., Any],
                    model_name: str) -> list[TrainingStage]:
    """``--estimate``'s view of a fold: the linear SVM as its Keras decision model,
    ``build_model(config=, num_classes=)`` (``common.classifiers.svm_training_stages``)."""
    classes = len(selection.class_names)
    return svm_training_stages(model_name, lambda: build_model(config=config, num_classes=classes), len(fold.train))


def reported_rows(published: Mapping[str, tuple[float, float]], *, source: str) -> tuple[Reported, ...]:
    """The ``Reported`` rows of a results-table row ``{scope: (UF1, UAR)}`` of the MEGC 2019 protocol: pooled,
    as the challenge computes them."""
    return tuple(Reported(metric=metric, value=values[k], scope=scope, aggregation="pooled", source=source,
                          note="MEGC 2019 composite LOSO, UF1/UAR over the pooled predictions (the challenge's rule)")
                 for scope, values in published.items() for k, metric in enumerate(("uf1", "uar")))
