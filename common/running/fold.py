"""The fold skeleton every paper fills: the paper brings its inputs, model and recipe.

A paper's ``run_fold(ctx)`` reads as its method::

    def run_fold(ctx):
        started = time.perf_counter()
        x_train = inputs(ctx.selection, ctx.fold.train, ctx.config, ctx.cache_dir)   # the paper's own
        x_test = inputs(ctx.selection, ctx.fold.test, ctx.config, ctx.cache_dir)
        model = compile_model(build_model(config=ctx.config, num_classes=n_classes(ctx)), ctx.config.train)
        return fit_and_predict(ctx, model, x_train, x_test, started=started, extra={...})

:func:`fit_and_predict` does what is the same in every paper: the one-hot training labels, the
one ``common.training.fit`` call (CSV history in the fold's work dir, progress lines), the test
probabilities, and the :class:`FoldOutcome` (predictions, history, trainable parameters, seconds, and
``extra["timing"]``: input, training and prediction seconds, the benchmark's cost columns).
Papers with two stages (Aouayeb) or several models use the pieces (:func:`one_hot`,
:func:`predict_probabilities`, :func:`outcome`).
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from common.experiment import FoldContext, FoldOutcome, Selection


def n_classes(ctx: FoldContext) -> int:
    return len(ctx.selection.class_names)


def class_counts(selection: Selection, indices: Sequence[int] | np.ndarray | None = None) -> dict[str, int]:
    """``{class name: samples}`` among ``indices`` of the selection (all samples when None), every class listed."""
    labels = np.asarray(selection.labels, dtype=int)
    if indices is not None:
        labels = labels[np.asarray(indices, dtype=int)]
    return {name: int(np.sum(labels == k)) for k, name in enumerate(selection.class_names)}


def training_class_problem(selection: Selection, train: Sequence[int] | np.ndarray) -> str:
    """Why the training samples ``train`` of ``selection`` cannot train a classifier, or ``""``: they hold
    fewer than two classes. The runner refuses such a fold for every method (a network trained on one
    class reaches training accuracy 1.0 and predicts that class for every test clip; an SVM cannot fit)."""
    counts = class_counts(selection, train)
    present = {name: n for name, n in counts.items() if n}
    if len(present) >= 2:
        return ""
    held = ", ".join(f"{name}: {n}" for name, n in present.items()) or "none"
    return (f"the training part holds {len(present)} class(es) ({held} of {len(train)} samples); a classifier "
            f"needs at least two classes to learn from")


def one_hot(labels: Sequence[int] | np.ndarray, num_classes: int) -> np.ndarray:
    """``(N, num_classes)`` one-hot rows (``keras.utils.to_categorical``)."""
    import keras

    return keras.utils.to_categorical(np.asarray(labels, dtype=int), num_classes)


def predict_probabilities(model: Any, x: Any, batch_size: int) -> np.ndarray:
    """The model's class probabilities for ``x`` (``model.predict``, no progress bar)."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))


def outcome(ctx: FoldContext, probabilities: np.ndarray, history: Mapping[str, Sequence[float]],
            parameters: Mapping[str, int], started: float, extra: Mapping[str, Any] | None = None) -> FoldOutcome:
    """The fold's :class:`FoldOutcome`: arg-max predictions of the test samples, in ``ctx.fold.test`` order."""
    probabilities = np.asarray(probabilities)
    return FoldOutcome(test_indices=np.asarray(ctx.fold.test), y_pred=probabilities.argmax(axis=1),
                       probabilities=probabilities, history=dict(history), parameters=dict(parameters),
                       seconds=time.perf_counter() - started, extra=dict(extra or {}))


def fit_and_predict(ctx: FoldContext, model: Any, x_train: Any, x_test: Any, **options: Any) -> FoldOutcome:
    """Train the compiled ``model`` on the fold's training inputs, predict its test inputs, return the outcome:
    ``fold_training(ctx, model, x_train, x_test, **options).run()`` (its keywords: :func:`fold_training`)."""
    return fold_training(ctx, model, x_train, x_test, **options).run()


@dataclasses.dataclass(frozen=True, kw_only=True)
class FoldTraining:
    """A fold's one network, compiled and ready to train, with everything :func:`fit_and_predict` does around
    the training: what ``Experiment.fold_fit`` returns. :meth:`run` is the sequential fold (``common.training.fit``
    then :meth:`finish`); ``common.fold_parallel`` trains several folds' :class:`FoldTraining` as one
    computation and then calls each one's :meth:`finish`, so the two paths share everything but the loop."""

    ctx: FoldContext
    model: Any
    x_train: Any
    x_test: Any
    y_train: np.ndarray  # one-hot rows of x_train
    train: Any  # common.train_config.TrainConfig
    label: str
    validation_data: Any = None
    callbacks: list | None = None
    verbose_every_epoch: bool = False
    after_fit: Callable[[Any], None] | None = None
    extra: Mapping[str, Any] | Callable[[Any, Mapping[str, list]], Mapping[str, Any]] | None = None
    started: float
    recorder: Any = None  # common.training.EpochPredictions, or None

    def run(self) -> FoldOutcome:
        """Train (``common.training.fit``) and :meth:`finish`: the sequential fold."""
        from common.training import fit

        fit_started = time.perf_counter()
        history = fit(self.model, self.x_train, self.y_train, self.train, work_dir=self.ctx.work_dir,
                      label=self.label, validation_data=self.validation_data, callbacks=self.callbacks,
                      verbose_every_epoch=self.verbose_every_epoch, epoch_predictions=self.recorder)
        return self.finish(history, inputs_seconds=fit_started - self.started,
                           fit_seconds=time.perf_counter() - fit_started)

    def finish(self, history: Mapping[str, list], *, inputs_seconds: float, fit_seconds: float,
               extra: Mapping[str, Any] | None = None) -> FoldOutcome:
        """After training: ``after_fit``, the export's copy, the test probabilities and the :class:`FoldOutcome`
        (its seconds: ``inputs_seconds`` + ``fit_seconds`` + the prediction's; fold-parallel gives each fold its
        share of the group's training as ``fit_seconds``)."""
        from common.training import trainable_parameters

        ctx, model = self.ctx, self.model
        after_started = time.perf_counter()
        if self.after_fit is not None:
            self.after_fit(model)
        if ctx.export is not None:  # an export fold: the trained model is what --predict loads
            ctx.export.keep(self.label, model)
        predict_started = time.perf_counter()
        probabilities = predict_probabilities(model, self.x_test, self.train.batch_size)
        predict_ended = time.perf_counter()
        # after_fit counts as training, as it always has
        fit_started = after_started - fit_seconds
        timing = timing_extra(fit_started, predict_started, predict_ended, len(ctx.fold.test),
                              fit_started - inputs_seconds)
        more = dict((self.extra(model, history) if callable(self.extra) else self.extra) or {})
        if getattr(model, "dtype_policy", None) is not None and model.dtype_policy.name != "float32":
            more["dtype_policy"] = model.dtype_policy.name  # TrainConfig.mixed_precision: which policy ran
        return outcome(ctx, probabilities, history, {self.label: trainable_parameters(model)},
                       fit_started - inputs_seconds,
                       {**more, **dict(extra or {}), "timing": timing, **epoch_extra(self.recorder, self.label)})


def fold_training(ctx: FoldContext, model: Any, x_train: Any, x_test: Any, *, y_train: Any = None,
                  train: Any = None, label: str | None = None, validation_data: Any = None,
                  callbacks: list | None = None, verbose_every_epoch: bool = False,
                  after_fit: Callable[[Any], None] | None = None,
                  extra: Mapping[str, Any] | Callable[[Any, Mapping[str, list]], Mapping[str, Any]] | None = None,
                  started: float | None = None) -> FoldTraining:
    """The fold's :class:`FoldTraining`: what a paper's ``fold_fit(ctx)`` returns, and :func:`fit_and_predict` runs.

    ``y_train``: integer labels or one-hot rows of ``x_train`` (default: the selection's labels of
    ``ctx.fold.train``, one-hot); ``train``: the ``common.train_config.TrainConfig`` (default
    ``ctx.config.train``); ``after_fit(model)`` runs between training and prediction (e.g. BN
    statistics recomputed); ``extra`` is a mapping or ``extra(model, history)`` computed after training.
    A model in mixed precision (``TrainConfig.mixed_precision``) adds ``extra["dtype_policy"]``."""
    from common.training import gauge_predictions

    started = time.perf_counter() if started is None else started
    train = ctx.config.train if train is None else train
    if y_train is None:
        y_train = ctx.selection.labels[np.asarray(ctx.fold.train, dtype=int)]
    y_train = np.asarray(y_train)
    if y_train.ndim == 1:
        y_train = one_hot(y_train, n_classes(ctx))
    batch_size = train.batch_size

    def predict_at_epoch(trained: Any) -> np.ndarray:
        """The test probabilities the fold would give had training stopped here: with ``after_fit``
        applied (e.g. BN statistics recomputed) and its non-trainable state put back afterwards."""
        return gauge_predictions(trained, x_test, batch_size, after_fit)

    return FoldTraining(ctx=ctx, model=model, x_train=x_train, x_test=x_test, y_train=y_train, train=train,
                        label=label or model.name, validation_data=validation_data, callbacks=callbacks,
                        verbose_every_epoch=verbose_every_epoch, after_fit=after_fit, extra=extra, started=started,
                        recorder=epoch_recorder(ctx, predict_at_epoch))


def epoch_recorder(ctx: FoldContext, predict: Callable[[Any], np.ndarray]) -> Any:
    """A ``common.training.EpochPredictions`` for the network that makes the fold's final prediction
    (``predict(model)``: the test inputs' probabilities, as the fold computes them), or None when the run
    records no epochs (``FoldContext.record_epochs`` off, or an export fold, whose test part is not held
    out). Pass it to ``common.training.fit`` and its :func:`epoch_extra` to the outcome's ``extra``."""
    from common.training import EpochPredictions

    return EpochPredictions(predict) if ctx.record_epochs and ctx.export is None else None


def epoch_extra(recorder: Any, model: str) -> dict[str, Any]:
    """``extra`` of a fold whose final network ``recorder`` watched: ``{EPOCH_PREDICTIONS: {"model",
    "y_pred": [[class of each test sample, in test order] per epoch]}}``, the record the epoch-selection
    gauge reads (``common.evaluation.epoch_selection``); ``{}`` without a recorder."""
    from common.evaluation.epoch_selection import EPOCH_PREDICTIONS

    if recorder is None or not recorder.classes:
        return {}
    return {EPOCH_PREDICTIONS: {"model": model, "y_pred": recorder.classes}}


def timing_extra(fit_started: float, predict_started: float, predict_ended: float, test_clips: int,
                 started: float) -> dict[str, float]:
    """``extra["timing"]`` of a fold (the benchmark's cost columns): input preparation, training
    and prediction seconds, and inference milliseconds per test clip (the whole pass, batched)."""
    return {"inputs_seconds": round(fit_started - started, 4), "fit_seconds": round(predict_started - fit_started, 4),
            "predict_seconds": round(predict_ended - predict_started, 4),
            "predict_ms_per_clip": round(1000 * (predict_ended - predict_started) / max(test_clips, 1), 4)}
